import { Reasons as R, type NodeBounceStatus } from '../api/nodebounce.js';

// Failures that mean "not observed": the pod or its Express resource was missing. The watch caches can miss
// objects that exist (a lagging or reconnecting watch: API server restart, network cut), and failing a bounce is
// final, so such a decision is confirmed on live reads before it is persisted (Decision.confirmAbsence).

export const ABSENCE_REASONS: ReadonlySet<string> = new Set<string>([R.PodNotFound, R.ExpressResourceNotFound]);

/** True when `next` newly fails the bounce for something missing (a bounce that had already failed stays failed). */
export function failsOnAbsence(previous: NodeBounceStatus | undefined, next: NodeBounceStatus): boolean {
  return next.phase === 'Failed' && previous?.phase !== 'Failed' && ABSENCE_REASONS.has(next.reason ?? '');
}
