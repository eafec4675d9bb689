import { ACCEPTED_UID_ANNOTATION, type NodeBounce } from '../api/nodebounce.js';
import { hasFinalizer } from './builder.js';

// A NodeBounce whose status was lost: the operator had accepted it (and may have bounced the pod), then the object
// came back without its status, as a backup tool restores it (Velero restores metadata, annotations and finalizers
// included, but not status unless told to; a restore is a create, so the API server gives it a new UID). Started
// again, it would bounce the current pod a second time. docs/reliability.md has the crash-by-crash reasoning.
//
// The marker: when the operator takes its finalizer (before its first status write and before any side effect), the
// same request writes ACCEPTED_UID_ANNOTATION = the object's own UID. So, for a NodeBounce with no status:
// - no marker, no finalizer: never accepted (or accepted by an operator before the marker, which took the finalizer
//   only after writing status): a new request;
// - marker = its own UID: the operator crashed after taking the finalizer and before its first status write, on
//   this very object: nothing was touched, a new request;
// - marker = another UID: a copy of an object the operator had accepted: the status is lost;
// - finalizer without a marker: held by an operator version before the marker, so it had already written a status
//   (or crashed right after taking it): treated as lost, the side that touches nothing.

export type StatusLoss =
  { lost: false } | { lost: true; acceptedUid: string | undefined; uid: string | undefined; restoredBy?: string };

/** Labels a backup tool puts on what it restores: named in the message when present (never needed to decide). */
const RESTORE_LABELS: ReadonlyArray<[string, string]> = [['velero.io/restore-name', 'Velero restore']];

/** Whether `nb` (with no status phase) is a copy of a NodeBounce the operator had already accepted. */
export function statusLost(nb: NodeBounce): StatusLoss {
  if (nb.status?.phase) return { lost: false };
  const meta = nb.metadata;
  const acceptedUid = meta.annotations?.[ACCEPTED_UID_ANNOTATION];
  const copied = acceptedUid !== undefined && acceptedUid !== meta.uid;
  const heldUnmarked = acceptedUid === undefined && hasFinalizer(nb);
  if (!copied && !heldUnmarked) return { lost: false };
  const label = RESTORE_LABELS.find(([key]) => meta.labels?.[key]);
  return {
    lost: true,
    acceptedUid,
    uid: meta.uid,
    ...(label ? { restoredBy: `${label[1]} ${meta.labels![label[0]]}` } : {}),
  };
}

/** The annotations written with our finalizer (same request): the acceptance marker naming this object's UID. */
export function acceptanceMarker(nb: NodeBounce): Record<string, string> {
  return nb.metadata.uid ? { [ACCEPTED_UID_ANNOTATION]: nb.metadata.uid } : {};
}
