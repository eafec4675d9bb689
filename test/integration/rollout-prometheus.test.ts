// The RollingBounce alert gate against a real Prometheus server (built from the Go module proxy like the control
// plane, cached in the tools cache): an alerting rule over a metric this test serves; the gate query is
// ALERTS{alertstate="firing"}. Firing holds the next member; resolved lets it go. The endpoints come from the
// operator's config file (prometheus.endpoints), never from the RollingBounce: a RollingBounce naming a URL is
// refused, and an endpoint that redirects is not followed, with nothing of any answer in status or Events.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryPrometheus } from '../../src/rollout/prometheus.js';
import { waitUntil } from '../harness/index.js';
import { freePort, startPrometheus, type PrometheusServer } from '../harness/prometheus.js';
import { useOperatorEnv } from './support/env.js';
import { sleep } from './support/reliability.js';
import { auditEvictions, RolloutFixture } from './support/rollout.js';

describe('RollingBounce: Prometheus alert gate against a real Prometheus', () => {
  // Registered before useOperatorEnv's own beforeAll, so the operator starts with this config file.
  const operatorEnv: Record<string, string> = {};
  let promPort = 0;
  /** Every request the "internal" service got: it redirects to a path of its own and answers with a secret. */
  const internalRequests: string[] = [];
  const internal = createServer((req, res) => {
    internalRequests.push(req.url ?? '');
    if (req.url?.startsWith('/api/v1/query')) {
      res.writeHead(302, { location: '/internal/secret' });
      res.end('INTERNAL-SECRET redirect body');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'INTERNAL-SECRET' }));
  });
  beforeAll(async () => {
    promPort = await freePort();
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', () => r()));
    const dir = mkdtempSync(join(tmpdir(), 'nodebounce-prom-config-'));
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({
        prometheus: {
          endpoints: {
            default: `http://127.0.0.1:${promPort}`,
            down: `http://127.0.0.1:${await freePort()}`,
            redirecting: `http://127.0.0.1:${(internal.address() as AddressInfo).port}`,
          },
        },
      }),
    );
    operatorEnv.NODEBOUNCE_CONFIG = join(dir, 'config.yaml');
  });
  const env = useOperatorEnv({ env: operatorEnv });
  let firing = false;
  let exporter: Server;
  let prometheus: PrometheusServer | undefined;
  let url: string;

  beforeAll(async () => {
    exporter = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE express_alert_firing gauge\nexpress_alert_firing{node="h-c"} ${firing ? 1 : 0}\n`);
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
    prometheus = await startPrometheus({
      targets: [{ job: 'express', target: `127.0.0.1:${(exporter.address() as AddressInfo).port}` }],
      rules:
        'groups:\n  - name: express\n    rules:\n      - alert: ExpressNodeDegraded\n        expr: express_alert_firing > 0\n        labels: { severity: page }\n',
      port: promPort,
    });
    url = prometheus.url;
  }, 45 * 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    exporter?.close();
    internal.closeAllConnections();
    internal.close();
  });

  const eventMessages = async (ns: string) =>
    (await env.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns })).items.map(
      (e) => `${e.reason}: ${e.message}`,
    );

  const alerts = () => queryPrometheus(url, 'ALERTS{alertstate="firing"}', 5);

  it(
    'firing alerts hold the rollout (AlertsFiring), before the first member and between members; resolved, it goes on',
    { timeout: 240_000 },
    async () => {
      const ns = await env.namespace('rb-prom');
      // h-a restarts slowly, so the alert can fire again while it is in flight.
      await Promise.all(
        ['h-a', 'h-b'].map((n) =>
          env.fx.readyExpressNode(ns, n, { labels: { cluster: 'p' }, startupDelay: n === 'h-a' ? '8s' : '1s' }),
        ),
      );
      const rf = new RolloutFixture(env.kc);
      firing = true;
      await waitUntil(
        async () => {
          const r = await alerts();
          return r.ok && r.series > 0;
        },
        { timeoutMs: 30_000, description: 'the alert fires' },
      );

      const from = Date.now() - 1000;
      await rf.create(ns, 'gated', {
        members: { selector: { matchLabels: { cluster: 'p' } } },
        healthGate: {
          stableSeconds: 0,
          prometheus: { endpoint: 'default', query: 'ALERTS{alertstate="firing"}', timeoutSeconds: 5 },
        },
      });
      const held = await rf.wait(ns, 'gated', (rb) => rb.status?.reason === 'AlertsFiring', 30_000, 'AlertsFiring');
      expect(held.status?.phase).toBe('WaitingForHealth');
      // The series count, never their labels (a query may select anything the endpoint holds).
      expect(held.status?.message).toContain('returned 1 series');
      expect(held.status?.message).not.toContain('ExpressNodeDegraded');
      await sleep(3000);
      expect(await auditEvictions(inject('auditLogPath'), ns, from)).toEqual([]);

      // Resolved: the gate is re-queried (every 15 s while it waits) and the first member starts.
      firing = false;
      await rf.wait(ns, 'gated', (rb) => rb.status?.members?.[0]?.phase === 'InProgress', 60_000, 'h-a started');
      // Firing again while h-a is in flight: h-b is held.
      firing = true;
      await waitUntil(
        async () => {
          const r = await alerts();
          return r.ok && r.series > 0;
        },
        { timeoutMs: 30_000, description: 'the alert fires again' },
      );
      const heldAgain = await rf.wait(
        ns,
        'gated',
        (rb) => rb.status?.members?.[0]?.phase === 'Succeeded' && rb.status?.reason === 'AlertsFiring',
        60_000,
        'held before h-b',
      );
      expect(heldAgain.status?.members?.[1]?.phase).toBe('Pending');
      expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['h-a']);
      firing = false;
      const done = await rf.waitFinished(ns, 'gated', 90_000);
      expect(done.status).toMatchObject({ phase: 'Succeeded', progress: '2/2' });
      expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['h-a', 'h-b']);
    },
  );

  it('an unreachable Prometheus keeps the gate closed (PrometheusUnavailable), with the cause', async () => {
    const ns = await env.namespace('rb-prom-down');
    await env.fx.readyExpressNode(ns, 'u-a', { labels: { cluster: 'u' } });
    const rf = new RolloutFixture(env.kc);
    await rf.create(ns, 'nowhere', {
      members: { selector: { matchLabels: { cluster: 'u' } } },
      healthGate: { stableSeconds: 0, prometheus: { endpoint: 'down', query: 'up', timeoutSeconds: 2 } },
    });
    const rb = await rf.wait(
      ns,
      'nowhere',
      (o) => o.status?.reason === 'PrometheusUnavailable',
      30_000,
      'PrometheusUnavailable',
    );
    expect(rb.status?.message).toMatch(/Prometheus query failed: cannot connect \(ECONNREFUSED\)/);
    expect(await rf.nodeBounces(ns)).toEqual([]);
  });

  it('a URL of its own (the old v1alpha1 field) or an unknown endpoint: Failed/InvalidSpec naming the allowed ones; nothing fetched', async () => {
    const ns = await env.namespace('rb-prom-ssrf');
    await env.fx.readyExpressNode(ns, 's-a', { labels: { cluster: 's' } });
    const rf = new RolloutFixture(env.kc);
    const internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/internal/secret#`;
    internalRequests.length = 0;
    await rf.create(ns, 'by-url', {
      members: { selector: { matchLabels: { cluster: 's' } } },
      healthGate: { stableSeconds: 0, prometheus: { url: internalUrl, query: 'up' } },
    });
    await rf.create(ns, 'unknown', {
      members: { selector: { matchLabels: { cluster: 's' } } },
      healthGate: { stableSeconds: 0, prometheus: { endpoint: 'kube-system-secrets', query: 'up' } },
    });
    for (const name of ['by-url', 'unknown']) {
      const rb = await rf.wait(ns, name, (o) => o.status?.phase === 'Failed', 30_000, `${name} refused`);
      expect(rb.status?.reason).toBe('InvalidSpec');
      expect(rb.status?.message).toContain('default, down, redirecting');
    }
    expect(internalRequests).toEqual([]);
    expect(await rf.nodeBounces(ns)).toEqual([]);
  });

  it('an endpoint that redirects: not followed; status and Events carry the HTTP status, never the body', async () => {
    const ns = await env.namespace('rb-prom-redirect');
    await env.fx.readyExpressNode(ns, 'r-a', { labels: { cluster: 'r' } });
    const rf = new RolloutFixture(env.kc);
    internalRequests.length = 0;
    await rf.create(ns, 'redirected', {
      members: { selector: { matchLabels: { cluster: 'r' } } },
      healthGate: { stableSeconds: 0, prometheus: { endpoint: 'redirecting', query: 'up', timeoutSeconds: 2 } },
    });
    const rb = await rf.wait(
      ns,
      'redirected',
      (o) => o.status?.reason === 'PrometheusUnavailable',
      30_000,
      'PrometheusUnavailable',
    );
    expect(rb.status?.message).toContain('HTTP 302: a redirect (not followed)');
    await waitUntil(async () => (await eventMessages(ns)).some((m) => m.startsWith('PrometheusUnavailable')), {
      timeoutMs: 30_000,
      description: 'the WaitingForHealth event',
    });
    expect(JSON.stringify(await rf.get(ns, 'redirected'))).not.toContain('INTERNAL-SECRET');
    expect((await eventMessages(ns)).join('\n')).not.toContain('INTERNAL-SECRET');
    expect(internalRequests.length).toBeGreaterThan(0);
    expect(internalRequests.every((r) => r === '/api/v1/query?query=up')).toBe(true);
    expect(await rf.nodeBounces(ns)).toEqual([]);
  });
});
