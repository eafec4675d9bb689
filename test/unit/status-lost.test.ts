import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_UID_ANNOTATION,
  NODEBOUNCE_FINALIZER,
  Reasons as R,
  type ObjectMeta,
} from '../../src/api/nodebounce.js';
import { decide } from '../../src/bounce/decide.js';
import { acceptanceMarker, statusLost } from '../../src/bounce/status-lost.js';
import { OLD_UID, acceptedStatus, actionTypes, at, makeNodeBounce, makeObserved, makePod, step } from './fixtures.js';

// Item 6 of issue 18: a NodeBounce restored without its status (Velero restores metadata but not status; a restore
// is a create, so the object has a new UID) must not bounce the pod again. The marker is the UID the operator
// accepted the object as, written with the finalizer (src/bounce/status-lost.ts).

const UID = 'nb-uid-1'; // makeNodeBounce's UID
const marker = (uid: string) => ({ annotations: { [ACCEPTED_UID_ANNOTATION]: uid } });
const held = { finalizers: [NODEBOUNCE_FINALIZER] };

describe('statusLost', () => {
  // Each row: what a NodeBounce with no status carries, and whether it is a lost status.
  const rows: Array<{ name: string; meta: Partial<ObjectMeta>; lost: boolean }> = [
    { name: 'new: no marker, no finalizer', meta: {}, lost: false },
    { name: 'crash after the hold: finalizer + marker of this object', meta: { ...held, ...marker(UID) }, lost: false },
    { name: 'marker of this object, finalizer gone', meta: marker(UID), lost: false },
    {
      name: 'restored while running: finalizer + marker of another object',
      meta: { ...held, ...marker('u0') },
      lost: true,
    },
    { name: 'restored after it finished: marker of another object, no finalizer', meta: marker('u0'), lost: true },
    { name: 'restored, held by an operator before the marker: finalizer only', meta: held, lost: true },
    { name: 'someone else’s finalizer only', meta: { finalizers: ['example.com/keep'] }, lost: false },
  ];
  for (const row of rows) {
    it(`${row.name} -> ${row.lost ? 'lost' : 'a new request'}`, () => {
      expect(statusLost(makeNodeBounce({ meta: row.meta })).lost).toBe(row.lost);
    });
  }

  it('a NodeBounce with a status is never a lost one, whatever its marker', () => {
    const nb = makeNodeBounce({ status: acceptedStatus(), meta: { ...held, ...marker('u0') } });
    expect(statusLost(nb).lost).toBe(false);
  });

  it("names Velero's restore when its label is there", () => {
    const nb = makeNodeBounce({ meta: { ...marker('u0'), labels: { 'velero.io/restore-name': 'r-1' } } });
    expect(statusLost(nb)).toEqual({ lost: true, acceptedUid: 'u0', uid: UID, restoredBy: 'Velero restore r-1' });
  });

  it('the marker is the object’s own UID', () => {
    expect(acceptanceMarker(makeNodeBounce())).toEqual({ [ACCEPTED_UID_ANNOTATION]: UID });
  });
});

describe('decide: a NodeBounce restored without status', () => {
  it('ends Failed/StatusLost and touches nothing, though the pod is Ready and could be bounced', () => {
    const nb = makeNodeBounce({ meta: { ...held, ...marker('u0') } });
    const d = decide(nb, makeObserved({ pod: makePod({ uid: OLD_UID }) }), at(0));
    expect(d.status.phase).toBe('Failed');
    expect(d.status.reason).toBe(R.StatusLost);
    expect(d.status.message).toContain('u0');
    expect(d.status.message).toContain('create a new NodeBounce');
    expect(d.actions).toEqual([]);
    expect(d.startsBounce).toBe(false);
    expect(d.transitions).toEqual([{ from: 'New', to: 'Failed', reason: R.StatusLost }]);
    expect(d.status.podUID).toBeUndefined();
  });

  it('next pass only lets go of the finalizer (no restore of protection it never disabled)', () => {
    const first = step(makeNodeBounce({ meta: { ...held, ...marker('u0') } }), makeObserved(), at(0));
    const second = step(first.nb, makeObserved(), at(1));
    expect(actionTypes(second.actions)).toEqual(['RemoveFinalizer']);
    expect(second.nb.status?.reason).toBe(R.StatusLost);
  });

  it('one restored after it finished (no finalizer) ends StatusLost with no action at all', () => {
    const first = step(makeNodeBounce({ meta: marker('u0') }), makeObserved(), at(0));
    const second = step(first.nb, makeObserved(), at(1));
    expect(first.nb.status?.reason).toBe(R.StatusLost);
    expect([...first.actions, ...second.actions]).toEqual([]);
  });

  it('a crash right after the hold (finalizer + own marker, no status) proceeds normally to the eviction', () => {
    const d = decide(makeNodeBounce({ meta: { ...held, ...marker(UID) } }), makeObserved(), at(0));
    expect(d.status.reason).toBe(R.Evicting);
    expect(actionTypes(d.actions)).toEqual(['EvictPod']);
  });

  it('a new request takes the finalizer and the marker together, so its later passes are never taken as lost', () => {
    const first = step(makeNodeBounce(), makeObserved(), at(0));
    expect(actionTypes(first.actions)).toEqual(['AddFinalizer', 'EvictPod']);
    expect(first.nb.metadata.annotations?.[ACCEPTED_UID_ANNOTATION]).toBe(UID);
    expect(statusLost({ ...first.nb, status: undefined }).lost).toBe(false);
  });
});
