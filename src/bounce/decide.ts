import {
  ConditionTypes as C,
  NODEBOUNCE_FINALIZER,
  RELEASE_PROTECTION_ANNOTATION,
  Reasons as R,
  isTerminal,
  type NodeBounce,
  type NodeBounceStatus,
} from '../api/nodebounce.js';
import { isArgoTracked } from '../express/view.js';
import { getCondition, setCondition } from './conditions.js';
import { setReason, type StatusReason, type Transition } from './lifecycle.js';
import { describePodState, isPodReady, readyTimeoutFromProbes, type PodLike } from './pod.js';
import { findBlocker, type QueueEntry } from './queue.js';
import { annotationSetBy, nextRestoreAttemptAt, releaseRequested } from './restore.js';
import { validateSpec, type ValidSpec } from './spec.js';
import { salvageStatus, validateStatus } from './status.js';
import {
  defaultDecideOptions,
  type Action,
  type BounceEvent,
  type Decision,
  type DecideOptions,
  type Observed,
} from './types.js';

// The bounce decision: (request, observed, now) -> (status, actions, events, requeueAfter).
// Pure. Every step is derived from status, so the operator can die anywhere and pick up from there.

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

export function queueEntryOf(nb: NodeBounce): QueueEntry {
  return {
    name: nb.metadata.name,
    creationTimestamp: nb.metadata.creationTimestamp,
    phase: nb.status?.phase,
    dryRun: nb.spec?.dryRun === true,
    holdsFinalizer: nb.metadata.finalizers?.includes(NODEBOUNCE_FINALIZER) ?? false,
  };
}

class Builder {
  status: NodeBounceStatus;
  actions: Action[] = [];
  events: BounceEvent[] = [];
  transitions: Transition[] = [];
  requeueAfterMs?: number;
  startsBounce = false;

  constructor(
    readonly nb: NodeBounce,
    readonly now: Date,
    readonly options: DecideOptions = defaultDecideOptions,
  ) {
    this.status = structuredClone(nb.status ?? {});
    this.status.observedGeneration = nb.metadata.generation ?? this.status.observedGeneration;
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  condition(
    type: (typeof C)[keyof typeof C],
    status: 'True' | 'False' | 'Unknown',
    reason: string,
    message: string,
  ): void {
    this.status.conditions = setCondition(
      this.status.conditions,
      type,
      status,
      reason,
      message,
      this.now,
      this.nb.metadata.generation,
    );
  }

  /**
   * Sets reason/message and the reason's phase (from the lifecycle table); a change of phase or reason is
   * recorded as a transition, with an event when eventType is given.
   */
  transition(reason: StatusReason, message: string, eventType?: 'Normal' | 'Warning'): void {
    const change = setReason(this.status, reason, message);
    if (change) this.transitions.push(change);
    if (change && eventType) this.events.push({ type: eventType, reason, message });
  }

  requeueAt(deadlineMs: number): void {
    const after = Math.max(0, deadlineMs - this.now.getTime());
    this.requeueAfterMs = this.requeueAfterMs === undefined ? after : Math.min(this.requeueAfterMs, after);
  }

  fail(reason: StatusReason, message: string): Decision {
    this.transition(reason, message, 'Warning');
    this.status.completionTime ??= this.nowIso;
    this.condition(C.Succeeded, 'False', reason, message);
    // Whatever must be undone is picked up by the terminal step on the next pass.
    this.requeueAfterMs = 0;
    return this.done();
  }

  done(): Decision {
    return {
      status: this.status,
      actions: this.actions,
      events: this.events,
      transitions: this.transitions,
      requeueAfterMs: this.requeueAfterMs,
      startsBounce: this.startsBounce,
    };
  }
}

function hasFinalizer(nb: NodeBounce): boolean {
  return nb.metadata.finalizers?.includes(NODEBOUNCE_FINALIZER) ?? false;
}

function target(nb: NodeBounce): string {
  return `pod ${nb.metadata.namespace}/${nb.spec.podName}`;
}

function reasonSuffix(spec: { reason?: string }): string {
  return spec.reason ? ` Reason given: "${spec.reason}".` : '';
}

export const EVICTION_BACKOFF_BASE_MS = 1_000;
export const EVICTION_BACKOFF_MAX_MS = 30_000;

export function evictionBackoffMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(EVICTION_BACKOFF_MAX_MS, EVICTION_BACKOFF_BASE_MS * 2 ** (attempts - 1));
}

/**
 * Shutdown protection must be put back when we disabled it, or may have: a disable whose result was never
 * recorded (crash) counts, since re-enabling what is already enabled is harmless.
 */
