import {
  ACCEPTED_UID_ANNOTATION,
  RELEASE_PROTECTION_ANNOTATION,
  Reasons as R,
  type NodeBounce,
  type NodeBounceStatus,
} from '../api/nodebounce.js';
import type { ExpressView } from '../express/view.js';
import type { ValidSpec } from './spec.js';

// What decide() tells people: the status messages, condition messages and event texts of each step. Kept apart
// from the decision so the rules read as rules; docs/api.md describes the reasons these messages explain.
// Every message says what happened and, for a failure, what to do.

type Timeouts = NonNullable<NodeBounceStatus['effectiveTimeouts']>;

export function target(nb: NodeBounce): string {
  return `pod ${nb.metadata.namespace}/${nb.spec.podName}`;
}

export function reasonSuffix(spec: { reason?: string }): string {
  return spec.reason ? ` Reason given: "${spec.reason}".` : '';
}

// ---- new, and the checks that fail before anything is touched ----

export const accepted = (nb: NodeBounce) =>
  `Bounce of ${target(nb)} accepted; running preflight checks.${reasonSuffix(nb.spec ?? {})}`;

export const invalidSpec = (problems: string[]) =>
  `The NodeBounce spec is invalid: ${problems.join('; ')}. Nothing was touched; create a corrected NodeBounce.`;

export const waitingForOtherBounce = (blocker: { name: string; phase?: string }) =>
  `Waiting for NodeBounce ${blocker.name} (${blocker.phase ?? 'Pending'}) to finish: bounces of one pod run one at a time, oldest first. This one starts on its own afterwards.`;

export const podNotFound = (nb: NodeBounce) =>
  `${target(nb)} does not exist. Check spec.podName: a NodeBounce only bounces pods in its own namespace (${nb.metadata.namespace}). Create a new NodeBounce with the right name.`;

export const podNotWatched = (nb: NodeBounce, selector: string) =>
  `${target(nb)} does not match the operator's podLabelSelector "${selector}", so the operator does not watch it and would never see its replacement; nothing was touched. Label the pod's template so its pods match, or widen podLabelSelector in the operator config, then create a new NodeBounce.`;

export const expressUnmapped = (nb: NodeBounce, expressKind: string, why: string) =>
  `${target(nb)} does not belong to an Express resource (${expressKind}): ${why}. Only Express node pods can be bounced; check the pod name or the operator's express.podLabel setting.`;

export const expressNotFound = (nb: NodeBounce, expressKind: string, name: string) =>
  `${target(nb)} maps to ${expressKind} ${name}, which does not exist. The Express operator may be removing this node; check \`kubectl get ${expressKind} ${name} -n ${nb.metadata.namespace}\`.`;

export const expressInvalid = (expressKind: string, name: string, problems: string[]) =>
  `${expressKind} ${name} cannot be read safely: ${problems.join('; ')}. Fix the resource, or the operator's express field-path configuration, then create a new NodeBounce.`;

export function intentionallyDown(expressKind: string, view: ExpressView): string {
  const gitops = view.gitOpsManaged
    ? ' It is GitOps-managed (Argo CD tracking metadata): change the desired state in Git to bring it back.'
    : ' It is not GitOps-managed: whoever set it down must bring it back by changing its desired state.';
  return `${expressKind} ${view.name} is intentionally down (desired state "${view.desiredState}"). The operator never overrides an intentional down state, not even with force.${gitops}`;
}

export const nodeRebuilding = (expressKind: string, view: ExpressView) =>
  `${expressKind} ${view.name} is rebuilding its cache (state "${view.runtimeState}"). Bouncing it now restarts the rebuild and is not advised; wait until it is running. If you must, create a new NodeBounce with spec.force: true.`;

export function preflightPassed(nb: NodeBounce, expressKind: string, view: ExpressView): string {
  const notes: string[] = [];
  if (view.rebuilding) notes.push(`node is rebuilding (state "${view.runtimeState}") but force is set`);
  if (view.catchingUp) notes.push(`node is catching up (state "${view.runtimeState}"), which is safe to bounce`);
  return `Preflight passed for ${target(nb)} (${expressKind} ${view.name})${notes.length ? `: ${notes.join('; ')}` : ''}.`;
}

export function dryRunPassed(spec: ValidSpec, podUID: string, view: ExpressView, timeouts: Timeouts): string {
  const protection = view.shutdownProtection ? 'disable shutdown protection, ' : '';
  return `Dry run: all checks passed. A real bounce would ${protection}${spec.mode === 'Evict' ? 'evict' : 'delete'} pod ${spec.podName} (uid ${podUID}) and wait up to ${timeouts.terminationSeconds}s for it to terminate and ${timeouts.readySeconds}s for the replacement to be Ready. Nothing was touched.`;
}

// ---- shutdown protection ----

export const disablingProtectionCondition = (expressKind: string, name: string) =>
  `Disabling shutdown protection on ${expressKind} ${name}.`;

