import type { MemberStatus, PlanMember, PlanVerdict, RolloutPlan } from '../api/rollingbounce.js';
import { currentPod } from './membership.js';
import { MemberReasons as MR } from './lifecycle.js';
import { DEFAULT_ESTIMATE_SECONDS, type RolloutObserved } from './observed.js';
import { resolveMaxUnavailable, type ValidRolloutSpec } from './spec.js';

// The dry-run plan.

/** A member's verdict: what the dry-run plan says of it and what the real run does with it when its turn comes. */
export interface MemberVerdict {
  verdict: PlanVerdict;
  reason: string;
  message: string;
}

/**
 * The one rule for both the plan and the real run (src/rollout/decide.ts): skipped rows stay skipped; a member whose
 * Express resource is gone is skipped (Gone); an invalid one fails (its NodeBounce would fail ExpressResourceInvalid:
 * it counts against maxFailures instead of holding the others); an intentionally down one is skipped; a rebuilding
 * one (without force) or one with no pod waits for the health gate; the rest would bounce.
 */
export function memberVerdict(m: MemberStatus, obs: RolloutObserved, force: boolean): MemberVerdict {
  if (m.phase === 'Skipped') return { verdict: 'WouldSkip', reason: m.reason ?? 'Skipped', message: m.message ?? '' };
  const e = m.expressResource ? obs.express.find((x) => x.name === m.expressResource) : undefined;
  if (m.expressResource && !e)
    return {
      verdict: 'WouldSkip',
      reason: MR.Gone,
      message: `Express resource ${m.expressResource} is gone (deleted or scaled away since the snapshot): no longer a member`,
    };
  if (e && !e.read.ok)
    return {
      verdict: 'WouldFail',
      reason: 'ExpressResourceInvalid',
      message: `Express resource ${e.name} is invalid: ${e.read.problems.join('; ')}. Fix it, then bounce this member with a new NodeBounce or RollingBounce.`,
    };
  if (e?.read.ok && e.read.view.intentionallyDown)
    return {
      verdict: 'WouldSkip',
      reason: MR.IntentionallyDown,
      message: `desired state ${e.read.view.desiredState ?? ''}: intentionally down, not bounced`,
    };
  if (e?.read.ok && e.read.view.rebuilding && !force)
    return {
      verdict: 'WouldWait',
      reason: 'NodeRebuilding',
      message: 'rebuilding its cache: the health gate holds it until it runs',
    };
  if (!currentPod(m, obs.pods))
    return { verdict: 'WouldWait', reason: 'PodMissing', message: 'no pod: the health gate holds it until one runs' };
  return { verdict: 'WouldBounce', reason: 'PreflightPassed', message: 'every NodeBounce preflight check passes' };
}

/** The dry-run plan: order, batches, each member's preflight verdict as its NodeBounce would give it, an estimate. */
export function planRollout(spec: ValidRolloutSpec, rows: MemberStatus[], obs: RolloutObserved): RolloutPlan {
  const force = spec.bounceTemplate.force === true;
  const members: PlanMember[] = rows.map((m) => {
    const base = { pod: m.pod, ...(m.expressResource ? { expressResource: m.expressResource } : {}) };
    const v = memberVerdict(m, obs, force);
    const pod = currentPod(m, obs.pods);
    const est = (pod?.estimatedSeconds ?? DEFAULT_ESTIMATE_SECONDS) + spec.settleSeconds;
    const waitsOrBounces = v.verdict === 'WouldBounce' || v.verdict === 'WouldWait';
    return {
      ...base,
      verdict: v.verdict,
      reason: v.reason,
      message: v.message,
      ...(waitsOrBounces ? { estimatedSeconds: est } : {}),
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
