// Which reconcile transitions and events become notifications. Pure: no I/O.
import type { NodeBounce, NodeBounceStatus, Phase } from '../api/nodebounce.js';
import type { RollingBounce, RollingBounceStatus } from '../api/rollingbounce.js';
import type { BounceEvent } from '../bounce/types.js';

export type NotificationKind =
  | 'BounceStarted'
  | 'BounceWarning'
  | 'BounceSucceeded'
  | 'BounceFailed'
  | 'RolloutStarted'
  | 'RolloutPaused'
  | 'RolloutSucceeded'
  | 'RolloutFailed';

export interface Notification {
  kind: NotificationKind;
  /** Per bounce (uid) and transition: the same key is sent at most once per operator process. */
  key: string;
  /** When the operator saw it (ISO 8601). */
  time: string;
  namespace: string;
  name: string;
  uid: string;
  podName: string;
  phase?: Phase;
  reason: string;
  message: string;
  /** spec.reason: why someone asked for the bounce. */
  requestedReason?: string;
  mode: string;
  force: boolean;
  dryRun: boolean;
  expressResourceName?: string;
  /** Succeeded/Failed: from status.startTime to status.completionTime. */
  durationSeconds?: number;
  /** Set for the Rollout* kinds: about a RollingBounce (name/uid above are the RollingBounce's; podName is ''). */
  rollout?: { progress: string; rolloutPhase: string };
}

/** Warning events worth a message: the bounce goes on but may need a human. */
export const WARNING_EVENT_REASONS: ReadonlySet<string> = new Set([
  'ShutdownProtectionNotDisabled',
  'ShutdownProtectionRestoreFailed',
  'ShutdownProtectionRestoreGaveUp',
  'ShutdownProtectionReleased',
  'BlockedByPDB',
]);
/** Transitions (status.reason) that are warnings. */
export const WARNING_TRANSITION_REASONS: ReadonlySet<string> = new Set(['WaitingForOtherBounce']);

function base(nb: NodeBounce, kind: NotificationKind, reason: string, message: string, now: Date): Notification {
  const uid = nb.metadata.uid ?? `${nb.metadata.namespace}/${nb.metadata.name}`;
  const spec = nb.spec ?? ({} as NodeBounce['spec']);
  const n: Notification = {
    kind,
    key: kind === 'BounceWarning' ? `${uid}/${kind}/${reason}` : `${uid}/${kind}`,
    time: now.toISOString(),
    namespace: nb.metadata.namespace,
    name: nb.metadata.name,
    uid,
    podName: spec.podName,
    phase: nb.status?.phase,
    reason,
    message,
    mode: spec.mode ?? 'Evict',
    force: spec.force === true,
    dryRun: spec.dryRun === true,
  };
  if (spec.reason) n.requestedReason = spec.reason;
  if (nb.status?.expressResourceName) n.expressResourceName = nb.status.expressResourceName;
  return n;
}

function seconds(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const d = new Date(to).getTime() - new Date(from).getTime();
  return Number.isFinite(d) && d >= 0 ? Math.round(d / 100) / 10 : undefined;
}

/** A persisted change of phase or reason. */
export function fromTransition(
  before: NodeBounceStatus | undefined,
  after: NodeBounce,
  now = new Date(),
): Notification | undefined {
  const st = after.status;
  if (!st?.phase) return undefined;
  const reason = st.reason ?? st.phase;
  const message = st.message ?? '';
  if (st.phase === 'Terminating' && before?.phase !== 'Terminating') {
    return base(after, 'BounceStarted', reason, message, now);
  }
  if ((st.phase === 'Succeeded' || st.phase === 'Failed') && before?.phase !== st.phase) {
    const n = base(after, st.phase === 'Succeeded' ? 'BounceSucceeded' : 'BounceFailed', reason, message, now);
    const d = seconds(st.startTime ?? after.metadata.creationTimestamp, st.completionTime);
    if (d !== undefined) n.durationSeconds = d;
    return n;
  }
  if (WARNING_TRANSITION_REASONS.has(reason) && before?.reason !== reason) {
    return base(after, 'BounceWarning', reason, message, now);
  }
  return undefined;
}

/** An event the operator recorded on the NodeBounce. */
export function fromEvent(nb: NodeBounce, event: BounceEvent, now = new Date()): Notification | undefined {
  if (event.type !== 'Warning' || !WARNING_EVENT_REASONS.has(event.reason)) return undefined;
  return base(nb, 'BounceWarning', event.reason, event.message, now);
}

/** A persisted change of a RollingBounce's phase or reason: started, paused, finished. */
export function fromRolloutTransition(
  before: RollingBounceStatus | undefined,
  after: RollingBounce,
  now = new Date(),
): Notification | undefined {
  const st = after.status;
  if (!st?.phase) return undefined;
  const uid = after.metadata.uid ?? `${after.metadata.namespace}/${after.metadata.name}`;
  const make = (kind: NotificationKind, key: string): Notification => {
    const n: Notification = {
      kind,
      key,
      time: now.toISOString(),
      namespace: after.metadata.namespace,
      name: after.metadata.name,
      uid,
      podName: '',
      reason: st.reason ?? st.phase!,
      message: st.message ?? '',
      mode: after.spec?.bounceTemplate?.mode ?? 'Evict',
      force: after.spec?.bounceTemplate?.force === true,
      dryRun: after.spec?.dryRun === true,
      rollout: { progress: st.progress ?? '', rolloutPhase: st.phase! },
    };
    if (after.spec?.bounceTemplate?.reason) n.requestedReason = after.spec.bounceTemplate.reason;
    return n;
  };
  if ((st.phase === 'Succeeded' || st.phase === 'Failed') && before?.phase !== st.phase) {
    const n = make(st.phase === 'Succeeded' ? 'RolloutSucceeded' : 'RolloutFailed', `${uid}/Rollout${st.phase}`);
    const d = seconds(st.startTime ?? after.metadata.creationTimestamp, st.completionTime ?? now.toISOString());
    if (d !== undefined) n.durationSeconds = d;
    return n;
  }
  if (st.phase === 'Paused' && before?.phase !== 'Paused')
    return make('RolloutPaused', `${uid}/RolloutPaused/${after.metadata.generation ?? 0}`);
  // Started: the first member's NodeBounce was started.
  const started = (s: RollingBounceStatus | undefined) => (s?.members ?? []).some((m) => m.startTime !== undefined);
  if (started(st) && !started(before)) {
    return make('RolloutStarted', `${uid}/RolloutStarted`);
  }
  return undefined;
}
