import type { MemberStatus, PlanMember, RolloutPlan } from '../api/rollingbounce.js';
import { MemberReasons as MR } from './lifecycle.js';
import { DEFAULT_ESTIMATE_SECONDS, type RolloutObserved } from './observed.js';
import { resolveMaxUnavailable, type ValidRolloutSpec } from './spec.js';

// The dry-run plan.

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
