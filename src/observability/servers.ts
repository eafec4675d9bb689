import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { OperatorMetrics } from './metrics.js';

// /metrics on the metrics port; /healthz and /readyz on the health port (as kubebuilder projects do).

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

async function listen(server: Server, port: number): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
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
export async function startHealthServer(port: number, state: ProbeState, log: Logger): Promise<ListeningServer> {
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
  const listening = await listen(server, port);
  log.info({ port: listening.port }, 'health probes listening (/healthz, /readyz)');
  return {
    ...listening,
    close: async () => {
      clearInterval(beat);
      await listening.close();
    },
  };
}

export async function startMetricsServer(
  port: number,
  metrics: OperatorMetrics,
  log: Logger,
): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  const listening = await listen(server, port);
  log.info({ port: listening.port }, 'metrics listening (/metrics)');
  return listening;
}
