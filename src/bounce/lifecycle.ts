import { Reasons as R, type NodeBounceStatus, type Phase } from '../api/nodebounce.js';

// The NodeBounce lifecycle, declared once: every status reason with its phase and what a human should do, and
// every phase/reason transition decide() and applyOutcome() may make. Both take a reason's phase from here, a
// unit test checks that what they produce is exactly what is declared, and `npm run docs:lifecycle` renders
// the diagram and tables in README.md and docs/api.md from it.

/** A status reason: what status.reason can say. */
export type StatusReason = Exclude<(typeof R)[keyof typeof R], typeof R.PreflightPassed>;

export interface ReasonInfo {
  phase: Phase;
  meaning: string;
  /** What a human should do; empty when nothing is needed. */
  action: string;
}

export const REASONS: Readonly<Record<StatusReason, ReasonInfo>> = {
  [R.Accepted]: {
    phase: 'Pending',
    meaning:
      'Seen. The checks run in the same pass, so status shows the step they lead to; only a status written by an earlier operator version still says Accepted.',
    action: '',
  },
  [R.WaitingForOtherBounce]: {
    phase: 'Pending',
    meaning:
      'Another NodeBounce for the same pod is older or already running. Bounces of one pod run one at a time, oldest first (creationTimestamp, then name).',
    action: 'Nothing: it starts on its own when the other finishes or is deleted.',
  },
  [R.WaitingForDisruptionBudget]: {
    phase: 'Pending',
    meaning:
      'The pod is a member of an unfinished RollingBounce whose maxUnavailable other members are already unavailable (pod missing, not Ready or terminating; a NodeBounce in flight; runtime state not healthy), or the disruption budget across groups (operator config disruptionBudget, per namespace or cluster) is full or others are served first (round robin by owner): the message names the rollout or scope and who holds it. Checked on live reads right before the first side effect, and again before the eviction when shutdown protection was disabled first; rechecked every few seconds. Nothing was touched, except a protection already disabled, which the message names and which is restored when the bounce ends (docs/adr/0007).',
    action: 'Nothing, usually: it starts once few enough members are down. Delete this NodeBounce to give up.',
  },
  [R.DisablingShutdownProtection]: {
    phase: 'Pending',
    meaning: "Turning the Express resource's shutdown protection off before the eviction.",
    action: '',
  },
  [R.Evicting]: {
    phase: 'Terminating',
    meaning: 'Eviction (or delete) requested; retried with backoff when it fails for a reason other than a PDB.',
    action: '',
  },
  [R.WaitingForTermination]: { phase: 'Terminating', meaning: 'The old pod is shutting down.', action: '' },
  [R.AlreadyTerminating]: {
    phase: 'Terminating',
    meaning:
      'The pod was already being deleted by someone else: the operator waits for that deletion and never evicts it again (a shorter grace period would cut the one in progress).',
    action: '',
  },
  [R.BlockedByPDB]: {
    phase: 'Terminating',
    meaning:
      'The Eviction API refused (429, or 403 with a `DisruptionBudget` cause): a PodDisruptionBudget allows no disruption. Retried with backoff (1 s doubling to 30 s) until the termination deadline.',
    action: 'Check `kubectl get pdb`; wait, or delete this NodeBounce.',
  },
  [R.EvictionThrottled]: {
    phase: 'Terminating',
    meaning:
      "The API server throttled the eviction (429 without a `DisruptionBudget` cause: API Priority and Fairness or max-in-flight). Not a PDB refusal. Retried after the server's Retry-After, bounded to 1–60 s (`eviction.nextAttemptTime`), until the termination deadline.",
    action: "Nothing, usually; if it persists, check the API server's load and its FlowSchemas.",
  },
  [R.WaitingForReady]: {
    phase: 'Starting',
    meaning: 'The old pod is gone; waiting for the replacement to be Ready.',
    action: '',
  },
  [R.RestoringShutdownProtection]: {
    phase: 'Starting',
    meaning: 'The replacement is Ready; putting shutdown protection back.',
    action: '',
  },
  [R.PodRestarted]: { phase: 'Succeeded', meaning: 'Replacement Ready; protection restored.', action: '' },
  [R.DryRunPassed]: {
    phase: 'Succeeded',
    meaning: 'Every check passed; nothing touched.',
    action: 'Create the same request without `dryRun`.',
  },
  [R.InvalidSpec]: {
    phase: 'Failed',
    meaning: "The spec breaks a rule the schema can't express.",
    action: 'Fix and create a new NodeBounce.',
  },
  [R.InvalidStatus]: {
    phase: 'Failed',
    meaning:
      'The status was not written by the operator (edited by hand or by another tool): a phase is unknown, or a field that phase needs is missing or garbled. Where the bounce stood is unknown, so nothing more is done to the pod; the message lists every problem. Shutdown protection is restored if it may have been disabled (the finalizer was held).',
    action: "Check the pod; create a new NodeBounce if it still needs a bounce. Don't edit `status` by hand.",
  },
  [R.StatusLost]: {
    phase: 'Failed',
    meaning:
      'The NodeBounce came back without its status after the operator had accepted it: restored from a backup (Velero and similar tools restore metadata, so the acceptance annotation `bounce.express.dev/accepted-uid`, but not status) or re-created from an export; its UID is not the one it was accepted as. The pod may already have been bounced, so it is not started again; nothing is touched (the operator only lets go of its finalizer).',
    action:
      "Check the pod and the Express resource's shutdown protection; create a new NodeBounce (without the annotation) if the pod still needs a bounce.",
  },
  [R.ShutdownProtectionNotRestored]: {
    phase: 'Failed',
    meaning:
      "The pod was restarted, but restoring the Express resource's shutdown protection failed `protectionRestore.maxAttempts` times (default 10, backoff 2 s doubling to 2 min) or for `protectionRestore.maxDurationSeconds` (default 900). The node may be unprotected; the finalizer stays; the alert `NodeBounceShutdownProtectionNotRestored` fires.",
    action:
      "Fix the cause (often the operator's RBAC on the Express resource), re-enable protection by hand, then release: `kubectl annotate nb/x bounce.express.dev/release-protection=true`.",
  },
  [R.PodNotFound]: {
    phase: 'Failed',
    meaning: 'No such pod in this namespace.',
    action: 'Check `spec.podName` and the namespace.',
  },
  [R.PodNotWatched]: {
    phase: 'Failed',
    meaning:
      "The pod does not match the operator's `podLabelSelector`: the operator does not watch it and could not see its replacement.",
    action:
      "Label the pod's template to match, or widen `podLabelSelector` in the operator config; then create a new NodeBounce.",
  },
  [R.ExpressResourceNotFound]: {
    phase: 'Failed',
    meaning:
      "The pod has no Express owner (controller ownerReference of the configured kind, or the configured label), or that resource doesn't exist.",
    action: "Only Express node pods can be bounced; check the pod, or the operator's `express` config.",
  },
  [R.ExpressResourceInvalid]: {
    phase: 'Failed',
    meaning:
      'A configured field of the Express resource has the wrong type (for example a number where the runtime state should be a string). The operator never guesses.',
    action: "Fix the resource or the operator's field-path configuration.",
  },
  [R.IntentionallyDown]: {
    phase: 'Failed',
    meaning:
      'The desired state is down (`down`, `stopped`). Never overridden, not even with `force`. The message says whether the resource is GitOps-managed.',
    action: 'Bring the node up through its owner (Git, when Argo CD manages it).',
  },
  [R.NodeRebuilding]: {
    phase: 'Failed',
    meaning: 'The node is rebuilding its cache; a bounce would restart the rebuild.',
    action: 'Wait until it runs, or create a new NodeBounce with `force: true`.',
  },
  [R.TerminationTimeout]: {
    phase: 'Failed',
    meaning:
      "The old pod was still there at the deadline (blocked by a PDB, stuck finalizers, a stuck kubelet). The message says which and shows the pod's last state.",
    action: 'Investigate the pod; the operator never forces deletion.',
  },
  [R.ReadyTimeout]: {
    phase: 'Failed',
    meaning:
      "No Ready replacement within the ready timeout. The message shows the replacement's last state (for example `CrashLoopBackOff`) or that none appeared.",
    action: 'Inspect the replacement; check the Express operator.',
  },
};

