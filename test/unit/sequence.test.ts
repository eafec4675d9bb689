import { describe, expect, it } from 'vitest';
import { failsOnAbsence } from '../../src/bounce/absence.js';
import { needsReplacementScan } from '../../src/bounce/replacement.js';
import { ACTION_RULES, afterAction, initialRequeueAfterMs } from '../../src/bounce/sequence.js';
import type { Action, ActionOutcome, OutcomeResult } from '../../src/bounce/types.js';
import { OLD_UID, NEW_UID, makePod } from './fixtures.js';

// The rules the reconciler follows between decide() and the API, as data (src/bounce/sequence.ts, absence.ts,
// replacement.ts). The scenario, crash and integration tests prove the reconciler follows them.

const ok: ActionOutcome = { ok: true };
const notFound: ActionOutcome = { ok: false, code: 404, message: 'not found' };
const refused: ActionOutcome = { ok: false, code: 403, message: 'forbidden' };
const result = (o: Partial<OutcomeResult> = {}): OutcomeResult => ({
  status: {},
  events: [],
  transitions: [],
  retry: false,
  ...o,
});
const evict: Action = { type: 'EvictPod', podName: 'p', uid: OLD_UID, mode: 'Evict' };

describe('afterAction', () => {
  it('goes on after a success, carrying the outcome requeue', () => {
    expect(afterAction(evict, ok, result({ requeueAfterMs: 0 }))).toEqual({ next: 'continue', requeueAfterMs: 0 });
  });
  it('ends the pass after a failure that status absorbed', () => {
    expect(afterAction(evict, refused, result({ requeueAfterMs: 2000 }))).toEqual({
      next: 'stop',
      requeueAfterMs: 2000,
    });
  });
  it('retries with backoff when status does not absorb the failure', () => {
    expect(
      afterAction({ type: 'AddFinalizer' }, { ok: false, code: 500, message: 'etcd' }, result({ retry: true })),
    ).toEqual({
      next: 'retry',
      error: 'AddFinalizer failed (500 etcd); retrying with backoff',
    });
  });
  it('knows when the NodeBounce is gone', () => {
    expect(afterAction({ type: 'DeleteNodeBounce' }, ok, result()).next).toBe('gone');
    expect(afterAction({ type: 'DeleteNodeBounce' }, notFound, result()).next).toBe('gone');
    expect(afterAction({ type: 'RemoveFinalizer' }, notFound, result()).next).toBe('gone');
    expect(afterAction({ type: 'RemoveFinalizer' }, ok, result()).next).toBe('continue');
    expect(afterAction(evict, notFound, result()).next).toBe('stop');
  });
  it('records status after every action except deleting the NodeBounce', () => {
    const recorded = Object.entries(ACTION_RULES)
      .filter(([, r]) => r.recordsStatus)
      .map(([t]) => t);
    expect(recorded.sort()).toEqual(['AddFinalizer', 'EvictPod', 'RemoveFinalizer', 'SetShutdownProtection']);
  });
  it('requeues as decided without actions, right away with them', () => {
    expect(initialRequeueAfterMs({ actions: [], requeueAfterMs: 5000 })).toBe(5000);
    expect(initialRequeueAfterMs({ actions: [], requeueAfterMs: undefined })).toBeUndefined();
    expect(initialRequeueAfterMs({ actions: [evict], requeueAfterMs: 5000 })).toBe(0);
  });
});

describe('failsOnAbsence', () => {
  it('asks to confirm a new failure for something missing, and nothing else', () => {
    expect(failsOnAbsence({ phase: 'Pending' }, { phase: 'Failed', reason: 'PodNotFound' })).toBe(true);
    expect(failsOnAbsence(undefined, { phase: 'Failed', reason: 'ExpressResourceNotFound' })).toBe(true);
    expect(failsOnAbsence({ phase: 'Failed' }, { phase: 'Failed', reason: 'PodNotFound' })).toBe(false);
    expect(failsOnAbsence({ phase: 'Pending' }, { phase: 'Failed', reason: 'NodeRebuilding' })).toBe(false);
    expect(failsOnAbsence({ phase: 'Pending' }, { phase: 'Pending', reason: 'WaitingForOtherBounce' })).toBe(false);
  });
});

describe('needsReplacementScan', () => {
  const starting = { phase: 'Starting' as const, podUID: OLD_UID };
  it('scans while Starting and the pod of that name is not a new incarnation', () => {
    expect(needsReplacementScan(starting, undefined, 'node-a')).toBe(true);
    expect(needsReplacementScan(starting, makePod({ uid: OLD_UID }), 'node-a')).toBe(true);
    expect(needsReplacementScan(starting, makePod({ uid: NEW_UID, deleting: true }), 'node-a')).toBe(true);
  });
  it('does not scan otherwise', () => {
    expect(needsReplacementScan(starting, makePod({ uid: NEW_UID }), 'node-a')).toBe(false);
    expect(needsReplacementScan(starting, undefined, undefined)).toBe(false);
    expect(needsReplacementScan({ phase: 'Terminating', podUID: OLD_UID }, undefined, 'node-a')).toBe(false);
  });
});
