import { describe, expect, inject, it } from 'vitest';
import { useOperatorEnv } from './support/env.js';
import { auditPods, sleep } from './support/reliability.js';
import { auditEvictions, maxConcurrentDisruptions, RolloutFixture, trackReadiness } from './support/rollout.js';

// A 10-member rollout while the operator is SIGKILLed at random points and started again: each member is bounced
// exactly once (kube-apiserver audit log), one NodeBounce per member, never more than maxUnavailable at once.
describe('RollingBounce: operator SIGKILLed mid-rollout', () => {
  const env = useOperatorEnv();

  it('10 members, 3 kills at random points: Succeeded, each pod evicted and replaced exactly once', { timeout: 400_000 }, async () => {
    const seed = Number(process.env.NODEBOUNCE_TEST_SEED ?? Date.now() % 100_000);
    let s = seed;
    const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    console.log(`[rollout-crash] seed ${seed} (NODEBOUNCE_TEST_SEED to replay)`);
    const ns = await env.namespace('rb-crash');
    const names = Array.from({ length: 10 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => env.fx.readyExpressNode(ns, n, { labels: { cluster: 'k' }, startupDelay: '1s', shutdownDelay: '300ms', shutdownProtection: true })));
    const rf = new RolloutFixture(env.kc);
    const ready = await trackReadiness(env.kc, ns);
    const from = Date.now() - 1000;
    const t0 = Date.now();
    await rf.create(ns, 'ten', { members: { selector: { matchLabels: { cluster: 'k' } } }, maxUnavailable: 2, healthGate: { stableSeconds: 0 } });
    let progress = 0;
    const kills: string[] = [];
    for (let kill = 0; kill < 3; kill++) {
      // Kill once the rollout has moved on by 1-3 members, plus a random delay into the next step.
      const target = Math.min(9, progress + 1 + Math.floor(random() * 3));
      const rb = await rf.wait(ns, 'ten', (o) => Number(o.status?.progress?.split('/')[0] ?? 0) >= target || o.status?.phase === 'Succeeded', 180_000, `progress ${target}`);
      progress = Number(rb.status?.progress?.split('/')[0] ?? 0);
      if (rb.status?.phase === 'Succeeded') break;
      await sleep(Math.floor(random() * 1500));
      const at = await rf.get(ns, 'ten');
      kills.push(`${at?.status?.progress} ${at?.status?.phase}/${at?.status?.reason} in flight: ${(at?.status?.members ?? []).filter((m) => m.phase === 'InProgress').map((m) => `${m.pod}(${m.reason})`).join(' ')}`);
      await env.operator.kill();
      await sleep(Math.floor(random() * 1500));
      await env.restartOperator();
    }
    console.log(`[rollout-crash] killed at: ${kills.join(' | ')}`);
    expect(kills.length).toBeGreaterThanOrEqual(2);
    const done = await rf.waitFinished(ns, 'ten', 240_000);
    const elapsed = (Date.now() - t0) / 1000;
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'AllMembersBounced', progress: '10/10' });

    const audit = await auditPods(inject('auditLogPath'), ns, from);
    for (const n of names) {
      expect(audit.get(n), n).toMatchObject({ operatorDisruptions: 1, creations: 1 });
    }
    const nbs = await rf.nodeBounces(ns);
    expect(nbs.map((nb) => nb.spec.podName).sort()).toEqual(names);
    const evictions = await auditEvictions(inject('auditLogPath'), ns, from);
    expect(maxConcurrentDisruptions(evictions, ready.readyAt)).toBeLessThanOrEqual(2);
    await ready.stop();
    for (const n of names) expect((await env.fx.getExpressNode(ns, n)).spec.shutdownProtection, n).toBe(true);
    // The timeline against the sum of member floors (time from each NodeBounce's start to its pod Ready).
    const floors = nbs.map((nb) => (Date.parse(nb.status!.readyTime!) - Date.parse(nb.status!.startTime!)) / 1000);
    console.log(
      `[rollout-crash] 10 members, maxUnavailable 2, 3 kills: ${elapsed.toFixed(1)}s wall; sum of member floors ${floors.reduce((a, b) => a + b, 0).toFixed(1)}s (ideal with 2 in flight ≈ ${(floors.reduce((a, b) => a + b, 0) / 2).toFixed(1)}s)`,
    );
  });
});
