import { describe, expect, inject, it } from 'vitest';
import { useOperatorEnv } from './support/env.js';
import { auditPods, sleep } from './support/reliability.js';
import {
  auditEvictions,
  earliestReady,
  maxConcurrentDisruptions,
  RolloutFixture,
  trackReadiness,
} from './support/rollout.js';

/** Every successful write to one pod in the audit log: time, verb, subresource, user (for a failure's message). */
async function podHistory(auditLogPath: string, ns: string, pod: string, fromMs: number): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const out: string[] = [];
  for (const line of (await readFile(auditLogPath, 'utf8')).split('\n')) {
    if (
      !line.includes(`"name":"${pod}"`) ||
      !line.includes(`"namespace":"${ns}"`) ||
      !line.includes('"ResponseComplete"')
    )
      continue;
    const e = JSON.parse(line) as {
      verb?: string;
      objectRef?: { resource?: string; subresource?: string };
      user?: { username?: string };
      responseStatus?: { code?: number };
      requestReceivedTimestamp?: string;
    };
    if (
      e.objectRef?.resource !== 'pods' ||
      ['get', 'list', 'watch'].includes(e.verb ?? '') ||
      Date.parse(e.requestReceivedTimestamp ?? '') < fromMs
    )
      continue;
    out.push(
      `  ${e.requestReceivedTimestamp} ${e.verb} ${e.objectRef.subresource ?? ''} ${e.responseStatus?.code} ${e.user?.username}`,
    );
  }
  return out;
}

// A 10-member rollout while the operator is SIGKILLed at random points and started again: each member is bounced
// exactly once (kube-apiserver audit log), one NodeBounce per member, never more than maxUnavailable at once.
describe('RollingBounce: operator SIGKILLed mid-rollout', () => {
  const env = useOperatorEnv();

  it(
    '10 members, 3 kills at random points: Succeeded, each pod evicted and replaced exactly once',
    { timeout: 400_000 },
    async () => {
      const seed = Number(process.env.NODEBOUNCE_TEST_SEED ?? Date.now() % 100_000);
      let s = seed;
      const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      console.log(`[rollout-crash] seed ${seed} (NODEBOUNCE_TEST_SEED to replay)`);
      const ns = await env.namespace('rb-crash');
      const names = Array.from({ length: 10 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
      await Promise.all(
        names.map((n) =>
          env.fx.readyExpressNode(ns, n, {
            labels: { cluster: 'k' },
            startupDelay: '1s',
            shutdownDelay: '300ms',
            shutdownProtection: true,
          }),
        ),
      );
      const rf = new RolloutFixture(env.kc);
      const ready = await trackReadiness(env.kc, ns);
      // Setup pods were created up to ~1 s before they were Ready: let that pass, so the audit window holds only
      // what the rollout caused (replacements), not the setup's own creations.
      await sleep(2000);
      const from = Date.now() - 500;
      const t0 = Date.now();
      await rf.create(ns, 'ten', {
        members: { selector: { matchLabels: { cluster: 'k' } } },
        maxUnavailable: 2,
        healthGate: { stableSeconds: 0 },
      });
      let progress = 0;
      const kills: string[] = [];
      for (let kill = 0; kill < 3; kill++) {
        // Kill once the rollout has moved on by 1-3 members, plus a random delay into the next step.
        const target = Math.min(9, progress + 1 + Math.floor(random() * 3));
        const rb = await rf.wait(
          ns,
          'ten',
          (o) => Number(o.status?.progress?.split('/')[0] ?? 0) >= target || o.status?.phase === 'Succeeded',
          180_000,
          `progress ${target}`,
        );
        progress = Number(rb.status?.progress?.split('/')[0] ?? 0);
        if (rb.status?.phase === 'Succeeded') break;
        await sleep(Math.floor(random() * 1500));
        const at = await rf.get(ns, 'ten');
        kills.push(
          `${at?.status?.progress} ${at?.status?.phase}/${at?.status?.reason} in flight: ${(at?.status?.members ?? [])
            .filter((m) => m.phase === 'InProgress')
            .map((m) => `${m.pod}(${m.reason})`)
            .join(' ')}`,
        );
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
        const a = audit.get(n);
        if (a?.operatorDisruptions !== 1 || a.creations !== 1)
          console.log(
            `[rollout-crash] ${n}: ${JSON.stringify(a)}\n${(await podHistory(inject('auditLogPath'), ns, n, from)).join('\n')}`,
          );
        expect(a?.operatorDisruptions, `${n}: disruptions by the operator`).toBe(1);
        // A second replacement is kwok's (it deletes by name, and sometimes twice): only then may there be more.
        if (a?.creations !== 1)
          expect(a?.creations, `${n}: replacements not explained by kwok deletes`).toBe(a?.kwokDeletes);
      }
      const nbs = await rf.nodeBounces(ns);
      expect(nbs.map((nb) => nb.spec.podName).sort()).toEqual(names);
      const evictions = await auditEvictions(inject('auditLogPath'), ns, from);
      expect(maxConcurrentDisruptions(evictions, earliestReady(ready.readyAt, nbs))).toBeLessThanOrEqual(2);
      await ready.stop();
      for (const n of names) expect((await env.fx.getExpressNode(ns, n)).spec.shutdownProtection, n).toBe(true);
      // The timeline against the sum of member floors (time from each NodeBounce's start to its pod Ready).
      const floors = nbs.map((nb) => (Date.parse(nb.status!.readyTime!) - Date.parse(nb.status!.startTime!)) / 1000);
      console.log(
        `[rollout-crash] 10 members, maxUnavailable 2, 3 kills: ${elapsed.toFixed(1)}s wall; sum of member floors ${floors.reduce((a, b) => a + b, 0).toFixed(1)}s (ideal with 2 in flight ≈ ${(floors.reduce((a, b) => a + b, 0) / 2).toFixed(1)}s)`,
      );
    },
  );
});
