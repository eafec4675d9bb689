import {
  ConditionTypes as C,
  NODEBOUNCE_FINALIZER,
  Reasons as R,
  isTerminal,
  type NodeBounce,
  type NodeBounceStatus,
} from '../api/nodebounce.js';
import { selectorMatches } from '../config/label-selector.js';
import { isArgoTracked, type ExpressView } from '../express/view.js';
import { Builder, hasFinalizer, ms } from './builder.js';
import { getCondition } from './conditions.js';
import * as M from './messages.js';
import { describePodState, isPodReady, readyTimeoutFromProbes, type PodLike } from './pod.js';
import { mustRestoreProtection, restoreProtection, undoAndRelease } from './protection.js';
import { findBlocker, type QueueEntry } from './queue.js';
import { findReplacement } from './replacement.js';
import { releaseRequested } from './restore.js';
import { validateSpec, type ValidSpec } from './spec.js';
import { salvageStatus, validateStatus } from './status.js';
import { statusLost } from './status-lost.js';
import {
  BUDGET_RECHECK_MS,
  defaultDecideOptions,
  type Action,
  type Decision,
  type DecideOptions,
  type Observed,
} from './types.js';

// The bounce decision: (request, observed, now) -> (status, actions, events, requeueAfter).
// Pure. Every step is derived from status, so the operator can die anywhere and pick up from there.

export function queueEntryOf(nb: NodeBounce): QueueEntry {
  return {
    name: nb.metadata.name,
    creationTimestamp: nb.metadata.creationTimestamp,
    phase: nb.status?.phase,
    dryRun: nb.spec?.dryRun === true,
    holdsFinalizer: nb.metadata.finalizers?.includes(NODEBOUNCE_FINALIZER) ?? false,
  };
}

export const EVICTION_BACKOFF_BASE_MS = 1_000;
export const EVICTION_BACKOFF_MAX_MS = 30_000;

export function evictionBackoffMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(EVICTION_BACKOFF_MAX_MS, EVICTION_BACKOFF_BASE_MS * 2 ** (attempts - 1));
}

function terminal(b: Builder): Decision {
  if (undoAndRelease(b)) return b.done();
  const ttl = b.nb.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || !b.status.completionTime) return b.done();
  // Argo CD re-creates a deleted managed resource (bouncing the pod again), but never a hook: hooks are
  // created once per sync and may be deleted freely.
  const argoHook = Boolean(b.nb.metadata.annotations?.['argocd.argoproj.io/hook']);
  if (isArgoTracked(b.nb.metadata, b.options.argocd) && !argoHook) {
    if (!b.status.ttlSkipped) {
      b.status.ttlSkipped = true;
      b.events.push({
        type: 'Warning',
        reason: 'TTLSkipped',
        message: M.ttlSkipped,
      });
    }
    return b.done();
  }
  const due = ms(b.status.completionTime) + ttl * 1000;
  if (b.now.getTime() >= due) b.actions.push({ type: 'DeleteNodeBounce' });
  else b.requeueAt(due);
  return b.done();
}

