// /metrics behind authentication and authorization (issue 22), against the real kube-apiserver with RBAC: the
// operator (under deploy/base's RBAC, which grants it tokenreviews and subjectaccessreviews) serves HTTPS and asks
// the API server about each bearer token. No token: 401; a token of a ServiceAccount without
// nodebounce-metrics-reader: 403; with it: 200, and a real Prometheus scraping with that token stores the series
// (and records failed scrapes for the other two). Also: a mounted certificate is served, verified with its CA, and
// replaced without a restart when the files change; the bind-address flags decide the interfaces.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePki } from '../harness/certs.js';
import { ensureTool, kubeConfigForServiceAccount, waitUntil } from '../harness/index.js';
import { startPrometheus } from '../harness/prometheus.js';
import { useOperatorEnv } from './support/env.js';
import { OperatorProcess } from './support/operator.js';

function tokenOf(kc: { getCurrentUser(): { token?: string } | null }): string {
  const token = kc.getCurrentUser()?.token;
  if (!token) throw new Error('kubeconfig without a token');
  return token;
}

/** A ServiceAccount's token, optionally bound (ClusterRoleBinding) to nodebounce-metrics-reader. */
async function serviceAccountToken(
  env: ReturnType<typeof useOperatorEnv>,
  ns: string,
  name: string,
  reader: boolean,
): Promise<string> {
  if (reader) {
    await env.kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: `${ns}-${name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'nodebounce-metrics-reader' },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      },
    });
  }
  return tokenOf(await kubeConfigForServiceAccount(env.kc, ns, name));
}

describe('metrics over HTTPS with TokenReview and SubjectAccessReview (the default)', () => {
  const env = useOperatorEnv({ env: { NODEBOUNCE_METRICS_SECURE: 'true' } });
  let ns: string;
  let reader: string;
  let stranger: string;
  beforeAll(async () => {
    ns = await env.namespace('metrics-auth');
    reader = await serviceAccountToken(env, ns, 'prometheus', true);
    stranger = await serviceAccountToken(env, ns, 'stranger', false);
  });
  afterAll(async () => {
    await env.kc
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteClusterRoleBinding({ name: `${ns}-prometheus` })
      .catch(() => undefined);
  });

  it('401 without a token or with a bad one, 403 without the role, 200 with it (curl-like requests)', async () => {
    expect((await env.operator.secureMetrics()).status).toBe(401);
    expect((await env.operator.secureMetrics('not-a-token')).status).toBe(401);
    const forbidden = await env.operator.secureMetrics(stranger);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toContain(`system:serviceaccount:${ns}:stranger may not get /metrics`);
    const ok = await env.operator.secureMetrics(reader);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('controller_runtime_reconcile_total');
    // Plain HTTP on the HTTPS port is no way around it.
    const port = await env.operator.portOf('metrics listening');
    const plain = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it(
    'a real Prometheus scrapes with the authorised token; the other two scrapes fail',
    { timeout: 20 * 60_000 },
    async () => {
      await ensureTool('prometheus'); // built once (cached): minutes on a cold cache
      const port = await env.operator.portOf('metrics listening');
      const target = `127.0.0.1:${port}`;
      const prometheus = await startPrometheus({
        targets: [
          { job: 'authorised', target, https: { token: reader } },
          { job: 'no-role', target, https: { token: stranger } },
          { job: 'no-token', target, https: {} },
        ],
      });
      try {
        await waitUntil(async () => (await prometheus.query('count_over_time(up[1m])')).length === 3, {
          timeoutMs: 60_000,
          description: 'every job scraped at least once',
        });
        const up = Object.fromEntries(
          (await prometheus.query('up')).map((r) => [r.metric.job!, Number(r.value[1])] as const),
        );
        expect(up).toEqual({ authorised: 1, 'no-role': 0, 'no-token': 0 });
        const series = await prometheus.query('leader_election_master_status{job="authorised"}');
        expect(series.length).toBeGreaterThan(0);
        expect(await prometheus.query('leader_election_master_status{job!="authorised"}')).toEqual([]);
      } finally {
        await prometheus.stop();
      }
    },
  );
});

describe('a mounted serving certificate (cert-manager style tls.crt / tls.key), and the bind addresses', () => {
  const env = useOperatorEnv();
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-metrics-cert-'));
  const extra: OperatorProcess[] = [];
  afterAll(async () => {
    for (const p of extra) {
      await p.kill();
      p.cleanup();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const issue = async () => {
    const pki = await generatePki({
      leaves: { metrics: { subject: 'CN=nodebounce-operator-metrics', usage: 'server', hosts: ['localhost'] } },
    });
    return { ca: pki.ca.cert, cert: pki.extra.metrics!.cert, key: pki.extra.metrics!.key };
  };

  it('serves the mounted certificate (verified with its CA) and picks up a renewal without a restart', async () => {
    const first = await issue();
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), first.key);
    const ns = await env.namespace('metrics-cert');
    const reader = await serviceAccountToken(env, ns, 'reader', true);
    const op = new OperatorProcess({
      kubeConfig: env.operatorKc,
      env: { NODEBOUNCE_METRICS_SECURE: 'true', NODEBOUNCE_METRICS_CERT_PATH: dir },
    });
    extra.push(op);
    await op.start(120_000);
    expect((await op.secureMetrics(reader, first.ca)).status).toBe(200);

    const second = await issue();
    writeFileSync(join(dir, 'tls.key'), second.key);
    writeFileSync(join(dir, 'tls.crt'), second.cert);
    await waitUntil(async () => (await op.secureMetrics(reader, second.ca).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the renewed certificate is served',
    });
    await expect(op.secureMetrics(reader, first.ca)).rejects.toThrow(/certificate/);
    await env.kc
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteClusterRoleBinding({ name: `${ns}-reader` })
      .catch(() => undefined);
  });

  it('loopback by default; --health-probe-bind-address=:0 listens on every interface; 0 turns a server off', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const reachable = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host, port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
        s.setTimeout(5000, () => {
          s.destroy();
          resolve(false);
        });
      });

    // The default (no port override): 127.0.0.1:8443 for metrics; here the harness's port 0 keeps the host.
    const loop = new OperatorProcess({ kubeConfig: env.operatorKc, env: { NODEBOUNCE_METRICS_SECURE: 'true' } });
    extra.push(loop);
    await loop.start(120_000);
    const metricsLine = JSON.parse(await loop.waitForLog((l) => l.includes('metrics listening'))) as {
      host: string;
      port: number;
      secure: boolean;
    };
    expect(metricsLine).toMatchObject({ host: '127.0.0.1', secure: true });
    expect(await reachable('127.0.0.1', metricsLine.port)).toBe(true);
    if (external) expect(await reachable(external, metricsLine.port)).toBe(false);
    await loop.stop();

    // Flags win over the environment: health on every interface, metrics off.
    const flags = new OperatorProcess({
      kubeConfig: env.operatorKc,
      args: ['--health-probe-bind-address=:0', '--metrics-bind-address', '0'],
      env: { NODEBOUNCE_HEALTH_PORT: '', NODEBOUNCE_METRICS_PORT: '' },
    });
    extra.push(flags);
    await flags.start(120_000);
    const healthLine = JSON.parse(await flags.waitForLog((l) => l.includes('health probes listening'))) as {
      host: string;
      port: number;
    };
    expect(healthLine.host).toBe('*');
    expect((await flags.get('health probes listening', '/healthz')).status).toBe(200);
    if (external) expect(await reachable(external, healthLine.port)).toBe(true);
    expect(flags.lines.some((l) => l.includes('metrics listening'))).toBe(false);
  });
});
