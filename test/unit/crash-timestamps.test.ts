// A crash between the eviction and the next status write: status says Evicting (the intent) but not that the eviction
// was accepted (podDeletedTime). Found gone after the restart, the old pod's deletion time is unknown, and the time
// it was found gone is only an upper bound of when it went: status must not claim both are the restart time, the
// message must not say "gone 0.0s after the eviction", and the per-phase duration metrics must not be skewed.
import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import { decide } from '../../src/bounce/decide.js';
import { phaseDurations } from '../../src/observability/metrics.js';
import { at, makeNodeBounce, makeObserved, makePod, NEW_UID, step } from './fixtures.js';

/** Accepted and evicting at t=0; the operator dies after writing the intent, before the eviction's answer. */
function crashedAfterEviction(): NodeBounce {
  const nb = makeNodeBounce();
  const d = decide(nb, makeObserved({ pod: makePod() }), at(0));
  expect(d.status).toMatchObject({ phase: 'Terminating', reason: 'Evicting' });
  expect(d.actions.map((a) => a.type)).toContain('EvictPod');
  return { ...nb, status: d.status };
}

describe('crash between the eviction and the next status write', () => {
  it('found gone after the restart: podDeletedTime unknown, terminatedTime marked estimated, honest message and metrics', () => {
    const nb = crashedAfterEviction();
    // Restarted at t=100: the old pod is long gone, its replacement Ready.
    const replacement = makePod({ uid: NEW_UID, ready: true, creationTimestamp: at(30).toISOString() });
    const r = step(nb, makeObserved({ pod: replacement }), at(100));
    const st = r.nb.status!;
    expect(st).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted', terminatedTimeEstimated: true });
    expect(st.podDeletedTime).toBeUndefined();
    expect(st.terminatedTime).toBe(at(100).toISOString());
    expect(st.message).not.toMatch(/gone 0\.0s after the eviction/);
    expect(st.message).toContain('Ready 100.0s after the eviction request');
    expect(st.message).toContain('when the old pod went is unknown');
    const d = phaseDurations(st);
    expect(d.terminating).toBeUndefined();
    expect(d.starting).toBeUndefined();
    expect(d.total).toBe(100);
  });

  it('the eviction answer on record (no crash): exact times as before, nothing estimated', () => {
    let nb = makeNodeBounce();
    const pod = makePod();
    nb = step(nb, makeObserved({ pod }), at(0)).nb; // evicted, answer recorded
    expect(nb.status?.podDeletedTime).toBe(at(0).toISOString());
    nb = step(nb, makeObserved({ pod: makePod({ uid: NEW_UID, ready: false }) }), at(12)).nb;
    nb = step(nb, makeObserved({ pod: makePod({ uid: NEW_UID, ready: true }) }), at(20)).nb;
    const st = nb.status!;
    expect(st).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
    expect(st.terminatedTimeEstimated).toBeUndefined();
    expect(st.message).toContain('old pod gone 12.0s after the eviction, replacement Ready 8.0s later');
    expect(phaseDurations(st)).toMatchObject({ terminating: 12, starting: 8 });
  });
});
