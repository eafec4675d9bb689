import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isTerminal, type NodeBounceStatus } from '../api/nodebounce.js';
import { isRolloutTerminal, type RollingBounce } from '../api/rollingbounce.js';
import type { ReconcileHooks, RolloutHooks } from '../controller/hooks.js';
import type { WorkQueueMetrics } from '../controller/workqueue.js';

// Prometheus metrics on our own registry, named like controller-runtime's so existing dashboards work,
// plus the bounce metrics.

export const CONTROLLER_NAME = 'nodebounce';

/** Where a bounce waits (phase, status reason): exported as 0 when none does. */
const WAITING_REASONS: readonly (readonly [string, string])[] = [
  ['Pending', 'WaitingForOtherBounce'],
  ['Pending', 'WaitingForDisruptionBudget'],
  ['Terminating', 'BlockedByPDB'],
  ['Terminating', 'EvictionThrottled'],
];

/** One scope of the cross-group disruption budget (src/rollout/cross-budget.ts budgetUsage). */
export interface BudgetUsage {
  scope: string;
  /** '' for the cluster scope. */
  namespace: string;
  limit: number;
  inUse: number;
  waiting: number;
}

const DURATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly leaderStatus: Gauge<'name'>;
  readonly bouncesTotal: Counter<'result' | 'reason'>;
  readonly bounceDuration: Histogram<'phase'>;
  readonly rolloutsTotal: Counter<'result' | 'reason'>;
  private activeBounces: () => number = () => 0;
  private activeByReason: () => Iterable<{ phase: string; reason: string; count: number }> = () => [];
  private rollingBounces: () => RollingBounce[] = () => [];
  private unrestoredProtection: () => number = () => 0;
  private notificationStats: () => Record<string, number> = () => ({});
  private disruptionBudget: () => readonly BudgetUsage[] = () => [];

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Node's default metrics have the heap and external memory; ArrayBuffers (socket and body buffers, part of
      // external) apart, so a memory peak can be told apart (docs/benchmarks.md).
      new Gauge({
        name: 'nodejs_array_buffers_bytes',
        help: 'Memory of ArrayBuffers and SharedArrayBuffers (Node Buffers included), part of external memory',
        registers,
        collect() {
          this.set(process.memoryUsage().arrayBuffers);
        },
      });
    }
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'],
      registers,
    });
    this.bouncesTotal = new Counter({
      name: 'nodebounce_bounces_total',
      help: 'Finished NodeBounces by result (succeeded, failed) and reason',
      labelNames: ['result', 'reason'],
      registers,
    });
    this.bounceDuration = new Histogram({
      name: 'nodebounce_bounce_duration_seconds',
      help: 'Duration of finished bounces: phase="total" from acceptance to completion, and per phase (pending, terminating, starting)',
      labelNames: ['phase'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.rolloutsTotal = new Counter({
      name: 'nodebounce_rollouts_total',
      help: 'Finished RollingBounces by result (succeeded, failed) and reason',
      labelNames: ['result', 'reason'],
      registers,
    });
    const members: Gauge<'state'> = new Gauge({
      name: 'nodebounce_rollout_members',
      help: 'Members of unfinished RollingBounces by state (pending, in_progress, succeeded, failed, skipped)',
      labelNames: ['state'],
      registers,
      collect: () => {
        const sum = { pending: 0, in_progress: 0, succeeded: 0, failed: 0, skipped: 0 };
        for (const rb of this.rollingBounces()) {
          const c = rb.status?.counts;
          if (!c || isRolloutTerminal(rb.status?.phase)) continue;
          sum.pending += c.pending;
          sum.in_progress += c.inProgress;
          sum.succeeded += c.succeeded;
          sum.failed += c.failed;
          sum.skipped += c.skipped;
        }
        for (const [state, n] of Object.entries(sum)) members.set({ state }, n);
      },
    });
    const rolloutsActive: Gauge<'phase'> = new Gauge({
      name: 'nodebounce_rollouts_active',
      help: 'RollingBounces not finished yet, by phase',
      labelNames: ['phase'],
      registers,
      collect: () => {
        rolloutsActive.reset();
        for (const phase of ['Pending', 'Progressing', 'Paused', 'WaitingForWindow', 'WaitingForHealth'])
          rolloutsActive.set({ phase }, 0);
        for (const rb of this.rollingBounces())
          if (rb.status?.phase && !isRolloutTerminal(rb.status.phase)) rolloutsActive.inc({ phase: rb.status.phase });
      },
    });
    // Computed at scrape time (collect runs on each scrape).
    const active: Gauge = new Gauge({
      name: 'nodebounce_active_bounces',
      help: 'NodeBounces not finished yet (Pending, Terminating, Starting)',
      registers,
      collect: () => active.set(this.activeBounces()),
    });
    const byReason: Gauge<'phase' | 'reason'> = new Gauge({
      name: 'nodebounce_active_bounces_by_reason',
      help: 'NodeBounces not finished yet by phase and status reason (e.g. Pending/WaitingForOtherBounce, Terminating/BlockedByPDB, Terminating/EvictionThrottled); reason="None" before the first status write',
      labelNames: ['phase', 'reason'],
      registers,
      collect: () => {
        byReason.reset();
        // The waiting reasons are always exported, so a dashboard shows 0 rather than no data.
        for (const [phase, reason] of WAITING_REASONS) byReason.set({ phase, reason }, 0);
        for (const { phase, reason, count } of this.activeByReason()) byReason.set({ phase, reason }, count);
      },
    });
    const unrestored: Gauge = new Gauge({
      name: 'nodebounce_protection_unrestored',
      help: 'NodeBounces that gave up restoring shutdown protection (protectionRestore limits) and were not released: Express nodes possibly left unprotected',
      registers,
      collect: () => unrestored.set(this.unrestoredProtection()),
    });
    // The cross-group disruption budget (config disruptionBudget): the cluster scope always (limit +Inf while unset),
    // a namespace scope per namespace with unfinished NodeBounces once maxPerNamespace is set.
    const budgetGauge = (m: { name: string; help: string }, pick: (u: BudgetUsage) => number) => {
      const g: Gauge<'scope' | 'target_namespace'> = new Gauge({
        ...m,
        labelNames: ['scope', 'target_namespace'],
        registers,
        collect: () => {
          g.reset();
          for (const u of this.disruptionBudget()) g.set({ scope: u.scope, target_namespace: u.namespace }, pick(u));
        },
      });
    };
    budgetGauge(
      {
        name: 'nodebounce_disruption_budget_limit',
        help: 'Cross-group disruption budget (config disruptionBudget): pods that may be disrupted at once, by scope (cluster, namespace); +Inf when unlimited',
      },
      (u) => u.limit,
    );
    budgetGauge(
      {
        name: 'nodebounce_disruption_budget_in_use',
        help: 'Cross-group disruption budget: pods disrupted now (unfinished NodeBounces past their check), by scope',
      },
      (u) => u.inUse,
    );
    budgetGauge(
      {
        name: 'nodebounce_disruption_budget_waiting',
        help: 'Cross-group disruption budget: NodeBounces waiting for it (Pending/WaitingForDisruptionBudget), by scope',
      },
      (u) => u.waiting,
    );
    const notifications: Counter<'result'> = new Counter({
      name: 'nodebounce_notifications_total',
      help: 'Webhook notifications by result: sent, failed (gave up after retries), dropped (queue full), retried (attempts)',
      labelNames: ['result'],
      registers,
      collect: () => {
        // The notifier keeps its own counts; mirror them at scrape time.
        const st = this.notificationStats();
        notifications.reset();
        for (const [result, key] of [
          ['sent', 'sent'],
          ['failed', 'failed'],
          ['dropped', 'dropped'],
          ['retried', 'retries'],
        ] as const) {
          notifications.inc({ result }, st[key] ?? 0);
        }
      },
    });
    for (const result of ['success', 'error', 'requeue_after'])
      this.reconcileTotal.inc({ controller: CONTROLLER_NAME, result }, 0);
    for (const result of ['succeeded', 'failed'])
      this.rolloutsTotal.inc({ result, reason: result === 'succeeded' ? 'AllMembersBounced' : 'MemberFailed' }, 0);
    this.reconcileErrors.inc({ controller: CONTROLLER_NAME }, 0);
  }

  /** The source of nodebounce_active_bounces (read at scrape time from the cache). */
  setActiveBouncesSource(fn: () => number): void {
    this.activeBounces = fn;
  }

  /** The source of nodebounce_active_bounces_by_reason (read at scrape time from the cache). */
  setActiveByReasonSource(fn: () => Iterable<{ phase: string; reason: string; count: number }>): void {
    this.activeByReason = fn;
  }

  /** The RollingBounces behind nodebounce_rollout_members and nodebounce_rollouts_active (read at scrape time). */
  setRolloutMembersSource(fn: () => RollingBounce[]): void {
    this.rollingBounces = fn;
  }

  /** Counts a RollingBounce once, when its persisted phase first becomes terminal. */
  rolloutHooks(): RolloutHooks {
    return {
      onTransition: (before, after) => {
        const st = after.status;
        if (!st || !isRolloutTerminal(st.phase) || isRolloutTerminal(before?.phase)) return;
        this.rolloutsTotal.inc({
          result: st.phase === 'Succeeded' ? 'succeeded' : 'failed',
          reason: st.reason ?? 'Unknown',
        });
      },
    };
  }

  /** The source of the nodebounce_disruption_budget_* gauges (read at scrape time from the cache). */
  setDisruptionBudgetSource(fn: () => readonly BudgetUsage[]): void {
    this.disruptionBudget = fn;
  }

  /** The source of nodebounce_protection_unrestored (read at scrape time from the cache). */
  setUnrestoredProtectionSource(fn: () => number): void {
    this.unrestoredProtection = fn;
  }

  /** The source of nodebounce_notifications_total (the notifier's own counters). */
  setNotificationStatsSource(fn: () => Record<string, number>): void {
    this.notificationStats = fn;
  }

  observeReconcile(
    result: 'success' | 'error' | 'requeue_after',
    seconds: number,
    controller: string = CONTROLLER_NAME,
  ): void {
    this.reconcileTotal.inc({ controller, result });
    if (result === 'error') this.reconcileErrors.inc({ controller });
    this.reconcileTime.observe({ controller }, seconds);
  }

  workQueueMetrics(name = CONTROLLER_NAME): WorkQueueMetrics {
    const registers = [this.registry];
    const depth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
    });
    const adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    const latency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: [0.0001, 0.001, 0.01, 0.1, 1, 10, 100],
      registers,
    });
    const work = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: [0.0001, 0.001, 0.01, 0.1, 1, 10, 100],
      registers,
    });
    const retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    const active = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    depth.set({ name }, 0);
    adds.inc({ name }, 0);
    retries.inc({ name }, 0);
    active.set({ controller: name }, 0);
    return {
      depth: (n) => depth.set({ name }, n),
      added: () => adds.inc({ name }),
      queueLatency: (s) => latency.observe({ name }, s),
      workDuration: (s) => work.observe({ name }, s),
      retried: () => retries.inc({ name }),
      active: (n) => active.set({ controller: name }, n),
    };
  }

  /** Counts a bounce once, when its persisted phase first becomes terminal. */
  bounceHooks(): ReconcileHooks {
    return {
      onTransition: (before, after) => {
        const st = after.status;
        if (!st || !isTerminal(st.phase) || isTerminal(before?.phase)) return;
        this.bouncesTotal.inc({
          result: st.phase === 'Succeeded' ? 'succeeded' : 'failed',
          reason: st.reason ?? 'Unknown',
        });
        for (const [phase, seconds] of Object.entries(phaseDurations(st))) {
          if (seconds !== undefined && seconds >= 0) this.bounceDuration.observe({ phase }, seconds);
        }
      },
    };
  }
}

const t = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const span = (from: string | undefined, to: string | undefined): number | undefined => {
  const d = (t(to) - t(from)) / 1000;
  return Number.isNaN(d) ? undefined : d;
};

/**
 * Seconds spent in each phase, from the timestamps in status. When the old pod was found gone only after a restart
 * (terminatedTimeEstimated), the split between terminating and starting is unknown: neither is observed.
 */
export function phaseDurations(
  st: NodeBounceStatus,
): Record<'total' | 'pending' | 'terminating' | 'starting', number | undefined> {
  const split = !st.terminatedTimeEstimated;
  return {
    total: span(st.startTime, st.completionTime),
    pending: span(st.startTime, st.terminatingTime),
    terminating: split ? span(st.terminatingTime, st.terminatedTime) : undefined,
    starting: split ? span(st.terminatedTime, st.readyTime) : undefined,
  };
}
