import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/api/nodebounce.js';
import { getCondition, setCondition } from '../../src/bounce/conditions.js';
import { at, iso } from './fixtures.js';

describe('setCondition', () => {
  it('adds a new condition with lastTransitionTime = now', () => {
    const list = setCondition(undefined, 'PodReady', 'Unknown', 'WaitingForReady', 'waiting', at(5), 3);
    expect(list).toEqual([
      {
        type: 'PodReady',
        status: 'Unknown',
        reason: 'WaitingForReady',
        message: 'waiting',
        lastTransitionTime: iso(5),
        observedGeneration: 3,
      },
    ]);
  });

  it('omits observedGeneration when not given', () => {
    expect(setCondition([], 'PodReady', 'True', 'R', 'm', at(0))[0]).not.toHaveProperty('observedGeneration');
  });

  const base: Condition[] = [
    { type: 'Succeeded', status: 'Unknown', reason: 'Accepted', message: 'a', lastTransitionTime: iso(0) },
    { type: 'PodReady', status: 'False', reason: 'X', message: 'x', lastTransitionTime: iso(1) },
  ];

  const table: Array<[string, Condition['status'], string, string]> = [
    // [title, new status, new reason, expected lastTransitionTime]
    ['same status, new reason and message: keeps lastTransitionTime', 'Unknown', 'Other', iso(0)],
    ['status changes: lastTransitionTime moves to now', 'True', 'PodRestarted', iso(100)],
    ['status changes to False: moves', 'False', 'ReadyTimeout', iso(100)],
  ];
  it.each(table)('%s', (_, status, reason, ltt) => {
    const list = setCondition(base, 'Succeeded', status, reason, 'new message', at(100), 2);
    const c = getCondition(list, 'Succeeded')!;
    expect(c).toEqual({
      type: 'Succeeded',
      status,
      reason,
      message: 'new message',
      lastTransitionTime: ltt,
      observedGeneration: 2,
    });
    // order preserved, other conditions untouched
    expect(list.map((x) => x.type)).toEqual(['Succeeded', 'PodReady']);
    expect(list[1]).toBe(base[1]);
  });

  it('does not mutate the input list', () => {
    const before = structuredClone(base);
    setCondition(base, 'Succeeded', 'True', 'R', 'm', at(100));
    setCondition(base, 'PodTerminated', 'True', 'R', 'm', at(100));
    expect(base).toEqual(before);
  });

  it('property: lastTransitionTime changes iff the status changes', () => {
    const statuses: Condition['status'][] = ['True', 'False', 'Unknown'];
    let list: Condition[] | undefined;
    let prev: Condition | undefined;
    for (let i = 0; i < 60; i++) {
      const s = statuses[(i * 7 + (i >> 2)) % 3]!;
      list = setCondition(list, 'PodTerminated', s, `R${i}`, `m${i}`, at(i));
      const c = getCondition(list, 'PodTerminated')!;
      expect(c.lastTransitionTime).toBe(prev && prev.status === s ? prev.lastTransitionTime : iso(i));
      expect(list).toHaveLength(1);
      prev = c;
    }
  });

  it('getCondition', () => {
    expect(getCondition(undefined, 'PodReady')).toBeUndefined();
    expect(getCondition(base, 'PodTerminated')).toBeUndefined();
    expect(getCondition(base, 'PodReady')?.reason).toBe('X');
  });
});
