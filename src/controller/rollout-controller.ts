import type { Logger } from 'pino';
import type { NodeBounce } from '../api/nodebounce.js';
import {
  isRolloutTerminal,
  ROLLINGBOUNCE_PLURAL,
  type MemberStatus,
  type RollingBounce,
} from '../api/rollingbounce.js';
import type { PodLike } from '../bounce/pod.js';
import type { OperatorConfig } from '../config/schema.js';
import { expressNameForPod, type UnstructuredObject } from '../express/view.js';
import type { KubeClient } from '../kube/client.js';
import type { ChangeType } from '../kube/informer.js';
import type { ObjectCache, OperatorRuntime } from '../kube/runtime.js';
import {
  ownerRollingBounce,
  RolloutReconciler,
  rollingBounceKey,
  type RolloutHooks,
  type RolloutReconcilerDeps,
} from './rollout-reconciler.js';
import { WorkQueue } from './workqueue.js';

// The RollingBounce controller: its own watch (RollingBounces) and work queue, and the NodeBounce, pod and Express
// caches of the NodeBounce controller (one watch per kind in the process). NodeBounce changes enqueue their owner;
// a pod or Express change enqueues only the unfinished RollingBounces it concerns (a member's pod or Express resource,
// or a RollingBounce whose members are not resolved yet): other pods of the namespace cannot change their decision.

export interface RolloutControllerOptions {
  runtime: OperatorRuntime;
  client: KubeClient;
  config: OperatorConfig;
  log: Logger;
  caches: {
    nodeBounces: ObjectCache<NodeBounce>;
    pods: ObjectCache<PodLike>;
    express: ObjectCache<UnstructuredObject>;
  };
  hooks?: RolloutHooks;
  prometheus?: RolloutReconcilerDeps['prometheus'];
  onReconcile?: (result: 'success' | 'error' | 'requeue_after', seconds: number) => void;
}

const active = (rb: RollingBounce) =>
  !!rb.metadata.deletionTimestamp ||
  !isRolloutTerminal(rb.status?.phase) ||
  (rb.status?.members ?? []).some((m: MemberStatus) => m.phase === 'InProgress');

/**
 * Whether a change of the pod `pod` or of the Express resource `express` may change `rb`'s decision: it is unfinished
 * and one of its members is that pod or that Express resource, or its members are not snapshotted yet.
 */
export function concernsRollout(rb: RollingBounce, change: { pod?: string; express?: string }): boolean {
  if (!active(rb)) return false;
  const members = rb.status?.members;
  if (!members) return true;
  return members.some(
    (m) =>
      (change.pod !== undefined && m.pod === change.pod) ||
      (change.express !== undefined && m.expressResource === change.express),
  );
}

export class RolloutController {
  readonly queue: WorkQueue;
  readonly reconciler: RolloutReconciler;
  private readonly rollingBounces: ObjectCache<RollingBounce>;

  constructor(private readonly opts: RolloutControllerOptions) {
    const { runtime, client, config, log } = opts;
    this.rollingBounces = runtime.watch<RollingBounce>(
      {
        group: 'bounce.express.dev',
        version: 'v1alpha1',
        plural: ROLLINGBOUNCE_PLURAL,
        namespaces: config.watchNamespaces,
        list: (ns) => client.listRollingBounces(ns),
      },
      (rb, type) => this.onRollingBounce(rb, type),
    );
    this.reconciler = new RolloutReconciler({
      client,
      rollingBounces: this.rollingBounces,
      ...opts.caches,
      config,
      log: log.child({ controller: 'rollingbounce' }),
      hooks: opts.hooks,
      prometheus: opts.prometheus,
    });
    this.queue = new WorkQueue(
      async (key) => {
        const started = process.hrtime.bigint();
        try {
          const result = await this.reconciler.reconcile(key);
          opts.onReconcile?.(
            result.requeueAfterMs !== undefined ? 'requeue_after' : 'success',
            Number(process.hrtime.bigint() - started) / 1e9,
          );
          return result;
        } catch (err) {
          opts.onReconcile?.('error', Number(process.hrtime.bigint() - started) / 1e9);
          throw err;
        }
      },
      {
        concurrency: Math.max(1, Math.min(4, config.maxConcurrentReconciles)),
        startPaused: true,
        onError: (key, err, retryInMs) =>
          log.warn(
            { key, err: String((err as Error)?.message ?? err), retryInMs },
            'rollingbounce reconcile failed; retrying with backoff',
          ),
      },
    );
  }

  private onRollingBounce(rb: RollingBounce, type: ChangeType): void {
    const { namespace, name } = rb.metadata;
    if (type === 'delete') {
      this.reconciler.forget(namespace, name);
      this.queue.cancel(rollingBounceKey(namespace, name));
      return;
    }
    this.queue.add(rollingBounceKey(namespace, name));
  }

  onNodeBounce(nb: NodeBounce): void {
    const owner = ownerRollingBounce(nb);
    if (owner) this.queue.add(rollingBounceKey(nb.metadata.namespace, owner.name));
    // Any NodeBounce (a user's, another rollout's) can make a member unavailable or available again: the gates of
    // the RollingBounces that have its pod as a member may change (src/rollout/unavailable.ts).
    this.onMemberChange(nb.metadata.namespace, { pod: nb.spec?.podName });
  }

  /** A pod changed: the RollingBounces it concerns (as a member's pod, or the pod of a member's Express resource). */
  onPod(pod: PodLike): void {
    const mapped = expressNameForPod(pod, this.opts.config.express);
    this.onMemberChange(pod.metadata?.namespace, {
      pod: pod.metadata?.name,
      ...(mapped.ok ? { express: mapped.name } : {}),
    });
  }

  /** An Express resource changed: the RollingBounces that have it as a member. */
  onExpress(obj: UnstructuredObject): void {
    this.onMemberChange(obj.metadata?.namespace, { express: obj.metadata?.name });
  }

  private onMemberChange(namespace: string | undefined, change: { pod?: string; express?: string }): void {
    if (!namespace) return;
    for (const cached of this.rollingBounces.list(namespace)) {
      // Our latest write when the watch has not caught up (it may hold the freshly snapshotted members).
      const rb = this.reconciler.get(namespace, cached.metadata.name) ?? cached;
      if (concernsRollout(rb, change)) this.queue.add(rollingBounceKey(namespace, rb.metadata.name));
    }
  }

  start(): void {
    this.queue.resume();
  }

  /** The cached RollingBounces of a namespace (the NodeBounce reconciler's disruption-budget lookup). */
  listIn(namespace: string): readonly RollingBounce[] {
    return this.rollingBounces.list(namespace);
  }

  /** Every cached RollingBounce (for metrics). */
  list(): RollingBounce[] {
    return this.rollingBounces.listAll();
  }

  /** Stops taking work; waits up to `maxWaitMs` for running reconciles (their state is in status either way). */
  async stop(maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    const drained = this.queue.shutdown().then(() => true);
    if (!Number.isFinite(maxWaitMs)) {
      await drained;
      return;
    }
    await Promise.race([drained, new Promise<false>((r) => setTimeout(() => r(false), maxWaitMs).unref())]);
  }
}
