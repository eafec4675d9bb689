import type { Condition, ConditionType } from '../api/nodebounce.js';
import {
  isRolloutTerminal,
  ROLLINGBOUNCE_FINALIZER,
  type MemberStatus,
  type RollingBounce,
  type RollingBounceStatus,
  type RolloutCounts,
  type RolloutPhase,
} from '../api/rollingbounce.js';
import { setCondition } from '../bounce/conditions.js';
import { groupViewOf, memberOfRow, otherRolloutBounce, rolloutBudget } from './budget.js';
import { healthGate } from './gate.js';
import { MemberReasons as MR, RolloutReasons as R, rolloutPhaseOf, type RolloutReason } from './lifecycle.js';
import {
  ACTIVE_MEMBER,
  countMembers,
  currentPod,
  DONE_MEMBER,
  followNodeBounces,
  memberNodeBounceName,
  resolveMembers,
} from './membership.js';
import type { RolloutAction, RolloutDecision, RolloutObserved } from './observed.js';
import { memberVerdict, planRollout } from './plan.js';
import { resolveMaxUnavailable, validateRolloutSpec, type ValidRolloutSpec } from './spec.js';
import { describeUnavailable, memberAvailability, sameMember, type UnavailableMember } from './unavailable.js';
import { windowState } from './window.js';
import { membersToDelete } from './cancel.js';

// The RollingBounce decision: (rollingBounce, observed, now) -> (status, actions, requeueAfter). Pure, like
// src/bounce/decide.ts. Everything needed to continue is in status (the member rows, each with the name of its
// NodeBounce, recorded BEFORE the NodeBounce is created, and its UID once seen), so the operator can be killed at
// any moment: a member's NodeBounce has a deterministic name and is created at most once.
//
// By concern: observed.ts (what the decision sees and returns), membership.ts (who the members are, their rows and
// pods), gate.ts (the health gate), budget.ts (the disruption budget: how many members may be down), plan.ts (the
// dry-run plan); this file puts them together.

export * from './observed.js';
export { countMembers, currentPod, matchesSelector, memberNodeBounceName, resolveMembers } from './membership.js';
export { planRollout } from './plan.js';

