// A fault-injecting HTTPS proxy between the operator and kube-apiserver (test tree only).
//  - terminates TLS toward the operator with its own throw-away CA (the operator's kubeconfig trusts that CA and
//    carries its ServiceAccount token, which is passed through, so the apiserver still sees the operator's user);
//  - forwards to kube-apiserver over TLS, streaming bodies both ways (watches stay streams);
//  - answers a share of requests itself with 500 / 429 / 409 (nothing reaches the apiserver);
//  - for a share of writes, forwards them and then answers 500 anyway (the change happened, the client thinks
//    it failed: the nastiest case for idempotency);
//  - cuts watch streams after a random 1-4 s, half cleanly (the response ends) and half by resetting the socket;
//  - adds latency (fixed, plus a long tail for a share of requests);
//  - black hole (setBlackHole): requests are accepted and never answered, and open watches go silent, like a
//    half-open connection or an API server that stopped responding; silenceWatches() silences only open watches;
//  - hold (hold/release): matching requests wait, body unread; release() forwards those whose client is still
//    connected (a network path that stalls, then recovers) and counts those the client gave up on meanwhile;
//  - tags every forwarded request's User-Agent (userAgentTag), so the apiserver's audit log tells who sent it.
// Randomness is seeded, so a failing run can be replayed with the same seed.
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { generatePki } from '../../harness/certs.js';

export interface FaultProxyOptions {
  /** The apiserver's kubeconfig (server URL and CA). */
  upstream: KubeConfig;
  /** Share of non-watch requests answered with an injected error instead of being forwarded (0..1). */
  errorRate?: number;
  /** Codes to inject, picked uniformly. */
  codes?: number[];
  /** Share of writes (POST/PUT/PATCH/DELETE) forwarded and then answered with 500 (0..1). */
  lostResponseRate?: number;
  /** Watch streams are cut after a random duration in [min, max] ms. */
  watchCutMs?: [number, number];
  /** How watches are cut: 'clean' (the response ends), 'reset' (the connection is reset), or 'mixed' (default). */
  watchCut?: 'clean' | 'reset' | 'mixed';
  /** Added to every forwarded request before it is sent upstream (ms). */
  latencyMs?: number;
  /** A share of forwarded requests waits this much longer (a long tail). */
  tailLatency?: { share: number; ms: number };
  seed?: number;
  /** Appended to the User-Agent of every forwarded request: the audit log's `userAgent` then names this path. */
  userAgentTag?: string;
}

export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  injected: Record<string, number>;
  lostResponses: number;
  watches: number;
  watchCutsClean: number;
  watchCutsReset: number;
  /** Requests swallowed by the black hole. */
  blackHoled: number;
  /** Watch streams silenced (kept open, nothing forwarded). */
  watchesSilenced: number;
  /** Writes that reached the apiserver, with the time they were forwarded (for who-wrote-when checks). */
  writes: Array<{ at: number; method: string; path: string }>;
  /** Requests held by hold(). */
  held: number;
}

export interface FaultProxy {
  url: string;
  caCert: string;
  stats: FaultProxyStats;
  /** Turn faults on or off (forwarding continues). */
  setFaults(on: boolean): void;
  /**
   * While on, nothing is answered and open watches go silent; silenced watches stay silent after it lifts. With
   * `only`, just the requests it matches disappear (e.g. Lease requests) and watches are left alone.
   */
  setBlackHole(on: boolean, only?: (method: string, path: string) => boolean): void;
  /** Open watch streams stop forwarding data but stay open (a watch that is silently dead). */
  silenceWatches(): void;
  /** From now on, requests that `only` matches wait in the proxy (not forwarded, not answered) until release(). */
  hold(only: (method: string, path: string) => boolean): void;
  /**
   * Ends the hold: each held request whose client is still connected is forwarded now (late); those whose client
   * closed the connection meanwhile (aborted) are dropped. Returns how many of each.
   */
  release(): { forwarded: number; clientGone: number; writesForwarded: number };
  /** A kubeconfig for `user` (its token or client cert) that goes through the proxy. */
  kubeConfigFor(user: KubeConfig): KubeConfig;
  stop(): Promise<void>;
}

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS: Record<number, string> = {
  500: 'InternalError',
  429: 'TooManyRequests',
  409: 'Conflict',
  503: 'ServiceUnavailable',
};
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer', 'host']);

