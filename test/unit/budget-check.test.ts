import { describe, expect, it } from 'vitest';
import { checkBudget, describeVerdict, downSince, type PodSample } from '../integration/support/budget-check.js';

// The chaos scenario's checker (test/integration/support/budget-check.ts), on synthetic timelines. Times in ms.
const down = (pod: string, at: number): PodSample => ({ pod, at, up: false });
const up = (pod: string, at: number): PodSample => ({ pod, at, up: true });
const group = { name: 'rb', members: ['a', 'b', 'c', 'd'], maxUnavailable: 1 };

describe('budget checker', () => {
  it('downSince: the last sample at or before t decides; no sample is up', () => {
    const s = [down('a', 100), down('a', 150), up('a', 300), down('a', 500)];
    expect(downSince(s, 'a', 50)).toBeUndefined();
    expect(downSince(s, 'a', 100)).toBe(100);
    expect(downSince(s, 'a', 299)).toBe(100);
    expect(downSince(s, 'a', 300)).toBeUndefined();
    expect(downSince(s, 'a', 600)).toBe(500);
    expect(downSince(s, 'b', 600)).toBeUndefined();
  });

  it('reports an eviction sent while maxUnavailable other members were already down (a violation)', () => {
    // a was evicted at 1000 and is Ready again only at 9000; b is evicted at 5000 with maxUnavailable 1.
    const samples = [down('a', 1000), up('a', 9000), down('b', 5000), up('b', 12_000)];
    const r = checkBudget([group], samples, [
      { pod: 'a', at: 1000, owner: 'rb', createdAt: 900 },
      { pod: 'b', at: 5000, owner: 'rb', createdAt: 950 },
    ]);
    expect(r.checked).toBe(2);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ group: 'rb', down: ['a'], recent: [], verdict: 'violation' });
    expect(r.violations[0]!.eviction.pod).toBe('b');
    expect(describeVerdict(r.violations[0]!)).toContain('rb evicted b');
    expect(r.longestWaitMs).toBe(4050);
  });

  it('no violation when the other member was Ready again before the eviction', () => {
    const samples = [down('a', 1000), up('a', 4000), down('b', 5000)];
    const r = checkBudget([group], samples, [
      { pod: 'a', at: 1000, owner: 'rb' },
      { pod: 'b', at: 5000, owner: 'rb' },
    ]);
    expect(r.violations).toEqual([]);
    expect(r.races).toEqual([]);
    expect(r.verdicts.map((v) => v.verdict)).toEqual(['ok', 'ok']);
  });

  it('a member that went down less than 1 s before the eviction is a race, not a violation', () => {
    // c was killed from outside 400 ms before the operator evicted b.
    const r = checkBudget([group], [down('c', 4600), down('b', 5000)], [{ pod: 'b', at: 5000, owner: 'rb' }]);
    expect(r.violations).toEqual([]);
    expect(r.races).toHaveLength(1);
    expect(r.races[0]).toMatchObject({ down: ['c'], recent: ['c'] });
  });

  it("the operator's own eviction less than 1 s before is no excuse: it decides its evictions under one lock", () => {
    // The operator evicted c 400 ms before it evicted b (maxUnavailable 1): it cannot have raced itself.
    const r = checkBudget(
      [group],
      [down('c', 4600), down('b', 5000)],
      [
        { pod: 'c', at: 4600, owner: 'rb' },
        { pod: 'b', at: 5000, owner: 'rb' },
      ],
    );
    expect(r.races).toEqual([]);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ down: ['c'], recent: [] });
    // The same when a user's NodeBounce (no owner) evicted c: also decided under the lock.
    const u = checkBudget(
      [group],
      [down('c', 4600)],
      [
        { pod: 'c', at: 4600 },
        { pod: 'b', at: 5000, owner: 'rb' },
      ],
    );
    expect(u.violations).toHaveLength(1);
  });

  it('maxUnavailable 2: one other down is fine, two is a violation unless one of them is recent', () => {
    const g2 = { ...group, maxUnavailable: 2 };
    const samples = [down('a', 0), down('c', 2000), down('d', 4800)];
    const r = checkBudget([g2], samples, [
      { pod: 'c', at: 2000, owner: 'rb' }, // a down: 1 < 2
      { pod: 'b', at: 3000, owner: 'rb' }, // a, c down: 2 >= 2, both old: violation
      { pod: 'b', at: 5000, owner: 'rb' }, // a, c, d down; without d (recent) still 2: violation
    ]);
    expect(r.verdicts.map((v) => v.verdict)).toEqual(['ok', 'violation', 'violation']);
  });

  it("evictions of users' NodeBounces are counted, not held to a group's budget; other groups are separate", () => {
    const other = { name: 'other', members: ['x', 'y'], maxUnavailable: 1 };
    const r = checkBudget(
      [group, other],
      [down('a', 0), down('x', 100)],
      [
        { pod: 'b', at: 5000 }, // a user's NodeBounce
        { pod: 'y', at: 5000, owner: 'other' }, // x down in its group: violation
        { pod: 'x', at: 5000, owner: 'other' }, // its own pod does not count
      ],
    );
    expect(r.unowned).toBe(1);
    expect(r.checked).toBe(2);
    expect(r.violations.map((v) => `${v.group}:${v.eviction.pod}`)).toEqual(['other:y']);
  });
});
