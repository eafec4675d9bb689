// A NodeBounce whose status was lost (restored from a backup without status, e.g. Velero, which keeps finalizers):
// the operator's finalizer without status means an earlier run handled it. It must not be taken for a new request
// (that would bounce the current pod again): Failed/StatusLost, nothing touched, the finalizer let go.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/bounce/decide.js';
import { isDeclared } from '../../src/bounce/lifecycle.js';
import { actionTypes, at, EXPRESS, found, makeNodeBounce, makeObserved, makePod, step } from './fixtures.js';

describe('StatusLost', () => {
  it('finalizer but no status: Failed/StatusLost, no eviction, no protection change; the finalizer goes next', () => {
    const nb = makeNodeBounce({ finalizer: true });
    const obs = makeObserved({ pod: makePod(), express: found({ shutdownProtection: false }) });
    const first = step(nb, obs, at(0));
    expect(first.nb.status).toMatchObject({ phase: 'Failed', reason: 'StatusLost' });
    expect(first.nb.status?.message).toContain('not started again');
    expect(first.nb.status?.message).toContain(`shutdown protection of its Express resource ${EXPRESS}`);
    expect(first.actions).toEqual([]);
    expect(first.decision.startsBounce).toBe(false);
    expect(first.transitions.every((t) => isDeclared(t))).toBe(true);
    expect(first.events.map((e) => `${e.type}/${e.reason}`)).toEqual(['Warning/StatusLost']);
    const second = step(first.nb, obs, at(1));
    expect(actionTypes(second.actions)).toEqual(['RemoveFinalizer']);
    expect(second.nb.status).toMatchObject({ phase: 'Failed', reason: 'StatusLost' });
    expect(second.nb.metadata.finalizers ?? []).toEqual([]);
    const third = decide(second.nb, obs, at(2));
    expect(third.actions).toEqual([]);
  });

  it('with shutdown protection on: still nothing touched (no disable, no restore of a state it cannot know)', () => {
    const nb = makeNodeBounce({ finalizer: true });
    const obs = makeObserved({ pod: makePod(), express: found({ shutdownProtection: true }) });
    const first = step(nb, obs, at(0));
    expect(first.nb.status?.reason).toBe('StatusLost');
    expect(first.actions).toEqual([]);
    expect(actionTypes(step(first.nb, obs, at(1)).actions)).toEqual(['RemoveFinalizer']);
  });

  it('no finalizer and no status is a new request as before', () => {
    const r = step(makeNodeBounce(), makeObserved({ pod: makePod(), express: found() }), at(0));
    expect(r.nb.status?.phase).toBe('Terminating');
    expect(actionTypes(r.actions)).toContain('EvictPod');
  });
});
