import { ConditionTypes as C, RELEASE_PROTECTION_ANNOTATION, type NodeBounceStatus } from '../api/nodebounce.js';
import { hasFinalizer, type Builder } from './builder.js';
import { getCondition } from './conditions.js';
import * as M from './messages.js';
import { annotationSetBy, nextRestoreAttemptAt, releaseRequested } from './restore.js';

// Putting shutdown protection back after the bounce (or when it failed, or was deleted), and letting go of the
// NodeBounce. restore.ts has the backoff and the release annotation.

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
export function undoAndRelease(b: Builder): boolean {
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
export function restoreProtection(b: Builder): true {
  const sp = b.status.shutdownProtection!;
  if (sp.restoreFailed) return true;
  const at = nextRestoreAttemptAt(sp);
  if (at > b.now.getTime()) b.requeueAt(at);
  else b.actions.push({ type: 'SetShutdownProtection', expressName: b.status.expressResourceName!, enabled: true });
  return true;
}

/** A cluster operator released the NodeBounce: record it (the finalizer goes next), protection stays as it is. */
export function releaseProtection(b: Builder): void {
  const sp = b.status.shutdownProtection!;
  sp.releasedTime = b.nowIso;
  sp.releasedBy =
    annotationSetBy(b.nb.metadata, RELEASE_PROTECTION_ANNOTATION) ?? 'unknown (see the API server audit log)';
  const message = M.protectionReleased(b.status);
  b.condition(C.ShutdownProtectionRestored, 'False', 'Released', message);
  b.events.push({ type: 'Warning', reason: 'ShutdownProtectionReleased', message });
}
