import type { RolloutPhase } from '../api/rollingbounce.js';

// The RollingBounce lifecycle, declared once like src/bounce/lifecycle.ts: every status reason with its phase and
// what a human should do, and every transition decideRollout() may make. A unit test checks that what decide
// produces is exactly what is declared; `npm run docs:lifecycle` renders it into docs/rollingbounce.md.

export const RolloutReasons = {
  Accepted: 'Accepted',
  MembersInProgress: 'MembersInProgress',
  Settling: 'Settling',
  Paused: 'Paused',
  OutsideMaintenanceWindow: 'OutsideMaintenanceWindow',
  MembersUnhealthy: 'MembersUnhealthy',
  AlertsFiring: 'AlertsFiring',
  PrometheusUnavailable: 'PrometheusUnavailable',
  HealthStabilizing: 'HealthStabilizing',
  AllMembersBounced: 'AllMembersBounced',
  CompletedWithFailures: 'CompletedWithFailures',
  DryRunPlanned: 'DryRunPlanned',
  InvalidSpec: 'InvalidSpec',
  NoMembers: 'NoMembers',
  MembersNotFound: 'MembersNotFound',
  MemberFailed: 'MemberFailed',
  MemberInOtherRollout: 'MemberInOtherRollout',
} as const;
export type RolloutReason = (typeof RolloutReasons)[keyof typeof RolloutReasons];
const R = RolloutReasons;

/** Reasons a member row can carry besides its NodeBounce's own reasons. */
export const MemberReasons = {
  IntentionallyDown: 'IntentionallyDown',
  NoPod: 'NoPod',
  NodeBounceDeleted: 'NodeBounceDeleted',
  NotStarted: 'NotStarted',
  /** Its Express resource was deleted (scaled away) after the snapshot: no longer a member, not waited for. */
  Gone: 'Gone',
  /** An unfinished NodeBounce of another RollingBounce targets it: it waits, the others go on where order allows. */
  MemberInOtherRollout: 'MemberInOtherRollout',
  /** Its Express resource is invalid: its NodeBounce could never pass preflight; counts against maxFailures. */
  ExpressResourceInvalid: 'ExpressResourceInvalid',
} as const;

export interface RolloutReasonInfo {
  phase: RolloutPhase;
  meaning: string;
  action: string;
}

export const ROLLOUT_REASONS: Readonly<Record<RolloutReason, RolloutReasonInfo>> = {
  [R.Accepted]: {
    phase: 'Pending',
    meaning:
      'Seen; the members are resolved and snapshotted into status.members (in rollout order). The finalizer is added.',
    action: '',
  },
  [R.MembersInProgress]: {
    phase: 'Progressing',
    meaning: 'NodeBounces are running for some members, as many as maxUnavailable allows.',
    action: '',
  },
  [R.Settling]: {
    phase: 'Progressing',
    meaning: 'A member finished; waiting settleSeconds before the next one (status.waitingUntil).',
    action: '',
  },
  [R.Paused]: {
    phase: 'Paused',
    meaning: 'spec.paused is true: no new member starts; members already in flight finish.',
    action: 'Set spec.paused to false to resume.',
  },
  [R.OutsideMaintenanceWindow]: {
    phase: 'WaitingForWindow',
    meaning: 'Outside every maintenance window: the next member starts when one opens (status.waitingUntil).',
    action: '',
  },
  [R.MembersUnhealthy]: {
    phase: 'WaitingForHealth',
    meaning:
      'Too many members are unavailable to start the next (maxUnavailable, counting failed and skipped members and disruptions by anyone: pod missing, not Ready or terminating, a NodeBounce in flight, runtime state not in healthGate.healthyStates), or the next member itself is; the message names them.',
    action: 'Nothing, usually: it goes on once they are healthy. Pause or delete the RollingBounce to stop.',
  },
  [R.MemberInOtherRollout]: {
    phase: 'WaitingForHealth',
    meaning:
      'The next member is an unfinished member of another RollingBounce (its NodeBounce is not finished): it waits for that one instead of being bounced twice at once, and the others go on where order allows. Its row and the message name the other RollingBounce.',
    action: 'Nothing: it goes on when the other rollout is done with that member.',
  },
  [R.AlertsFiring]: {
    phase: 'WaitingForHealth',
    meaning: 'The healthGate.prometheus query returned series (for example firing alerts).',
    action: 'Look at the alerts; the rollout goes on once the query returns nothing.',
  },
  [R.PrometheusUnavailable]: {
    phase: 'WaitingForHealth',
    meaning:
      'The healthGate.prometheus query failed (unreachable, timeout, bad query): the gate stays closed. Retried every 15 s.',
    action: 'Check the URL, the query and that the operator can reach Prometheus.',
  },
  [R.HealthStabilizing]: {
    phase: 'WaitingForHealth',
    meaning:
      'Every gate passes; waiting until it has passed for healthGate.stableSeconds (status.waitingUntil), before the next member and after the last.',
    action: '',
  },
  [R.AllMembersBounced]: {
    phase: 'Succeeded',
    meaning: 'Every member was bounced (or skipped because intentionally down); health held after the last.',
    action: '',
  },
  [R.CompletedWithFailures]: {
    phase: 'Succeeded',
    meaning:
      'Every member was handled and the failures stayed within maxFailures, or a failed or skipped member is still down at the end: the message and the HealthGatePassed condition name the members still down; the failed rows say why.',
    action: 'Look at the failed members (their NodeBounces say what to do).',
  },
  [R.DryRunPlanned]: {
    phase: 'Succeeded',
    meaning:
      "dryRun: status.plan shows the order, batches, each member's preflight verdict and an estimate; nothing was created.",
    action: 'Create the same RollingBounce without dryRun.',
  },
  [R.InvalidSpec]: {
    phase: 'Failed',
    meaning: "The spec breaks a rule the schema can't express; the message lists each.",
    action: 'Fix it and create a new RollingBounce.',
  },
  [R.NoMembers]: {
    phase: 'Failed',
    meaning: 'The selector matches no Express resource in this namespace.',
    action: 'Check spec.members.selector and the namespace.',
  },
  [R.MembersNotFound]: {
    phase: 'Failed',
    meaning: 'A pod named in spec.members.podNames does not exist, or has no Express resource: nothing was started.',
    action: 'Check the pod names and the namespace.',
  },
  [R.MemberFailed]: {
    phase: 'Failed',
    meaning:
      "More members failed than maxFailures allows: no new member starts (members in flight finish). The message names the member and its NodeBounce's reason.",
    action: 'Read the NodeBounce of the failed member; fix, then create a new RollingBounce for the remaining members.',
  },
};