function pending(b: Builder, spec: ValidSpec, obs: Observed): Decision {
  const nb = b.nb;
  const blocker = findBlocker(queueEntryOf(nb), obs.others);
  if (blocker) {
    b.transition(R.WaitingForOtherBounce, M.waitingForOtherBounce(blocker), 'Normal');
    return b.done();
  }

  // Preflight, in order. Any failure: Failed, nothing touched.
  const pod = obs.pod;
  if (!pod || !pod.metadata?.uid) {
    return b.fail(R.PodNotFound, M.podNotFound(nb));
  }
  // Outside the pod watch the replacement is never seen: the bounce would disrupt the pod and then time out.
  const selector = b.options.podSelector;
  if (selector && !selectorMatches(selector.requirements, pod.metadata.labels)) {
    return b.fail(R.PodNotWatched, M.podNotWatched(nb, selector.text));
  }
  const ex = obs.express;
  if (!ex || ex.kind === 'Unmapped') {
    return b.fail(
      R.ExpressResourceNotFound,
      M.expressUnmapped(nb, obs.expressKind, ex?.kind === 'Unmapped' ? ex.message : 'no mapping'),
    );
  }
  if (ex.kind === 'NotFound') {
    return b.fail(R.ExpressResourceNotFound, M.expressNotFound(nb, obs.expressKind, ex.name));
  }
  if (ex.kind === 'Invalid') {
    return b.fail(R.ExpressResourceInvalid, M.expressInvalid(obs.expressKind, ex.name, ex.problems));
  }
  const view = ex.view;
  b.status.expressResourceName = view.name;
  if (view.intentionallyDown) {
    return b.fail(R.IntentionallyDown, M.intentionallyDown(obs.expressKind, view));
  }
  if (view.rebuilding && !spec.force) {
    return b.fail(R.NodeRebuilding, M.nodeRebuilding(obs.expressKind, view));
  }

  const timeouts = effectiveTimeouts(spec, pod);
  b.status.effectiveTimeouts = timeouts;
  if (getCondition(b.status.conditions, C.PreflightPassed)?.status !== 'True') {
    const message = M.preflightPassed(nb, obs.expressKind, view);
    b.condition(C.PreflightPassed, 'True', R.PreflightPassed, message);
    // An Event only when the checks had something to say (a forced rebuild, a node catching up); a plain pass is
    // in the condition, and the next step's Event follows in this same pass.
    if (view.rebuilding || view.catchingUp)
      b.events.push({ type: 'Normal', reason: view.rebuilding ? 'ForcedWhileRebuilding' : 'NodeCatchingUp', message });
  }

  if (spec.dryRun) {
    const message = M.dryRunPassed(spec, pod.metadata.uid, view, timeouts);
    b.transition(R.DryRunPassed, message, 'Normal');
    b.status.completionTime = b.nowIso;
    b.condition(C.Succeeded, 'True', R.DryRunPassed, message);
    return terminal(b);
  }

  // From here on we touch things: the caller re-checks the queue (and, for a member of a RollingBounce, the
  // disruption budget) on a fresh view first, and takes our finalizer with that view (see holdBeforeStart). Nothing
  // is touched before the finalizer is held: a NodeBounce deleted from then on stays, with a deletionTimestamp, until
  // the pass that sees it has undone what was done. The budget is checked before the first side effect and again
  // right before the eviction (a pod killed from outside while the protection was being disabled counts); once
  // passed, this NodeBounce counts as a disruption for everyone else's check.
  b.startsBounce = true;
  const held = hasFinalizer(nb);
  confirmLostDisable(b, view, obs.expressKind);
  const budget = obs.disruptionBudget;
  const protection = b.status.shutdownProtection;
  // A disable under way (attempted, answer not recorded) is finished first; the check before the eviction follows.
  const disabling =
    !!protection && getCondition(b.status.conditions, C.ShutdownProtectionDisabled)?.status === 'Unknown';
  if (budget && !budget.ok && !disabling) {
    const message = protection
      ? `${budget.situation ?? budget.message} ${M.budgetWaitProtectionOff(obs.expressKind, view.name)}`
      : budget.message;
    b.transition(R.WaitingForDisruptionBudget, message, 'Normal');
    b.requeueAt(b.now.getTime() + BUDGET_RECHECK_MS);
    return b.done();
  }
  if (view.shutdownProtection === true && !b.status.shutdownProtection) {
    b.status.shutdownProtection = { wasEnabled: true, disabledByOperator: false, restored: false };
    b.condition(
      C.ShutdownProtectionDisabled,
      'Unknown',
      'Disabling',
      M.disablingProtectionCondition(obs.expressKind, view.name),
    );
  }
  const sp = b.status.shutdownProtection;
  if (sp?.wasEnabled && getCondition(b.status.conditions, C.ShutdownProtectionDisabled)?.status === 'Unknown') {
    // Finalizer first: once protection is off, a deleted NodeBounce must still restore it.
    // The Unknown condition is written just before the first attempt, so finding it means an attempt may have run.
    const repeated = getCondition(nb.status?.conditions, C.ShutdownProtectionDisabled)?.status === 'Unknown';
    if (!held) b.actions.push({ type: 'AddFinalizer' });
    b.actions.push({
      type: 'SetShutdownProtection',
      expressName: view.name,
      enabled: false,
      ...(repeated ? { repeated: true } : {}),
      ...(view.resourceVersion ? { resourceVersion: view.resourceVersion } : {}),
    });
    b.transition(R.DisablingShutdownProtection, M.disablingProtection(obs.expressKind, view.name));
    return b.done();
  }
  if (!sp) {
    b.condition(C.ShutdownProtectionDisabled, 'True', 'NotEnabled', M.protectionNotEnabled);
  }

  b.status.podUID = pod.metadata.uid;
  b.status.terminatingTime = b.nowIso;
  b.status.eviction = { attempts: 0 };
  if (pod.metadata.deletionTimestamp) return alreadyTerminating(b, spec, pod, timeouts.terminationSeconds);
  b.condition(C.PodTerminated, 'Unknown', R.Evicting, M.terminatingCondition(spec, pod.metadata.uid));
  // No Event for the intent: the eviction's answer (PodEvicted, BlockedByPDB, ...) is the one a human reads.
  b.transition(R.Evicting, M.evicting(spec, pod.metadata.uid));
  if (!held) b.actions.push({ type: 'AddFinalizer' });
  b.actions.push(evictAction(spec, pod.metadata.uid));
  b.requeueAt(b.now.getTime() + timeouts.terminationSeconds * 1000);
  return b.done();
}

