import type { NodeBounce } from '../api/nodebounce.js';
import { isRolloutTerminal, ROLLINGBOUNCE_KIND, type MemberStatus, type RollingBounce } from '../api/rollingbounce.js';
import type { RolloutObserved } from './observed.js';
import { resolveMaxUnavailable, validateRolloutSpec } from './spec.js';
import {
  describeUnavailable,
  groupBouncesOf,
  otherUnavailable,
  sameMember,
  targets,
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
  | { ok: true }
  | {
      ok: false;
      rollout: string;
      maxUnavailable: number;
      down: UnavailableMember[];
      /** Who is down, without what this NodeBounce has done (a wait before the eviction may follow its first step). */
      situation: string;
      message: string;
    };

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
      const situation = `Waiting for the disruption budget of RollingBounce ${g.rollout} (maxUnavailable ${g.maxUnavailable}): ${down.length} other member${down.length === 1 ? ' is' : 's are'} unavailable: ${describeUnavailable(down)}.`;
      return {
        ok: false,
        rollout: g.rollout,
        maxUnavailable: g.maxUnavailable,
        down,
        situation,
        message: `${situation} Nothing was touched; this starts on its own once fewer are down.`,
      };
    }
  }
  return { ok: true };
}

/** The group view a rollout decides on: its observed pods and Express resources, and the namespace's NodeBounces. */
export function groupViewOf(obs: RolloutObserved, healthyStates: readonly string[]): GroupView {
  return {
    pods: obs.pods,
    express: obs.express,
    bounces: groupBouncesOf(obs.namespaceBounces ?? obs.nodeBounces),
    healthyStates,
  };
}

export const memberOfRow = (m: MemberStatus): GroupMember => ({
  pod: m.pod,
  ...(m.expressResource ? { expressResource: m.expressResource } : {}),
});

/** The rollout's own budget: who is down, who of them it does not have in flight, and how many more may start. */
export interface RolloutBudget {
  /** Every member unavailable now (src/rollout/unavailable.ts), whoever took it down. */
  down: UnavailableMember[];
  /** Of those, the members this rollout does not have in flight: failed, skipped, or taken down by someone else. */
  others: UnavailableMember[];
  /** How many more members may start now (maxUnavailable less the members in flight and the others down). */
  slots: number;
}

/**
 * `rows` are the rollout's members; `unrecorded` counts its NodeBounces still running that no row names (a status
 * write lost after a create).
 */
export function rolloutBudget(
  rows: readonly MemberStatus[],
  view: GroupView,
  maxUnavailable: number,
  unrecorded: number,
): RolloutBudget {
  const inFlight = rows.filter((m) => m.phase === 'InProgress').map(memberOfRow);
  const down = otherUnavailable(rows.map(memberOfRow), view);
  const others = down.filter((d) => !inFlight.some((m) => sameMember(m, d.member)));
  return { down, others, slots: maxUnavailable - inFlight.length - others.length - unrecorded };
}

/**
 * The unfinished NodeBounce of another RollingBounce for this member, if any: the member waits for it
 * (MemberInOtherRollout) instead of being started twice.
 */
export function otherRolloutBounce(
  m: MemberStatus,
  obs: RolloutObserved,
  self: { name: string; uid?: string },
): { nodeBounce: string; rollout: string } | undefined {
  for (const nb of obs.namespaceBounces ?? []) {
    if (nb.spec?.dryRun === true || nb.status?.phase === 'Succeeded' || nb.status?.phase === 'Failed') continue;
    const owner = ownerOf(nb);
    if (!owner || (owner.name === self.name && (!owner.uid || !self.uid || owner.uid === self.uid))) continue;
    if (targets(memberOfRow(m), nb.spec?.podName ?? '', obs.pods))
      return { nodeBounce: nb.metadata.name, rollout: owner.name };
  }
  return undefined;
}

function ownerOf(nb: Pick<NodeBounce, 'metadata'>): { name: string; uid?: string } | undefined {
  const ref = (nb.metadata.ownerReferences ?? []).find(
    (r) => r.kind === ROLLINGBOUNCE_KIND && r.controller === true && r.name,
  );
  return ref ? { name: ref.name!, ...(ref.uid ? { uid: ref.uid } : {}) } : undefined;
}
