import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { BindAddress } from '../config/bind-address.js';
import { ConfigError } from '../config/load.js';
import type { OperatorMetrics } from './metrics.js';
import { selfSignedCertificate } from './self-signed.js';

// /metrics on the metrics port; /healthz and /readyz on the health port (as kubebuilder projects do). By default
// /metrics is served over HTTPS to callers whose bearer token the API server authenticates (TokenReview) and
// authorizes for `get /metrics` (SubjectAccessReview); plain HTTP without authentication is an explicit opt-out.

export interface ProbeState {
  /** Watches established (leader) or standing by under leader election. */
  ready(): boolean;
  /** Why the process is not live although its event loop runs (e.g. a reconcile stuck far past its deadlines). */
  stuck?(): string | undefined;
}

export interface ListeningServer {
  port: number;
  close(): Promise<void>;
}

const STUCK_AFTER_MS = 10_000;

async function listen(server: Server | HttpsServer, address: BindAddress): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // host undefined: every interface (:: and 0.0.0.0).
    server.listen(address.port, address.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Liveness: a heartbeat timer proves the event loop runs; if it hasn't ticked for 10 s the loop was
 * blocked and /healthz fails (a fully stuck loop doesn't answer at all, which fails the probe too). It also
 * fails when `state.stuck()` names a reason: a loop that runs but whose work never finishes is not alive
 * either, and a restart (state is in status) is the way out.
 */
export async function startHealthServer(
  address: BindAddress,
  state: ProbeState,
  log: Logger,
): Promise<ListeningServer> {
  let lastBeat = Date.now();
  const beat = setInterval(() => (lastBeat = Date.now()), 1000);
  beat.unref();
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      const lag = Date.now() - lastBeat;
      const problem = lag >= STUCK_AFTER_MS ? `event loop stalled for ${lag}ms` : state.stuck?.();
      if (problem) log.warn({ problem }, 'liveness probe failing');
      res.writeHead(problem ? 500 : 200, { 'content-type': 'text/plain' }).end(problem ?? 'ok');
    } else if (path === '/readyz') {
      const ok = state.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'caches not synced');
    } else {
      res.writeHead(404).end();
    }
  });
  const listening = await listen(server, address);
  log.info({ host: address.host ?? '*', port: listening.port }, 'health probes listening (/healthz, /readyz)');
  return {
    ...listening,
    close: async () => {
      clearInterval(beat);
      await listening.close();
    },
  };
}

/** The answer of the API server about one bearer token (see src/kube/access-review.ts). */
export type MetricsAccessDecision =
  { allowed: true; user: string } | { allowed: false; status: 401 | 403; user?: string; reason: string };

export interface MetricsServerOptions {
  address: BindAddress;
  /**
   * HTTPS with authentication and authorization (the default), or plain HTTP open to anyone who reaches the port
   * (`metricsSecure: false`).
   */
  secure?: {
    /** Reviews a bearer token (cached; rejects when the API server cannot answer). */
    review(token: string): Promise<MetricsAccessDecision>;
    /** A mounted certificate (e.g. a cert-manager Secret), reloaded when it changes; else a self-signed one. */
    certFile?: string;
    keyFile?: string;
    /** How often a mounted certificate is checked for a change. */
    reloadIntervalMs?: number;
  };
}

function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function mtimes(files: string[]): string {
  return files.map((f) => statSync(f).mtimeMs).join(',');
}

export async function startMetricsServer(
  opts: MetricsServerOptions,
  metrics: OperatorMetrics,
  log: Logger,
): Promise<ListeningServer> {
  const serve = (res: ServerResponse) =>
    metrics.registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  const secure = opts.secure;
  if (!secure) {
    const server = createServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void serve(res);
    });
    const listening = await listen(server, opts.address);
    log.warn(
      { host: opts.address.host ?? '*', port: listening.port, secure: false },
      'metrics listening (/metrics) over plain HTTP without authentication (metricsSecure: false)',
    );
    return listening;
  }

  const files = secure.certFile && secure.keyFile ? [secure.certFile, secure.keyFile] : undefined;
  const load = () =>
    files
      ? { cert: readFileSync(files[0]!), key: readFileSync(files[1]!) }
      : selfSignedCertificate('nodebounce-operator', { dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
  const server = createHttpsServer({ ...initialCertificate(load, files), minVersion: 'TLSv1.2' }, (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const token = bearerToken(req);
    if (!token) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n');
      return;
    }
    secure.review(token).then(
      (d) => {
        if (d.allowed) return serve(res);
        log.debug({ user: d.user, status: d.status, reason: d.reason }, 'metrics request refused');
        res
          .writeHead(d.status, { 'content-type': 'text/plain' })
          .end(d.status === 401 ? 'Unauthorized\n' : `Forbidden: ${d.user ?? ''} may not get /metrics\n`);
      },
      (err: unknown) => {
        log.warn({ err }, 'metrics request: the access review failed');
        res.writeHead(503, { 'content-type': 'text/plain' }).end('access review failed; try again\n');
      },
    );
  });
  // A mounted certificate renewed in place (cert-manager rewrites the Secret's files) is picked up without a restart.
  let reload: NodeJS.Timeout | undefined;
  if (files) {
    let seen = mtimes(files);
    reload = setInterval(() => {
      try {
        const now = mtimes(files);
        if (now === seen) return;
        server.setSecureContext({ ...load(), minVersion: 'TLSv1.2' });
        seen = now;
        log.info({ certFile: files[0] }, 'metrics: serving certificate reloaded');
      } catch (err) {
        log.warn(
          { err, certFile: files[0] },
          'metrics: serving certificate could not be reloaded; keeping the old one',
        );
      }
    }, secure.reloadIntervalMs ?? 10_000);
    reload.unref();
  }
  const listening = await listen(server, opts.address);
  log.info(
    {
      host: opts.address.host ?? '*',
      port: listening.port,
      secure: true,
      certificate: files ? files[0] : 'self-signed',
    },
    'metrics listening (/metrics) over HTTPS with authentication and authorization',
  );
  return {
    ...listening,
    close: async () => {
      clearInterval(reload);
      await listening.close();
    },
  };
}

/**
 * The certificate the server starts with. A mounted one that cannot be read or parsed is a configuration mistake:
 * start-up stops naming the key and the files (a ConfigError, exit 2), not with a stack trace.
 */
function initialCertificate(
  load: () => { cert: Buffer | string; key: Buffer | string },
  files: string[] | undefined,
): { cert: Buffer | string; key: Buffer | string } {
  try {
    const pair = load();
    if (files) createSecureContext(pair);
    return pair;
  } catch (err) {
    if (!files) throw err;
    throw new ConfigError(
      `metricsCertPath: cannot use the certificate ${files[0]} and key ${files[1]}: ${(err as Error).message}. ` +
        'Mount a Secret with tls.crt and tls.key there (metricsCertName / metricsCertKey name other files), or ' +
        'leave metricsCertPath unset for a self-signed certificate',
      ['metricsCertPath'],
    );
  }
}