interface Outcome {
  reason: RolloutReason;
  message: string;
  members: MemberStatus[];
  actions: RolloutAction[];
  requeueAfterMs?: number;
  waitingUntil?: string;
  healthPassingSince?: string;
  healthGate?: { ok: boolean; reason: string; message: string };
  /** New members start in this decision. */
  startsMembers?: boolean;
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
  const force = spec.bounceTemplate.force === true;
  const view = groupViewOf(obs, spec.healthGate.healthyStates);
  // A member whose Express resource is gone left the group: Skipped/Gone, not waited for (src/rollout/plan.ts).
  rows = rows.map((m) => {
    if (m.phase !== 'Pending') return m;
    const v = memberVerdict(m, obs, force);
    return v.reason === MR.Gone
      ? { ...m, phase: 'Skipped' as const, reason: v.reason, message: v.message, endTime: nowIso }
      : m;
  });
  const inFlight = rows.filter(ACTIVE_MEMBER);
  const pending = rows.filter((m) => m.phase === 'Pending');
  // Owned NodeBounces still running that no row names (a status write lost after a create) count too.
  const recorded = new Set(rows.map((m) => m.nodeBounce));
  const unrecorded = obs.nodeBounces.filter(
    (nb) => !recorded.has(nb.metadata.name) && nb.status?.phase !== 'Succeeded' && nb.status?.phase !== 'Failed',
  ).length;
  // The budget (src/rollout/budget.ts): every member unavailable by src/rollout/unavailable.ts counts, failed and
  // skipped ones too, whoever took it down.
  const budget = rolloutBudget(rows, view, maxUnavailable, unrecorded);
  const gateClosed = (blockers: UnavailableMember[]): Outcome => {
    const gate = healthGate(spec, blockers, obs);
    return {
      ...base,
      members: rows,
      reason: gate.reason!,
      message: gate.message!,
      requeueAfterMs: gate.pollMs,
      healthGate: { ok: false, reason: gate.reason!, message: gate.message! },
    };
  };
  const gated = (untilMsg: string): Outcome | { passed: true; since: string; pollMs?: number } => {
    const gate = healthGate(spec, [], obs);
    if (!gate.ok) return gateClosed([]);
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

  // Everything done: the final health check, then Succeeded. Members still down are named, never reported healthy.
  if (pending.length === 0 && inFlight.length === 0) {
    const c = counts();
    if (budget.down.length > 0) {
      const rowOf = (d: UnavailableMember) => rows.find((m) => sameMember(memberOfRow(m), d.member));
      // A failed or skipped member that stays down will not come back by waiting: the rollout ends and says so.
      if (!budget.down.every((d) => ['Failed', 'Skipped'].includes(rowOf(d)?.phase ?? '')))
        return gateClosed(budget.down);
      const still = `still down: ${describeUnavailable(budget.down)}`;
      return {
        ...base,
        members: rows,
        reason: R.CompletedWithFailures,
        message: `${c.succeeded} bounced, ${c.skipped} skipped, ${c.failed} failed of ${c.total}; ${still}`,
        healthGate: { ok: false, reason: R.MembersUnhealthy, message: still },
      };
    }
    const g = gated('the rollout completes');
    if (!('passed' in g)) return g;
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
  if (budget.slots <= 0 && !force) {
    // Its own members in flight fill the budget: progressing. Otherwise members down for other reasons hold it.
    return inFlight.length > 0 || unrecorded > 0 || budget.others.length === 0
      ? progressing()
      : gateClosed(budget.others);
  }
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

  // The candidates, in order, as the plan's rule says (src/rollout/plan.ts): skipped and failed members are recorded
  // and passed over; a member of another unfinished rollout waits and is passed over; a member that is itself down
  // holds the rollout (unless forced); the others start while the budget has room.
  const picked: MemberStatus[] = [];
  const waitingOther: string[] = [];
  let holding: UnavailableMember | undefined;
  let taken = 0;
  let failures = rows.filter((m) => m.phase === 'Failed').length;
  const update = (m: MemberStatus, next: MemberStatus) => {
    rows = rows.map((r) => (r === m ? next : r));
    return next;
  };
  for (const m of eligible) {
    if (taken >= budget.slots && !force) break;
    const v = memberVerdict(m, obs, force);
    if (v.verdict === 'WouldSkip' || v.verdict === 'WouldFail') {
      update(m, {
        ...m,
        phase: v.verdict === 'WouldSkip' ? 'Skipped' : 'Failed',
        reason: v.reason,
        message: v.message,
        endTime: nowIso,
      });
      if (v.verdict === 'WouldFail' && ++failures > spec.maxFailures) break;
      continue;
    }
    const other = otherRolloutBounce(m, obs, rb.metadata);
    if (other) {
      const message = `waiting for RollingBounce ${other.rollout} (its NodeBounce ${other.nodeBounce} for this member is not finished)`;
      update(m, { ...m, reason: MR.MemberInOtherRollout, message });
      waitingOther.push(`${m.pod}: ${message}`);
      continue;
    }
    const a = memberAvailability(memberOfRow(m), view);
    if (a.kind === 'unavailable' && !force) {
      holding = { member: memberOfRow(m), name: m.pod, why: a.why };
      break;
    }
    if (a.kind !== 'unavailable') {
      if (taken >= budget.slots) break;
      taken++;
    }
    // A row that waited for another rollout before: its wait is over.
    const ready = m.reason === MR.MemberInOtherRollout ? { ...m, reason: undefined, message: undefined } : m;
    // A pod replaced under a new name since the snapshot (generated names): bounce the member's current pod.
    const current = currentPod(m, obs.pods);
    if (current && current.name !== m.pod) {
      picked.push(
        update(m, {
          ...ready,
          pod: current.name,
          message: `pod ${m.pod} was replaced by ${current.name} since the snapshot`,
        }),
      );
      continue;
    }
    picked.push(ready === m ? m : update(m, ready));
  }
  if (picked.length === 0) {
    if (holding) return gateClosed([...budget.others.filter((d) => !sameMember(d.member, holding.member)), holding]);
    if (waitingOther.length > 0)
      return {
        ...base,
        members: rows,
        reason: R.MemberInOtherRollout,
        message: `${waitingOther.join('; ')}; ${progressMessage(rows, counts())}`,
        requeueAfterMs: 5_000,
        healthGate: { ok: false, reason: R.MemberInOtherRollout, message: waitingOther.join('; ') },
      };
    return { ...progressing(), requeueAfterMs: 0 };
  }

  const g = gated(`${picked.map((m) => m.pod).join(', ')} start${picked.length === 1 ? 's' : ''}`);
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
    healthGate: { ok: true, reason: 'Passed', message: `within the budget when ${[...names].join(', ')} started` },
    startsMembers: true,
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

  // Deleted: delete the NodeBounces it owns, by name from its rows (cancel.ts; the garbage collector's job in a real cluster, done here so that
  // a control plane without one behaves the same), then let go. Their own finalizers restore shutdown protection.
  if (rb.metadata.deletionTimestamp) {
    const actions: RolloutAction[] = membersToDelete(st, obs.nodeBounces);
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

  const outcome = advance(rb, spec, obs, now);
  const d = finish(rb, spec, outcome, now);
  const needsPrometheus =
    spec.healthGate.prometheus !== undefined && obs.prometheus === undefined && gatesNext(d.status);
  // A started rollout without its finalizer (added by an older version, or removed by hand): put it back.
  const actions: RolloutAction[] =
    !hasFinalizer && !isRolloutTerminal(d.status.phase) ? [{ type: 'AddFinalizer' }, ...d.actions] : d.actions;
  const needsLiveView = outcome.startsMembers === true && obs.live !== true;
  return { ...d, actions, needsPrometheus, ...(needsLiveView ? { needsLiveView } : {}) };
}

/** True when the decision waits on the health gate (so a Prometheus answer could change it). */
function gatesNext(status: RollingBounceStatus): boolean {
  return status.reason === R.PrometheusUnavailable;
}

export { DONE_MEMBER as isMemberDone };