/**
 * Protection found off, before the eviction, by a bounce that has not recorded disabling it: it is counted as ours and
 * restored afterwards, without another patch, and the eviction can follow in this pass. Two ways to get there:
 * - a disable attempted in an earlier pass (its Unknown condition is persisted) whose answer was never recorded (the
 *   status write after it failed, or the operator stopped): that attempt landed. Patching again and writing again,
 *   pass after pass, under API faults pushed a bounce into long retry backoffs (chaos faults seed 202);
 * - a disable recorded as refused (DisableFailed, not counted as ours) while protection is off: a repeat of the
 *   disable, decided on a stale copy written before the refusal was, landed and its record was refused (409); counted
 *   as not ours it was never restored (chaos faults seed 303).
 * Someone else having disabled it meanwhile reads the same and is restored the same: to what it was at the start.
 */
function confirmLostDisable(b: Builder, view: ExpressView, kind: string): void {
  const sp = b.status.shutdownProtection;
  if (!sp?.wasEnabled || sp.restored || view.shutdownProtection === true) return;
  const persisted = getCondition(b.nb.status?.conditions, C.ShutdownProtectionDisabled);
  const answerLost =
    persisted?.status === 'Unknown' &&
    getCondition(b.status.conditions, C.ShutdownProtectionDisabled)?.status === 'Unknown';
  const refusedYetOff = persisted?.status === 'False' && persisted.reason === 'DisableFailed' && !sp.disabledByOperator;
  if (!answerLost && !refusedYetOff) return;
  sp.disabledByOperator = true;
  delete sp.lastError;
  const message = answerLost
    ? M.protectionFoundDisabled(kind, view.name)
    : M.protectionOffAfterRefusal(kind, view.name);
  b.condition(C.ShutdownProtectionDisabled, 'True', 'DisabledByOperator', message);
  b.events.push({ type: 'Normal', reason: 'ShutdownProtectionDisabled', message });
}

/**
 * Someone else is already deleting the pod: wait for that deletion instead of evicting again. A second eviction
 * or delete with a shorter gracePeriodSeconds would cut the grace period in progress (the API server lowers it).
 */
function alreadyTerminating(b: Builder, spec: ValidSpec, pod: PodLike, terminationSeconds: number): Decision {
  const ts = pod.metadata?.deletionTimestamp;
  const since = ts instanceof Date ? ts.toISOString() : String(ts);
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  b.status.podDeletedTime = b.nowIso;
  const message = M.alreadyTerminating(spec, pod.metadata?.uid, since, grace, terminationSeconds);
  b.condition(C.PodTerminated, 'Unknown', R.AlreadyTerminating, message);
  b.transition(R.AlreadyTerminating, message, 'Normal');
  b.requeueAt(b.now.getTime() + terminationSeconds * 1000);
  return b.done();
}

function evictAction(spec: ValidSpec, uid: string): Action {
  return { type: 'EvictPod', podName: spec.podName, uid, mode: spec.mode, gracePeriodSeconds: spec.gracePeriodSeconds };
}

export function effectiveTimeouts(
  spec: ValidSpec,
  pod: PodLike | undefined,
): NonNullable<NodeBounceStatus['effectiveTimeouts']> {
  if (spec.readyTimeoutSeconds !== undefined) {
    return {
      terminationSeconds: spec.terminationTimeoutSeconds,
      readySeconds: spec.readyTimeoutSeconds,
      readySource: 'Spec',
    };
  }
  const derived = readyTimeoutFromProbes(pod);
  return {
    terminationSeconds: spec.terminationTimeoutSeconds,
    readySeconds: derived.seconds,
    readySource: derived.source,
  };
}