/** Where a transition starts: a phase, or `New` for a NodeBounce without status. */
export type From = Phase | 'New';

export interface TransitionRule {
  from: readonly From[];
  to: Phase;
  reasons: readonly StatusReason[];
  trigger: string;
}

export const TRANSITIONS: readonly TransitionRule[] = [
  {
    from: ['New'],
    to: 'Pending',
    reasons: [R.Accepted],
    trigger: 'A NodeBounce without status is seen; its next step follows in the same pass and status write.',
  },
  {
    from: ['Pending'],
    to: 'Pending',
    reasons: [R.WaitingForOtherBounce],
    trigger: 'An older or running NodeBounce targets the same pod.',
  },
  {
    from: ['Pending'],
    to: 'Pending',
    reasons: [R.WaitingForDisruptionBudget],
    trigger:
      "A RollingBounce the pod belongs to has maxUnavailable other members down (live reads, under the namespace's budget lock).",
  },
  {
    from: ['Pending'],
    to: 'Failed',
    reasons: [
      R.PodNotFound,
      R.PodNotWatched,
      R.ExpressResourceNotFound,
      R.ExpressResourceInvalid,
      R.IntentionallyDown,
      R.NodeRebuilding,
    ],
    trigger: 'A preflight check fails; nothing was touched.',
  },
  { from: ['Pending'], to: 'Succeeded', reasons: [R.DryRunPassed], trigger: 'Preflight passes with `dryRun`.' },
  {
    from: ['Pending'],
    to: 'Pending',
    reasons: [R.DisablingShutdownProtection],
    trigger: 'Preflight passes and the Express resource has shutdown protection on (finalizer added first).',
  },
  {
    from: ['Pending'],
    to: 'Terminating',
    reasons: [R.Evicting],
    trigger:
      "Preflight passes and protection is off (disabled, refused or never on): the pod's UID is recorded, then it is evicted.",
  },
  {
    from: ['Pending'],
    to: 'Terminating',
    reasons: [R.AlreadyTerminating],
    trigger:
      'Preflight passes but the pod already has a deletionTimestamp: its UID is recorded and it is waited for, not evicted.',
  },
  {
    from: ['Terminating'],
    to: 'Terminating',
    reasons: [R.WaitingForTermination],
    trigger: 'The eviction or delete is accepted (or answers that the old pod is already gone).',
  },
  {
    from: ['Terminating'],
    to: 'Terminating',
    reasons: [R.BlockedByPDB],
    trigger:
      'The Eviction API answers 429 (or, since Kubernetes 1.37, 403) with a `DisruptionBudget` cause (a PodDisruptionBudget).',
  },
  {
    from: ['Terminating'],
    to: 'Terminating',
    reasons: [R.EvictionThrottled],
    trigger: 'The Eviction API answers 429 without a `DisruptionBudget` cause (the API server is throttling).',
  },
  {
    from: ['Terminating'],
    to: 'Terminating',
    reasons: [R.Evicting],
    trigger: 'An eviction retry fails for another reason after a PDB refusal.',
  },
  { from: ['Terminating'], to: 'Starting', reasons: [R.WaitingForReady], trigger: "The old pod's UID is gone." },
  {
    from: ['Terminating'],
    to: 'Failed',
    reasons: [R.TerminationTimeout],
    trigger: 'The old pod is still there at the termination deadline.',
  },
  {
    from: ['Starting'],
    to: 'Starting',
    reasons: [R.RestoringShutdownProtection],
    trigger: 'The replacement is Ready and shutdown protection must be put back.',
  },
  {
    from: ['Starting'],
    to: 'Succeeded',
    reasons: [R.PodRestarted],
    trigger: 'The replacement is Ready and protection is restored.',
  },
  {
    from: ['Starting'],
    to: 'Failed',
    reasons: [R.ReadyTimeout],
    trigger: 'No Ready replacement by the ready deadline.',
  },
  {
    from: ['Starting'],
    to: 'Failed',
    reasons: [R.ShutdownProtectionNotRestored],
    trigger: 'The replacement is Ready but restoring shutdown protection failed past `protectionRestore` limits.',
  },
  {
    from: ['New', 'Pending', 'Terminating', 'Starting'],
    to: 'Failed',
    reasons: [R.InvalidStatus],
    trigger:
      'The status fails validation (written by someone other than the operator; from (new) when its phase is not one).',
  },
  {
    from: ['New'],
    to: 'Failed',
    reasons: [R.StatusLost],
    trigger:
      'No status, but the acceptance annotation names another UID (a copy restored without status), or the finalizer is held without the annotation.',
  },
  {
    from: ['Pending', 'Terminating', 'Starting'],
    to: 'Failed',
    reasons: [R.InvalidSpec],
    trigger: "The spec breaks a rule the schema can't express (checked on every pass).",
  },
];

/** One step a decision made: recorded so callers (and the lifecycle test) can see the path, not just the end. */
export interface Transition {
  from: From;
  to: Phase;
  reason: StatusReason;
}

export function phaseOf(reason: StatusReason): Phase {
  return REASONS[reason].phase;
}

export function isTerminalReason(reason: StatusReason): boolean {
  const phase = phaseOf(reason);
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isDeclared(t: Transition): boolean {
  return TRANSITIONS.some((r) => r.to === t.to && r.from.includes(t.from) && r.reasons.includes(t.reason));
}

/** Every (from, to, reason) the table declares. */
export function declaredTransitions(): Transition[] {
  return TRANSITIONS.flatMap((r) => r.from.flatMap((from) => r.reasons.map((reason) => ({ from, to: r.to, reason }))));
}

/** Sets status.reason/message and the reason's phase; returns the transition when phase or reason changed. */
export function setReason(status: NodeBounceStatus, reason: StatusReason, message: string): Transition | undefined {
  const from: From = status.phase ?? 'New';
  const to = phaseOf(reason);
  const changed = status.phase !== to || status.reason !== reason;
  status.phase = to;
  status.reason = reason;
  status.message = message;
  return changed ? { from, to, reason } : undefined;
}
