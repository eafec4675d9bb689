// A keyed work queue with client-go's semantics: a key is queued at most once, is processed by at most one
// worker at a time (an add while it is being processed re-queues it afterwards), delayed adds keep the
// earliest deadline, and failures back off exponentially per key. Many keys run in parallel.

export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  /** Seconds from being queued to being picked up. */
  queueLatency(seconds: number): void;
  /** Seconds spent processing. */
  workDuration(seconds: number): void;
  retried(): void;
  active(n: number): void;
}

export interface WorkQueueOptions {
  concurrency: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  metrics?: WorkQueueMetrics;
  /** Called when a handler throws; the key is retried with backoff. */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  /** Collect keys but run nothing until resume(), e.g. until every watch cache is synced. */
  startPaused?: boolean;
  /**
   * A key's lane when it is queued: lower lanes are picked first, first come first served within a lane. Lets the
   * controller give free slots to work that finishes bounces before work that starts new ones. Default: one lane.
   */
  priorityOf?: (key: string) => number;
}

/** FIFO lanes by priority (0 first). */
class Lanes {
  private readonly lanes: string[][] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(key: string, lane: number): void {
    const i = Number.isInteger(lane) && lane > 0 ? Math.min(lane, 15) : 0;
    while (this.lanes.length <= i) this.lanes.push([]);
    this.lanes[i]!.push(key);
    this.size++;
  }

  shift(): string | undefined {
    for (const lane of this.lanes) {
      if (lane.length > 0) {
        this.size--;
        return lane.shift();
      }
    }
    return undefined;
  }

  clear(): void {
    for (const lane of this.lanes) lane.length = 0;
    this.size = 0;
  }
}

/**
 * A handler failure after the pass got something done that the next pass will not repeat (the reconciler: a write of
 * the NodeBounce that landed). The key's failure count starts over, so it is retried after the base backoff instead
 * of one that kept doubling across passes that each moved forward: at 25 % injected API errors, a bounce whose every
 * step needs four requests reached the 60 s cap and one sat for 300 s (chaos faults seed 202). Still bounded: each
 * such retry follows a step that is not taken again, and a bounce has few steps.
 */
export class FailedAfterProgress extends Error {
  constructor(readonly original: unknown) {
    super(String((original as Error)?.message ?? original), { cause: original });
    this.name = 'FailedAfterProgress';
  }
}

/** What a handler returns: optionally, a delay after which to process the key again. */
export interface HandlerResult {
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<HandlerResult | void>;

/** The longest delay setTimeout honours; a longer one fires after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly queue = new Lanes();
  private readonly queued = new Map<string, number>(); // key -> time it was queued
  private readonly processing = new Map<string, number>(); // key -> time its handler started
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private shuttingDown = false;
  private paused: boolean;
  private idleWaiters: Array<() => void> = [];
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly handler: Handler,
    private readonly options: WorkQueueOptions,
  ) {
    this.baseBackoffMs = options.baseBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.paused = options.startPaused ?? false;
  }

  /** Starts running handlers (see startPaused). */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  get depth(): number {
    return this.queue.length;
  }

  get activeCount(): number {
    return this.running;
  }

  /** How long the longest-running handler has been running (0 when none runs): a liveness signal. */
  longestRunningMs(now = Date.now()): number {
    let oldest = now;
    for (const started of this.processing.values()) oldest = Math.min(oldest, started);
    return now - oldest;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.set(key, Date.now());
    this.queue.push(key, this.options.priorityOf?.(key) ?? 0);
    this.options.metrics?.added();
    this.options.metrics?.depth(this.queue.length);
    this.pump();
  }

  /**
   * Adds the key after `delayMs`; an earlier pending deadline for the key wins. A negative delay means now; a delay
   * beyond what a timer can hold (about 24.8 days) is capped, so the key is looked at again then. A non-finite
   * delay (NaN, Infinity) is a bug in the caller: it throws a RangeError rather than scheduling it (setTimeout
   * would fire a NaN delay after 1 ms, and a reconcile that keeps returning it would spin).
   */
  addAfter(key: string, delayMs: number): void {
    if (!Number.isFinite(delayMs)) throw new RangeError(`work queue: refusing to requeue ${key} after ${delayMs} ms`);
    if (this.shuttingDown) return;
    delayMs = Math.min(delayMs, MAX_TIMER_DELAY_MS);
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Exponential backoff per key: base * 2^failures, capped. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** n);
    this.options.metrics?.retried();
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Drops pending work for a key (e.g. the object is gone); a running handler finishes normally. */
  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t.timer);
    this.timers.delete(key);
    this.failures.delete(key);
  }

  /** Stops taking work, cancels timers and waits for running handlers. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.clear();
    this.queued.clear();
    await this.idle();
  }

  /** Resolves when no handler is running and nothing is queued (timers may still be pending). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.paused) return;
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      const queuedAt = this.queued.get(key) ?? Date.now();
      this.queued.delete(key);
      this.processing.set(key, Date.now());
      this.running++;
      this.options.metrics?.depth(this.queue.length);
      this.options.metrics?.active(this.running);
      this.options.metrics?.queueLatency((Date.now() - queuedAt) / 1000);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    const started = Date.now();
    try {
      const result = await this.handler(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined && !Number.isFinite(after)) {
        // Never scheduled as is (it would spin): reported like a failure and retried with backoff.
        throw new RangeError(`handler asked to requeue after ${after} ms; retrying with backoff instead`);
      }
      this.forget(key);
      if (after !== undefined) this.addAfter(key, after);
    } catch (err) {
      if (err instanceof FailedAfterProgress) this.forget(key);
      const delay = this.addRateLimited(key);
      this.options.onError?.(key, err, delay);
    } finally {
      this.options.metrics?.workDuration((Date.now() - started) / 1000);
      this.processing.delete(key);
      this.running--;
      this.options.metrics?.active(this.running);
      if (this.dirtyWhileProcessing.delete(key)) this.add(key);
      this.pump();
      if (this.running === 0 && this.queue.length === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}

/** Per-key async mutex: serialises critical sections that span awaits (e.g. starting a bounce of one pod). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
