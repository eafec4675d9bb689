import { createHash } from 'node:crypto';
import type { Condition, ConditionType, NodeBounce } from '../api/nodebounce.js';
import {
  isRolloutTerminal,
  ROLLINGBOUNCE_FINALIZER,
  type BounceTemplate,
  type LabelSelector,
  type MemberStatus,
  type PlanMember,
  type RollingBounce,
  type RollingBounceStatus,
  type RolloutCounts,
  type RolloutPhase,
  type RolloutPlan,
} from '../api/rollingbounce.js';
import { setCondition } from '../bounce/conditions.js';
import type { ExpressReadResult } from '../express/view.js';
import { MemberReasons as MR, RolloutReasons as R, rolloutPhaseOf, type RolloutReason } from './lifecycle.js';
import { resolveMaxUnavailable, validateRolloutSpec, type ValidRolloutSpec } from './spec.js';
import { windowState } from './window.js';

// The RollingBounce decision: (rollingBounce, observed, now) -> (status, actions, requeueAfter). Pure, like
// src/bounce/decide.ts. Everything needed to continue is in status (the member rows, each with the name of its
// NodeBounce, recorded BEFORE the NodeBounce is created, and its UID once seen), so the operator can be killed at
// any moment: a member's NodeBounce has a deterministic name and is created at most once.

/** One Express resource of the namespace, as the decision sees it. */
export interface ExpressMember {
  name: string;
  labels: Record<string, string>;
  read: ExpressReadResult;
}

/** One pod of the namespace that maps to an Express resource. */
export interface MemberPod {
  name: string;
  expressName?: string;
  ready: boolean;
  terminating: boolean;
  /** Estimated bounce duration from its probes (seconds), for the dry-run plan. */
  estimatedSeconds?: number;
}

export type PrometheusResult = { ok: true; series: number; sample?: string } | { ok: false; error: string };

export interface RolloutObserved {
  express: ExpressMember[];
  pods: MemberPod[];
  /** The NodeBounces this RollingBounce owns (controller ownerReference with its UID). */
  nodeBounces: NodeBounce[];
  /** The Prometheus gate's answer, when the gate is configured and was queried for this decision. */
  prometheus?: PrometheusResult;
}

export type RolloutAction =
  | { type: 'AddFinalizer' }
  | { type: 'RemoveFinalizer' }
  | { type: 'CreateNodeBounce'; name: string; pod: string; template: BounceTemplate }
  | { type: 'DeleteNodeBounce'; name: string; uid?: string };

export interface RolloutDecision {
  status: RollingBounceStatus;
  actions: RolloutAction[];
  requeueAfterMs?: number;
  /** True when the decision needs the Prometheus gate's answer (the reconciler queries it and decides again). */
  needsPrometheus?: boolean;
}

/** Re-query Prometheus this often while the gate matters. */
export const PROMETHEUS_POLL_MS = 15_000;
/** A NodeBounce we recorded but never saw: re-create (idempotent by name) after this long in the cache's absence. */
export const DEFAULT_ESTIMATE_SECONDS = 60;

/** `<rollingbounce>-<pod>` cut to 54 characters plus a hash of the RollingBounce's UID and the pod: ≤ 63, stable. */
export function memberNodeBounceName(rbName: string, rbUid: string | undefined, pod: string): string {
  const hash = createHash('sha256')
    .update(`${rbUid ?? ''}/${rbName}/${pod}`)
    .digest('hex')
    .slice(0, 8);
  const base = `${rbName}-${pod}`.slice(0, 54).replace(/[-.]+$/, '');
  return `${base}-${hash}`;
}

