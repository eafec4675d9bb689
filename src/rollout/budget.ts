import { isRolloutTerminal, type RollingBounce } from '../api/rollingbounce.js';
import { resolveMaxUnavailable, validateRolloutSpec } from './spec.js';
import {
  describeUnavailable,
  otherUnavailable,
  type GroupMember,
  type GroupView,
  type UnavailableMember,
} from './unavailable.js';

// Where the disruption budget is decided: whether a NodeBounce may take a member's pod down now. Pure. The operator
// asks this right before a NodeBounce's first side effect, on live reads, under one lock per namespace
// (src/controller/reconciler.ts, docs/adr/0007): every NodeBounce of a pod that belongs to an unfinished RollingBounce,
// whoever created it, waits while (unavailable members other than its own) >= maxUnavailable.

/** The group a RollingBounce makes while its promise holds. */
export interface BudgetGroup {
  rollout: string;
  maxUnavailable: number;
  members: GroupMember[];
  healthyStates: readonly string[];
}

/**
 * The group of a RollingBounce, or undefined when it promises nothing (yet, or any more): no member snapshot, a dry
 * run, being deleted, or finished with nothing in flight.
 */
export function budgetGroupOf(rb: RollingBounce): BudgetGroup | undefined {
  const st = rb.status;
  const rows = st?.members;
  if (!rows || rb.metadata.deletionTimestamp) return undefined;
  if (isRolloutTerminal(st.phase) && !rows.some((m) => m.phase === 'InProgress')) return undefined;
  const v = validateRolloutSpec(rb.spec);
  if (!v.ok || v.spec.dryRun) return undefined;
  const counted = rows.filter((m) => m.phase !== 'Skipped').length;
  return {
    rollout: rb.metadata.name,
    maxUnavailable: st.maxUnavailable ?? resolveMaxUnavailable(v.spec.maxUnavailable, counted),
    members: rows.map((m) => ({ pod: m.pod, ...(m.expressResource ? { expressResource: m.expressResource } : {}) })),
    healthyStates: v.spec.healthGate.healthyStates,
  };
}

/** The member of `group` that a bounce of `podName` (of Express resource `expressName`) disrupts, if any. */
export function memberFor(group: BudgetGroup, podName: string, expressName?: string): GroupMember | undefined {
  return group.members.find(
    (m) => (expressName !== undefined && m.expressResource === expressName) || (m.pod !== '' && m.pod === podName),
  );
}

/** The groups a bounce of this pod is subject to. */
export function groupsFor(rollouts: readonly RollingBounce[], podName: string, expressName?: string): BudgetGroup[] {
  const out: BudgetGroup[] = [];
  for (const rb of rollouts) {
    const g = budgetGroupOf(rb);
    if (g && memberFor(g, podName, expressName)) out.push(g);
  }
  return out;
}

export type BudgetVerdict =
  { ok: true } | { ok: false; rollout: string; maxUnavailable: number; down: UnavailableMember[]; message: string };

/**
 * The budget for disrupting `podName` now: every group it belongs to must have fewer than maxUnavailable other
 * members unavailable (src/rollout/unavailable.ts). `view` is the namespace seen live; its bounces should leave out
 * the NodeBounce asking (it targets its own member, which is not counted anyway).
 */
export function checkBudget(
  groups: readonly BudgetGroup[],
  view: Omit<GroupView, 'healthyStates'>,
  podName: string,
  expressName?: string,
): BudgetVerdict {
  for (const g of groups) {
    const self = memberFor(g, podName, expressName);
    if (!self) continue;
    const down = otherUnavailable(g.members, { ...view, healthyStates: g.healthyStates }, self);
    if (down.length >= g.maxUnavailable) {
      return {
        ok: false,
        rollout: g.rollout,
        maxUnavailable: g.maxUnavailable,
        down,
        message: `Waiting for the disruption budget of RollingBounce ${g.rollout} (maxUnavailable ${g.maxUnavailable}): ${down.length} other member${down.length === 1 ? ' is' : 's are'} unavailable: ${describeUnavailable(down)}. Nothing was touched; this starts on its own once fewer are down.`,
      };
    }
  }
  return { ok: true };
}
