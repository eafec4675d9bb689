// Webhook notifications about bounces, as reconcile hooks. See docs/notifications.md.
import type { Logger } from 'pino';
import type { NotificationsConfig } from '../config/schema.js';
import type { ReconcileHooks, RolloutHooks } from '../controller/hooks.js';
import { fromEvent, fromRolloutTransition, fromTransition, type Notification } from './classify.js';
import { payload } from './payload.js';
import { WebhookSender, type SenderStats } from './sender.js';

export type { Notification, NotificationKind } from './classify.js';
export type { SenderStats } from './sender.js';

export interface Notifier extends ReconcileHooks {
  /** The same notifier for RollingBounce transitions (started, paused, succeeded, failed). */
  readonly rollouts: RolloutHooks;
  /** Sends what is queued (bounded by drainTimeoutMs and by `maxWaitMs` when given), then stops. */
  stop(maxWaitMs?: number): Promise<void>;
  readonly stats: SenderStats;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
}

const NOOP_STATS: SenderStats = { enqueued: 0, sent: 0, failed: 0, dropped: 0, duplicates: 0, retries: 0 };

/**
 * The notifier for the operator's hooks. Disabled (no URL): hooks that do nothing. The hooks only classify and
 * queue, so they return at once; a slow or dead webhook never slows or fails a bounce. `acting`: see send().
 */
export function createNotifier(cfg: NotificationsConfig, log: Logger, acting?: AbortSignal): Notifier {
  if (!cfg.enabled || !cfg.url) {
    return { rollouts: {}, stats: NOOP_STATS, stop: () => Promise.resolve(), idle: () => Promise.resolve() };
  }
  const nlog = log.child({ component: 'notifier' });
  const sender = new WebhookSender({
    url: cfg.url.reveal(),
    body: (n: Notification) => payload(n, cfg.format, { clusterName: cfg.clusterName }),
    timeoutMs: cfg.timeoutMs,
    maxRetries: cfg.maxRetries,
    minBackoffMs: cfg.minBackoffMs,
    maxBackoffMs: cfg.maxBackoffMs,
    queueSize: cfg.queueSize,
    drainTimeoutMs: cfg.drainTimeoutMs,
    log: nlog,
  });
  nlog.info(
    { format: cfg.format, queueSize: cfg.queueSize, maxRetries: cfg.maxRetries },
    'webhook notifications enabled',
  );
  // Once this instance stops acting (leadership ended), nothing it sees any more is announced: the successor
  // announces what it does. What was queued before is still sent (stop() drains it).
  const send = (n: Notification | undefined) => {
    if (n && !acting?.aborted) sender.enqueue(n);
  };
  return {
    onTransition: (before, after) => send(fromTransition(before, after)),
    onEvent: (nb, event) => send(fromEvent(nb, event)),
    rollouts: { onTransition: (before, after) => send(fromRolloutTransition(before, after)) },
    stats: sender.stats,
    idle: () => sender.idle(),
    stop: (maxWaitMs) => sender.stop(maxWaitMs),
  };
}
