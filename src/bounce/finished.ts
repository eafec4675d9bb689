import { ConditionTypes as C, type NodeBounceStatus } from '../api/nodebounce.js';
import { setCondition } from './conditions.js';

/**
 * The Finished condition: True once the bounce is over either way, with the outcome (Succeeded or Failed) as its
 * reason and the status reason and message in its message. `kubectl wait --for=condition=Finished` returns at once
 * on a failure too (a wait on Succeeded would sit out its timeout), then a script reads the phase. Absent while
 * the bounce runs, like a Job's Complete/Failed. Set in the same status object as the phase, so no extra write.
 */
export function markFinished(status: NodeBounceStatus, now: Date, observedGeneration?: number): void {
  const phase = status.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed') return;
  status.conditions = setCondition(
    status.conditions,
    C.Finished,
    'True',
    phase,
    `${status.reason ?? phase}: ${status.message ?? ''}`.trim(),
    now,
    observedGeneration,
  );
}
