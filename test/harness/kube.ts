/** Small Kubernetes helpers for tests and the demo, on top of @kubernetes/client-node. */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ensureDefaultServiceAccount } from './controlplane.js';

export function isNotFound(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 404;
}

export function isConflict(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 409;
}

/** A random DNS-1123 name with the given prefix, e.g. "it-ctl-4f9a1c". */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates a namespace (if missing) and its `default` ServiceAccount, which kube-controller-manager
 * would create in a real cluster; pods are rejected by admission without it.
 */
export async function createNamespace(
  kc: KubeConfig,
  name: string,
  opts: { labels?: Record<string, string> } = {},
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name, labels: opts.labels } } });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  await ensureDefaultServiceAccount(kc, name);
  return name;
}

/**
 * Deletes a namespace's pods immediately (grace 0) and then the namespace. There is no namespace
 * controller, so the Namespace object itself stays Terminating; its contents are not cleaned up
 * beyond pods. Good enough to stop the namespace from influencing later tests.
 */
export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 });
    await core.deleteNamespace({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * A KubeConfig authenticating as a ServiceAccount with a bound token from the TokenRequest API
 * (same server and CA as `adminKc`). Creates the ServiceAccount unless `createServiceAccount: false`.
 */
export async function kubeConfigForServiceAccount(
  adminKc: KubeConfig,
  namespace: string,
  saName: string,
  opts: { expirationSeconds?: number; audiences?: string[]; createServiceAccount?: boolean } = {},
): Promise<KubeConfig> {
  const core = adminKc.makeApiClient(CoreV1Api);
  if (opts.createServiceAccount !== false) {
    try {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: saName } } });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  const tr = await core.createNamespacedServiceAccountToken({
    name: saName,
    namespace,
    body: { spec: { expirationSeconds: opts.expirationSeconds ?? 3600, audiences: opts.audiences ?? [] } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${saName} returned no token`);
  const cluster = adminKc.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  const user = `system:serviceaccount:${namespace}:${saName}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.server,
        caData: cluster.caData,
        caFile: cluster.caFile,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: user, token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user, namespace }],
    currentContext: 'sa',
  });
  return kc;
}

/** Writes a kubeconfig file for `kc` (e.g. to hand a ServiceAccount identity to a child process). */
export function kubeConfigToYaml(kc: KubeConfig): string {
  return kc.exportConfig();
}

export function isPodReady(pod: V1Pod | undefined): boolean {
  return !!pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminating(obj: { metadata?: { deletionTimestamp?: Date | string } } | undefined): boolean {
  return !!obj?.metadata?.deletionTimestamp;
}

/** Polls `fn` until it returns a truthy value (returned) or the timeout expires. */
export async function waitUntil<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number; description?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`timed out waiting for ${opts.description ?? 'condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Reads a pod, or undefined when it does not exist. */
export async function readPod(kc: KubeConfig, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await kc.makeApiClient(CoreV1Api).readNamespacedPod({ namespace, name });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
