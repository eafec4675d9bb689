// A hand-edited status: validated like the spec. It used to make a deadline NaN (phase Starting without
// terminatedTime) and the work queue spun at ~800 reconciles/s.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reasons as R, type NodeBounceStatus } from '../../src/api/nodebounce.js';
import { decide } from '../../src/bounce/decide.js';
import { validateStatus } from '../../src/bounce/status.js';
import {
  EXPRESS,
  NEW_UID,
  OLD_UID,
  actionTypes,
  at,
  cond,
  iso,
  makeNodeBounce,
  makeObserved,
  makePod,
  reasonsOf,
  step,
} from './fixtures.js';

const starting: NodeBounceStatus = {
  phase: 'Starting',
  reason: R.WaitingForReady,
  message: 'waiting',
  startTime: iso(0),
  expressResourceName: EXPRESS,
  podUID: OLD_UID,
  terminatingTime: iso(1),
  podDeletedTime: iso(1),
  terminatedTime: iso(5),
  effectiveTimeouts: { terminationSeconds: 600, readySeconds: 600, readySource: 'Default' },
  shutdownProtection: { wasEnabled: true, disabledByOperator: true, restored: false },
  conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Accepted', message: 'x', lastTransitionTime: iso(0) }],
};
/** The replacement is not Ready yet: the decision waits on the ready deadline. */
const notReadyYet = () => makeObserved({ pod: makePod({ uid: NEW_UID, ready: false }) });

const finiteOrUndefined = (n: number | undefined) => n === undefined || (Number.isFinite(n) && n >= 0);

describe('validateStatus', () => {
  it('accepts what the operator writes', () => {
    expect(validateStatus(starting)).toEqual({ ok: true });
    expect(validateStatus({ phase: 'Pending', startTime: iso(0) })).toEqual({ ok: true });
    expect(validateStatus({ phase: 'Failed', reason: R.PodNotFound })).toEqual({ ok: true });
  });

  it.each<[string, NodeBounceStatus, string]>([
    [
      'Starting without terminatedTime',
      { ...starting, terminatedTime: undefined },
      'status.terminatedTime is missing (required in phase Starting)',
    ],
    [
      'Terminating without podUID',
      { ...starting, phase: 'Terminating', podUID: undefined },
      'status.podUID is missing (required in phase Terminating)',
    ],
    [
      'a timestamp that is not one',
      { ...starting, terminatedTime: 'yesterday' },
      'status.terminatedTime: must be an RFC 3339 timestamp',
    ],
    [
      'a string for a number',
      { ...starting, effectiveTimeouts: { ...starting.effectiveTimeouts!, readySeconds: '600' as unknown as number } },
      'status.effectiveTimeouts.readySeconds',
    ],
    ['an unknown phase', { ...starting, phase: 'Restarting' as never }, 'status.phase: must be one of'],
  ])('rejects %s', (_, status, problem) => {
    const v = validateStatus(status);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.problems.join('; ')).toContain(problem);
  });
});

