// Delivers notifications to one webhook: a bounded in-memory queue drained by one worker, in order, with
// retries (p-retry: exponential backoff with jitter). enqueue() never blocks and never throws; nothing here can
// slow or fail a bounce. The URL is never logged.
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import type { Notification } from './classify.js';

export interface SenderOptions {
  url: string;
  /** Builds the request body. */
  body: (n: Notification) => unknown;
  timeoutMs: number;
  maxRetries: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  queueSize: number;
  drainTimeoutMs: number;
  log: Logger;
  /** Remembered keys for deduplication (oldest forgotten first). */
  dedupeCapacity?: number;
}

export interface SenderStats {
  enqueued: number;
  sent: number;
  /** Gave up after the last retry, or a non-retryable answer (4xx other than 408/429). */
  failed: number;
  /** Pushed out of a full queue (oldest first), or still queued when shutdown's drain time ran out. */
  dropped: number;
  /** Same bounce and transition already sent or queued. */
  duplicates: number;
  /** Failed attempts that were retried. */
  retries: number;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`webhook answered HTTP ${status}`);
  }
}

/** Remembers the last `capacity` keys; insertion order is age. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}
  /** True when `key` was new (and is now remembered). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
  get size(): number {
    return this.keys.size;
  }
}

/** An error, described without the URL (undici's messages and causes can carry host, port or path). */
export function describeSendError(err: unknown, url: string): string {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  let text: string;
  if (err instanceof HttpStatusError) text = err.message;
  else if (e?.name === 'TimeoutError') text = 'timed out';
  else if (e?.name === 'AbortError') text = 'aborted';
  else text = e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return redact(text, url);
}

export function redact(text: string, url: string): string {
  let out = text.split(url).join('[webhook]');
  try {
    const u = new URL(url);
    for (const part of [u.href, u.host, u.hostname, u.pathname.length > 1 ? u.pathname : ''])
      if (part) out = out.split(part).join('[webhook]');
  } catch {
    // not a URL: nothing more to hide
  }
  return out.replace(/https?:\/\/\S+/g, '[url]');
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

export class WebhookSender {
  readonly stats: SenderStats = { enqueued: 0, sent: 0, failed: 0, dropped: 0, duplicates: 0, retries: 0 };
  private readonly queue: Notification[] = [];
  private readonly seen: RecentKeys;
  private readonly abort = new AbortController();
  /** True while the worker drains the queue; set and cleared synchronously with the empty-queue check. */
  private running = false;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: SenderOptions) {
    this.seen = new RecentKeys(opts.dedupeCapacity ?? 10_000);
  }

  /** Queues a notification and returns at once. Duplicates (same key) are skipped. */
  enqueue(n: Notification): void {
    if (this.stopping) return;
    if (!this.seen.add(n.key)) {
      this.stats.duplicates++;
      return;
    }
    this.stats.enqueued++;
    this.queue.push(n);
    if (this.queue.length > this.opts.queueSize) {
      const dropped = this.queue.shift()!;
      this.stats.dropped++;
      this.opts.log.warn(
        {
          notification: dropped.kind,
          namespace: dropped.namespace,
          name: dropped.name,
          dropped: this.stats.dropped,
          queueSize: this.opts.queueSize,
        },
        'notification queue full; dropped the oldest message',
      );
    }
    if (!this.running) {
      this.running = true;
      void this.drain();
    }
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves when the queue is empty and nothing is in flight (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking messages; sends what is queued for up to drainTimeoutMs (or `maxWaitMs`, what is left of the
   * process's shutdown grace, when that is shorter), then aborts and drops the rest.
   */
  async stop(maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopping = true;
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const waitMs = Math.max(0, Math.min(this.opts.drainTimeoutMs, maxWaitMs));
      const drained = await Promise.race([
        this.idle().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
      ]);
      clearTimeout(timer);
      if (!drained) {
        const left = this.queue.length;
        this.queue.length = 0;
        this.stats.dropped += left;
        this.abort.abort();
        await this.idle();
        this.opts.log.warn({ dropped: left }, 'notifications still queued at shutdown were dropped');
      }
    }
    this.abort.abort();
  }

  private async drain(): Promise<void> {
    try {
      for (let n = this.queue.shift(); n; n = this.queue.shift()) {
        try {
          await this.deliver(n);
          this.stats.sent++;
          this.opts.log.debug({ notification: n.kind, namespace: n.namespace, name: n.name }, 'notification sent');
        } catch (err) {
          this.stats.failed++;
          this.opts.log.warn(
            {
              notification: n.kind,
              namespace: n.namespace,
              name: n.name,
              error: describeSendError(err, this.opts.url),
            },
            this.abort.signal.aborted ? 'notification not sent: shutting down' : 'notification not sent; giving up',
          );
        }
        if (this.abort.signal.aborted) break;
      }
    } finally {
      // In the same turn as the empty-queue check, so an enqueue() can never find a worker that is about to stop.
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  private deliver(n: Notification): Promise<void> {
    const { url, timeoutMs, log } = this.opts;
    const body = JSON.stringify(this.opts.body(n));
    return pRetry(
      async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'nodebounce-operator',
            'x-nodebounce-notification-id': n.key,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return;
        const err = new HttpStatusError(res.status, retryAfterMs(res.headers.get('retry-after')));
        // 408, 429 and 5xx may pass; any other answer will not get better by asking again.
        if (res.status === 408 || res.status === 429 || res.status >= 500) throw err;
        throw new AbortError(err);
      },
      {
        retries: this.opts.maxRetries,
        factor: 2,
        minTimeout: this.opts.minBackoffMs,
        maxTimeout: this.opts.maxBackoffMs,
        randomize: true,
        signal: this.abort.signal,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0 || this.abort.signal.aborted) return;
          this.stats.retries++;
          log.debug(
            {
              notification: n.kind,
              name: n.name,
              attempt: attemptNumber,
              retriesLeft,
              error: describeSendError(error, url),
            },
            'notification attempt failed; retrying',
          );
          // Honour Retry-After (429/503), within the backoff ceiling, on top of the backoff.
          const wait =
            error instanceof HttpStatusError && error.retryAfterMs
              ? Math.min(error.retryAfterMs, this.opts.maxBackoffMs)
              : 0;
          if (wait > 0) await sleep(wait, this.abort.signal);
        },
      },
    );
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
