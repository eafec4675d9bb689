import { randomInt } from 'node:crypto';
import { Watch, type KubeConfig } from '@kubernetes/client-node';

// client-node's Watch with the limits a long-running controller needs (client-go does the same):
// - the server ends each watch after a random 5-10 minutes (timeoutSeconds), so no connection lives for ever
//   and restarts of many watches do not line up;
// - bookmarks are asked for, so a quiet watch still receives data about once a minute and resumes from a
//   recent resourceVersion;
// - a watch that has received nothing (no event, no bookmark) for `idleTimeoutMs` is taken for a silent,
//   broken connection (a half-open socket, a proxy that stopped forwarding) and aborted; ListWatch then
//   reconnects from its last resourceVersion at once.

export interface WatchLimits {
  timeoutMinSeconds: number;
  timeoutMaxSeconds: number;
  idleTimeoutMs: number;
  /** Called for every line received (events and bookmarks): the connection is alive. */
  onData?: () => void;
  /** Applied to the object of every ADDED, MODIFIED and DELETED event before it is passed on (the cache's transform). */
  transform?: (obj: unknown) => unknown;
}

const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

export class BoundedWatch extends Watch {
  constructor(
    kubeConfig: KubeConfig,
    private readonly limits: WatchLimits,
  ) {
    super(kubeConfig);
    // client-node's own inactivity timer (30 s by default, shorter than the server's bookmark interval) is the
    // idle watchdog; its field is not part of the typed API, so a unit test pins that it still exists.
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = limits.idleTimeoutMs;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const { timeoutMinSeconds: min, timeoutMaxSeconds: max } = this.limits;
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: randomInt(min, max + 1) };
    return super.watch(
      path,
      params,
      (phase, obj, raw) => {
        this.limits.onData?.();
        const { transform } = this.limits;
        // BOOKMARK and ERROR carry no object of the kind (a resourceVersion, a Status): passed on as they are.
        callback(phase, transform && OBJECT_EVENTS.has(phase) ? transform(obj) : obj, raw);
      },
      done,
    );
  }
}