export function matchesSelector(labels: Record<string, string> | undefined, sel: LabelSelector | undefined): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const inValues = has && (e.values ?? []).includes(l[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const ACTIVE_MEMBER = (m: MemberStatus) => m.phase === 'InProgress';
const DONE_MEMBER = (m: MemberStatus) => m.phase === 'Succeeded' || m.phase === 'Failed' || m.phase === 'Skipped';

export function countMembers(members: readonly MemberStatus[]): RolloutCounts {
  const c: RolloutCounts = { total: members.length, pending: 0, inProgress: 0, succeeded: 0, failed: 0, skipped: 0 };
  for (const m of members) {
    if (m.phase === 'Pending') c.pending++;
    else if (m.phase === 'InProgress') c.inProgress++;
    else if (m.phase === 'Succeeded') c.succeeded++;
    else if (m.phase === 'Failed') c.failed++;
    else c.skipped++;
  }
  return c;
}

type Resolution = { ok: true; members: MemberStatus[] } | { ok: false; reason: RolloutReason; message: string };

/** Resolves the members (selector or pod names) into rows, in rollout order. */
export function resolveMembers(spec: ValidRolloutSpec, obs: RolloutObserved): Resolution {
  const expressByName = new Map(obs.express.map((e) => [e.name, e]));
  const podsOf = (express: string) =>
    obs.pods
      .filter((p) => p.expressName === express)
      .sort((a, b) => Number(a.terminating) - Number(b.terminating) || cmp(a.name, b.name));
  const rows: MemberStatus[] = [];
  if (spec.members.selector) {
    const matched = obs.express.filter((e) => matchesSelector(e.labels, spec.members.selector));
    if (matched.length === 0)
      return {
        ok: false,
        reason: R.NoMembers,
        message: `no Express resource in this namespace matches ${JSON.stringify(spec.members.selector)}`,
      };
    for (const e of matched) {
      const pod = podsOf(e.name)[0];
      const last = matchesSelector(e.labels, spec.last);
      if (pod) rows.push({ pod: pod.name, expressResource: e.name, last, phase: 'Pending' });
      else {
        const down = e.read.ok && e.read.view.intentionallyDown;
        rows.push({
          pod: '',
          expressResource: e.name,
          last,
          phase: 'Skipped',
          reason: down ? MR.IntentionallyDown : MR.NoPod,
          message: down
            ? `desired state ${e.read.ok ? e.read.view.desiredState : ''}: intentionally down, not bounced`
            : 'the Express resource has no pod: nothing to bounce',
        });
      }
    }
  } else {
    const missing: string[] = [];
    for (const name of spec.members.podNames ?? []) {
      const pod = obs.pods.find((p) => p.name === name);
      if (pod?.expressName) {
        const e = expressByName.get(pod.expressName);
        rows.push({
          pod: name,
          expressResource: pod.expressName,
          last: matchesSelector(e?.labels, spec.last),
          phase: 'Pending',
        });
        continue;
      }
      // No pod: an Express resource of that name that is intentionally down is reported and skipped.
      const e = expressByName.get(name);
      if (!pod && e?.read.ok && e.read.view.intentionallyDown) {
        rows.push({
          pod: name,
          expressResource: name,
          last: matchesSelector(e.labels, spec.last),
          phase: 'Skipped',
          reason: MR.IntentionallyDown,
          message: `desired state ${e.read.view.desiredState}: intentionally down, not bounced`,
        });
        continue;
      }
      missing.push(pod ? `${name} (no Express resource)` : `${name} (no such pod)`);
    }
    if (missing.length > 0)
      return { ok: false, reason: R.MembersNotFound, message: `members not found: ${missing.join(', ')}` };
  }
  const key = (m: MemberStatus) => m.pod || m.expressResource || '';
  rows.sort((a, b) => cmp(key(a), key(b)));
  if (spec.order === 'reverse') rows.reverse();
  return { ok: true, members: [...rows.filter((m) => !m.last), ...rows.filter((m) => m.last)] };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Follows each started member's NodeBounce into its row. Returns the rows and the NodeBounces to (re)create. */
function followNodeBounces(
  members: MemberStatus[],
  owned: Map<string, NodeBounce>,
  now: Date,
): { rows: MemberStatus[]; toCreate: MemberStatus[] } {
  const toCreate: MemberStatus[] = [];
  const rows = members.map((m) => {
    if (m.phase !== 'InProgress' || !m.nodeBounce) return m;
    const nb = owned.get(m.nodeBounce);
    if (!nb) {
      if (m.nodeBounceUID) {
        return {
          ...m,
          phase: 'Failed' as const,
          reason: MR.NodeBounceDeleted,
          message: `NodeBounce ${m.nodeBounce} was deleted before it finished`,
          endTime: now.toISOString(),
        };
      }
      // Recorded, never seen: not created yet (or the operator died right after recording it). Creating is
      // idempotent by name (AlreadyExists counts as done), and the UID check above means never twice.
      toCreate.push(m);
      return m;
    }
    const row: MemberStatus = { ...m, nodeBounceUID: nb.metadata.uid ?? m.nodeBounceUID };
    const st = nb.status;
    if (st?.phase === 'Failed' && st.reason === 'IntentionallyDown') {
      // Went down between our check and its preflight: nothing was touched; reported and skipped, not a failure.
      return {
        ...row,
        phase: 'Skipped' as const,
        reason: MR.IntentionallyDown,
        message: st.message,
        endTime: st.completionTime ?? now.toISOString(),
      };
    }
    if (st?.phase === 'Succeeded' || st?.phase === 'Failed') {
      return {
        ...row,
        phase: st.phase,
        reason: st.reason,
        message: st.message,
        endTime: st.completionTime ?? m.endTime ?? now.toISOString(),
      };
    }
    return {
      ...row,
      reason: st?.phase ? `${st.phase}${st.reason ? `/${st.reason}` : ''}` : 'Created',
      message: st?.message ?? m.message,
    };
  });
  return { rows, toCreate };
}

interface Gate {
  ok: boolean;
  reason?: RolloutReason;
  message?: string;
  pollMs?: number;
}

/** The member's current pod: the one of that name if it exists and belongs to its Express resource, else another of its Express resource (Ready first). */
export function currentPod(m: MemberStatus, pods: readonly MemberPod[]): MemberPod | undefined {
  const byName = pods.find((p) => p.name === m.pod && !p.terminating);
  if (byName && (!m.expressResource || !byName.expressName || byName.expressName === m.expressResource)) return byName;
  if (!m.expressResource) return byName;
  const mine = pods.filter((p) => p.expressName === m.expressResource && !p.terminating);
  return mine.find((p) => p.ready) ?? mine[0] ?? byName;
}

/** The health gate for starting `candidates` (or, with none, the final check): every other member healthy, plus Prometheus. */
function healthGate(
  spec: ValidRolloutSpec,
  rows: MemberStatus[],
  candidates: MemberStatus[],
  obs: RolloutObserved,
): Gate {
  const healthy = new Set(spec.healthGate.healthyStates);
  const podByName = new Map(obs.pods.map((p) => [p.name, p]));
  const expressByName = new Map(obs.express.map((e) => [e.name, e]));
  const candidatePods = new Set(candidates.map((c) => c.pod));
  const problems: string[] = [];
  for (const m of rows) {
    // In-flight members are disrupted on purpose; skipped and failed ones are reported in their rows.
    if (m.phase === 'InProgress' || m.phase === 'Skipped' || m.phase === 'Failed') continue;
    // The candidate itself must not be mid-rebuild either, unless the template forces.
    if (candidatePods.has(m.pod) && spec.bounceTemplate.force) continue;
    const e = m.expressResource ? expressByName.get(m.expressResource) : undefined;
    // The member's pod now: by name, or (pods with generated names are replaced under a new name) any pod of
    // its Express resource, preferring a Ready one.
    const pod = currentPod(m, obs.pods) ?? podByName.get(m.pod);
    if (!e) problems.push(`${m.pod}: Express resource ${m.expressResource ?? '?'} not found`);
    else if (!e.read.ok) problems.push(`${m.pod}: Express resource invalid (${e.read.problems.join('; ')})`);
    else if (!healthy.has(e.read.view.runtimeState ?? ''))
      problems.push(`${m.pod}: runtime state ${JSON.stringify(e.read.view.runtimeState ?? null)}`);
    else if (!pod || pod.terminating || !pod.ready)
      problems.push(`${m.pod}: pod ${!pod ? 'missing' : pod.terminating ? 'terminating' : 'not Ready'}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    return {
      ok: false,
      reason: R.MembersUnhealthy,
      message: `waiting for members to be healthy (${[...healthy].join(', ')}): ${shown}`,
    };
  }
  const prom = spec.healthGate.prometheus;
  if (prom) {
    const r = obs.prometheus;
    if (!r)
      return {
        ok: false,
        reason: R.PrometheusUnavailable,
        message: 'the Prometheus gate was not queried yet',
        pollMs: PROMETHEUS_POLL_MS,
      };
    if (!r.ok)
      return {
        ok: false,
        reason: R.PrometheusUnavailable,
        message: `Prometheus query failed: ${r.error}`,
        pollMs: PROMETHEUS_POLL_MS,
      };
    if (r.series > 0) {
      return {
        ok: false,
        reason: R.AlertsFiring,
        message: `the Prometheus gate query returned ${r.series} series${r.sample ? ` (e.g. ${r.sample})` : ''}`,
        pollMs: PROMETHEUS_POLL_MS,
      };
    }
    return { ok: true, pollMs: PROMETHEUS_POLL_MS };
  }
  return { ok: true };
}

/** The dry-run plan: order, batches, each member's preflight verdict as its NodeBounce would give it, an estimate. */
export function planRollout(spec: ValidRolloutSpec, rows: MemberStatus[], obs: RolloutObserved): RolloutPlan {
  const podByName = new Map(obs.pods.map((p) => [p.name, p]));
  const expressByName = new Map(obs.express.map((e) => [e.name, e]));
  const force = spec.bounceTemplate.force === true;
  const members: PlanMember[] = rows.map((m) => {
    const base = { pod: m.pod, ...(m.expressResource ? { expressResource: m.expressResource } : {}) };
    if (m.phase === 'Skipped') return { ...base, verdict: 'WouldSkip', reason: m.reason, message: m.message };
    const pod = podByName.get(m.pod);
    const e = m.expressResource ? expressByName.get(m.expressResource) : undefined;
    const est = (pod?.estimatedSeconds ?? DEFAULT_ESTIMATE_SECONDS) + spec.settleSeconds;
    if (!pod) return { ...base, verdict: 'WouldFail', reason: 'PodNotFound', message: 'no such pod' };
    if (!e)
      return {
        ...base,
        verdict: 'WouldFail',
        reason: 'ExpressResourceNotFound',
        message: `no Express resource ${m.expressResource ?? ''}`,
      };
    if (!e.read.ok)
      return { ...base, verdict: 'WouldFail', reason: 'ExpressResourceInvalid', message: e.read.problems.join('; ') };
    if (e.read.view.intentionallyDown)
      return {
        ...base,
        verdict: 'WouldSkip',
        reason: MR.IntentionallyDown,
        message: `desired state ${e.read.view.desiredState}`,
      };
    if (e.read.view.rebuilding && !force) {
      return {
        ...base,
        verdict: 'WouldWait',
        reason: 'NodeRebuilding',
        message: 'rebuilding its cache: the health gate holds it until it runs',
        estimatedSeconds: est,
      };
    }
    return {
      ...base,
      verdict: 'WouldBounce',
      reason: 'PreflightPassed',
      message: 'every NodeBounce preflight check passes',
      estimatedSeconds: est,
    };
  });
  const bounceable = rows.filter((_, i) => members[i]!.verdict !== 'WouldSkip');
  const total = rows.filter((m) => m.phase !== 'Skipped').length;
  const maxUnavailable = resolveMaxUnavailable(spec.maxUnavailable, total);
  const batches: string[][] = [];
  for (const group of [bounceable.filter((m) => !m.last), bounceable.filter((m) => m.last)]) {
    for (let i = 0; i < group.length; i += maxUnavailable)
      batches.push(group.slice(i, i + maxUnavailable).map((m) => m.pod));
  }
  const byPod = new Map(members.map((p) => [p.pod, p]));
  let estimatedSeconds = 0;
  batches.forEach((b, i) => {
    for (const pod of b) byPod.get(pod)!.batch = i + 1;
    estimatedSeconds +=
      Math.max(...b.map((pod) => byPod.get(pod)!.estimatedSeconds ?? DEFAULT_ESTIMATE_SECONDS)) +
      spec.healthGate.stableSeconds;
  });
  return { maxUnavailable, estimatedSeconds, batches, members };
}

interface Outcome {
  reason: RolloutReason;
  message: string;
  members: MemberStatus[];
  actions: RolloutAction[];
  requeueAfterMs?: number;
  waitingUntil?: string;
  healthPassingSince?: string;
  healthGate?: { ok: boolean; reason: string; message: string };
}

function progressMessage(rows: MemberStatus[], counts: RolloutCounts): string {
  const inFlight = rows.filter(ACTIVE_MEMBER).map((m) => `${m.pod}${m.reason ? ` (${m.reason})` : ''}`);
  return `${counts.total - counts.pending - counts.inProgress}/${counts.total} done${inFlight.length ? `; in flight: ${inFlight.join(', ')}` : ''}`;
}

function minDefined(...xs: Array<number | undefined>): number | undefined {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? Math.min(...d) : undefined;
}

/** The decision for a started rollout (members snapshotted). */
function advance(rb: RollingBounce, spec: ValidRolloutSpec, obs: RolloutObserved, now: Date): Outcome {
  const st = rb.status ?? {};
  const owned = new Map(obs.nodeBounces.map((nb) => [nb.metadata.name, nb]));
  const followed = followNodeBounces(st.members ?? [], owned, now);
  let rows = followed.rows;
  const actions: RolloutAction[] = followed.toCreate.map((m) => ({
    type: 'CreateNodeBounce' as const,
    name: m.nodeBounce!,
    pod: m.pod,
    template: spec.bounceTemplate,
  }));
  const counts = () => countMembers(rows);
  const nowIso = now.toISOString();
  const base = { actions };

  const failed = rows.filter((m) => m.phase === 'Failed');
  if (failed.length > spec.maxFailures) {
    const f = failed[spec.maxFailures]!;
    return {
      ...base,
      members: rows,
      reason: R.MemberFailed,
      message: `member ${f.pod} failed (${f.reason ?? 'unknown'}${f.message ? `: ${f.message}` : ''}); ${failed.length} failed, maxFailures ${spec.maxFailures}: no new member starts${rows.some(ACTIVE_MEMBER) ? ', in-flight members finish' : ''}`,
    };
  }

  const total = rows.filter((m) => m.phase !== 'Skipped').length;
  const maxUnavailable = resolveMaxUnavailable(spec.maxUnavailable, total);
  const inFlight = rows.filter(ACTIVE_MEMBER);
  const pending = rows.filter((m) => m.phase === 'Pending');
  const gated = (
    candidates: MemberStatus[],
    untilMsg: string,
  ): Outcome | { passed: true; since: string; pollMs?: number } => {
    const gate = healthGate(spec, rows, candidates, obs);
    if (!gate.ok) {
      return {
        ...base,
        members: rows,
        reason: gate.reason!,
        message: gate.message!,
        requeueAfterMs: gate.pollMs,
        healthGate: { ok: false, reason: gate.reason!, message: gate.message! },
      };
    }
    const since = st.healthPassingSince ?? nowIso;
    const stableUntil = Date.parse(since) + spec.healthGate.stableSeconds * 1000;
    if (now.getTime() < stableUntil) {
      const waitingUntil = new Date(stableUntil).toISOString();
      return {
        ...base,
        members: rows,
        reason: R.HealthStabilizing,
        message: `health gate passing since ${since}; ${untilMsg} once it has held for ${spec.healthGate.stableSeconds}s (at ${waitingUntil})`,
        requeueAfterMs: minDefined(stableUntil - now.getTime(), gate.pollMs),
        waitingUntil,
        healthPassingSince: since,
        healthGate: { ok: true, reason: 'Stabilizing', message: `passing since ${since}` },
      };
    }
    return { passed: true, since, pollMs: gate.pollMs };
  };

  // Everything done: the final health check, then Succeeded.
  if (pending.length === 0 && inFlight.length === 0) {
    const g = gated([], 'the rollout completes');
    if (!('passed' in g)) return g;
    const c = counts();
    const reason = c.failed > 0 ? R.CompletedWithFailures : R.AllMembersBounced;
    return {
      ...base,
      members: rows,
      reason,
      message: `${c.succeeded} bounced, ${c.skipped} skipped, ${c.failed} failed of ${c.total}`,
      healthPassingSince: g.since,
      healthGate: { ok: true, reason: 'Passed', message: 'every member healthy after the last bounce' },
    };
  }

  const progressing = (): Outcome => ({
    ...base,
    members: rows,
    reason: R.MembersInProgress,
    message: progressMessage(rows, counts()),
  });
  if (spec.paused) {
    const n = inFlight.length;
    return {
      ...base,
      members: rows,
      reason: R.Paused,
      message: `paused by spec.paused; ${progressMessage(rows, counts())}${n ? ` (${n} in flight finish)` : ''}`,
    };
  }
  // Owned NodeBounces still running that no row names (a status write lost after a create) count too.
  const recorded = new Set(rows.map((m) => m.nodeBounce));
  const unrecorded = obs.nodeBounces.filter(
    (nb) => !recorded.has(nb.metadata.name) && nb.status?.phase !== 'Succeeded' && nb.status?.phase !== 'Failed',
  ).length;
  const slots = maxUnavailable - inFlight.length - unrecorded;
  if (slots <= 0) return progressing();
  // Members that go last start only once every other member is finished.
  const othersOpen = rows.some((m) => !m.last && (m.phase === 'Pending' || m.phase === 'InProgress'));
  let eligible = pending.filter((m) => !m.last);
  if (eligible.length === 0) eligible = othersOpen ? [] : pending;
  if (eligible.length === 0) return progressing();

  const window = windowState(spec.maintenanceWindows, now);
  if (!window.open) {
    const until = window.opensAt?.toISOString();
    return {
      ...base,
      members: rows,
      reason: R.OutsideMaintenanceWindow,
      message: `outside every maintenance window; the next member starts ${until ? `when one opens at ${until}` : 'when one opens'}; ${progressMessage(rows, counts())}`,
      requeueAfterMs: window.opensAt ? Math.max(1000, window.opensAt.getTime() - now.getTime()) : 3_600_000,
      waitingUntil: until,
    };
  }
  const lastFinished = lastFinishedTime(rows);
  if (lastFinished && spec.settleSeconds > 0) {
    const settleUntil = Date.parse(lastFinished) + spec.settleSeconds * 1000;
    if (now.getTime() < settleUntil) {
      const waitingUntil = new Date(settleUntil).toISOString();
      return {
        ...base,
        members: rows,
        reason: R.Settling,
        message: `settling ${spec.settleSeconds}s after the last member finished, until ${waitingUntil}`,
        requeueAfterMs: settleUntil - now.getTime(),
        waitingUntil,
      };
    }
  }

  // Intentionally down members are reported and skipped, never bounced.
  const expressByName = new Map(obs.express.map((e) => [e.name, e]));
  const picked: MemberStatus[] = [];
  for (const m of eligible) {
    if (picked.length >= slots) break;
    const e = m.expressResource ? expressByName.get(m.expressResource) : undefined;
    if (e?.read.ok && e.read.view.intentionallyDown) {
      rows = rows.map((r) =>
        r === m
          ? {
              ...r,
              phase: 'Skipped' as const,
              reason: MR.IntentionallyDown,
              message: `desired state ${e.read.ok ? e.read.view.desiredState : ''}: intentionally down, not bounced`,
              endTime: nowIso,
            }
          : r,
      );
      continue;
    }
    // A pod replaced under a new name since the snapshot (generated names): bounce the member's current pod.
    const current = currentPod(m, obs.pods);
    if (current && current.name !== m.pod) {
      const renamed = {
        ...m,
        pod: current.name,
        message: `pod ${m.pod} was replaced by ${current.name} since the snapshot`,
      };
      rows = rows.map((r) => (r === m ? renamed : r));
      picked.push(renamed);
      continue;
    }
    picked.push(m);
  }
  if (picked.length === 0) return { ...progressing(), requeueAfterMs: 0 };

  const g = gated(picked, `${picked.map((m) => m.pod).join(', ')} start${picked.length === 1 ? 's' : ''}`);
  if (!('passed' in g)) return g;
  const names = new Set(picked.map((m) => m.pod));
  rows = rows.map((m) =>
    names.has(m.pod) && m.phase === 'Pending'
      ? {
          ...m,
          phase: 'InProgress' as const,
          nodeBounce: memberNodeBounceName(rb.metadata.name, rb.metadata.uid, m.pod),
          reason: 'Created',
          startTime: nowIso,
        }
      : m,
  );
  for (const m of rows)
    if (names.has(m.pod) && m.phase === 'InProgress' && !m.nodeBounceUID && m.startTime === nowIso) {
      if (!actions.some((a) => a.type === 'CreateNodeBounce' && a.pod === m.pod))
        actions.push({ type: 'CreateNodeBounce', name: m.nodeBounce!, pod: m.pod, template: spec.bounceTemplate });
    }
  return {
    ...base,
    members: rows,
    reason: R.MembersInProgress,
    message: progressMessage(rows, counts()),
    healthGate: { ok: true, reason: 'Passed', message: `healthy when ${[...names].join(', ')} started` },
  };
}

const C = (t: string) => t as ConditionType;

/** When the last member whose NodeBounce ran finished (skipped members don't count). */
function lastFinishedTime(rows: readonly MemberStatus[]): string | undefined {
  return rows
    .filter((m) => (m.phase === 'Succeeded' || m.phase === 'Failed') && m.endTime && m.nodeBounce)
    .map((m) => m.endTime!)
    .sort((a, b) => Date.parse(a) - Date.parse(b))
    .at(-1);
}

function finish(rb: RollingBounce, spec: ValidRolloutSpec | undefined, o: Outcome, now: Date): RolloutDecision {
  const st = rb.status ?? {};
  const gen = rb.metadata.generation;
  const phase: RolloutPhase = rolloutPhaseOf(o.reason);
  const counts = countMembers(o.members);
  const lastFinished = lastFinishedTime(o.members);
  const inFlight = counts.inProgress > 0;
  const terminal = isRolloutTerminal(phase);
  let conditions: Condition[] | undefined = st.conditions;
  const nowIso = now.toISOString();
  conditions = setCondition(
    conditions,
    C('Succeeded'),
    phase === 'Succeeded' ? 'True' : phase === 'Failed' ? 'False' : 'Unknown',
    o.reason,
    o.message,
    now,
    gen,
  );
  conditions = setCondition(
    conditions,
    C('Paused'),
    phase === 'Paused' ? 'True' : 'False',
    phase === 'Paused' ? 'Paused' : 'NotPaused',
    phase === 'Paused' ? 'spec.paused is true' : '',
    now,
    gen,
  );
  if (o.healthGate)
    conditions = setCondition(
      conditions,
      C('HealthGatePassed'),
      o.healthGate.ok ? 'True' : 'False',
      o.healthGate.reason,
      o.healthGate.message,
      now,
      gen,
    );
  // Finished: True once it is over either way (outcome in the reason), for `kubectl wait --for=condition=Finished`.
  if (terminal && !inFlight)
    conditions = setCondition(conditions, C('Finished'), 'True', phase, `${o.reason}: ${o.message}`, now, gen);
  const status: RollingBounceStatus = {
    phase,
    reason: o.reason,
    message: o.message,
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    progress: `${counts.succeeded + counts.failed + counts.skipped}/${counts.total}`,
    startTime: st.startTime ?? nowIso,
    ...(terminal && !inFlight ? { completionTime: st.completionTime ?? nowIso } : {}),
    ...(o.waitingUntil ? { waitingUntil: o.waitingUntil } : {}),
    ...(o.healthPassingSince ? { healthPassingSince: o.healthPassingSince } : {}),
    ...(lastFinished ? { lastMemberFinishedTime: lastFinished } : {}),
    ...(spec
      ? { maxUnavailable: resolveMaxUnavailable(spec.maxUnavailable, counts.total - counts.skipped) }
      : st.maxUnavailable !== undefined
        ? { maxUnavailable: st.maxUnavailable }
        : {}),
    counts,
    members: o.members,
    ...(st.plan ? { plan: st.plan } : {}),
    conditions,
  };
  const actions = [...o.actions];
  const hasFinalizer = rb.metadata.finalizers?.includes(ROLLINGBOUNCE_FINALIZER) ?? false;
  if (terminal && !inFlight && hasFinalizer) actions.push({ type: 'RemoveFinalizer' });
  return { status, actions, requeueAfterMs: o.requeueAfterMs };
}

export function decideRollout(rb: RollingBounce, obs: RolloutObserved, now: Date): RolloutDecision {
  const st = rb.status ?? {};
  const hasFinalizer = rb.metadata.finalizers?.includes(ROLLINGBOUNCE_FINALIZER) ?? false;

  // Deleted: delete the NodeBounces it owns (the garbage collector's job in a real cluster, done here so that
  // a control plane without one behaves the same), then let go. Their own finalizers restore shutdown protection.
  if (rb.metadata.deletionTimestamp) {
    const actions: RolloutAction[] = obs.nodeBounces
      .filter((nb) => !nb.metadata.deletionTimestamp)
      .map((nb) => ({ type: 'DeleteNodeBounce' as const, name: nb.metadata.name, uid: nb.metadata.uid }));
    if (hasFinalizer) actions.push({ type: 'RemoveFinalizer' });
    return { status: st, actions };
  }

  // Finished and nothing in flight: nothing more to do.
  if (isRolloutTerminal(st.phase) && !(st.members ?? []).some(ACTIVE_MEMBER) && st.reason !== undefined) {
    // A spec change after the end (e.g. paused) is observed, so that tools waiting for observedGeneration see it.
    const gen = rb.metadata.generation;
    const status = gen !== undefined && st.observedGeneration !== gen ? { ...st, observedGeneration: gen } : st;
    return { status, actions: hasFinalizer ? [{ type: 'RemoveFinalizer' }] : [] };
  }

  const v = validateRolloutSpec(rb.spec);
  if (!v.ok) {
    return finish(
      rb,
      undefined,
      { reason: R.InvalidSpec, message: v.problems.join('; '), members: st.members ?? [], actions: [] },
      now,
    );
  }
  const spec = v.spec;

  if (!st.members) {
    const res = resolveMembers(spec, obs);
    if (!res.ok) return finish(rb, spec, { reason: res.reason, message: res.message, members: [], actions: [] }, now);
    if (spec.dryRun) {
      const plan = planRollout(spec, res.members, obs);
      const d = finish(
        rb,
        spec,
        {
          reason: R.DryRunPlanned,
          message: `dry run: ${plan.batches.length} batch(es), about ${plan.estimatedSeconds}s; nothing created (see status.plan)`,
          members: res.members,
          actions: [],
        },
        now,
      );
      return { ...d, status: { ...d.status, plan } };
    }
    const c = countMembers(res.members);
    const d = finish(
      rb,
      spec,
      {
        reason: R.Accepted,
        message: `${c.total} member(s) snapshotted (${c.skipped} skipped); order: ${res.members.map((m) => m.pod || m.expressResource).join(', ')}`,
        members: res.members,
        actions: [],
      },
      now,
    );
    return { ...d, actions: hasFinalizer ? d.actions : [{ type: 'AddFinalizer' }, ...d.actions], requeueAfterMs: 0 };
  }

  const d = finish(rb, spec, advance(rb, spec, obs, now), now);
  const needsPrometheus =
    spec.healthGate.prometheus !== undefined && obs.prometheus === undefined && gatesNext(d.status);
  // A started rollout without its finalizer (added by an older version, or removed by hand): put it back.
  const actions: RolloutAction[] =
    !hasFinalizer && !isRolloutTerminal(d.status.phase) ? [{ type: 'AddFinalizer' }, ...d.actions] : d.actions;
  return { ...d, actions, needsPrometheus };
}

/** True when the decision waits on the health gate (so a Prometheus answer could change it). */
function gatesNext(status: RollingBounceStatus): boolean {
  return status.reason === R.PrometheusUnavailable;
}

export { DONE_MEMBER as isMemberDone };
