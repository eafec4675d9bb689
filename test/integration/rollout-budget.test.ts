import { describe, expect, inject, it } from 'vitest';
import { useOperatorEnv } from './support/env.js';
import { auditEvictions, RolloutFixture, watchUnavailable } from './support/rollout.js';

// The group promise on the real control plane: never more than maxUnavailable members unavailable, whoever takes
// them down (docs/adr/0007). Unavailability is counted from outside, on our own pod watch, not from the operator's
// status.
describe('RollingBounce: the disruption budget holds whoever disrupts', () => {
  const env = useOperatorEnv();
  const rf = () => new RolloutFixture(env.kc);
  const members = { selector: { matchLabels: { cluster: 'g' } } };
  const nodes = async (ns: string, names: string[], startupDelay = '2s') => {
    await Promise.all(
      names.map((n) =>
        env.fx.readyExpressNode(ns, n, { labels: { cluster: 'g' }, startupDelay, shutdownDelay: '300ms' }),
      ),
    );
  };

  it('two overlapping RollingBounces (one in reverse order), maxUnavailable 1: one member down at a time', async () => {
    const ns = await env.namespace('rb-overlap');
    const names = ['o-a', 'o-b', 'o-c'];
    await nodes(ns, names);
    const watch = await watchUnavailable(env.kc, ns, names);
    const from = Date.now() - 1000;
    try {
      await Promise.all([
        rf().create(ns, 'forward', { members, healthGate: { stableSeconds: 0 } }),
        rf().create(ns, 'backward', { members, order: 'reverse', healthGate: { stableSeconds: 0 } }),
      ]);
      const [fwd, bwd] = await Promise.all([
        rf().waitFinished(ns, 'forward', 180_000),
        rf().waitFinished(ns, 'backward', 180_000),
      ]);
      expect(fwd.status).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
      expect(bwd.status).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
      // Every member bounced by each rollout: six evictions, never two members down at once.
      expect((await auditEvictions(inject('auditLogPath'), ns, from)).length).toBe(6);
      expect(watch.peak(), 'members unavailable at once, seen from outside').toMatchObject({ count: 1 });
    } finally {
      await watch.stop();
    }
  });

  it("a user's NodeBounce of a member waits for the rollout's budget (WaitingForDisruptionBudget), then runs", async () => {
    const ns = await env.namespace('rb-user');
    const names = ['u-a', 'u-b', 'u-c'];
    // A member's bounce takes at least 5 s (startup delay), long enough to create the user's NodeBounce meanwhile.
    await nodes(ns, names, '5s');
    const watch = await watchUnavailable(env.kc, ns, names);
    try {
      await rf().create(ns, 'rollout', { members, healthGate: { stableSeconds: 0 } });
      await rf().wait(
        ns,
        'rollout',
        (rb) => rb.status?.members?.some((m) => m.phase === 'InProgress') === true,
        60_000,
        'a member in progress',
      );
      const busy = (await rf().get(ns, 'rollout'))!.status!.members!.find((m) => m.phase === 'InProgress')!.pod;
      const other = names.find((n) => n !== busy)!;
      await env.fx.createNodeBounce(ns, { podName: other, reason: 'user' }, { name: 'user-bounce' });
      const waiting = await env.fx.waitNodeBounce(
        ns,
        'user-bounce',
        (nb) => nb.status?.phase !== undefined,
        60_000,
        'first status',
      );
      expect(waiting.status).toMatchObject({ phase: 'Pending', reason: 'WaitingForDisruptionBudget' });
      expect(waiting.status?.message).toContain('RollingBounce rollout (maxUnavailable 1)');
      expect(waiting.status?.message).toContain(`${busy}: NodeBounce`);
      const done = await rf().waitFinished(ns, 'rollout', 180_000);
      expect(done.status).toMatchObject({ phase: 'Succeeded' });
      const user = await env.fx.waitNodeBounce(ns, 'user-bounce', (nb) => nb.status?.phase === 'Succeeded', 120_000);
      expect(user.status?.reason).toBe('PodRestarted');
      expect(watch.peak(), 'members unavailable at once, seen from outside').toMatchObject({ count: 1 });
    } finally {
      await watch.stop();
    }
  });
});
