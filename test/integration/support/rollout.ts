// Helpers for RollingBounce scenarios on the real control plane: create/patch/wait, and the independent
// disruption check (evictions from the kube-apiserver audit log, readiness of replacements from our own pod watch).
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import type { NodeBounce } from '../../../src/api/nodebounce.js';
import type { RollingBounce, RollingBounceSpec } from '../../../src/api/rollingbounce.js';
import { isPodReady, waitUntil } from '../../harness/index.js';
import { isDisruption, podAuditEvents } from './reliability.js';

const RB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'rollingbounces' };
const NB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'nodebounces' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class RolloutFixture {
  readonly custom: CustomObjectsApi;
  constructor(readonly kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async create(namespace: string, name: string, spec: RollingBounceSpec): Promise<RollingBounce> {
    return (await this.custom.createNamespacedCustomObject({
      ...RB,
      namespace,
      body: { apiVersion: 'bounce.express.dev/v1alpha1', kind: 'RollingBounce', metadata: { name, namespace }, spec },
    })) as RollingBounce;
  }

  async get(namespace: string, name: string): Promise<RollingBounce | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...RB, namespace, name })) as RollingBounce;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async patchSpec(namespace: string, name: string, spec: Partial<RollingBounceSpec>): Promise<void> {
    await this.custom.patchNamespacedCustomObject({ ...RB, namespace, name, body: { spec } }, mergePatch);
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...RB, namespace, name });
  }

  async wait(
    namespace: string,
    name: string,
    pred: (rb: RollingBounce) => boolean,
    timeoutMs = 90_000,
    what = 'condition',
  ): Promise<RollingBounce> {
    let last: RollingBounce | undefined;
    try {
      return await waitUntil(
        async () => {
          last = await this.get(namespace, name);
          return last && pred(last) ? last : undefined;
        },
        { timeoutMs, intervalMs: 200, description: `RollingBounce ${namespace}/${name}: ${what}` },
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; last status: ${JSON.stringify(last?.status, null, 1)?.slice(0, 3000)}`,
        { cause: err },
      );
    }
  }

  waitFinished(namespace: string, name: string, timeoutMs = 120_000): Promise<RollingBounce> {
    return this.wait(
      namespace,
      name,
      (rb) =>
        (rb.status?.phase === 'Succeeded' || rb.status?.phase === 'Failed') &&
        !(rb.status.members ?? []).some((m) => m.phase === 'InProgress'),
      timeoutMs,
      'finished',
    );
  }

  async nodeBounces(namespace: string): Promise<NodeBounce[]> {
    return ((await this.custom.listNamespacedCustomObject({ ...NB, namespace })) as { items: NodeBounce[] }).items;
  }
}

/** Watches the namespace's pods and records, per pod name, each incarnation's UID and when it was first seen Ready. */
/** A pod informer of one namespace (the tests' own view, not the operator's). */
function podInformer(kc: KubeConfig, namespace: string): Informer<KubernetesObject> {
  const core = kc.makeApiClient(CoreV1Api);
  return makeInformer<KubernetesObject>(kc, `/api/v1/namespaces/${namespace}/pods`, () =>
    core.listNamespacedPod({ namespace }),
  );
}

/** Starts the informer and restarts it after a watch error until the returned stop() is called. */
async function keepRunning(informer: Informer<KubernetesObject>): Promise<() => Promise<void>> {
  let stopped = false;
  informer.on('error', () => {
    if (!stopped)
      setTimeout(() => {
        if (!stopped) void informer.start().catch(() => undefined);
      }, 500);
  });
  await informer.start();
  return async () => {
    stopped = true;
    await informer.stop();
  };
}

export async function trackReadiness(
  kc: KubeConfig,
  namespace: string,
): Promise<{ readyAt(pod: string, afterMs: number): number | undefined; stop(): Promise<void> }> {
  const informer = podInformer(kc, namespace);
  const seen = new Map<string, Array<{ uid: string; readyAt: number }>>();
  const onPod = (obj: KubernetesObject) => {
    const pod = obj as V1Pod;
    if (!isPodReady(pod) || pod.metadata?.deletionTimestamp) return;
    const list = seen.get(pod.metadata!.name!) ?? [];
    if (!list.some((e) => e.uid === pod.metadata!.uid)) list.push({ uid: pod.metadata!.uid!, readyAt: Date.now() });
    seen.set(pod.metadata!.name!, list);
  };
  informer.on('add', onPod);
  informer.on('update', onPod);
  const stop = await keepRunning(informer);
  return {
    readyAt: (pod, afterMs) => seen.get(pod)?.find((e) => e.readyAt > afterMs)?.readyAt,
    stop,
  };
}

export interface Eviction {
  pod: string;
  at: number;
}

/** The operator's successful evictions (or deletes) of pods in `ns`, in order, from the audit log. */
export async function auditEvictions(auditLogPath: string, ns: string, fromMs = 0): Promise<Eviction[]> {
  return (await podAuditEvents(auditLogPath, ns, fromMs))
    .filter((e) => e.byOperator && isDisruption(e))
    .map((e) => ({ pod: e.pod, at: e.at }))
    .sort((a, b) => a.at - b.at);
}

/**
 * When each member's replacement was first known Ready: seen by our own watch or recorded by the operator (NodeBounce
 * `readyTime`), whichever is earlier. Our watch alone lags under load (CI counted a third member "in flight" at
 * maxUnavailable 2 because the test's watch saw a Ready after the operator had acted on it); the operator's own
 * readyTime is still checked against the audit log's eviction times, so a rollout that starts a member before the
 * previous replacement was Ready is caught either way.
 */
export function earliestReady(
  watched: (pod: string, afterMs: number) => number | undefined,
  nodeBounces: NodeBounce[],
): (pod: string, afterMs: number) => number | undefined {
  return (pod, afterMs) => {
    const byOperator = nodeBounces
      .filter((nb) => nb.spec.podName === pod && nb.status?.readyTime)
      .map((nb) => Date.parse(nb.status!.readyTime!))
      .filter((t) => t > afterMs);
    const candidates = [watched(pod, afterMs), ...byOperator].filter((t): t is number => t !== undefined);
    return candidates.length ? Math.min(...candidates) : undefined;
  };
}

/**
 * The most members disrupted at once: a member is disrupted from its eviction (audit log) until its replacement was
 * known Ready (see earliestReady).
 */
export function maxConcurrentDisruptions(
  evictions: Eviction[],
  readyAt: (pod: string, afterMs: number) => number | undefined,
): number {
  let max = 0;
  for (const e of evictions) {
    const open = evictions.filter((o) => o.at <= e.at && (readyAt(o.pod, o.at) ?? Number.POSITIVE_INFINITY) > e.at);
    max = Math.max(max, open.length);
  }
  return max;
}

/**
 * Counts, from outside the operator (our own pod watch, in the order the API server changed them), how many of
 * `members` (pods named after their Express resources) are unavailable at each change: pod missing, not Ready or
 * terminating. `peak()` is the most at once, with the instant and who.
 */
export async function watchUnavailable(
  kc: KubeConfig,
  namespace: string,
  members: string[],
): Promise<{ peak(): { count: number; at: number; down: string[] }; stop(): Promise<void> }> {
  const informer = podInformer(kc, namespace);
  const up = new Map<string, boolean>();
  let peak = { count: 0, at: Date.now(), down: [] as string[] };
  const record = () => {
    const down = members.filter((m) => up.get(m) !== true);
    if (down.length > peak.count) peak = { count: down.length, at: Date.now(), down };
  };
  const onPod = (obj: KubernetesObject) => {
    const pod = obj as V1Pod;
    up.set(pod.metadata!.name!, isPodReady(pod) && !pod.metadata?.deletionTimestamp);
    record();
  };
  informer.on('add', onPod);
  informer.on('update', onPod);
  informer.on('delete', (obj: KubernetesObject) => {
    up.delete(obj.metadata!.name!);
    record();
  });
  const stop = await keepRunning(informer);
  // Before the first list every member reads as down: start counting from the listed state.
  peak = { count: members.filter((m) => up.get(m) !== true).length, at: Date.now(), down: [] };
  return {
    peak: () => peak,
    stop,
  };
}
