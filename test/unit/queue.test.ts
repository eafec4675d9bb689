import { describe, expect, it } from 'vitest';
import type { Phase } from '../../src/api/nodebounce.js';
import { comesBefore, findBlocker, type QueueEntry } from '../../src/bounce/queue.js';
import { entry, iso } from './fixtures.js';

describe('comesBefore: creationTimestamp, then name', () => {
  const table: Array<
    [string, { name: string; creationTimestamp?: string }, { name: string; creationTimestamp?: string }, boolean]
  > = [
    ['older first', { name: 'b', creationTimestamp: iso(0) }, { name: 'a', creationTimestamp: iso(1) }, true],
    ['newer second', { name: 'a', creationTimestamp: iso(1) }, { name: 'b', creationTimestamp: iso(0) }, false],
    [
      'same time: name breaks the tie',
      { name: 'a', creationTimestamp: iso(0) },
      { name: 'b', creationTimestamp: iso(0) },
      true,
    ],
    [
      'same time, later name',
      { name: 'b', creationTimestamp: iso(0) },
      { name: 'a', creationTimestamp: iso(0) },
      false,
    ],
    [
      'itself is not before itself',
      { name: 'a', creationTimestamp: iso(0) },
      { name: 'a', creationTimestamp: iso(0) },
      false,
    ],
    ['missing timestamp sorts last', { name: 'a' }, { name: 'z', creationTimestamp: iso(9) }, false],
    ['timestamp before missing', { name: 'z', creationTimestamp: iso(9) }, { name: 'a' }, true],
    ['both missing: by name', { name: 'a' }, { name: 'b' }, true],
    [
      'unparseable timestamp sorts last',
      { name: 'a', creationTimestamp: 'garbage' },
      { name: 'z', creationTimestamp: iso(0) },
      false,
    ],
  ];
  it.each(table)('%s', (_, a, b, expected) => {
    expect(comesBefore(a, b)).toBe(expected);
  });

  it('property: a strict total order over generated entries', () => {
    const entries: Array<{ name: string; creationTimestamp?: string }> = [];
    for (const t of [undefined, 0, 1, 2])
      for (const n of ['a', 'b', 'c'])
        entries.push({ name: n, ...(t === undefined ? {} : { creationTimestamp: iso(t) }) });
    for (const a of entries) {
      expect(comesBefore(a, a)).toBe(false);
      for (const b of entries) {
        if (a === b) continue;
        // exactly one direction holds for distinct keys
        expect(comesBefore(a, b) !== comesBefore(b, a)).toBe(true);
        for (const c of entries) if (comesBefore(a, b) && comesBefore(b, c)) expect(comesBefore(a, c)).toBe(true);
      }
    }
  });
});