describe('decide() on an invalid status', () => {
  it('phase Starting without terminatedTime: Failed/InvalidStatus once, then settles (no NaN, no spin)', () => {
    const nb = makeNodeBounce({ status: { ...starting, terminatedTime: undefined }, finalizer: true });
    const d = decide(nb, notReadyYet(), at(10));
    expect(d.status.phase).toBe('Failed');
    expect(d.status.reason).toBe(R.InvalidStatus);
    expect(d.status.message).toContain('status.terminatedTime is missing');
    expect(d.status.message).toContain('create a new NodeBounce');
    expect(d.status.completionTime).toBe(iso(10));
    expect(cond(d.status, 'Succeeded')).toMatchObject({ status: 'False', reason: R.InvalidStatus });
    expect(reasonsOf(d.events)).toEqual([R.InvalidStatus]);
    expect(d.events[0]!.type).toBe('Warning');
    expect(actionTypes(d.actions)).toEqual([]);
    expect(d.requeueAfterMs).toBe(0);
    expect(validateStatus(d.status)).toEqual({ ok: true });

    // The next passes restore shutdown protection (it was disabled), release the finalizer, then rest.
    let s = step(nb, notReadyYet(), at(10));
    s = step(s.nb, notReadyYet(), at(11));
    expect(s.actions).toEqual([{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }]);
    s = step(s.nb, notReadyYet(), at(12));
    expect(actionTypes(s.actions)).toEqual(['RemoveFinalizer']);
    s = step(s.nb, notReadyYet(), at(13));
    expect(s.actions).toEqual([]);
    expect(s.decision.requeueAfterMs).toBeUndefined();
    expect(s.nb.status?.reason).toBe(R.InvalidStatus);
  });

  it('restores protection when the finalizer is held even if status.shutdownProtection was edited away', () => {
    const nb = makeNodeBounce({
      status: { ...starting, terminatedTime: 'garbage', shutdownProtection: undefined },
      finalizer: true,
    });
    const d = decide(nb, notReadyYet(), at(10));
    expect(d.status.shutdownProtection).toEqual({ wasEnabled: true, disabledByOperator: true, restored: false });
    expect(d.status.message).toContain(`Shutdown protection on ${EXPRESS} may have been disabled: it is restored now.`);
    expect(decide({ ...nb, status: d.status }, notReadyYet(), at(11)).actions).toEqual([
      { type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true },
    ]);
  });

  it('without our finalizer nothing was disabled: no restore; without the Express name, says to check by hand', () => {
    const noFinalizer = decide(
      makeNodeBounce({ status: { ...starting, terminatedTime: undefined, shutdownProtection: undefined } }),
      notReadyYet(),
      at(10),
    );
    expect(noFinalizer.status.shutdownProtection).toBeUndefined();
    expect(noFinalizer.status.message).not.toContain('Shutdown protection');

    const noName = decide(
      makeNodeBounce({
        status: { ...starting, terminatedTime: undefined, expressResourceName: undefined },
        finalizer: true,
      }),
      notReadyYet(),
      at(10),
    );
    expect(noName.status.message).toContain('status.expressResourceName is missing: check the Express resource');
  });

  it('a finished bounce with a garbled completionTime and a TTL gets a usable one (the TTL deadline was NaN)', () => {
    const nb = makeNodeBounce({
      spec: { ttlSecondsAfterFinished: 60 },
      status: { phase: 'Succeeded', reason: R.PodRestarted, completionTime: 'soon' },
    });
    const d = decide(nb, makeObserved(), at(10));
    expect(d.status.reason).toBe(R.InvalidStatus);
    expect(d.status.completionTime).toBe(iso(10));
    const next = decide({ ...nb, status: d.status }, makeObserved(), at(20));
    expect(next.requeueAfterMs).toBe(50_000);
  });

  it('property: whatever is written into the timing fields, a decision never asks for a NaN or negative requeue', () => {
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant(''),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('Pending', 'Terminating', 'Starting', 'Succeeded', 'Failed'),
        fc.record({
          terminatingTime: junk,
          terminatedTime: junk,
          readyTime: junk,
          completionTime: junk,
          podUID: junk,
          startTime: junk,
        }),
        fc.option(
          fc.record({
            terminationSeconds: fc.oneof(fc.integer(), fc.string()),
            readySeconds: fc.oneof(fc.integer(), fc.string()),
          }),
          { nil: undefined },
        ),
        fc.boolean(),
        (phase, fields, timeouts, finalizer) => {
          const status = {
            ...starting,
            phase,
            ...fields,
            ...(timeouts ? { effectiveTimeouts: { ...timeouts, readySource: 'Spec' } } : {}),
          } as unknown as NodeBounceStatus;
          const nb = makeNodeBounce({ status, finalizer, spec: { ttlSecondsAfterFinished: 30 } });
          let current = nb;
          for (let i = 0; i < 4; i++) {
            const d = decide(current, notReadyYet(), at(20 + i));
            expect(finiteOrUndefined(d.requeueAfterMs)).toBe(true);
            current = { ...current, status: d.status };
          }
        },
      ),
      { seed: 20261202, numRuns: 300 },
    );
  });
});
