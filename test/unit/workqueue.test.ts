import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FailedAfterProgress, KeyedMutex, WorkQueue } from '../../src/controller/workqueue.js';

// Time is the subject here (delays, backoff, waiting for handlers), so the clock is vitest's fake one: each test
// advances it by exact amounts and asserts at the boundaries, which a loaded machine cannot make flaky.
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Advances the fake clock, running the timers and promise callbacks that become due. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('WorkQueue', () => {
  it('runs nothing while paused, then each queued key once', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 2, startPaused: true });
    q.add('a');
    q.add('b');
    q.add('a');
    await advance(60_000);
    expect(seen).toEqual([]);
    q.resume();
    await q.idle();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once; adds while running re-run it once afterwards', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await sleep(10);
        running--;
      },
      { concurrency: 4 },
    );
    q.add('k');
    await advance(2);
    q.add('k');
    q.add('k');
    expect(runs).toBe(1);
    await advance(8); // the first run ends; the two adds made while it ran become one more run
    expect(runs).toBe(2);
    await advance(10);
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('priorityOf: lower lanes are picked first, first come first served within a lane', async () => {
    const seen: string[] = [];
    const lane: Record<string, number> = { new1: 2, new2: 2, ready1: 0, evicting: 1, ready2: 0 };
    const q = new WorkQueue(async (k) => void seen.push(k), {
      concurrency: 1,
      startPaused: true,
      priorityOf: (k) => lane[k] ?? 0,
    });
    for (const k of ['new1', 'new2', 'ready1', 'evicting', 'ready2']) q.add(k);
    expect(q.depth).toBe(5);
    q.resume();
    await q.idle();
    expect(seen).toEqual(['ready1', 'ready2', 'evicting', 'new1', 'new2']);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    let running = 0;
    let maxRunning = 0;
    const started: string[] = [];
    const q = new WorkQueue(
      async (k) => {
        started.push(k);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(10);
        running--;
      },
      { concurrency: 3 },
    );
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    expect(started).toEqual(['a', 'b', 'c']);
    await advance(10);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    await advance(10);
    await q.idle();
    expect(maxRunning).toBe(3);
  });

  it('failures back off exponentially per key and reset on success', async () => {
    const outcomes = ['fail', 'fail', 'ok', 'fail'];
    let runs = 0;
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        runs++;
        if (outcomes.shift() === 'fail') throw new Error('transient');
      },
      { concurrency: 1, baseBackoffMs: 20, onError: (_k, _e, delay) => errors.push(delay) },
    );
    q.add('k');
    await advance(0);
    expect([runs, errors]).toEqual([1, [20]]);
    await advance(19);
    expect(runs).toBe(1);
    await advance(1);
    expect([runs, errors]).toEqual([2, [20, 40]]);
    await advance(39);
    expect(runs).toBe(2);
    await advance(1);
    expect(runs).toBe(3); // succeeded: the failure count is forgotten
    q.add('k');
    await advance(0);
    expect([runs, errors]).toEqual([4, [20, 40, 20]]);
    await q.shutdown();
  });

  it('a failure after progress (FailedAfterProgress) starts the count over: base backoff, not a doubled one', async () => {
    // Chaos faults seed 202: passes that each landed a write and then failed kept doubling the backoff to 60 s.
    const outcomes = ['fail', 'fail', 'fail', 'progress', 'fail'];
    let runs = 0;
    const errors: Array<[string, number]> = [];
    const q = new WorkQueue(
      async () => {
        runs++;
        const o = outcomes.shift();
        if (o === 'fail') throw new Error('transient');
        if (o === 'progress') throw new FailedAfterProgress(new Error('status write failed'));
      },
      { concurrency: 1, baseBackoffMs: 20, onError: (_k, e, delay) => errors.push([(e as Error).message, delay]) },
    );
    q.add('k');
    await advance(0);
    await advance(20);
    await advance(40);
    expect(runs).toBe(3);
    await advance(80); // the fourth run fails after progress: retried after the base backoff
    expect(runs).toBe(4);
    await advance(19);
    expect(runs).toBe(4);
    await advance(1);
    expect(runs).toBe(5); // and a plain failure after it doubles from there
    expect(errors).toEqual([
      ['transient', 20],
      ['transient', 40],
      ['transient', 80],
      ['status write failed', 20],
      ['transient', 40],
    ]);
    await q.shutdown();
  });

  it('addAfter: the earliest pending deadline wins and the later one is dropped', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => void runs++, { concurrency: 1 });
    q.addAfter('x', 1000);
    q.addAfter('x', 10);
    q.addAfter('x', 500); // later than the pending 10 ms: ignored
    await advance(9);
    expect(runs).toBe(0);
    await advance(1);
    expect(runs).toBe(1);
    await advance(5_000);
    expect(runs).toBe(1);
    await q.shutdown();
  });

  it('a handler result requeues the key after requeueAfterMs', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => (++runs === 1 ? { requeueAfterMs: 250 } : undefined), { concurrency: 1 });
    q.add('k');
    await advance(249);
    expect(runs).toBe(1);
    await advance(1);
    expect(runs).toBe(2);
    await q.shutdown();
  });

  it('a handler returning a NaN requeue delay is retried with backoff and reported, never spun on', async () => {
    // A hand-edited status once made a deadline NaN: setTimeout(NaN) fires after 1 ms, ~800 reconciles/s.
    let runs = 0;
    const errors: Array<[unknown, number]> = [];
    const q = new WorkQueue(
      async () => {
        runs++;
        return { requeueAfterMs: Number.NaN };
      },
      { concurrency: 1, baseBackoffMs: 40, onError: (_k, e, delay) => errors.push([e, delay]) },
    );
    q.add('k');
    await advance(100);
    await q.shutdown();
    expect(runs).toBe(2); // at 0 and 40 ms (the next is due at 120 ms); hundreds without the fix
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(String(errors[0]![0])).toContain('NaN');
    expect(errors[0]![1]).toBe(40);
  });

  it('addAfter: throws on a non-finite delay, runs a negative one now, caps one a timer cannot hold', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 1 });
    expect(() => q.addAfter('nan', Number.NaN)).toThrow(RangeError);
    expect(() => q.addAfter('inf', Number.POSITIVE_INFINITY)).toThrow(RangeError);
    q.addAfter('neg', -5);
    // 2^31 ms and more would overflow setTimeout and fire after 1 ms.
    q.addAfter('far', 3_000_000_000_000);
    await advance(30);
    expect(seen).toEqual(['neg']);
    await q.shutdown();
  });

  it('shutdown stops taking work and waits for running handlers', async () => {
    let finished = false;
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        await sleep(30);
        finished = true;
      },
      { concurrency: 1 },
    );
    q.add('a');
    q.addAfter('later', 5);
    let stopped = false;
    void q.shutdown().then(() => (stopped = true));
    await advance(29);
    expect([stopped, finished]).toEqual([false, false]);
    await advance(1);
    expect([stopped, finished]).toEqual([true, true]);
    q.add('b');
    await advance(100);
    expect(q.depth).toBe(0);
    expect(runs).toBe(1); // neither 'b' nor the cancelled timer for 'later' ran
  });
});

describe('KeyedMutex', () => {
  it('serialises sections with the same key, not different keys', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const section = (key: string, id: string) =>
      m.run(key, async () => {
        log.push(`${id}+`);
        await sleep(10);
        log.push(`${id}-`);
      });
    const all = Promise.all([section('p', 'a'), section('p', 'b'), section('q', 'c')]);
    await advance(5);
    expect([...log].sort()).toEqual(['a+', 'c+']);
    await advance(5);
    expect(log).toContain('b+');
    await advance(10);
    await all;
    expect(log.indexOf('a-')).toBeLessThan(log.indexOf('b+'));
  });
});
