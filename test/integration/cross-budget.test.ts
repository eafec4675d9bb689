import { describe, expect, inject, it } from 'vitest';
import { waitUntil } from '../harness/kube.js';
import { useOperatorEnv } from './support/env.js';
import { auditEvictions, RolloutFixture, watchUnavailable } from './support/rollout.js';

// The disruption budget across groups (operator config disruptionBudget.maxPerNamespace: 1), on the real control
// plane: two RollingBounces and a user's NodeBounce in one namespace. Counted from outside (our own pod watch and the
// audit log's evictions): never more than one pod down in the namespace, and the waiters served round robin by owner.
describe('disruption budget across groups (maxPerNamespace 1)', () => {
  const env = useOperatorEnv({ env: { NODEBOUNCE_DISRUPTION_BUDGET_PER_NAMESPACE: '1' } });
  const rf = () => new RolloutFixture(env.kc);

  it('two RollingBounces and a user NodeBounce: one pod down at a time, owners served in turn', async () => {
    const ns = await env.namespace('xbudget');
    const groups = { a: ['a-1', 'a-2', 'a-3'], b: ['b-1', 'b-2', 'b-3'] };
    const all = [...groups.a, ...groups.b, 'u-1'];
    await Promise.all(
      all.map((n) =>
        env.fx.readyExpressNode(ns, n, {
          labels: { group: n.slice(0, 1) },
          startupDelay: '2s',
          shutdownDelay: '300ms',
        }),
      ),
    );
    const watch = await watchUnavailable(env.kc, ns, all);
    const from = Date.now() - 1000;
    try {
      const spec = (g: string) => ({
        members: { selector: { matchLabels: { group: g } } },
        healthGate: { stableSeconds: 0 },
      });
      await rf().create(ns, 'ra', spec('a'));
      // Once ra's first member is past its check, the others arrive: they must wait for it.
      const row = await rf().wait(
        ns,
        'ra',
        (r) => r.status?.members?.some((m) => m.phase === 'InProgress' && m.nodeBounce) === true,
        120_000,
        'a member of ra in progress',
      );
      const firstName = row.status!.members!.find((m) => m.phase === 'InProgress')!.nodeBounce!;
      const first = await env.fx.waitNodeBounce(
        ns,
        firstName,
        (nb) => nb.status?.phase !== undefined && nb.status.phase !== 'Pending',
        120_000,
        "ra's first member started",
      );
      await Promise.all([
        rf().create(ns, 'rb', spec('b')),
        env.fx.createNodeBounce(ns, { podName: 'u-1', reason: 'user' }, { name: 'user-bounce' }),
      ]);
      const waiting = await env.fx.waitNodeBounce(
        ns,
        'user-bounce',
        (nb) => nb.status?.phase !== undefined,
        60_000,
        "the user's first status",
      );
      expect(waiting.status).toMatchObject({ phase: 'Pending', reason: 'WaitingForDisruptionBudget' });
      expect(waiting.status?.message).toContain(
        `Waiting for the namespace disruption budget of ${ns} (at most 1 pod disrupted at once)`,
      );
      expect(waiting.status?.message).toContain(
        `held by ${first.spec.podName} (NodeBounce ${first.metadata.name}, RollingBounce ${ns}/ra)`,
      );
      // The metrics show the budget, its use and who waits: scraped until one pod is in use and someone waits
      // (every scrape meanwhile must show at most one in use).
      const gauge = (body: string, name: string) => {
        const line = body.split('\n').find((l) => l.startsWith(`${name}{scope="namespace",target_namespace="${ns}"}`));
        return line === undefined ? undefined : Number(line.split(' ').pop());
      };
      let maxInUse = 0;
      const seen = await waitUntil(
        async () => {
          const body = (await env.operator.metrics()).body;
          const g = {
            limit: gauge(body, 'nodebounce_disruption_budget_limit'),
            inUse: gauge(body, 'nodebounce_disruption_budget_in_use') ?? 0,
            waiting: gauge(body, 'nodebounce_disruption_budget_waiting') ?? 0,
          };
          maxInUse = Math.max(maxInUse, g.inUse);
          return g.inUse === 1 && g.waiting >= 1 ? g : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: 'the budget metrics: 1 in use, someone waiting' },
      );
      expect(seen.limit).toBe(1);
      expect(maxInUse, 'pods in use by the metric, at most').toBe(1);

      const [ra, rb] = await Promise.all([rf().waitFinished(ns, 'ra', 400_000), rf().waitFinished(ns, 'rb', 400_000)]);
      expect(ra.status).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
      expect(rb.status).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
      const user = await env.fx.waitNodeBounce(ns, 'user-bounce', (nb) => nb.status?.phase === 'Succeeded', 120_000);
      expect(user.status?.reason).toBe('PodRestarted');

      expect(watch.peak(), 'pods of the namespace unavailable at once, seen from outside').toMatchObject({ count: 1 });
      const evictions = await auditEvictions(inject('auditLogPath'), ns, from);
      const owners = evictions.map((e) => e.pod.slice(0, 1));
      console.log(`cross-budget: eviction order ${evictions.map((e) => e.pod).join(' ')}`);
      expect(owners.length, `evictions: ${evictions.map((e) => e.pod).join(' ')}`).toBe(7);
      // Fairness: while the other rollout still has members to go, no rollout goes twice in a row; the user's
      // NodeBounce, waiting from the start, is served before either rollout's second member.
      for (let i = 0; i + 1 < owners.length; i++) {
        const o = owners[i]!;
        if (o === 'u' || owners[i + 1] !== o) continue;
        const other = o === 'a' ? 'b' : 'a';
        expect(owners.slice(i + 1), `order ${owners.join('')}: ${o} twice while ${other} waited`).not.toContain(other);
      }
      expect(owners.indexOf('u'), `order ${owners.join('')}`).toBeLessThan(3);
    } finally {
      await watch.stop();
    }
  }, 600_000);
});