export const disablingProtection = (expressKind: string, name: string) =>
  `Disabling shutdown protection on ${expressKind} ${name} before the bounce.`;

/** An earlier disable whose answer was lost (a failed status write, a restart) is seen to have landed. */
export const protectionFoundDisabled = (kind: string, name: string) =>
  `Shutdown protection on ${kind} ${name} disabled for the bounce (an earlier attempt whose answer was lost; the resource shows it off); it is restored afterwards.`;

/** Protection off although the disable was recorded as refused (a later attempt landed, its record did not). */
export const protectionOffAfterRefusal = (kind: string, name: string) =>
  `Shutdown protection on ${kind} ${name} is off although the disable was recorded as refused (a later attempt landed without its answer being recorded, or someone else disabled it); it is restored afterwards.`;

export const protectionNotEnabled = 'Shutdown protection was not enabled; nothing to disable.';

/** A member waiting for its group's budget after its shutdown protection was disabled, right before the eviction. */
export const budgetWaitProtectionOff = (kind: string, name: string) =>
  `Shutdown protection of ${kind} ${name} is already disabled (restored when this ends or is deleted); the pod is not evicted until fewer are down, checked again every few seconds.`;

export const restoringProtection = (expressKind: string, name: string | undefined) =>
  `Replacement is Ready; restoring shutdown protection on ${expressKind} ${name}.`;

export function protectionReleased(st: NodeBounceStatus): string {
  const sp = st.shutdownProtection;
  return `Released by the annotation ${RELEASE_PROTECTION_ANNOTATION}="true", set by ${sp?.releasedBy}: shutdown protection on ${st.expressResourceName} was NOT restored${sp?.lastError ? ` (last error: ${sp.lastError})` : ''}. Check it by hand; the operator lets go of this NodeBounce.`;
}

export function protectionNotRestored(
  nb: NodeBounce,
  spec: ValidSpec,
  st: NodeBounceStatus,
  expressKind: string,
): string {
  const sp = st.shutdownProtection;
  return `Pod ${spec.podName} restarted (replacement ${st.replacementPodName ?? '?'} Ready), but shutdown protection on ${expressKind} ${st.expressResourceName} could not be restored: gave up after ${sp?.restoreAttempts ?? '?'} attempts (last error: ${sp?.lastError ?? 'none'}). The node is unprotected. Fix the cause (for example the operator's RBAC on ${expressKind}), re-enable its shutdown protection by hand, then release this NodeBounce: \`kubectl annotate nodebounce ${nb.metadata.name} -n ${nb.metadata.namespace} ${RELEASE_PROTECTION_ANNOTATION}=true\`.`;
}

// ---- terminating ----

export const terminatingCondition = (spec: ValidSpec, uid: string) => `Terminating pod ${spec.podName} (uid ${uid}).`;

export const evicting = (spec: ValidSpec, uid: string) =>
  `${spec.mode === 'Evict' ? 'Evicting' : 'Deleting'} pod ${spec.podName} (uid ${uid}) gracefully.${reasonSuffix(spec)}`;

export function alreadyTerminating(
  spec: ValidSpec,
  uid: string | undefined,
  since: string,
  grace: number | undefined,
  terminationSeconds: number,
): string {
  return (
    `Pod ${spec.podName} (uid ${uid}) is already terminating (deletion requested at ${since}` +
    `${grace !== undefined ? `, grace period ${grace}s` : ''}). Waiting up to ${terminationSeconds}s for it to go ` +
    `instead of evicting it again, which could shorten the grace period in progress.${reasonSuffix(spec)}`
  );
}

export const podGone = (spec: ValidSpec, podUID: string | undefined) => `Pod ${spec.podName} (uid ${podUID}) is gone.`;

export const terminationTimeoutCondition = (timeouts: Timeouts) =>
  `Pod still present after ${timeouts.terminationSeconds}s.`;

export function terminationTimeout(nb: NodeBounce, spec: ValidSpec, st: NodeBounceStatus, timeouts: Timeouts): string {
  const advice =
    st.reason === R.BlockedByPDB
      ? `The eviction was refused by a PodDisruptionBudget the whole time (${st.eviction?.lastError ?? 'no detail'}). Check \`kubectl get pdb -n ${nb.metadata.namespace}\`, then create a new NodeBounce; use mode: Delete only if bypassing the budget is acceptable.`
      : st.podDeletedTime
        ? 'The pod was asked to terminate but is still there: check for finalizers or a stuck kubelet on its node. The operator never forces deletion.'
        : `The pod could not be evicted (${st.eviction?.lastError ?? 'no detail'}).`;
  return `Pod ${spec.podName} (uid ${st.podUID}) did not terminate within ${timeouts.terminationSeconds}s. Last observed: ${st.lastObservedPodState}. ${advice}`;
}

