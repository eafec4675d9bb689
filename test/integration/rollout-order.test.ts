import { describe, expect, inject, it } from 'vitest';
import { useOperatorEnv } from './support/env.js';
import {
  auditEvictions,
  earliestReady,
  maxConcurrentDisruptions,
  RolloutFixture,
  trackReadiness,
} from './support/rollout.js';

// RollingBounce on the real control plane: order, leader last, maxUnavailable checked from the audit log (not from
// our own status), and a dry-run plan that the real run then follows.
describe('RollingBounce: order, leader last, maxUnavailable', () => {
  const env = useOperatorEnv();

  it('byName with the leader last, one at a time: audit shows that order, each pod evicted once, never two at once', async () => {
    const { fx } = env;
    const rf = new RolloutFixture(env.kc);
    const ns = await env.namespace('rb-order');
    const names = ['node-a', 'node-b', 'node-c', 'node-d'];
    await Promise.all(
      names.map((n) =>
        fx.readyExpressNode(ns, n, {
          labels: { cluster: 'c1', ...(n === 'node-a' ? { role: 'leader' } : {}) },
          startupDelay: '1s',
          shutdownDelay: '300ms',
        }),
      ),
    );
    const ready = await trackReadiness(env.kc, ns);
    const from = Date.now() - 1000;
    await rf.create(ns, 'weekly', {
      members: { selector: { matchLabels: { cluster: 'c1' } } },
      last: { matchLabels: { role: 'leader' } },
      healthGate: { stableSeconds: 0 },
      bounceTemplate: { reason: 'kernel patch' },
    });
    const done = await rf.waitFinished(ns, 'weekly');
    expect(done.status).toMatchObject({
      phase: 'Succeeded',
      reason: 'AllMembersBounced',
      progress: '4/4',
      observedGeneration: 1,
    });
    expect(done.status?.members?.map((m) => [m.pod, m.phase, m.reason])).toEqual([
      ['node-b', 'Succeeded', 'PodRestarted'],
      ['node-c', 'Succeeded', 'PodRestarted'],
      ['node-d', 'Succeeded', 'PodRestarted'],
      ['node-a', 'Succeeded', 'PodRestarted'],
    ]);
    const evictions = await auditEvictions(inject('auditLogPath'), ns, from);
    expect(evictions.map((e) => e.pod)).toEqual(['node-b', 'node-c', 'node-d', 'node-a']);
    expect(maxConcurrentDisruptions(evictions, earliestReady(ready.readyAt, await rf.nodeBounces(ns)))).toBe(1);
    await ready.stop();
    // The NodeBounces are owned by the RollingBounce and carry the template.
    const nbs = await rf.nodeBounces(ns);
    expect(nbs).toHaveLength(4);
    for (const nb of nbs) {
      expect(nb.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'RollingBounce', name: 'weekly', controller: true, uid: done.metadata.uid }),
      ]);
      expect(nb.spec.reason).toBe('kernel patch');
    }
    // Finished: the finalizer is let go (in the pass after the one that wrote Succeeded).
    await rf.wait(ns, 'weekly', (o) => (o.metadata.finalizers ?? []).length === 0, 30_000, 'finalizer released');
    // Events on the RollingBounce (kubectl describe rb): each member started and finished, the rollout succeeded.
    await expect
      .poll(async () => (await fx.events(ns, 'weekly')).map((e) => e.reason), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['MemberStarted', 'MemberSucceeded', 'AllMembersBounced']));
    const events = await fx.events(ns, 'weekly');
    expect(events.filter((e) => e.reason === 'MemberStarted')).toHaveLength(4);
    expect(events.filter((e) => e.reason === 'MemberSucceeded')).toHaveLength(4);
  });

  it('maxUnavailable 2 over 5 members: never more than 2 disrupted at once (audit log); the dry-run plan is the real order', async () => {
    const { fx } = env;
    const rf = new RolloutFixture(env.kc);
    const ns = await env.namespace('rb-max');
    const names = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'];
    await Promise.all(
      names.map((n, i) =>
        fx.readyExpressNode(ns, n, {
          labels: { cluster: 'c2' },
          startupDelay: `${1 + (i % 3)}s`,
          shutdownDelay: '300ms',
        }),
      ),
    );
    const spec = {
      members: { selector: { matchLabels: { cluster: 'c2' } } },
      maxUnavailable: 2,
      order: 'reverse' as const,
      healthGate: { stableSeconds: 0 },
    };
    const dry = await rf.create(ns, 'plan', { ...spec, dryRun: true });
    const planned = await rf.waitFinished(ns, dry.metadata.name);
    expect(planned.status).toMatchObject({ phase: 'Succeeded', reason: 'DryRunPlanned' });
    expect(planned.status?.plan?.batches).toEqual([['m-5', 'm-4'], ['m-3', 'm-2'], ['m-1']]);
    expect(planned.status?.plan?.members.every((m) => m.verdict === 'WouldBounce')).toBe(true);
    expect(await rf.nodeBounces(ns)).toEqual([]);

    const ready = await trackReadiness(env.kc, ns);
    const from = Date.now() - 1000;
    await rf.create(ns, 'real', spec);
    const done = await rf.waitFinished(ns, 'real');
    expect(done.status).toMatchObject({ phase: 'Succeeded', progress: '5/5', maxUnavailable: 2 });
    const evictions = await auditEvictions(inject('auditLogPath'), ns, from);
    // The real run evicts exactly the planned members, batch after batch (members of one batch start together,
    // so their evictions may interleave).
    const batches = planned.status!.plan!.batches;
    const batchOf = (pod: string) => batches.findIndex((b) => b.includes(pod));
    expect(evictions.map((e) => e.pod).sort()).toEqual(batches.flat().sort());
    const order = evictions.map((e) => batchOf(e.pod));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(
      maxConcurrentDisruptions(evictions, earliestReady(ready.readyAt, await rf.nodeBounces(ns))),
    ).toBeLessThanOrEqual(2);
    await ready.stop();
  });

  it(
    'a 10-member rollout, one at a time: its timeline against the sum of member floors',
    { timeout: 300_000 },
    async () => {
      const { fx } = env;
      const rf = new RolloutFixture(env.kc);
      const ns = await env.namespace('rb-timeline');
      const names = Array.from({ length: 10 }, (_, i) => `t-${String(i).padStart(2, '0')}`);
      await Promise.all(
        names.map((n) =>
          fx.readyExpressNode(ns, n, { labels: { cluster: 't' }, startupDelay: '1s', shutdownDelay: '300ms' }),
        ),
      );
      const t0 = Date.now();
      await rf.create(ns, 'ten', {
        members: { selector: { matchLabels: { cluster: 't' } } },
        healthGate: { stableSeconds: 0 },
      });
      const done = await rf.waitFinished(ns, 'ten', 240_000);
      const wall = (Date.now() - t0) / 1000;
      expect(done.status).toMatchObject({ phase: 'Succeeded', progress: '10/10' });
      const byName = new Map((await rf.nodeBounces(ns)).map((nb) => [nb.spec.podName, nb]));
      // A member's floor: its NodeBounce from acceptance to completion (preflight, eviction, shutdown, replacement
      // Ready), from the operator's millisecond timestamps (creationTimestamp has 1 s resolution).
      const rows = names.map((n) => byName.get(n)!);
      const floors = rows.map(
        (nb) => (Date.parse(nb.status!.completionTime!) - Date.parse(nb.status!.startTime!)) / 1000,
      );
      // The rollout's own overhead: from one member's completion to the next member's NodeBounce being accepted.
      const gaps = rows
        .slice(1)
        .map((nb, i) => (Date.parse(nb.status!.startTime!) - Date.parse(rows[i]!.status!.completionTime!)) / 1000);
      const sum = floors.reduce((a, b) => a + b, 0);
      console.log(
        `[rollout-timeline] 10 members, maxUnavailable 1: ${wall.toFixed(1)}s wall (create to Succeeded); sum of member floors ${sum.toFixed(1)}s; ` +
          `gaps between members ${gaps.map((g) => g.toFixed(2)).join(' ')} s`,
      );
      for (const g of gaps) expect(g).toBeLessThanOrEqual(10);
      expect(wall).toBeLessThan(sum + 10 * 10);
    },
  );
});