function statusBody(code: number, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? 'Unknown',
    code,
  });
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const cluster = opts.upstream.getCurrentCluster();
  if (!cluster) throw new Error('upstream kubeconfig has no current cluster');
  const upstreamUrl = new URL(cluster.server);
  const upstreamCa = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString() : undefined;
  const pki = await generatePki();
  const random = rng(opts.seed ?? 1);
  const errorRate = opts.errorRate ?? 0.1;
  const codes = opts.codes ?? [500, 429, 409];
  const lostRate = opts.lostResponseRate ?? 0.03;
  const [cutMin, cutMax] = opts.watchCutMs ?? [1000, 4000];
  let faults = true;
  let blackHole = false;
  let blackHoleOnly: ((method: string, path: string) => boolean) | undefined;
  const stats: FaultProxyStats = {
    requests: 0,
    forwarded: 0,
    injected: {},
    lostResponses: 0,
    watches: 0,
    watchCutsClean: 0,
    watchCutsReset: 0,
    blackHoled: 0,
    watchesSilenced: 0,
    writes: [],
    held: 0,
  };
  let holdOnly: ((method: string, path: string) => boolean) | undefined;
  const holding: Array<{ req: IncomingMessage; res: ServerResponse; gone: () => boolean }> = [];
  const open = new Set<{ destroy(): void }>();
  const held = new Set<ServerResponse>();
  const liveWatches = new Set<() => void>(); // each silences one open watch stream

  const silenceAll = () => {
    for (const silence of liveWatches) silence();
    liveWatches.clear();
  };

  const delayFor = () => {
    let ms = opts.latencyMs ?? 0;
    if (opts.tailLatency && random() < opts.tailLatency.share) ms += opts.tailLatency.ms;
    return ms;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    if (holdOnly?.(req.method ?? 'GET', new URL(req.url ?? '/', 'https://proxy').pathname)) {
      stats.held++;
      req.pause();
      let gone = false;
      res.once('close', () => (gone = true));
      holding.push({ req, res, gone: () => gone || res.destroyed });
      return;
    }
    if (
      blackHole &&
      (!blackHoleOnly || blackHoleOnly(req.method ?? 'GET', new URL(req.url ?? '/', 'https://proxy').pathname))
    ) {
      // Accepted, never answered: the client's own deadline is the only way out.
      stats.blackHoled++;
      held.add(res);
      res.on('close', () => held.delete(res));
      req.resume();
      return;
    }
    const delay = delayFor();
    if (delay > 0) {
      req.pause();
      setTimeout(() => {
        if (!res.destroyed) forward(req, res);
      }, delay);
      return;
    }
    forward(req, res);
  };

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://proxy');
    const isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const isWrite = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? 'GET');
    if (isWrite) stats.writes.push({ at: Date.now(), method: req.method ?? '', path: url.pathname });
    if (faults && !isWatch && random() < errorRate) {
      const code = codes[Math.floor(random() * codes.length)]!;
      stats.injected[code] = (stats.injected[code] ?? 0) + 1;
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json', connection: 'close' };
      if (code === 429) headers['retry-after'] = '1';
      res
        .writeHead(code, headers)
        .end(statusBody(code, `fault proxy: injected ${code} for ${req.method} ${url.pathname}`));
      return;
    }
    const loseResponse = faults && isWrite && random() < lostRate;
    let cut = false;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers.host = upstreamUrl.host;
    if (opts.userAgentTag) headers['user-agent'] = `${String(req.headers['user-agent'] ?? '')} ${opts.userAgentTag}`;
    let upDone = false;
    // One upstream connection per request (no pool): a request whose client went away can never hold a pooled
    // socket and starve later requests.
    const up = httpsRequest(
      {
        protocol: 'https:',
        hostname: upstreamUrl.hostname,
        port: upstreamUrl.port,
        method: req.method,
        path: req.url,
        headers,
        agent: false,
        ca: upstreamCa,
      },
      (upRes) => {
        stats.forwarded++;
        upRes.on('end', () => (upDone = true));
        if (loseResponse) {
          stats.lostResponses++;
          upRes.resume();
          upRes.on('end', () =>
            res
              .writeHead(500, { 'content-type': 'application/json', connection: 'close' })
              .end(statusBody(500, 'fault proxy: response lost after forwarding')),
          );
          return;
        }
        const outHeaders: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upRes.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v;
        // No keep-alive toward the operator: every request gets a fresh connection, so a cut or reset watch can
        // never leave a half-dead pooled connection behind (the proxy's faults stay the only faults).
        outHeaders.connection = 'close';
        res.writeHead(upRes.statusCode ?? 502, outHeaders);
        // A watch's headers go out now: Node holds them until the first body write, and kube-apiserver sends no body
        // for a quiet watch of a custom resource, so the client (waiting for the headers to start the watch) waited
        // for the operator's idle watchdog: the held hand-over's leaders took 60-90 s to sync their caches.
        if (isWatch) res.flushHeaders();
        upRes.pipe(res);
        if (isWatch) {
          const silence = () => {
            stats.watchesSilenced++;
            upRes.unpipe(res);
            upRes.resume(); // keep draining upstream; the client hears nothing
          };
          liveWatches.add(silence);
          res.on('close', () => liveWatches.delete(silence));
          if (blackHole && !blackHoleOnly) silence();
        }
        if (isWatch) stats.watches++;
        if (isWatch && faults) {
          const timer = setTimeout(
            () => {
              cut = true;
              const clean = opts.watchCut === 'clean' || (opts.watchCut !== 'reset' && random() < 0.5);
              if (clean) {
                // Clean: the response ends like a server-side watch timeout; the client resumes from its resourceVersion.
                stats.watchCutsClean++;
                upRes.unpipe(res);
                res.end();
                up.destroy();
              } else {
                stats.watchCutsReset++;
                up.destroy();
                res.socket?.destroy();
              }
            },
            cutMin + random() * (cutMax - cutMin),
          );
          const clear = () => clearTimeout(timer);
          res.on('close', clear);
          upRes.on('end', clear);
        }
      },
    );
    const tracker = { destroy: () => up.destroy() };
    open.add(tracker);
    up.on('close', () => open.delete(tracker));
    up.on('error', () => {
      if (cut) return;
      if (!res.headersSent)
        res.writeHead(502, { 'content-type': 'application/json' }).end(statusBody(502, 'fault proxy: upstream error'));
      else res.destroy();
    });
    res.on('close', () => {
      if (!upDone) up.destroy();
    });
    if (!isWatch) up.setTimeout(30_000, () => up.destroy(new Error('upstream timeout')));
    req.pipe(up);
  };

  const server: Server = createServer({ cert: pki.serving.cert, key: pki.serving.key }, handle);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxyUrl = `https://127.0.0.1:${port}`;

  return {
    url: proxyUrl,
    caCert: pki.ca.cert,
    stats,
    setFaults: (on) => {
      faults = on;
    },
    setBlackHole: (on, only) => {
      blackHole = on;
      blackHoleOnly = on ? only : undefined;
      if (on && !only) silenceAll();
    },
    silenceWatches: silenceAll,
    hold: (only) => {
      holdOnly = only;
    },
    release: () => {
      holdOnly = undefined;
      const out = { forwarded: 0, clientGone: 0, writesForwarded: 0 };
      for (const h of holding.splice(0)) {
        if (h.gone()) {
          out.clientGone++;
          continue;
        }
        out.forwarded++;
        if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(h.req.method ?? 'GET')) out.writesForwarded++;
        forward(h.req, h.res);
      }
      return out;
    },
    kubeConfigFor(user: KubeConfig): KubeConfig {
      const u = user.getCurrentUser();
      if (!u) throw new Error('kubeconfig has no current user');
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [
          {
            name: 'fault-proxy',
            server: proxyUrl,
            caData: Buffer.from(pki.ca.cert).toString('base64'),
            skipTLSVerify: false,
          },
        ],
        users: [{ ...u }],
        contexts: [{ name: 'fault-proxy', cluster: 'fault-proxy', user: u.name }],
        currentContext: 'fault-proxy',
      });
      return kc;
    },
    async stop() {
      for (const t of open) t.destroy();
      for (const res of held) res.destroy();
      for (const h of holding.splice(0)) h.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