export function mustRestoreProtection(st: NodeBounceStatus): boolean {
  const sp = st.shutdownProtection;
  if (!sp?.wasEnabled || sp.restored || sp.releasedTime || !st.expressResourceName) return false;
  return sp.disabledByOperator || getCondition(st.conditions, C.ShutdownProtectionDisabled)?.status === 'Unknown';
}

/** Undo what we did (shutdown protection), then let go of the finalizer. Used when finished and when deleted. */
function undoAndRelease(b: Builder): boolean {
  if (mustRestoreProtection(b.status)) {
    if (!releaseRequested(b.nb)) return restoreProtection(b);
    releaseProtection(b);
  }
  if (hasFinalizer(b.nb)) {
    b.actions.push({ type: 'RemoveFinalizer' });
    return true;
  }
  return false;
}

/** The restore, or a wait for its backoff after a failure. Once given up, nothing: the finalizer stays until released. */
function restoreProtection(b: Builder): true {
  const sp = b.status.shutdownProtection!;
  if (sp.restoreFailed) return true;
  const at = nextRestoreAttemptAt(sp);
  if (at > b.now.getTime()) b.requeueAt(at);
  else b.actions.push({ type: 'SetShutdownProtection', expressName: b.status.expressResourceName!, enabled: true });
  return true;
}

