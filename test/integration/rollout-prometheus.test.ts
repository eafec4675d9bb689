// The RollingBounce alert gate against a real Prometheus server (built from the Go module proxy like the control
// plane, cached in the tools cache): an alerting rule over a metric this test serves; the gate query is
// ALERTS{alertstate="firing"}. Firing holds the next member; resolved lets it go.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryPrometheus } from '../../src/rollout/prometheus.js';
import { waitUntil } from '../harness/index.js';
import { freePort, startPrometheus, type PrometheusServer } from '../harness/prometheus.js';
import { useOperatorEnv } from './support/env.js';
import { sleep } from './support/reliability.js';
import { auditEvictions, RolloutFixture } from './support/rollout.js';

describe('RollingBounce: Prometheus alert gate against a real Prometheus', () => {
  const env = useOperatorEnv();
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
    });
    url = prometheus.url;
  }, 45 * 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    exporter?.close();
  });

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
        healthGate: { stableSeconds: 0, prometheus: { url, query: 'ALERTS{alertstate="firing"}', timeoutSeconds: 5 } },
      });
      const held = await rf.wait(ns, 'gated', (rb) => rb.status?.reason === 'AlertsFiring', 30_000, 'AlertsFiring');
      expect(held.status?.phase).toBe('WaitingForHealth');
      expect(held.status?.message).toContain('alertname="ExpressNodeDegraded"');
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
      healthGate: {
        stableSeconds: 0,
        prometheus: { url: `http://127.0.0.1:${await freePort()}`, query: 'up', timeoutSeconds: 2 },
      },
    });
    const rb = await rf.wait(
      ns,
      'nowhere',
      (o) => o.status?.reason === 'PrometheusUnavailable',
      30_000,
      'PrometheusUnavailable',
    );
    expect(rb.status?.message).toMatch(/Prometheus query failed: .*(ECONNREFUSED|fetch failed|connect)/);
    expect(await rf.nodeBounces(ns)).toEqual([]);
  });
});