function terminating(b: Builder, spec: ValidSpec, obs: Observed): Decision {
  const st = b.status;
  const timeouts = st.effectiveTimeouts ?? effectiveTimeouts(spec, obs.pod);
  st.effectiveTimeouts = timeouts;
  const oldStillThere = obs.pod?.metadata?.uid !== undefined && obs.pod.metadata.uid === st.podUID;

  if (!oldStillThere) {
    st.terminatedTime = b.nowIso;
    // Without the eviction's answer on record (a crash between the eviction and the next status write), when the
    // pod was deleted and when it went are unknown: podDeletedTime stays unset, terminatedTime is an upper bound.
    if (!st.podDeletedTime) st.terminatedTimeEstimated = true;
    b.condition(C.PodTerminated, 'True', 'PodGone', M.podGone(spec, st.podUID));
    b.condition(C.PodReady, 'Unknown', R.WaitingForReady, M.waitingForReadyCondition(timeouts));
    // No Event: status says it; the PodRestarted Event (or ReadyTimeout) tells how long each part took.
    b.transition(R.WaitingForReady, M.waitingForReady(spec, st.podUID, timeouts));
    // The replacement may already be Ready: decide again right away.
    return starting(b, spec, obs);
  }

  const deadline = ms(st.terminatingTime) + timeouts.terminationSeconds * 1000;
  if (b.now.getTime() >= deadline) {
    b.condition(C.PodTerminated, 'False', R.TerminationTimeout, M.terminationTimeoutCondition(timeouts));
    st.lastObservedPodState = describePodState(obs.pod);
    return b.fail(R.TerminationTimeout, M.terminationTimeout(b.nb, spec, st, timeouts));
  }

  if (!st.podDeletedTime && obs.pod?.metadata?.deletionTimestamp) {
    // Deleted meanwhile (our eviction whose answer was lost, or someone else): never disrupt it a second time.
    st.podDeletedTime = b.nowIso;
  }
  if (!st.podDeletedTime) {
    // After throttling, the server's Retry-After (nextAttemptTime); else the backoff after a refusal.
    const retryAt = st.eviction?.nextAttemptTime
      ? ms(st.eviction.nextAttemptTime)
      : ms(st.eviction?.lastAttemptTime) + evictionBackoffMs(st.eviction?.attempts ?? 0);
    if (!Number.isNaN(retryAt) && b.now.getTime() < retryAt) {
      b.requeueAt(Math.min(retryAt, deadline));
      return b.done();
    }
    // First attempt after a crash, or a retry after a refusal: the UID precondition makes repeats harmless.
    if (!hasFinalizer(b.nb)) b.actions.push({ type: 'AddFinalizer' });
    b.actions.push(evictAction(spec, st.podUID!));
  }
  b.requeueAt(deadline);
  return b.done();
}

function starting(b: Builder, spec: ValidSpec, obs: Observed): Decision {
  const st = b.status;
  const timeouts = st.effectiveTimeouts ?? effectiveTimeouts(spec, obs.pod);
  const replacement = findReplacement(spec.podName, st, obs.pod, obs.expressPods);
  // Which pod replaced it is recorded with the outcome (Ready, or the ready timeout), not as soon as it appears: it
  // is found again from the pods on every pass, and a status write just for it would cost a request per bounce.
  const recordReplacement = () => {
    if (!replacement?.metadata) return;
    st.replacementPodName = replacement.metadata.name;
    st.replacementPodUID = replacement.metadata.uid;
  };

  if (!st.readyTime && replacement && isPodReady(replacement)) {
    recordReplacement();
    st.readyTime = b.nowIso;
    b.condition(C.PodReady, 'True', 'ReplacementReady', M.replacementReady(replacement));
  }
  if (st.readyTime) {
    if (mustRestoreProtection(st) && !releaseRequested(b.nb)) {
      const sp = st.shutdownProtection!;
      if (sp.restoreFailed) {
        return b.fail(R.ShutdownProtectionNotRestored, M.protectionNotRestored(b.nb, spec, st, obs.expressKind));
      }
      b.transition(R.RestoringShutdownProtection, M.restoringProtection(obs.expressKind, st.expressResourceName));
      restoreProtection(b);
      return b.done();
    }
    const took = ((ms(st.readyTime) - ms(st.startTime)) / 1000).toFixed(1);
    const message = M.podRestarted(spec, st, took);
    b.transition(R.PodRestarted, message, 'Normal');
    st.completionTime = b.nowIso;
    b.condition(C.Succeeded, 'True', R.PodRestarted, message);
    return terminal(b);
  }

  const deadline = ms(st.terminatedTime) + timeouts.readySeconds * 1000;
  if (b.now.getTime() >= deadline) {
    recordReplacement();
    st.lastObservedPodState = describePodState(replacement);
    b.condition(C.PodReady, 'False', R.ReadyTimeout, M.readyTimeoutCondition(timeouts));
    return b.fail(R.ReadyTimeout, M.readyTimeout(spec, st, timeouts, obs.expressKind, replacement !== undefined));
  }
  b.requeueAt(deadline);
  return b.done();
}