/** A cluster operator released the NodeBounce: record it (the finalizer goes next), protection stays as it is. */
function releaseProtection(b: Builder): void {
  const sp = b.status.shutdownProtection!;
  sp.releasedTime = b.nowIso;
  sp.releasedBy =
    annotationSetBy(b.nb.metadata, RELEASE_PROTECTION_ANNOTATION) ?? 'unknown (see the API server audit log)';
  const message = `Released by the annotation ${RELEASE_PROTECTION_ANNOTATION}="true", set by ${sp.releasedBy}: shutdown protection on ${b.status.expressResourceName} was NOT restored${sp.lastError ? ` (last error: ${sp.lastError})` : ''}. Check it by hand; the operator lets go of this NodeBounce.`;
  b.condition(C.ShutdownProtectionRestored, 'False', 'Released', message);
  b.events.push({ type: 'Warning', reason: 'ShutdownProtectionReleased', message });
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
        message:
          'ttlSecondsAfterFinished is ignored: this NodeBounce carries Argo CD tracking metadata, and Argo CD would ' +
          're-create it after deletion, bouncing the pod again. Remove it from Git instead.',
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
    b.transition(
      R.WaitingForOtherBounce,
      `Waiting for NodeBounce ${blocker.name} (${blocker.phase ?? 'Pending'}) to finish: bounces of one pod run one at a time, oldest first. This one starts on its own afterwards.`,
      'Normal',
    );
    return b.done();
  }

  // Preflight, in order. Any failure: Failed, nothing touched.
  const pod = obs.pod;
  if (!pod || !pod.metadata?.uid) {
    return b.fail(
      R.PodNotFound,
      `${target(nb)} does not exist. Check spec.podName: a NodeBounce only bounces pods in its own namespace (${nb.metadata.namespace}). Create a new NodeBounce with the right name.`,
    );
  }
  const ex = obs.express;
  if (!ex || ex.kind === 'Unmapped') {
    return b.fail(
      R.ExpressResourceNotFound,
      `${target(nb)} does not belong to an Express resource (${obs.expressKind}): ${ex?.kind === 'Unmapped' ? ex.message : 'no mapping'}. Only Express node pods can be bounced; check the pod name or the operator's express.podLabel setting.`,
    );
  }
  if (ex.kind === 'NotFound') {
    return b.fail(
      R.ExpressResourceNotFound,
      `${target(nb)} maps to ${obs.expressKind} ${ex.name}, which does not exist. The Express operator may be removing this node; check \`kubectl get ${obs.expressKind} ${ex.name} -n ${nb.metadata.namespace}\`.`,
    );
  }
  if (ex.kind === 'Invalid') {
    return b.fail(
      R.ExpressResourceInvalid,
      `${obs.expressKind} ${ex.name} cannot be read safely: ${ex.problems.join('; ')}. Fix the resource, or the operator's express field-path configuration, then create a new NodeBounce.`,
    );
  }
  const view = ex.view;
  b.status.expressResourceName = view.name;
  if (view.intentionallyDown) {
    const gitops = view.gitOpsManaged
      ? ' It is GitOps-managed (Argo CD tracking metadata): change the desired state in Git to bring it back.'
      : ' It is not GitOps-managed: whoever set it down must bring it back by changing its desired state.';
    return b.fail(
      R.IntentionallyDown,
      `${obs.expressKind} ${view.name} is intentionally down (desired state "${view.desiredState}"). The operator never overrides an intentional down state, not even with force.${gitops}`,
    );
  }
  if (view.rebuilding && !spec.force) {
    return b.fail(
      R.NodeRebuilding,
      `${obs.expressKind} ${view.name} is rebuilding its cache (state "${view.runtimeState}"). Bouncing it now restarts the rebuild and is not advised; wait until it is running. If you must, create a new NodeBounce with spec.force: true.`,
    );
  }

  const timeouts = effectiveTimeouts(spec, pod);
  b.status.effectiveTimeouts = timeouts;
  if (getCondition(b.status.conditions, C.PreflightPassed)?.status !== 'True') {
    const notes: string[] = [];
    if (view.rebuilding) notes.push(`node is rebuilding (state "${view.runtimeState}") but force is set`);
    if (view.catchingUp) notes.push(`node is catching up (state "${view.runtimeState}"), which is safe to bounce`);
    const message = `Preflight passed for ${target(nb)} (${obs.expressKind} ${view.name})${notes.length ? `: ${notes.join('; ')}` : ''}.`;
    b.condition(C.PreflightPassed, 'True', R.PreflightPassed, message);
    b.events.push({
      type: 'Normal',
      reason: view.rebuilding ? 'ForcedWhileRebuilding' : view.catchingUp ? 'NodeCatchingUp' : R.PreflightPassed,
      message,
    });
  }

  if (spec.dryRun) {
    const protection = view.shutdownProtection ? 'disable shutdown protection, ' : '';
    const message = `Dry run: all checks passed. A real bounce would ${protection}${spec.mode === 'Evict' ? 'evict' : 'delete'} pod ${spec.podName} (uid ${pod.metadata.uid}) and wait up to ${timeouts.terminationSeconds}s for it to terminate and ${timeouts.readySeconds}s for the replacement to be Ready. Nothing was touched.`;
    b.transition(R.DryRunPassed, message, 'Normal');
    b.status.completionTime = b.nowIso;
    b.condition(C.Succeeded, 'True', R.DryRunPassed, message);
    return terminal(b);
  }

  // From here on we touch things: the caller re-checks the queue on a fresh view first.
  b.startsBounce = true;
  if (view.shutdownProtection === true && !b.status.shutdownProtection) {
    b.status.shutdownProtection = { wasEnabled: true, disabledByOperator: false, restored: false };
    b.condition(
      C.ShutdownProtectionDisabled,
      'Unknown',
      'Disabling',
      `Disabling shutdown protection on ${obs.expressKind} ${view.name}.`,
    );
  }
  const sp = b.status.shutdownProtection;
  if (sp?.wasEnabled && getCondition(b.status.conditions, C.ShutdownProtectionDisabled)?.status === 'Unknown') {
    // Finalizer first: once protection is off, a deleted NodeBounce must still restore it.
    // The finalizer goes on in the same pass as the first attempt, so finding it means an attempt ran before.
    const repeated = hasFinalizer(nb);
    if (!repeated) b.actions.push({ type: 'AddFinalizer' });
    b.actions.push({
      type: 'SetShutdownProtection',
      expressName: view.name,
      enabled: false,
      ...(repeated ? { repeated: true } : {}),
    });
    b.transition(
      R.DisablingShutdownProtection,
      `Disabling shutdown protection on ${obs.expressKind} ${view.name} before the bounce.`,
    );
    return b.done();
  }
  if (!sp) {
    b.condition(
      C.ShutdownProtectionDisabled,
      'True',
      'NotEnabled',
      'Shutdown protection was not enabled; nothing to disable.',
    );
  }

  b.status.podUID = pod.metadata.uid;
  b.status.terminatingTime = b.nowIso;
  b.status.eviction = { attempts: 0 };
  if (pod.metadata.deletionTimestamp) return alreadyTerminating(b, spec, pod, timeouts.terminationSeconds);
  b.condition(C.PodTerminated, 'Unknown', R.Evicting, `Terminating pod ${spec.podName} (uid ${pod.metadata.uid}).`);
  b.transition(
    R.Evicting,
    `${spec.mode === 'Evict' ? 'Evicting' : 'Deleting'} pod ${spec.podName} (uid ${pod.metadata.uid}) gracefully.${reasonSuffix(spec)}`,
    'Normal',
  );
  b.actions.push(evictAction(spec, pod.metadata.uid));
  b.requeueAt(b.now.getTime() + timeouts.terminationSeconds * 1000);
  return b.done();
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
  const message =
    `Pod ${spec.podName} (uid ${pod.metadata?.uid}) is already terminating (deletion requested at ${since}` +
    `${grace !== undefined ? `, grace period ${grace}s` : ''}). Waiting up to ${terminationSeconds}s for it to go ` +
    `instead of evicting it again, which could shorten the grace period in progress.${reasonSuffix(spec)}`;
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
    st.podDeletedTime ??= st.terminatedTime;
    b.condition(C.PodTerminated, 'True', 'PodGone', `Pod ${spec.podName} (uid ${st.podUID}) is gone.`);
    b.condition(
      C.PodReady,
      'Unknown',
      R.WaitingForReady,
      `Waiting up to ${timeouts.readySeconds}s for the replacement to be Ready.`,
    );
    b.transition(
      R.WaitingForReady,
      `Pod ${spec.podName} (uid ${st.podUID}) terminated; waiting up to ${timeouts.readySeconds}s (${timeouts.readySource === 'Spec' ? 'from spec' : timeouts.readySource === 'StartupProbe' ? 'from the startup probe' : 'default'}) for its replacement to be Ready.`,
      'Normal',
    );
    // The replacement may already be Ready: decide again right away.
    return starting(b, spec, obs);
  }

  const deadline = ms(st.terminatingTime) + timeouts.terminationSeconds * 1000;
  if (b.now.getTime() >= deadline) {
    b.condition(
      C.PodTerminated,
      'False',
      R.TerminationTimeout,
      `Pod still present after ${timeouts.terminationSeconds}s.`,
    );
    st.lastObservedPodState = describePodState(obs.pod);
    const blocked = st.reason === R.BlockedByPDB;
    const advice = blocked
      ? `The eviction was refused by a PodDisruptionBudget the whole time (${st.eviction?.lastError ?? 'no detail'}). Check \`kubectl get pdb -n ${b.nb.metadata.namespace}\`, then create a new NodeBounce; use mode: Delete only if bypassing the budget is acceptable.`
      : st.podDeletedTime
        ? 'The pod was asked to terminate but is still there: check for finalizers or a stuck kubelet on its node. The operator never forces deletion.'
        : `The pod could not be evicted (${st.eviction?.lastError ?? 'no detail'}).`;
    return b.fail(
      R.TerminationTimeout,
      `Pod ${spec.podName} (uid ${st.podUID}) did not terminate within ${timeouts.terminationSeconds}s. Last observed: ${st.lastObservedPodState}. ${advice}`,
    );
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
    b.actions.push(evictAction(spec, st.podUID!));
  }
  b.requeueAt(deadline);
  return b.done();
}

