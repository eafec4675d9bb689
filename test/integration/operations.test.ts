import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { uniqueName, waitUntil } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';
import { OperatorProcess } from './support/operator.js';

/** The value of one Prometheus sample, e.g. metric('a_total', { result: 'x' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.slice(name.length).split(' ')[0] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelPart.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('operations: metrics, health, shutdown, leader election', () => {
  // The counters are checked exactly, so the file's operator watches only its own namespaces: an earlier file's
  // unfinished NodeBounce on the shared control plane would otherwise be finished and counted here.
  const metricsNs = uniqueName('ops-metrics');
  const sigtermNs = uniqueName('ops-sigterm');
  const env = useOperatorEnv({ env: { NODEBOUNCE_WATCH_NAMESPACES: `${metricsNs},${sigtermNs}` } });

  it('health probes answer; /metrics reflects the bounces it ran', async () => {
    const ns = await env.namedNamespace(metricsNs);
    expect((await env.operator.get('health probes listening', '/healthz')).status).toBe(200);
    expect((await env.operator.get('health probes listening', '/readyz')).status).toBe(200);

    await env.fx.readyExpressNode(ns, 'm1');
    await env.fx.readyExpressNode(ns, 'm2');
    const names = [];
    for (const podName of ['m1', 'm2', 'missing'])
      names.push((await env.fx.createNodeBounce(ns, { podName })).metadata.name);
    for (const name of names) await env.fx.waitFinished(ns, name);

    const { status, body } = await env.operator.metrics();
    expect(status).toBe(200);
    expect(sample(body, 'nodebounce_bounces_total', { result: 'succeeded', reason: 'PodRestarted' })).toBe(2);
    expect(sample(body, 'nodebounce_bounces_total', { result: 'failed', reason: 'PodNotFound' })).toBe(1);
    expect(sample(body, 'nodebounce_bounce_duration_seconds_count', { phase: 'total' })).toBe(3);
    expect(sample(body, 'nodebounce_bounce_duration_seconds_count', { phase: 'terminating' })).toBe(2);
    expect(sample(body, 'nodebounce_bounce_duration_seconds_sum', { phase: 'total' })).toBeGreaterThan(0);
    expect(sample(body, 'nodebounce_active_bounces')).toBe(0);
    expect(
      sample(body, 'controller_runtime_reconcile_total', { controller: 'nodebounce', result: 'requeue_after' })! +
        sample(body, 'controller_runtime_reconcile_total', { controller: 'nodebounce', result: 'success' })!,
    ).toBeGreaterThanOrEqual(6);
    expect(sample(body, 'controller_runtime_reconcile_errors_total', { controller: 'nodebounce' })).toBeDefined();
    expect(
      sample(body, 'controller_runtime_reconcile_time_seconds_count', { controller: 'nodebounce' }),
    ).toBeGreaterThan(0);
    expect(sample(body, 'workqueue_depth', { name: 'nodebounce' })).toBe(0);
    expect(sample(body, 'workqueue_adds_total', { name: 'nodebounce' })).toBeGreaterThan(0);
    expect(sample(body, 'leader_election_master_status')).toBe(1);
    expect(sample(body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // No webhook configured in this operator: the notification counters exist and stay at zero.
    expect(sample(body, 'nodebounce_notifications_total', { result: 'sent' })).toBe(0);
    expect(sample(body, 'nodebounce_notifications_total', { result: 'dropped' })).toBe(0);
  });

  it('SIGTERM: exits 0 within 10 s mid-bounce; a restarted operator finishes the bounce', async () => {
    const ns = await env.namedNamespace(sigtermNs);
    const pod = await env.fx.readyExpressNode(ns, 'st', { shutdownDelay: '3s' });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'st' });
    await env.fx.waitNodeBounce(ns, nb.metadata.name, (o) => !!o.status?.podDeletedTime, 20_000, 'pod deleted');
    const t0 = Date.now();
    expect(await env.operator.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await env.restartOperator();
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 60_000);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted', podUID: pod.metadata?.uid });
  });

  it('leader election: exactly one of two instances acts; killing the leader hands over and in-flight bounces finish', async () => {
    const ns = await env.namespace('ops-leader');
    const dir = mkdtempSync(join(tmpdir(), 'nb-le-'));
    const configPath = join(dir, 'config.yaml');
    const leaseName = uniqueName('le');
    writeFileSync(
      configPath,
      `leaderElection:\n  enabled: true\n  namespace: nodebounce-system\n  leaseName: ${leaseName}\n`,
    );
    // The shared operator of this file must not act in this test: stop it.
    await env.operator.stop();
    const a = new OperatorProcess({ kubeConfig: env.operatorKc, env: { NODEBOUNCE_CONFIG: configPath } });
    const b = new OperatorProcess({ kubeConfig: env.operatorKc, env: { NODEBOUNCE_CONFIG: configPath } });
    try {
      await a.start(30_000, 'standing by');
      await b.start(30_000, 'standing by');
      const leaderLine = 'became leader';
      const leader = await waitUntil(
        () =>
          a.lines.some((l) => l.includes(leaderLine)) ? a : b.lines.some((l) => l.includes(leaderLine)) ? b : undefined,
        {
          timeoutMs: 30_000,
          description: 'a leader',
        },
      );
      const standby = leader === a ? b : a;
      await leader.waitForLog((l) => l.includes('caches synced'));
      // The standby counts as ready and reports itself as backup.
      expect((await standby.get('health probes listening', '/readyz')).status).toBe(200);
      expect(sample((await standby.metrics()).body, 'leader_election_master_status')).toBe(0);
      expect(sample((await leader.metrics()).body, 'leader_election_master_status')).toBe(1);

      const original = await env.fx.readyExpressNode(ns, 'le', { shutdownDelay: '1s' });
      // The replacement is held NotReady until the standby has taken over, so the bounce is in flight when the leader
      // dies whatever the machine's speed: only the new leader can finish it.
      await env.fx.setStartupDelay(ns, 'le', 'never');
      const nb = await env.fx.createNodeBounce(ns, { podName: 'le', readyTimeoutSeconds: 300 });
      await env.fx.waitNodeBounce(ns, nb.metadata.name, (o) => o.status?.phase === 'Starting', 30_000, 'Starting');
      await waitUntil(
        async () => {
          const p = await env.fx.core.readNamespacedPod({ namespace: ns, name: 'le' }).catch(() => undefined);
          return p && p.metadata?.uid !== original.metadata?.uid ? p : undefined;
        },
        { timeoutMs: 30_000, description: 'the replacement pod' },
      );
      expect(standby.records().filter((r) => r.name === nb.metadata.name)).toEqual([]);

      const killedAt = Date.now();
      await leader.kill();
      await standby.waitForLog((l) => l.includes(leaderLine), 30_000);
      const takeoverMs = Date.now() - killedAt;
      // Lease 15 s, observed by the standby's clock, plus one retry period (2 s) of slack.
      expect(takeoverMs).toBeLessThan(15_000 + 2_000 + 1_000);
      expect((await env.fx.getNodeBounce(ns, nb.metadata.name))?.status?.phase).toBe('Starting');
      // Release the hold: the held replacement is killed and the simulator's next one starts normally.
      await env.fx.setStartupDelay(ns, 'le', '300ms');
      await env.fx.core.deleteNamespacedPod({ namespace: ns, name: 'le' });
      const done = await env.fx.waitFinished(ns, nb.metadata.name, 60_000);
      const pods = await env.fx.core.listNamespacedPod({ namespace: ns });
      expect(
        done.status?.reason,
        `${done.status?.message}\npods now: ${JSON.stringify(pods.items.map((p) => [p.metadata?.name, p.metadata?.uid, p.metadata?.creationTimestamp, p.metadata?.deletionTimestamp, p.status?.phase]))}\nstatus: ${JSON.stringify(done.status)}`,
      ).toBe('PodRestarted');
      expect(standby.records().some((r) => r.name === nb.metadata.name)).toBe(true);

      // A clean shutdown releases the lease: a new standby takes over within a couple of retry periods.
      const c = new OperatorProcess({ kubeConfig: env.operatorKc, env: { NODEBOUNCE_CONFIG: configPath } });
      try {
        await c.start(30_000, 'standing by');
        const stoppedAt = Date.now();
        expect(await standby.stop()).toBe(0);
        // Released by the stopping instance: the Lease no longer names it (no holder, or already the new one).
        const lease = await env.kc
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ namespace: 'nodebounce-system', name: leaseName });
        const standbyIdentity = /"identity":"([^"]+)"/.exec(
          standby.lines.find((l) => l.includes(leaderLine)) ?? '',
        )?.[1];
        expect(standbyIdentity).toBeTruthy();
        expect(
          lease.spec?.holderIdentity ?? '',
          `lease after a clean stop: ${JSON.stringify(lease.spec)}\n${standby.lines.filter((l) => l.includes('lease')).join('\n')}`,
        ).not.toBe(standbyIdentity);
        await c.waitForLog((l) => l.includes(leaderLine), 15_000);
        expect(Date.now() - stoppedAt).toBeLessThan(6_000);
      } finally {
        await c.stop();
        c.cleanup();
      }
    } finally {
      await a.kill();
      await b.kill();
      a.cleanup();
      b.cleanup();
      await env.restartOperator();
    }
  });
});
