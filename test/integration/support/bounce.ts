// Helpers for bounce scenarios on the real control plane: ExpressNodes, NodeBounces, waiting, events.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Pod,
} from '@kubernetes/client-node';
import type { NodeBounce, NodeBounceSpec, Phase } from '../../../src/api/nodebounce.js';
import {
  createExpressNode,
  EXPRESS_GROUP,
  EXPRESS_PLURAL,
  EXPRESS_VERSION,
  isPodReady,
  readPod,
  STARTUP_DELAY_ANNOTATION,
  waitUntil,
} from '../../harness/index.js';

const NB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'nodebounces' };
const EX = { group: EXPRESS_GROUP, version: EXPRESS_VERSION, plural: EXPRESS_PLURAL };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface ExpressNodeOptions {
  state?: unknown;
  shutdownProtection?: unknown;
  runtimeState?: unknown;
  /** kwok delays for the node's pods, e.g. { startup: '1s', shutdown: '500ms' } or 'never'. */
  startupDelay?: string;
  shutdownDelay?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export class BounceFixture {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async createExpressNode(namespace: string, name: string, opts: ExpressNodeOptions = {}): Promise<void> {
    const annotations: Record<string, string> = {
      [STARTUP_DELAY_ANNOTATION]: opts.startupDelay ?? '300ms',
      'kwok.nodebounce.dev/shutdown-delay': opts.shutdownDelay ?? '300ms',
      ...opts.annotations,
    };
    const spec: Record<string, unknown> = { state: opts.state ?? 'up' };
    if (opts.shutdownProtection !== undefined) spec.shutdownProtection = opts.shutdownProtection;
    await createExpressNode(this.kc, namespace, name, { annotations, labels: opts.labels, spec });
    if (opts.runtimeState !== undefined) {
      // The simulated Express operator initialises status.state once; set ours after that so it sticks.
      await waitUntil(async () => (await this.getExpressNode(namespace, name)).status?.state !== undefined, {
        description: `ExpressNode ${namespace}/${name} status initialised`,
      });
      await this.setRuntimeState(namespace, name, opts.runtimeState);
    }
  }

  async setRuntimeState(namespace: string, name: string, state: unknown): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { ...EX, namespace, name, body: { status: { state } } },
      mergePatch,
    );
  }

  /**
   * Sets kwok's start-up delay for the node's future pods: the simulator copies the ExpressNode's annotation to each pod
   * it creates. kwok does not look again at a pod it holds with 'never' when its annotation changes; delete that pod.
   */
  async setStartupDelay(namespace: string, name: string, delay: string): Promise<void> {
    const body = { metadata: { annotations: { [STARTUP_DELAY_ANNOTATION]: delay } } };
    await this.custom.patchNamespacedCustomObject({ ...EX, namespace, name, body }, mergePatch);
  }

  async getExpressNode(
    namespace: string,
    name: string,
  ): Promise<{
    metadata: { resourceVersion: string; generation?: number };
    spec: Record<string, unknown>;
    status?: Record<string, unknown>;
  }> {
    return (await this.custom.getNamespacedCustomObject({ ...EX, namespace, name })) as never;
  }

  /** Creates an ExpressNode and waits for its simulated pod to be Ready; returns the pod. */
  async readyExpressNode(namespace: string, name: string, opts: ExpressNodeOptions = {}): Promise<V1Pod> {
    await this.createExpressNode(namespace, name, opts);
    return this.waitPodReady(namespace, name);
  }

  async waitPodReady(namespace: string, podName: string, timeoutMs = 30_000): Promise<V1Pod> {
    return waitUntil(
      async () => {
        const pod = await readPod(this.kc, namespace, podName);
        return isPodReady(pod) ? pod : undefined;
      },
      { timeoutMs, description: `pod ${namespace}/${podName} Ready` },
    );
  }

  async createNodeBounce(
    namespace: string,
    spec: Partial<NodeBounceSpec> & Record<string, unknown>,
    meta: {
      name?: string;
      generateName?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    } = {},
  ): Promise<NodeBounce> {
    return (await this.custom.createNamespacedCustomObject({
      ...NB,
      namespace,
      body: {
        apiVersion: 'bounce.express.dev/v1alpha1',
        kind: 'NodeBounce',
        metadata: {
          namespace,
          ...(meta.name ? { name: meta.name } : { generateName: meta.generateName ?? 'bounce-' }),
          labels: meta.labels,
          annotations: meta.annotations,
        },
        spec,
      },
    })) as NodeBounce;
  }

  async getNodeBounce(namespace: string, name: string): Promise<NodeBounce | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...NB, namespace, name })) as NodeBounce;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async deleteNodeBounce(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...NB, namespace, name });
  }

  async waitNodeBounce(
    namespace: string,
    name: string,
    pred: (nb: NodeBounce) => boolean,
    timeoutMs = 60_000,
    what = 'condition',
  ): Promise<NodeBounce> {
    let last: NodeBounce | undefined;
    try {
      return await waitUntil(
        async () => {
          last = await this.getNodeBounce(namespace, name);
          return last && pred(last) ? last : undefined;
        },
        { timeoutMs, intervalMs: 100, description: `NodeBounce ${namespace}/${name} ${what}` },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
    }
  }

  waitPhase(namespace: string, name: string, phases: Phase | Phase[], timeoutMs = 60_000): Promise<NodeBounce> {
    const wanted = Array.isArray(phases) ? phases : [phases];
    return this.waitNodeBounce(
      namespace,
      name,
      (nb) => wanted.includes(nb.status?.phase as Phase),
      timeoutMs,
      `phase ${wanted.join('|')}`,
    );
  }

  waitFinished(namespace: string, name: string, timeoutMs = 60_000): Promise<NodeBounce> {
    return this.waitPhase(namespace, name, ['Succeeded', 'Failed'], timeoutMs);
  }

  async events(namespace: string, name: string): Promise<Array<{ type?: string; reason?: string; message?: string }>> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    return list.items
      .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))
      .map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
  }

  /** Records every phase/reason a NodeBounce goes through, from a watch (polling could miss fast steps). */
  async recordTransitions(namespace: string): Promise<{ of(name: string): string[]; stop(): void }> {
    const seen = new Map<string, string[]>();
    const watch = new Watch(this.kc);
    const req = await watch.watch(
      `/apis/${NB.group}/${NB.version}/namespaces/${namespace}/${NB.plural}`,
      {},
      (_type, obj: NodeBounce) => {
        const step = `${obj.status?.phase ?? '-'}/${obj.status?.reason ?? '-'}`;
        const list = seen.get(obj.metadata.name) ?? [];
        if (list[list.length - 1] !== step) list.push(step);
        seen.set(obj.metadata.name, list);
      },
      () => undefined,
    );
    return { of: (name) => seen.get(name) ?? [], stop: () => req.abort() };
  }
}