export type RolloutFrom = RolloutPhase | 'New';

export interface RolloutTransition {
  from: readonly RolloutFrom[];
  to: RolloutPhase;
  reasons: readonly RolloutReason[];
  trigger: string;
}

const ACTIVE: RolloutPhase[] = ['Pending', 'Progressing', 'Paused', 'WaitingForWindow', 'WaitingForHealth'];

export const ROLLOUT_TRANSITIONS: readonly RolloutTransition[] = [
  {
    from: ['New'],
    to: 'Pending',
    reasons: [R.Accepted],
    trigger: 'A RollingBounce without status is seen; members are snapshotted.',
  },
  {
    from: ['New'],
    to: 'Failed',
    reasons: [R.InvalidSpec, R.NoMembers, R.MembersNotFound],
    trigger: "The spec is invalid or its members can't be resolved.",
  },
  {
    from: ['New'],
    to: 'Succeeded',
    reasons: [R.DryRunPlanned],
    trigger: 'dryRun: the members are resolved and the plan is written; nothing is created.',
  },
  {
    from: ACTIVE,
    to: 'Progressing',
    reasons: [R.MembersInProgress, R.Settling],
    trigger: 'A member starts or is in flight, or the settle time runs.',
  },
  { from: ACTIVE, to: 'Paused', reasons: [R.Paused], trigger: 'spec.paused is true.' },
  {
    from: ACTIVE,
    to: 'WaitingForWindow',
    reasons: [R.OutsideMaintenanceWindow],
    trigger: 'A member could start, but no maintenance window is open.',
  },
  {
    from: ACTIVE,
    to: 'WaitingForHealth',
    reasons: [R.MembersUnhealthy, R.MemberInOtherRollout, R.AlertsFiring, R.PrometheusUnavailable, R.HealthStabilizing],
    trigger: 'A member could start (or the last one finished), but the health gate is closed or not yet stable.',
  },
  {
    from: ACTIVE,
    to: 'Succeeded',
    reasons: [R.AllMembersBounced, R.CompletedWithFailures],
    trigger: 'Every member is done and health held after the last.',
  },
  { from: ACTIVE, to: 'Failed', reasons: [R.MemberFailed], trigger: 'A member failed beyond maxFailures.' },
  {
    from: ACTIVE,
    to: 'Failed',
    reasons: [R.InvalidSpec],
    trigger: 'The spec became invalid (only paused and maxUnavailable can change).',
  },
];

export function rolloutPhaseOf(reason: RolloutReason): RolloutPhase {
  return ROLLOUT_REASONS[reason].phase;
}

export function isRolloutTransitionDeclared(from: RolloutFrom, to: RolloutPhase, reason: string): boolean {
  if (from === to && ROLLOUT_REASONS[reason as RolloutReason]?.phase === to) return true;
  return ROLLOUT_TRANSITIONS.some(
    (t) => t.from.includes(from) && t.to === to && (t.reasons as readonly string[]).includes(reason),
  );
}
