// A real Prometheus server for tests (built from the Go module proxy and cached like the other tools, see
// tools.ts): scrapes the targets it is given every second, optionally evaluates rules, answers PromQL queries.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { waitUntil } from './kube.js';
import { ensureTool } from './tools.js';

export interface ScrapeTarget {
  job: string;
  /** host:port serving /metrics. */
  target: string;
  /** Extra target labels, as a service discovery would attach (e.g. namespace). */
  labels?: Record<string, string>;
  /**
   * Scrape over HTTPS with this bearer token (written to a file: `authorization.credentials_file`, as a
   * ServiceMonitor's bearerTokenFile), verifying the server with `ca` (PEM) or not at all.
   */
  https?: { token?: string; ca?: string; serverName?: string };
}

export interface PrometheusServer {
  url: string;
  /** An instant query; the result vector (empty when the query matches nothing). */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startPrometheus(opts: {
  targets: ScrapeTarget[];
  rules?: string;
  /** Listen on this port (e.g. one already written into the operator's config); default: a free one. */
  port?: number;
}): Promise<PrometheusServer> {
  const bin = await ensureTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-prometheus-'));
  const config: Record<string, unknown> = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: opts.targets.map((t, i) => {
      const https: Record<string, unknown> = {};
      if (t.https) {
        https.scheme = 'https';
        if (t.https.token !== undefined) {
          writeFileSync(join(dir, `token-${i}`), t.https.token, { mode: 0o600 });
          https.authorization = { credentials_file: join(dir, `token-${i}`) };
        }
        if (t.https.ca) writeFileSync(join(dir, `ca-${i}.crt`), t.https.ca);
        https.tls_config = t.https.ca
          ? { ca_file: join(dir, `ca-${i}.crt`), ...(t.https.serverName ? { server_name: t.https.serverName } : {}) }
          : { insecure_skip_verify: true };
      }
      return {
        job_name: t.job,
        static_configs: [{ targets: [t.target], ...(t.labels ? { labels: t.labels } : {}) }],
        ...https,
      };
    }),
  };
  if (opts.rules) {
    writeFileSync(join(dir, 'rules.yml'), opts.rules);
    config.rule_files = [join(dir, 'rules.yml')];
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, {
      timeoutMs: 60_000,
      description: `Prometheus ready at ${url}`,
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${logs.join('').slice(-3000)}`, { cause: err });
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, {
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: unknown };
      };
      if (body.status !== 'success')
        throw new Error(`Prometheus query failed (${res.status}): ${body.error ?? ''}: ${expr}`);
      const r = body.data?.result;
      if (body.data?.resultType === 'scalar') return [{ metric: {}, value: r as [number, string] }];
      return r as Array<{ metric: Record<string, string>; value: [number, string] }>;
    },
    stop,
  };
}
