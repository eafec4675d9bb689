/**
 * Pinned versions of the local control plane. Changing any of these yields a new cache directory
 * (see `cacheKey()`), so old and new builds never mix.
 */
export const VERSIONS = {
  /** k8s.io/kubernetes module version; kube-apiserver is built from it. */
  kubernetes: 'v1.34.4',
  /** Version of the k8s.io/* staging modules matching `kubernetes` (v1.X.Y -> v0.X.Y). */
  kubernetesStaging: 'v0.34.4',
  /** go.etcd.io/etcd/server/v3 (latest 3.6 patch release at the time of pinning). */
  etcd: 'v3.6.16',
  /** sigs.k8s.io/kwok. */
  kwok: 'v0.8.0',
} as const;

/**
 * Bump when the build recipe changes in a way that must invalidate cached binaries
 * (ldflags, wrapper module layout, ...).
 */
export const BUILD_RECIPE = 1;

export function cacheKey(): string {
  return `k8s-${VERSIONS.kubernetes}_etcd-${VERSIONS.etcd}_kwok-${VERSIONS.kwok}_r${BUILD_RECIPE}`;
}
