import { ListWatch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeApiError } from './errors.js';
import { BoundedWatch, type WatchLimits } from './watch.js';

export type ChangeType = 'add' | 'update' | 'delete';
export type ChangeHandler<T> = (obj: T, type: ChangeType) => void;

/**
 * What the cache keeps of each object, applied before ListWatch stores it (to the list's items and to every watch
 * event's object): drop what nobody reads, so the cache holds only that. It must keep metadata.name, namespace and
 * resourceVersion (ListWatch keys and resumes by them) and must not modify its argument.
 */
export type CacheTransform<T> = (obj: T) => T;

export interface InformerOptions<T> {
  transform?: CacheTransform<T>;
  /** Only objects with these labels (a label selector, e.g. "app=express"), in the list and in the watch. */
  labelSelector?: string;
}

/** Restart delay after `failures` consecutive failures: 200 ms doubling to 30 s. */
export function restartBackoffMs(failures: number): number {
  return Math.min(30_000, 200 * 2 ** Math.min(Math.max(failures, 1) - 1, 8));
}

/**
 * A list+watch cache that never gives up. client-node's ListWatch resumes from the last resourceVersion
 * after a clean close or an idle timeout and re-lists (with synthetic deletes) on 410 Gone; on any other
 * error it stops, so we restart it with backoff, again from the last resourceVersion, so deletes during the
 * gap still arrive. The backoff is reset only by data that arrived (an event or a bookmark), never by a mere
 * connection attempt: during an outage restarts slow down to one every 30 s.
 */
export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private readonly handlers: ChangeHandler<T>[] = [];
  private stopped = false;
  private failures = 0;
  private restartTimer?: NodeJS.Timeout;
  private syncedOnce = false;
  private failedWhileStarting?: unknown;
  private wakeStart?: () => void;

  constructor(
    kubeConfig: KubeConfig,
    readonly path: string,
    listFn: () => Promise<KubernetesListObject<T>>,
    limits: Omit<WatchLimits, 'onData'>,
    private readonly log: Logger,
    options: InformerOptions<T> = {},
  ) {
    const { transform, labelSelector } = options;
    const watch = new BoundedWatch(kubeConfig, {
      ...limits,
      onData: () => (this.failures = 0),
      transform: transform as ((obj: unknown) => unknown) | undefined,
    });
    // ListWatch stores the list's items and the watch's objects as they come: transform both on the way in.
    const list = transform
      ? async () => {
          const result = await listFn();
          return { ...result, items: result.items.map(transform) };
        }
      : listFn;
    this.informer = new ListWatch<T>(path, watch, list, false, labelSelector);
    this.informer.on('add', (o) => this.emit(o, 'add'));
    this.informer.on('update', (o) => this.emit(o, 'update'));
    this.informer.on('delete', (o) => this.emit(o, 'delete'));
    this.informer.on('error', (err) => this.scheduleRestart(err));
  }

  onChange(handler: ChangeHandler<T>): void {
    this.handlers.push(handler);
  }

  /** True once the first list succeeded: the cache is complete from then on. */
  get synced(): boolean {
    return this.syncedOnce;
  }

  /** Consecutive failures since data last arrived (for tests and logs). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Starts, and resolves once the cache holds a complete list (retrying until then, unless stopped). */
  async start(): Promise<void> {
    this.stopped = false;
    for (;;) {
      this.failedWhileStarting = undefined;
      await this.informer.start();
      if (this.hasListed()) {
        this.syncedOnce = true;
        this.failures = 0;
        // The list succeeded but the watch that follows it may have failed in the same call (ListWatch
        // reports that as an error and stops): restart it, or the cache would silently stop at this list.
        if (this.failedWhileStarting !== undefined) this.scheduleRestart(this.failedWhileStarting);
        return;
      }
      if (this.stopped) return;
      // The list failed: wait (stop() cuts the wait short) and try again.
      this.failures++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, restartBackoffMs(this.failures));
        this.wakeStart = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeStart = undefined;
      if (this.stopped) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.wakeStart?.();
    await this.informer.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  private hasListed(): boolean {
    return this.informer.latestResourceVersion() !== '';
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped) return;
    if (!this.syncedOnce) {
      // start() handles failures until the first sync; say why (e.g. a CRD that isn't installed, or RBAC).
      this.failedWhileStarting = err ?? new Error('unknown error');
      const { code, message } = describeApiError(err);
      this.log.warn({ path: this.path, code, err: message }, 'list or watch failed while starting; retrying');
      return;
    }
    this.failures++;
    const delay = restartBackoffMs(this.failures);
    this.log.warn(
      { path: this.path, err: describeApiError(err).message, failures: this.failures, retryInMs: delay },
      'watch failed; restarting',
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.informer.start().catch((e: unknown) => this.scheduleRestart(e));
    }, delay);
  }

  private emit(obj: T, type: ChangeType): void {
    for (const h of this.handlers) {
      try {
        h(obj, type);
      } catch (err) {
        this.log.error({ err, path: this.path }, 'change handler threw');
      }
    }
  }
}
