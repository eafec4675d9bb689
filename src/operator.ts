import type { Logger } from 'pino';
import type { OperatorConfig } from './config/schema.js';
import { BounceController } from './controller/controller.js';
import type { ReconcileHooks } from './controller/hooks.js';
import { KubeClient } from './kube/client.js';
import type { KubeConfig } from './kube/config.js';
import { KubeRuntime } from './kube/runtime.js';
import type { OperatorMetrics } from './observability/metrics.js';

// Assembles the operator from a validated config: runtime (watches), client, controller.

export interface RunningOperator {
  readonly controller: BounceController;
  /** True once every watch has synced. */
  readonly ready: boolean;
  /** Stops taking work, waits (up to `maxWaitMs`) for running reconciles, stops watches. */
  stop(maxWaitMs?: number): Promise<void>;
}

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  config: OperatorConfig;
  log: Logger;
  /** Observers of transitions and events (metrics, notifications); they must not throw or block. */
  hooks?: ReconcileHooks[];
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
  const client = new KubeClient(kubeConfig, config.express, config.api);
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
  metrics?.setActiveBouncesSource(() => controller.activeCount());
  metrics?.setActiveByReasonSource(() => controller.activeByPhaseAndReason().values());
  metrics?.setUnrestoredProtectionSource(() => controller.unrestoredProtectionCount());
  await runtime.start();
  controller.start();
  log.info(
    { watchNamespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all' },
    'caches synced; reconciling',
  );
  return {
    controller,
    get ready() {
      return runtime.ready;
    },
    async stop(maxWaitMs?: number) {
      await controller.stop(maxWaitMs);
      await runtime.stop();
    },
  };
}