function findReplacement(spec: ValidSpec, st: NodeBounceStatus, obs: Observed): PodLike | undefined {
  const isNew = (p: PodLike | undefined): p is PodLike =>
    !!p?.metadata?.uid && p.metadata.uid !== st.podUID && !p.metadata.deletionTimestamp;
  if (isNew(obs.pod)) return obs.pod;
  // A differently named pod only counts when it was created after we started terminating the old one;
  // creationTimestamp has one-second resolution, so compare at that resolution.
  const since = Math.floor(ms(st.terminatingTime) / 1000) * 1000;
  const createdSince = (p: PodLike) => {
    const created = p.metadata?.creationTimestamp;
    const t = created instanceof Date ? created.getTime() : ms(created);
    return !Number.isNaN(t) && !Number.isNaN(since) && t >= since;
  };
  const candidates = obs.expressPods.filter((p) => isNew(p) && p.metadata?.name !== spec.podName && createdSince(p));
  return candidates.find(isPodReady) ?? candidates[0];
}

function starting(b: Builder, spec: ValidSpec, obs: Observed): Decision {
  const st = b.status;
  const timeouts = st.effectiveTimeouts ?? effectiveTimeouts(spec, obs.pod);
  const replacement = findReplacement(spec, st, obs);
  if (replacement?.metadata) {
    st.replacementPodName = replacement.metadata.name;
    st.replacementPodUID = replacement.metadata.uid;
  }

  if (!st.readyTime && replacement && isPodReady(replacement)) {
    st.readyTime = b.nowIso;
    b.condition(
      C.PodReady,
      'True',
      'ReplacementReady',
      `Pod ${replacement.metadata?.name} (uid ${replacement.metadata?.uid}) is Ready.`,
    );
  }
  if (st.readyTime) {
    if (mustRestoreProtection(st) && !releaseRequested(b.nb)) {
      const sp = st.shutdownProtection!;
      if (sp.restoreFailed) {
        return b.fail(
          R.ShutdownProtectionNotRestored,
          `Pod ${spec.podName} restarted (replacement ${st.replacementPodName ?? '?'} Ready), but shutdown protection on ${obs.expressKind} ${st.expressResourceName} could not be restored: gave up after ${sp.restoreAttempts ?? '?'} attempts (last error: ${sp.lastError ?? 'none'}). The node is unprotected. Fix the cause (for example the operator's RBAC on ${obs.expressKind}), re-enable its shutdown protection by hand, then release this NodeBounce: \`kubectl annotate nodebounce ${b.nb.metadata.name} -n ${b.nb.metadata.namespace} ${RELEASE_PROTECTION_ANNOTATION}=true\`.`,
        );
      }
      b.transition(
        R.RestoringShutdownProtection,
        `Replacement is Ready; restoring shutdown protection on ${obs.expressKind} ${st.expressResourceName}.`,
      );
      restoreProtection(b);
      return b.done();
    }
    const took = ((ms(st.readyTime) - ms(st.startTime)) / 1000).toFixed(1);
    const message = `Pod ${spec.podName} restarted: uid ${st.podUID} replaced by ${st.replacementPodName ?? '?'} (uid ${st.replacementPodUID ?? '?'}), Ready ${took}s after the request was accepted.${reasonSuffix(spec)}`;
    b.transition(R.PodRestarted, message, 'Normal');
    st.completionTime = b.nowIso;
    b.condition(C.Succeeded, 'True', R.PodRestarted, message);
    return terminal(b);
  }

  const deadline = ms(st.terminatedTime) + timeouts.readySeconds * 1000;
  if (b.now.getTime() >= deadline) {
    st.lastObservedPodState = describePodState(replacement);
    b.condition(C.PodReady, 'False', R.ReadyTimeout, `No Ready replacement after ${timeouts.readySeconds}s.`);
    const advice = replacement
      ? 'Inspect the replacement (`kubectl describe pod`), its logs and probes; the Express node may need manual attention.'
      : `No replacement pod appeared: check that the Express operator is running and that ${obs.expressKind} ${st.expressResourceName ?? '?'} is meant to be up.`;
    return b.fail(
      R.ReadyTimeout,
      `The replacement for pod ${spec.podName} was not Ready within ${timeouts.readySeconds}s (${timeouts.readySource === 'Spec' ? 'spec.readyTimeoutSeconds' : timeouts.readySource === 'StartupProbe' ? 'derived from the startup probe' : 'default'}). Last observed: ${st.lastObservedPodState}. ${advice}`,
    );
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
  let protection = '';
  if (hasFinalizer(b.nb) && !st.shutdownProtection?.restored && !st.shutdownProtection?.releasedTime) {
    if (name) {
      st.shutdownProtection = { ...st.shutdownProtection, wasEnabled: true, disabledByOperator: true, restored: false };
      protection = ` Shutdown protection on ${name} may have been disabled: it is restored now.`;
    } else {
      protection =
        " Shutdown protection may have been disabled, but status.expressResourceName is missing: check the Express resource's shutdown protection by hand.";
    }
  }
  return b.fail(
    R.InvalidStatus,
    `The NodeBounce status is invalid: ${problems.join('; ')}. The operator did not write it (was it edited by hand?), so where the bounce stood is unknown and it stops here: nothing more is done to the pod.${protection} Check ${target(b.nb)}, and create a new NodeBounce if it still needs a bounce.`,
  );
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
    st.startTime = b.nowIso;
    b.transition(
      R.Accepted,
      `Bounce of ${target(nb)} accepted; running preflight checks.${reasonSuffix(nb.spec ?? {})}`,
      'Normal',
    );
    b.condition(C.Succeeded, 'Unknown', R.Accepted, 'The bounce has not finished yet.');
    b.requeueAfterMs = 0;
    return b.done();
  }
  const statusCheck = validateStatus(st);
  if (!statusCheck.ok) return invalidStatus(b, statusCheck.problems);
  if (isTerminal(st.phase)) return terminal(b);

  const validation = validateSpec(nb.spec);
  if (!validation.ok) {
    return b.fail(
      R.InvalidSpec,
      `The NodeBounce spec is invalid: ${validation.problems.join('; ')}. Nothing was touched; create a corrected NodeBounce.`,
    );
  }
  const spec = validation.spec;
  switch (st.phase) {
    case 'Pending':
      return pending(b, spec, obs);
    case 'Terminating':
      return terminating(b, spec, obs);
    case 'Starting':
      return starting(b, spec, obs);
  }
  return b.done();
}
