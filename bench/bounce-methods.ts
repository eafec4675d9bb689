// Three ways to bounce one pod and wait until its replacement is Ready, measured from the caller's side:
//  - operator: create a NodeBounce, wait for phase Succeeded (what `kubectl wait --for=condition=Succeeded` does);
//  - kubectl:  what `kubectl delete pod X --wait` then `kubectl wait --for=condition=Ready pod/X` do: delete, watch
//              until that UID is gone, then list+watch the name until a pod is Ready (kubectl's process start-up,
//              ~100-200 ms per command, is NOT included: that favours the baseline);
//  - poller:   a home-grown bounce task: delete, then GET every 2 s until a new pod is Ready.
import { CoreV1Api, CustomObjectsApi, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { NodeBounce } from '../src/api/nodebounce.js';

export type Method = 'operator' | 'kubectl' | 'poller';
export const METHODS: Method[] = ['operator', 'kubectl', 'poller'];

export interface BounceRun {
  method: Method;
  pod: string;
  /** NodeBounce name (operator only). */
  nodeBounce?: string;
  /** Wall clock (epoch ms) when the caller started and when it saw the replacement Ready / Succeeded. */
  startedAt: number;
  endedAt: number;
  wallMs: number;
  ok: boolean;
  detail?: string;
  /** Why it failed: the NodeBounce's status.reason and status.message (operator), or the bench client's error. */
  reason?: string;
  message?: string;
}

/** The reason recorded when the bench's own client failed (timed out, request error), not the operator. */
export const CLIENT_ERROR = 'BenchClientError';

/**
 * Runs one bounce; if the caller itself throws (a wait timed out, a request failed), records a failed run with
 * reason BenchClientError instead of aborting the whole scenario.
 */
export async function orFailure(
  method: Method,
  pod: string,
  bounce: () => Promise<BounceRun>,
  nodeBounce?: string,
): Promise<BounceRun> {
  const startedAt = Date.now();
  const t0 = performance.now();
  try {
    return await bounce();
  } catch (err) {
    const wallMs = performance.now() - t0;
    const message = err instanceof Error ? err.message : String(err);
    return {
      method,
      pod,
      nodeBounce,
      startedAt,
      endedAt: startedAt + wallMs,
      wallMs,
      ok: false,
      detail: `${CLIENT_ERROR}: ${message}`,
      reason: CLIENT_ERROR,
      message,
    };
  }
}

const NB_PATH = (ns: string) => `/apis/bounce.express.dev/v1alpha1/namespaces/${ns}/nodebounces`;
const POD_PATH = (ns: string) => `/api/v1/namespaces/${ns}/pods`;

type Obj = { metadata?: { name?: string; uid?: string; resourceVersion?: string } };

/**
 * Like client-go's UntilWithSync for one named object: list it (field selector on the name), test `done` on what
 * is there, then watch from the list's resourceVersion and test every event. Resolves with the matching object.
 */
export async function waitNamed<T extends Obj>(
  kc: KubeConfig,
  path: string,
  name: string,
  done: (obj: T | undefined, type: 'LIST' | 'ADDED' | 'MODIFIED' | 'DELETED') => boolean,
  timeoutMs: number,
): Promise<T | undefined> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  const deadline = Date.now() + timeoutMs;
  const watch = new Watch(kc);
  for (;;) {
    const list = (
      path.startsWith('/api/v1/')
        ? await core.listNamespacedPod({ namespace: path.split('/')[4]!, fieldSelector })
        : await custom.listNamespacedCustomObject({
            group: 'bounce.express.dev',
            version: 'v1alpha1',
            plural: 'nodebounces',
            namespace: path.split('/')[5]!,
            fieldSelector,
          })
    ) as { items: T[]; metadata?: { resourceVersion?: string } };
    const current = list.items[0];
    if (done(current, 'LIST')) return current;
    let rv = list.metadata?.resourceVersion;
    const result = await new Promise<{ obj?: T; matched: boolean }>((resolve, reject) => {
      let settled = false;
      let req: { abort(): void } | undefined;
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out waiting for ${path}/${name}`))),
        Math.max(0, deadline - Date.now()),
      );
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.abort();
        f();
      };
      watch
        .watch(
          path,
          { fieldSelector, resourceVersion: rv, allowWatchBookmarks: true },
          (type, obj: T) => {
            if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
            if (type === 'BOOKMARK' || type === 'ERROR') return;
            if (done(obj, type as 'ADDED' | 'MODIFIED' | 'DELETED')) finish(() => resolve({ obj, matched: true }));
          },
          () => finish(() => resolve({ matched: false })), // closed: list + watch again
        )
        .then((r) => {
          req = r;
          if (settled) r.abort();
        })
        .catch((err: unknown) => finish(() => reject(err)));
    });
    if (result.matched) return result.obj;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}/${name}`);
  }
}

export function isReady(pod: V1Pod | undefined): boolean {
  return !!pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function bounceWithOperator(
  kc: KubeConfig,
  ns: string,
  pod: string,
  nbName: string,
  timeoutMs = 120_000,
): Promise<BounceRun> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const startedAt = Date.now();
  const t0 = performance.now();
  await custom.createNamespacedCustomObject({
    group: 'bounce.express.dev',
    version: 'v1alpha1',
    plural: 'nodebounces',
    namespace: ns,
    body: {
      apiVersion: 'bounce.express.dev/v1alpha1',
      kind: 'NodeBounce',
      metadata: { name: nbName, namespace: ns },
      spec: { podName: pod },
    },
  });
  const nb = await waitNamed<NodeBounce>(
    kc,
    NB_PATH(ns),
    nbName,
    (o) => o?.status?.phase === 'Succeeded' || o?.status?.phase === 'Failed',
    timeoutMs,
  );
  const wallMs = performance.now() - t0;
  const ok = nb?.status?.phase === 'Succeeded';
  return {
    method: 'operator',
    pod,
    nodeBounce: nbName,
    startedAt,
    endedAt: startedAt + wallMs,
    wallMs,
    ok,
    detail: ok ? undefined : `${nb?.status?.reason}: ${nb?.status?.message}`,
    ...(ok ? {} : { reason: nb?.status?.reason, message: nb?.status?.message }),
  };
}

/** `kubectl delete pod X --wait && kubectl wait --for=condition=Ready pod/X`, as the API calls kubectl makes. */
export async function bounceLikeKubectl(
  kc: KubeConfig,
  ns: string,
  pod: string,
  timeoutMs = 120_000,
): Promise<BounceRun> {
  const core = kc.makeApiClient(CoreV1Api);
  const startedAt = Date.now();
  const t0 = performance.now();
  // kubectl delete: DELETE, then (--wait) watch until the object with the deleted UID is gone.
  const deleted = await core.deleteNamespacedPod({ namespace: ns, name: pod });
  const uid = deleted.metadata?.uid;
  await waitNamed<V1Pod>(
    kc,
    POD_PATH(ns),
    pod,
    (o, type) => !o || o.metadata?.uid !== uid || type === 'DELETED',
    timeoutMs,
  );
  // kubectl wait --for=condition=Ready: get + watch until the condition holds. (Real kubectl fails with NotFound
  // when the replacement does not exist yet and someone runs it again; waiting for it instead favours the baseline.)
  const ready = await waitNamed<V1Pod>(
    kc,
    POD_PATH(ns),
    pod,
    (o, type) => type !== 'DELETED' && !!o && o.metadata?.uid !== uid && isReady(o),
    timeoutMs,
  );
  const wallMs = performance.now() - t0;
  return { method: 'kubectl', pod, startedAt, endedAt: startedAt + wallMs, wallMs, ok: !!ready };
}

/** A home-grown bounce task: delete, then every 2 s GET the pod until a new incarnation is Ready. */
export async function bounceWithPoller(
  kc: KubeConfig,
  ns: string,
  pod: string,
  intervalMs = 2000,
  timeoutMs = 120_000,
): Promise<BounceRun> {
  const core = kc.makeApiClient(CoreV1Api);
  const startedAt = Date.now();
  const t0 = performance.now();
  const deleted = await core.deleteNamespacedPod({ namespace: ns, name: pod });
  const uid = deleted.metadata?.uid;
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    let cur: V1Pod | undefined;
    try {
      cur = await core.readNamespacedPod({ namespace: ns, name: pod });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    if (cur && cur.metadata?.uid !== uid && isReady(cur)) break;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`poller: pod ${ns}/${pod} not replaced within ${timeoutMs}ms`);
  }
  const wallMs = performance.now() - t0;
  return { method: 'poller', pod, startedAt, endedAt: startedAt + wallMs, wallMs, ok: true };
}