// ---- starting ----

export const waitingForReadyCondition = (timeouts: Timeouts) =>
  `Waiting up to ${timeouts.readySeconds}s for the replacement to be Ready.`;

export const waitingForReady = (spec: ValidSpec, podUID: string | undefined, timeouts: Timeouts) =>
  `Pod ${spec.podName} (uid ${podUID}) terminated; waiting up to ${timeouts.readySeconds}s (${timeouts.readySource === 'Spec' ? 'from spec' : timeouts.readySource === 'StartupProbe' ? 'from the startup probe' : 'default'}) for its replacement to be Ready.`;

export const replacementReady = (replacement: { metadata?: { name?: string; uid?: string } }) =>
  `Pod ${replacement.metadata?.name} (uid ${replacement.metadata?.uid}) is Ready.`;

export function podRestarted(spec: ValidSpec, st: NodeBounceStatus, tookSeconds: string): string {
  const secs = (from?: string, to?: string) =>
    from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)}s` : '?';
  // The only Event between the eviction and the end on a successful bounce, so it says where the time went.
  const parts = st.terminatedTimeEstimated
    ? `old pod gone and replacement Ready ${secs(st.terminatingTime, st.readyTime)} after the eviction request; when the old pod went is unknown (the eviction's answer was not recorded, e.g. the operator restarted; it was found gone at ${st.terminatedTime})`
    : `old pod gone ${secs(st.podDeletedTime ?? st.terminatingTime, st.terminatedTime)} after the eviction, replacement Ready ${secs(st.terminatedTime, st.readyTime)} later`;
  return `Pod ${spec.podName} restarted: uid ${st.podUID} replaced by ${st.replacementPodName ?? '?'} (uid ${st.replacementPodUID ?? '?'}), Ready ${tookSeconds}s after the request was accepted (${parts}).${reasonSuffix(spec)}`;
}

export const readyTimeoutCondition = (timeouts: Timeouts) => `No Ready replacement after ${timeouts.readySeconds}s.`;

export function readyTimeout(
  spec: ValidSpec,
  st: NodeBounceStatus,
  timeouts: Timeouts,
  expressKind: string,
  replacementSeen: boolean,
): string {
  const advice = replacementSeen
    ? 'Inspect the replacement (`kubectl describe pod`), its logs and probes; the Express node may need manual attention.'
    : `No replacement pod appeared: check that the Express operator is running and that ${expressKind} ${st.expressResourceName ?? '?'} is meant to be up.`;
  return `The replacement for pod ${spec.podName} was not Ready within ${timeouts.readySeconds}s (${timeouts.readySource === 'Spec' ? 'spec.readyTimeoutSeconds' : timeouts.readySource === 'StartupProbe' ? 'derived from the startup probe' : 'default'}). Last observed: ${st.lastObservedPodState}. ${advice}`;
}

// ---- finished ----

export const ttlSkipped =
  'ttlSecondsAfterFinished is ignored: this NodeBounce carries Argo CD tracking metadata, and Argo CD would ' +
  're-create it after deletion, bouncing the pod again. Remove it from Git instead.';

/** `protection`: whether shutdown protection is restored now, or may be off on an Express resource we can't name. */
export function statusLost(
  nb: NodeBounce,
  loss: { acceptedUid: string | undefined; uid: string | undefined; restoredBy?: string },
): string {
  const how = loss.acceptedUid
    ? `The operator accepted this NodeBounce as object ${loss.acceptedUid} (annotation ${ACCEPTED_UID_ANNOTATION}), but it is now object ${loss.uid ?? '(no UID)'} with no status`
    : "This NodeBounce holds the operator's finalizer but has no status (and no acceptance marker, from an older operator)";
  const by = loss.restoredBy ? ` (${loss.restoredBy})` : '';
  return `${how}: it was restored from a backup${by} or re-created from an export, without its status. Where the original bounce stood is unknown (the pod may already have been bounced), so it is not started again: nothing was touched, not the pod and not the Express resource's shutdown protection. Check ${target(nb)} and its Express resource's shutdown protection by hand; create a new NodeBounce (without that annotation) if the pod still needs a bounce.`;
}

export function invalidStatus(
  nb: NodeBounce,
  problems: string[],
  protection: 'none' | 'restoring' | 'unknownResource',
  name?: string,
): string {
  const note =
    protection === 'restoring'
      ? ` Shutdown protection on ${name} may have been disabled: it is restored now.`
      : protection === 'unknownResource'
        ? " Shutdown protection may have been disabled, but status.expressResourceName is missing: check the Express resource's shutdown protection by hand."
        : '';
  return `The NodeBounce status is invalid: ${problems.join('; ')}. The operator did not write it (was it edited by hand?), so where the bounce stood is unknown and it stops here: nothing more is done to the pod.${note} Check ${target(nb)}, and create a new NodeBounce if it still needs a bounce.`;
}
