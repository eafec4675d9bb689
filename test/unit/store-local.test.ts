import { describe, expect, it } from 'vitest';
import type { NodeBounce, NodeBounceStatus } from '../../src/api/nodebounce.js';
import { NodeBounceStore } from '../../src/controller/store.js';
import { NS, makeNodeBounce } from './fixtures.js';

// Progress kept in memory until the next status write (a successful eviction's outcome, ACTION_RULES
// deferredOnSuccess): the store must return it until a status write carries it, and never over someone else's status.
const intent: NodeBounceStatus = { phase: 'Terminating', reason: 'Evicting', podUID: 'uid-old' };
const evicted: NodeBounceStatus = {
  ...intent,
  reason: 'WaitingForTermination',
  podDeletedTime: '2026-01-01T00:00:01Z',
};

function setup() {
  let cached: NodeBounce | undefined;
  const store = new NodeBounceStore({
    get: () => cached,
    list: () => (cached ? [cached] : []),
    listAll: () => (cached ? [cached] : []),
  });
  const v1 = makeNodeBounce({ meta: { resourceVersion: '1' } });
  const v2 = { ...v1, metadata: { ...v1.metadata, resourceVersion: '2' }, status: intent };
  cached = v1;
  store.recordWrite(v1, v2); // our intent write
  return { store, v1, v2, setCache: (nb: NodeBounce | undefined) => (cached = nb) };
}

describe('NodeBounceStore: progress kept in memory', () => {
  it('is returned before and after the watch echoes our own write', () => {
    const { store, v2, setCache } = setup();
    store.recordLocal(v2, evicted);
    expect(store.get(NS, v2.metadata.name)?.status).toEqual(evicted);
    setCache(v2); // the watch delivers our intent write
    expect(store.get(NS, v2.metadata.name)?.status).toEqual(evicted);
    expect(store.get(NS, v2.metadata.name)?.metadata.resourceVersion).toBe('2');
    expect(store.listForPod(NS, v2.spec.podName)).toEqual([]); // no index entry without track(); nothing invented
  });

  it('survives someone else changing only metadata (an annotation), on top of their version', () => {
    const { store, v2, setCache } = setup();
    store.recordLocal(v2, evicted);
    const annotated = {
      ...v2,
      metadata: { ...v2.metadata, resourceVersion: '3', annotations: { note: 'x' } },
    };
    setCache(annotated);
    const got = store.get(NS, v2.metadata.name);
    expect(got?.status).toEqual(evicted);
    expect(got?.metadata.resourceVersion).toBe('3'); // the next status write goes against their version
    expect(got?.metadata.annotations).toEqual({ note: 'x' });
  });

  it('gives way to someone else changing status, and to a delete', () => {
    const { store, v2, setCache } = setup();
    store.recordLocal(v2, evicted);
    const edited = { ...v2, metadata: { ...v2.metadata, resourceVersion: '3' }, status: { phase: 'Pending' as const } };
    setCache(edited);
    expect(store.get(NS, v2.metadata.name)?.status).toEqual({ phase: 'Pending' });
    store.recordLocal(edited, evicted);
    setCache(undefined);
    expect(store.get(NS, v2.metadata.name)).toBeUndefined();
  });

  it('is carried by the next status write, then the watch version is used again', () => {
    const { store, v2, setCache } = setup();
    store.recordLocal(v2, evicted);
    const starting = { ...evicted, phase: 'Starting' as const, reason: 'WaitingForReady' };
    const v3 = { ...v2, metadata: { ...v2.metadata, resourceVersion: '3' }, status: starting };
    store.recordWrite(store.get(NS, v2.metadata.name)!, v3);
    setCache(v2); // the watch is behind: our newer write wins
    expect(store.get(NS, v2.metadata.name)?.status).toEqual(starting);
    setCache(v3);
    expect(store.get(NS, v2.metadata.name)).toBe(v3);
  });
});
