import { describe, expect, it } from 'vitest';
import { EventSeries } from '../../src/kube/event-series.js';

describe('EventSeries: repeats of an Event join one series (client-go style)', () => {
  const key = EventSeries.key('uid-1', 'Warning', 'EvictionFailed');

  it('a repeat within the window finds the Event to patch; after the window it starts a new one', () => {
    const s = new EventSeries(600_000);
    expect(s.current(key, 0)).toBeUndefined();
    s.record(key, { name: 'nb.1', count: 1, lastMs: 0 });
    expect(s.current(key, 599_000)).toEqual({ name: 'nb.1', count: 1, lastMs: 0 });
    s.record(key, { name: 'nb.1', count: 2, lastMs: 599_000 });
    // The window runs from the last repeat, as client-go's does.
    expect(s.current(key, 1_198_000)?.count).toBe(2);
    expect(s.current(key, 1_199_001)).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('keys by message too, unless the event is a series (a retry whose message carries its attempt number)', () => {
    expect(EventSeries.key('uid-1', 'Normal', 'MemberStarted', 'member a')).not.toBe(
      EventSeries.key('uid-1', 'Normal', 'MemberStarted', 'member b'),
    );
    expect(EventSeries.key('uid-1', 'Normal', 'MemberStarted', 'member a')).toBe(
      EventSeries.key('uid-1', 'Normal', 'MemberStarted', 'member a'),
    );
    expect(EventSeries.key('uid-1', 'Warning', 'EvictionFailed')).not.toBe(
      EventSeries.key('uid-1', 'Warning', 'EvictionFailed', 'attempt 1'),
    );
  });

  it('keys a series by object, type and reason', () => {
    expect(EventSeries.key('uid-1', 'Warning', 'EvictionFailed')).not.toBe(
      EventSeries.key('uid-2', 'Warning', 'EvictionFailed'),
    );
    expect(EventSeries.key('uid-1', 'Warning', 'EvictionFailed')).not.toBe(
      EventSeries.key('uid-1', 'Warning', 'BlockedByPDB'),
    );
  });

  it('is bounded: the least recently sent series is forgotten first', () => {
    const s = new EventSeries(600_000, 2);
    s.record('a', { name: 'a', count: 1, lastMs: 0 });
    s.record('b', { name: 'b', count: 1, lastMs: 0 });
    s.record('a', { name: 'a', count: 2, lastMs: 1 }); // a is now the most recent
    s.record('c', { name: 'c', count: 1, lastMs: 2 });
    expect(s.size).toBe(2);
    expect(s.current('b', 3)).toBeUndefined();
    expect(s.current('a', 3)?.count).toBe(2);
    expect(s.current('c', 3)?.count).toBe(1);
  });
});
