import { describe, expect, it } from 'vitest';
import { KeyedMutex, WorkQueue } from '../../src/controller/workqueue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('runs nothing while paused, then each queued key once', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 2, startPaused: true });
    q.add('a');
    q.add('b');
    q.add('a');
    await tick();
    expect(seen).toEqual([]);
    q.resume();
    await q.idle();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once; an add while running re-runs it afterwards', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await tick(10);
        running--;
      },
      { concurrency: 4 },
    );
    q.add('k');
    await tick(2);
    q.add('k');
    q.add('k');
    await tick(50);
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick(10);
        running--;
      },
      { concurrency: 3 },
    );
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await q.idle();
    expect(maxRunning).toBe(3);
  });

  it('requeueAfter and backoff: the earliest delay wins; failures back off exponentially and reset on success', async () => {
    const times: number[] = [];
    let fail = 2;
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (fail-- > 0) throw new Error('transient');
      },
      { concurrency: 1, baseBackoffMs: 20, onError: (_k, _e, delay) => errors.push(delay) },
    );
    q.add('k');
    await tick(200);
    expect(errors).toEqual([20, 40]);
    expect(times).toHaveLength(3);
    q.addAfter('x', 1000);
    q.addAfter('x', 10);
    await tick(60);
    expect(times).toHaveLength(4);
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
    await tick(100);
    await q.shutdown();
    expect(runs).toBeLessThanOrEqual(3); // 0, 40, 120 ms with backoff; hundreds without
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
    await tick(30);
    expect(seen).toEqual(['neg']);
    await q.shutdown();
  });

  it('shutdown stops taking work and waits for running handlers', async () => {
    let finished = false;
    const q = new WorkQueue(
      async () => {
        await tick(30);
        finished = true;
      },
      { concurrency: 1 },
    );
    q.add('a');
    await tick(2);
    await q.shutdown();
    expect(finished).toBe(true);
    q.add('b');
    await tick(10);
    expect(q.depth).toBe(0);
  });
});

describe('KeyedMutex', () => {
  it('serialises sections with the same key, not different keys', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const section = (key: string, id: string) =>
      m.run(key, async () => {
        log.push(`${id}+`);
        await tick(10);
        log.push(`${id}-`);
      });
    await Promise.all([section('p', 'a'), section('p', 'b'), section('q', 'c')]);
    expect(log.indexOf('a-')).toBeLessThan(log.indexOf('b+'));
    expect(log.indexOf('c+')).toBeLessThan(log.indexOf('a-'));
  });
});
