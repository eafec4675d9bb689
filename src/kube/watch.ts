import { randomInt } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { authorize } from './lean.js';

// The operator's watches, with the limits a long-running controller needs (client-go does the same):
// - the server ends each watch after a random 5-10 minutes (timeoutSeconds), so no connection lives for ever
//   and restarts of many watches do not line up;
// - bookmarks are asked for, so a quiet watch still receives data about once a minute and resumes from a
//   recent resourceVersion;
// - a watch that has received nothing (no event, no bookmark) for `idleTimeoutMs` is taken for a silent,
//   broken connection (a half-open socket, a proxy that stopped forwarding) and aborted; ListWatch then
//   reconnects from its last resourceVersion at once.
//
// It speaks client-node's Watch protocol (ListWatch drives it) but reads the stream itself (issue 20): one
// undici Dispatcher.request on the shared dispatcher (lean.ts), the body as a Node stream split at newlines and
// each line parsed once — instead of `fetch`, a web stream adapted back to a Node stream, readline, and a new
// idle timer per chunk (client-node's Watch), which the profile of a burst showed among the HTTP stack's costs.

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

/** What ends a watch that received nothing for the idle time (the name isDeadlineExceeded and errors.ts know). */
function idleTimeout(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

export class BoundedWatch extends Watch {
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly limits: WatchLimits,
  ) {
    super(kubeConfig);
  }

  /**
   * Starts one watch request; `callback` gets each event (type, object after the transform, the whole event),
   * `done` is called exactly once when it ends: null for a clean end, else the error (an HTTP status ≥ 300 as an
   * Error with `statusCode`, so ListWatch re-lists on 410; a TimeoutError after `idleTimeoutMs` without data).
   * Resolves to the controller that aborts it (ListWatch.stop()).
   */
  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const { timeoutMinSeconds: min, timeoutMaxSeconds: max, idleTimeoutMs, onData, transform } = this.limits;
    const url = new URL(cluster.server + path);
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: randomInt(min, max + 1) };
    url.searchParams.set('watch', 'true');
    for (const [key, value] of Object.entries(params))
      if (value !== undefined) url.searchParams.set(key, String(value));

    const controller = new AbortController();
    let timedOut = false;
    // One timer for the whole watch, pushed back on data (refresh() re-arms it without a new timer).
    const idle = setTimeout(() => {
      timedOut = true;
      controller.abort(idleTimeout());
    }, idleTimeoutMs);
    idle.unref();
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      controller.abort();
      done(err && timedOut ? idleTimeout() : err);
    };
    const line = (text: string) => {
      if (text.length === 0) return;
      // As in client-node's Watch: a line that is not JSON, or a handler that throws, costs that event only (a throw
      // out of the stream's data handler would end the process).
      try {
        const event = JSON.parse(text) as { type: string; object: unknown };
        onData?.();
        // BOOKMARK and ERROR carry no object of the kind (a resourceVersion, a Status): passed on as they are.
        const obj = transform && OBJECT_EVENTS.has(event.type) ? transform(event.object) : event.object;
        callback(event.type, obj, event);
      } catch {
        // ignored
      }
    };

    try {
      const { headers, dispatcher } = await authorize(this.kubeConfig);
      const res = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers,
        signal: controller.signal,
      });
      if (res.statusCode !== 200) {
        res.body.resume();
        throw Object.assign(new Error(STATUS_CODES[res.statusCode] ?? `HTTP ${res.statusCode}`), {
          statusCode: res.statusCode,
        });
      }
      idle.refresh();
      const body = res.body;
      body.setEncoding('utf8'); // a character split between two chunks is decoded whole
      let rest = '';
      body.on('data', (chunk: string) => {
        idle.refresh();
        const text = rest.length > 0 ? rest + chunk : chunk;
        let start = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
          line(text.slice(start, nl));
          start = nl + 1;
        }
        rest = text.slice(start);
      });
      body.on('end', () => {
        line(rest);
        finish(null);
      });
      body.on('error', finish);
      body.on('close', () => finish(null));
    } catch (err) {
      finish(err);
    }
    return controller;
  }
}
