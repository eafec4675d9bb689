import type { Logger } from 'pino';
import type { OperatorConfig } from './config/schema.js';
import { BounceController } from './controller/controller.js';
import type { ReconcileHooks, RolloutHooks } from './controller/hooks.js';
import { RolloutController } from './controller/rollout-controller.js';
import { KubeClient } from './kube/client.js';
import type { KubeConfig } from './kube/config.js';
import { KubeRuntime } from './kube/runtime.js';
import type { OperatorMetrics } from './observability/metrics.js';

// Assembles the operator from a validated config: runtime (watches), client, controller.

export interface RunningOperator {
  readonly controller: BounceController;
  readonly rollouts: RolloutController;
  /** True once every watch has synced. */
  readonly ready: boolean;
  /** Stops taking work, waits (up to `maxWaitMs`) for running reconciles, stops watches. */
  stop(maxWaitMs?: number): Promise<void>;
}

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Aborted when this instance must stop acting (leadership ended): every API request in flight is aborted. */
  acting?: AbortSignal;
  config: OperatorConfig;
  log: Logger;
  /** Observers of transitions and events (metrics, notifications); they must not throw or block. */
  hooks?: ReconcileHooks[];
  /** Observers of RollingBounce transitions (metrics, notifications); they must not throw or block. */
  rolloutHooks?: RolloutHooks[];
  metrics?: OperatorMetrics;
}

function combineHooks(hooks: ReconcileHooks[], log: Logger): ReconcileHooks {
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.error({ err }, 'reconcile hook threw');
    }
  };
  return {
    onTransition: (before, after) => hooks.forEach((h) => safely(() => h.onTransition?.(before, after))),
    onEvent: (nb, event) => hooks.forEach((h) => safely(() => h.onEvent?.(nb, event))),
  };
}

export async function startOperator(opts: OperatorOptions): Promise<RunningOperator> {
  const { kubeConfig, config, log } = opts;
  const runtime = new KubeRuntime(kubeConfig, config.api, log);
  const client = new KubeClient(kubeConfig, config.express, config.api, opts.acting);
  const metrics = opts.metrics;
  const hooks = [...(metrics ? [metrics.bounceHooks()] : []), ...(opts.hooks ?? [])];
  const controller = new BounceController({
    runtime,
    client,
    config,
    log,
    hooks: combineHooks(hooks, log),
    queueMetrics: metrics?.workQueueMetrics(),
    onReconcile: metrics ? (result, seconds) => metrics.observeReconcile(result, seconds) : undefined,
  });
  const rolloutHooks = [...(metrics ? [metrics.rolloutHooks()] : []), ...(opts.rolloutHooks ?? [])];
  const rollouts = new RolloutController({
    runtime,
    client,
    config,
    log,
    caches: controller.caches,
    onReconcile: metrics ? (result, seconds) => metrics.observeReconcile(result, seconds, 'rollingbounce') : undefined,
    hooks: {
      onTransition: (before, after) =>
        rolloutHooks.forEach((h) => {
          try {
            h.onTransition?.(before, after);
          } catch (err) {
            log.error({ err }, 'rollout hook threw');
          }
        }),
    },
  });
  controller.reconciler.setRollouts((ns) => rollouts.listIn(ns));
  controller.listen({
    onNodeBounce: (nb) => rollouts.onNodeBounce(nb),
    onPod: (pod) => rollouts.onPod(pod),
    onExpress: (obj) => rollouts.onExpress(obj),
  });
  metrics?.setRolloutMembersSource(() => rollouts.list());
  metrics?.setActiveBouncesSource(() => controller.activeCount());
  metrics?.setActiveByReasonSource(() => controller.activeByPhaseAndReason().values());
  metrics?.setUnrestoredProtectionSource(() => controller.unrestoredProtectionCount());
  metrics?.setDisruptionBudgetSource(() => controller.disruptionBudgetUsage());
  // Leadership ended: the watches stop at once (stop() below also stops them; stopping twice is harmless).
  opts.acting?.addEventListener('abort', () => void runtime.stop().catch(() => undefined), { once: true });
  await runtime.start();
  controller.start();
  rollouts.start();
  log.info(
    { watchNamespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all' },
    'caches synced; reconciling',
  );
  return {
    controller,
    rollouts,
    get ready() {
      return runtime.ready;
    },
    async stop(maxWaitMs?: number) {
      await Promise.all([controller.stop(maxWaitMs), rollouts.stop(maxWaitMs)]);
      await runtime.stop();
    },
  };
}