/**
 * A status the operator did not write (edited by hand, or by another tool): where the bounce stood is unknown, so it
 * stops here, Failed, keeping what is still valid. Shutdown protection is restored (by the terminal step) whenever it
 * may have been disabled: our finalizer is held from just before the first disable until the restore.
 */
function invalidStatus(b: Builder, problems: string[]): Decision {
  const st = salvageStatus(b.status);
  // The phase it claimed, when it is one, so the transition reads from there (an unknown one reads as new).
  const claimed = b.status.phase;
  if (claimed === 'Pending' || claimed === 'Terminating' || claimed === 'Starting') st.phase = claimed;
  b.status = st;
  const name = st.expressResourceName;
  let protection: 'none' | 'restoring' | 'unknownResource' = 'none';
  if (hasFinalizer(b.nb) && !st.shutdownProtection?.restored && !st.shutdownProtection?.releasedTime) {
    if (name) {
      st.shutdownProtection = { ...st.shutdownProtection, wasEnabled: true, disabledByOperator: true, restored: false };
      protection = 'restoring';
    } else {
      protection = 'unknownResource';
    }
  }
  return b.fail(R.InvalidStatus, M.invalidStatus(b.nb, problems, protection, name));
}

/**
 * Whether the pass that may start this bounce takes our finalizer first (with its live reads, in parallel): every
 * NodeBounce that touches anything holds it from before its intent is written, so a deletion can never remove it
 * between that write and the side effect (the intent write then fails on the deletion's new resourceVersion).
 */
export function holdBeforeStart(nb: NodeBounce): boolean {
  return !hasFinalizer(nb) && !nb.metadata.deletionTimestamp;
}

/** The whole decision for one NodeBounce. */
export function decide(
  nb: NodeBounce,
  obs: Observed,
  now: Date,
  options: DecideOptions = defaultDecideOptions,
): Decision {
  const b = new Builder(nb, now, options);
  const st = b.status;

  if (nb.metadata.deletionTimestamp) {
    // Deleted mid-flight: undo, release, and take no further action.
    undoAndRelease(b);
    return b.done();
  }

  if (!st.phase) {
    // A copy of a NodeBounce already accepted, restored without its status: never started again (status-lost.ts).
    const loss = statusLost(nb);
    if (loss.lost) return b.fail(R.StatusLost, M.statusLost(nb, loss));
    // Accepted and the first step are one status write: a request that can start at once goes from no status
    // straight to Terminating (its intent write), one round trip fewer before the eviction (docs/adr/0006).
    // No Event for Accepted: the step taken in this same pass has its own.
    st.startTime = b.nowIso;
    b.transition(R.Accepted, M.accepted(nb));
    b.condition(C.Succeeded, 'Unknown', R.Accepted, 'The bounce has not finished yet.');
  } else {
    const statusCheck = validateStatus(st);
    if (!statusCheck.ok) return invalidStatus(b, statusCheck.problems);
    if (isTerminal(st.phase)) return terminal(b);
  }
  const validation = validateSpec(nb.spec);
  if (!validation.ok) {
    return b.fail(R.InvalidSpec, M.invalidSpec(validation.problems));
  }
  const spec = validation.spec;
  switch (st.phase) {
    case undefined: // not reached: a new NodeBounce was just accepted (Pending)
    case 'Pending':
      return pending(b, spec, obs);
    case 'Terminating':
      return terminating(b, spec, obs);
    case 'Starting':
      return starting(b, spec, obs);
    case 'Succeeded':
    case 'Failed':
      return terminal(b); // not reached: finished bounces are handled above, before the spec is validated
  }
}
