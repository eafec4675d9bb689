import {
  createConfiguration,
  Observable,
  ServerConfiguration,
  type Configuration,
  type ConfigurationOptions,
  type KubeConfig,
  type Middleware as PromiseMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

// How the operator's API clients talk HTTP: shared keep-alive connections and a deadline on every request.
//
// client-node 2.x (undici) still builds a new dispatcher for every request (KubeConfig.createDispatcher, called
// from applySecurityAuthentication), so every call would open a new TCP + TLS connection and a new TLS
// SecureContext; under load that dominated the operator's CPU (measured with 1.x, same shape). reuseConnections()
// makes a KubeConfig hand out one dispatcher per distinct set of TLS options instead. And client-node sets no
// timeout on API requests: one hung call would hold a work-queue slot and the per-pod lock for ever, so every
// client made by makeApi() aborts a request that has not completed (headers and body) within its deadline.

const PATCHED = Symbol.for('nodebounce.reuseConnections');
const MAX_DISPATCHERS = 8;
export const USER_AGENT = 'nodebounce-operator';

type Closable = { close?: () => Promise<void> };
type Patchable = {
  createDispatcher(cluster: unknown, options: Record<string, unknown>): Closable | undefined;
  createDispatcherOptions(cluster: unknown, options: Record<string, unknown>): unknown;
  [PATCHED]?: Map<string, Closable | undefined>;
};

function optionKey(options: unknown): string {
  return JSON.stringify(options, (_k, v: unknown) => {
    if (Buffer.isBuffer(v)) return v.toString('base64');
    // JSON.stringify has already turned Buffers into { type: 'Buffer', data } by the time the replacer sees them.
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer')
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    return v;
  });
}

/**
 * Makes `kc` reuse keep-alive connections: requests with the same cluster and TLS options share one dispatcher.
 * Idempotent; returns `kc` (patched in place, so every API client and watch made from it benefits).
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as Patchable;
  if (target[PATCHED]) return kc;
  const original = target.createDispatcher.bind(kc);
  const dispatchers = new Map<string, Closable | undefined>();
  target.createDispatcher = (cluster, options) => {
    const key = optionKey(target.createDispatcherOptions(cluster, options));
    if (dispatchers.has(key)) return dispatchers.get(key);
    const dispatcher = original(cluster, options);
    dispatchers.set(key, dispatcher);
    if (dispatchers.size > MAX_DISPATCHERS) {
      // Credentials rotated many times: drop the oldest (close() lets busy requests finish first).
      const [oldestKey, oldest] = dispatchers.entries().next().value as [string, Closable | undefined];
      dispatchers.delete(oldestKey);
      void oldest?.close?.().catch(() => undefined);
    }
    return dispatcher;
  };
  target[PATCHED] = dispatchers;
  return kc;
}

/** Number of distinct dispatchers a patched KubeConfig holds (for tests). */
export function dispatcherCount(kc: KubeConfig): number {
  return (kc as unknown as Patchable)[PATCHED]?.size ?? 0;
}

/**
 * A middleware that aborts a request (connect, headers and body) that has not completed within `ms`, or at once
 * when `until` aborts (leadership ended: no request of this instance may still be in flight when the Lease goes).
 */
export function deadline(ms: number, until?: AbortSignal): PromiseMiddleware {
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`request deadline must be a positive number of ms, got ${ms}`);
  return {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(until ? AbortSignal.any([AbortSignal.timeout(ms), until]) : AbortSignal.timeout(ms));
      return Promise.resolve(ctx);
    },
    post: (res: ResponseContext) => Promise.resolve(res),
  };
}

/**
 * Per-call options that give one request its own deadline (the last deadline set wins, so this overrides the
 * client's). Per-call middleware of the object-parameter API is the observable kind.
 */
export function withDeadline(ms: number): ConfigurationOptions {
  const mw = deadline(ms);
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => new Observable(mw.pre(ctx)),
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** True for the error a request gets when its deadline passed. */
export function isDeadlineExceeded(err: unknown): boolean {
  const e = err as { name?: unknown; cause?: { name?: unknown } } | undefined;
  return e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError';
}

/**
 * An API client of type `Api` for `kc`'s current cluster whose every request has the deadline `timeoutMs`.
 * Like KubeConfig.makeApiClient (credentials are applied per request, so rotated tokens are picked up), plus
 * shared connections and the deadline.
 */
export function makeApi<Api>(
  kc: KubeConfig,
  apiType: new (config: Configuration) => Api,
  timeoutMs: number,
  /** Aborts every request of this client, in flight or later (see deadline()). */
  until?: AbortSignal,
): Api {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  reuseConnections(kc);
  const userAgent: PromiseMiddleware = {
    pre: (ctx) => {
      ctx.setHeaderParam('User-Agent', USER_AGENT);
      return Promise.resolve(ctx);
    },
    post: (res) => Promise.resolve(res),
  };
  return new apiType(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [userAgent, deadline(timeoutMs, until)],
    }),
  );
}