describe('findBlocker', () => {
  const me = entry({ name: 'me', creationTimestamp: iso(10) });

  const cases: Array<[string, QueueEntry, QueueEntry[], string | undefined]> = [
    ['nobody else', me, [], undefined],
    ['an older Pending one', me, [entry({ name: 'old', creationTimestamp: iso(5) })], 'old'],
    [
      'an older one not yet accepted (no phase)',
      me,
      [entry({ name: 'old', creationTimestamp: iso(5), phase: undefined })],
      'old',
    ],
    ['a newer Pending one does not block', me, [entry({ name: 'new', creationTimestamp: iso(20) })], undefined],
    ['same time, smaller name blocks', me, [entry({ name: 'ma', creationTimestamp: iso(10) })], 'ma'],
    ['same time, larger name waits', me, [entry({ name: 'zz', creationTimestamp: iso(10) })], undefined],
    [
      'a newer Terminating one blocks (in flight)',
      me,
      [entry({ name: 'new', creationTimestamp: iso(20), phase: 'Terminating' })],
      'new',
    ],
    [
      'a newer Starting one blocks (in flight)',
      me,
      [entry({ name: 'new', creationTimestamp: iso(20), phase: 'Starting' })],
      'new',
    ],
    [
      'a newer Pending one holding the finalizer blocks',
      me,
      [entry({ name: 'new', creationTimestamp: iso(20), holdsFinalizer: true })],
      'new',
    ],
    [
      'an older Succeeded one does not block',
      me,
      [entry({ name: 'old', creationTimestamp: iso(5), phase: 'Succeeded' })],
      undefined,
    ],
    [
      'an older Failed one does not block',
      me,
      [entry({ name: 'old', creationTimestamp: iso(5), phase: 'Failed' })],
      undefined,
    ],
    [
      'a Failed one still holding the finalizer blocks',
      me,
      [entry({ name: 'old', creationTimestamp: iso(5), phase: 'Failed', holdsFinalizer: true })],
      'old',
    ],
    [
      'a newer Succeeded one holding the finalizer blocks',
      me,
      [entry({ name: 'new', creationTimestamp: iso(50), phase: 'Succeeded', holdsFinalizer: true })],
      'new',
    ],
    [
      'an older dry run does not block',
      me,
      [entry({ name: 'old', creationTimestamp: iso(5), dryRun: true })],
      undefined,
    ],
    [
      'an in-flight dry run does not block',
      me,
      [entry({ name: 'old', creationTimestamp: iso(5), dryRun: true, phase: 'Terminating' })],
      undefined,
    ],
    [
      'an entry with my own name is ignored',
      me,
      [entry({ name: 'me', creationTimestamp: iso(0), phase: 'Terminating' })],
      undefined,
    ],
    [
      'a dry run never waits',
      entry({ name: 'dry', creationTimestamp: iso(10), dryRun: true }),
      [entry({ name: 'x', creationTimestamp: iso(0), phase: 'Terminating' })],
      undefined,
    ],
    [
      'an in-flight one never waits',
      entry({ name: 'me', creationTimestamp: iso(10), phase: 'Terminating' }),
      [entry({ name: 'old', creationTimestamp: iso(0) })],
      undefined,
    ],
    [
      'holding the finalizer, I never wait',
      entry({ name: 'me', creationTimestamp: iso(10), holdsFinalizer: true }),
      [entry({ name: 'old', creationTimestamp: iso(0) })],
      undefined,
    ],
    [
      'in-flight blockers come before older pending ones',
      me,
      [
        entry({ name: 'old', creationTimestamp: iso(1) }),
        entry({ name: 'newer', creationTimestamp: iso(30), phase: 'Starting' }),
      ],
      'newer',
    ],
    [
      'among pending ones, the oldest is named',
      me,
      [
        entry({ name: 'b', creationTimestamp: iso(3) }),
        entry({ name: 'a', creationTimestamp: iso(2) }),
        entry({ name: 'c', creationTimestamp: iso(2) }),
      ],
      'a',
    ],
  ];
  it.each(cases)('%s', (_, self, others, expected) => {
    expect(findBlocker(self, others)?.name).toBe(expected);
  });

  it('property: among N pending requests created in any order, exactly the first by (time, name) may go', () => {
    const names = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
    for (let seed = 0; seed < 200; seed++) {
      // deterministic pseudo-random timestamps with collisions
      const entries = names.map((name, i) =>
        entry({ name, creationTimestamp: iso(((seed * 7 + i * 13) % 5) as number) }),
      );
      const free = entries.filter((e) => findBlocker(e, entries) === undefined);
      expect(free).toHaveLength(1);
      const first = [...entries].sort((a, b) => (comesBefore(a, b) ? -1 : 1))[0]!;
      expect(free[0]!.name).toBe(first.name);
    }
  });

  it('property: when one request is in flight, every other non-dry-run request waits, whatever the order', () => {
    const phases: Array<Phase | undefined> = [undefined, 'Pending'];
    for (let inflight = 0; inflight < 5; inflight++) {
      const entries = [0, 1, 2, 3, 4].map((i) =>
        entry({ name: `n${i}`, creationTimestamp: iso(i), phase: i === inflight ? 'Terminating' : phases[i % 2] }),
      );
      for (const e of entries) {
        const blocker = findBlocker(e, entries);
        if (e.name === `n${inflight}`) expect(blocker).toBeUndefined();
        else expect(blocker?.name).toBe(`n${inflight}`);
      }
    }
  });
});
