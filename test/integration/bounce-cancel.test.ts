import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { EXPRESS_GROUP, EXPRESS_PLURAL, EXPRESS_VERSION, waitUntil } from '../harness/index.js';
import { auditRequests, evictionsAfterRemoval, watchNodeBounceLifetimes, watchProtection } from './support/cancel.js';
import { useOperatorEnv } from './support/env.js';
import { trackPodUids } from './support/pods.js';
import { sleep } from './support/reliability.js';
import { RolloutFixture } from './support/rollout.js';

// Cancelling never leaves a node unprotected (issue 17, item 5), checked from the outside only: a RollingBounce
// deleted 5-50 ms after its first member's NodeBounce appears, and a plain NodeBounce deleted 5-50 ms after its
// creation, several times each. Afterwards every ExpressNode has its shutdown protection on (as read from the API
// server), no pod was evicted after its NodeBounce was removed (kube-apiserver audit log), every pod that changed
// UID was evicted by the operator while a NodeBounce for it existed, and no member NodeBounce outlives its rollout.
describe('cancelling: deleted right after it starts', () => {
  const env = useOperatorEnv();
  const seed = Number(process.env.NODEBOUNCE_TEST_SEED ?? 17);
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const delay = () => 5 + Math.floor(random() * 46);

  const custom = () => env.kc.makeApiClient(CustomObjectsApi);
  const protectionOf = async (ns: string, name: string) =>
    (
      (await custom().getNamespacedCustomObject({
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        plural: EXPRESS_PLURAL,
        namespace: ns,
        name,
      })) as { spec?: { shutdownProtection?: unknown } }
    ).spec?.shutdownProtection;

  /** After a run: every NodeBounce gone, every pod Ready again, then protection (as it was) read after a settle. */
  async function settle(
    ns: string,
    pods: string[],
    what: string,
    expected: (pod: string) => boolean = () => true,
  ): Promise<string[]> {
    await waitUntil(async () => (await new RolloutFixture(env.kc).nodeBounces(ns)).length === 0, {
      timeoutMs: 60_000,
      description: `${what}: every NodeBounce gone`,
    });
    for (const p of pods) await env.fx.waitPodReady(ns, p, 60_000);
    // A stray disable lands within milliseconds of the deletion; 1.5 s is far more than enough to see it.
    await sleep(1500);
    const left: string[] = [];
    for (const p of pods) {
      const v = await protectionOf(ns, p);
      if (v !== expected(p)) {
        left.push(`${what}: ${p} left with shutdownProtection=${JSON.stringify(v)}`);
        // Put it back so the next run starts protected (each run is checked on its own).
        await custom().patchNamespacedCustomObject(
          {
            group: EXPRESS_GROUP,
            version: EXPRESS_VERSION,
            plural: EXPRESS_PLURAL,
            namespace: ns,
            name: p,
            body: { spec: { shutdownProtection: expected(p) } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      }
    }
    return left;
  }

  async function report(
    ns: string,
    from: number,
    seen: Array<{ name: string; pod: string }>,
    uids: { uidsOf(name: string): string[] },
    pods: string[],
  ): Promise<{ afterRemoval: string[]; unexplained: string[]; evictions: number }> {
    const requests = await auditRequests(inject('auditLogPath'), ns, from);
    const afterRemoval = evictionsAfterRemoval(requests, seen);
    const evictions = requests.filter((r) => r.subresource === 'eviction' && r.user.includes('nodebounce-operator'));
    // Every incarnation change of a pod is explained by one eviction by the operator.
    const unexplained = pods.flatMap((p) => {
      const changes = uids.uidsOf(p).length - 1;
      const n = evictions.filter((e) => e.name === p).length;
      return changes === n ? [] : [`${p}: ${changes} replacements, ${n} evictions by the operator`];
    });
    return { afterRemoval, unexplained, evictions: evictions.length };
  }

  it(
    'a RollingBounce deleted 5-50 ms after its first member NodeBounce, 8 times: protection back on, no eviction after removal, no member left',
    { timeout: 400_000 },
    async () => {
      const ns = await env.namespace('cancel-rb');
      const pods = ['ca-a', 'ca-b'];
      await Promise.all(
        pods.map((n) =>
          env.fx.readyExpressNode(ns, n, {
            labels: { cluster: 'c' },
            startupDelay: '300ms',
            shutdownDelay: '200ms',
            shutdownProtection: true,
          }),
        ),
      );
      const uids = await trackPodUids(env.kc, ns);
      const protection = await watchProtection(env.kc, ns);
      const rf = new RolloutFixture(env.kc);
      const from = Date.now() - 500;
      let waiting: { owner: string; resolve: () => void } | undefined;
      const nbs = await watchNodeBounceLifetimes(env.kc, ns, (nb) => {
        if (waiting && nb.owner === waiting.owner) waiting.resolve();
      });
      const problems: string[] = [];
      const runs: string[] = [];
      for (let run = 0; run < 8; run++) {
        const name = `cancel-${run}`;
        const wait = delay();
        const first = new Promise<void>((resolve) => (waiting = { owner: name, resolve }));
        await rf.create(ns, name, {
          members: { selector: { matchLabels: { cluster: 'c' } } },
          maxUnavailable: 1,
          healthGate: { stableSeconds: 0 },
        });
        await first;
        await sleep(wait);
        await rf.delete(ns, name);
        await waitUntil(async () => (await rf.get(ns, name)) === undefined, {
          timeoutMs: 60_000,
          description: `RollingBounce ${name} gone`,
        });
        problems.push(...(await settle(ns, pods, `run ${run} (delete after ${wait} ms)`)));
        const members = nbs.all().filter((nb) => nb.owner === name);
        runs.push(`${run}: +${wait}ms ${members.map((m) => m.name).join(',')}`);
      }
      const r = await report(ns, from, nbs.all(), uids, pods);
      console.log(
        `[cancel-rb] seed ${seed}; runs ${runs.join(' | ')}; ${r.evictions} evictions; protection ${pods
          .map(
            (p) =>
              `${p}: ${protection
                .history(p)
                .map((h) => String(h.value))
                .join('>')}`,
          )
          .join('; ')}`,
      );
      nbs.stop();
      uids.stop();
      protection.stop();
      expect(problems, 'nodes left unprotected').toEqual([]);
      expect(r.afterRemoval, 'evictions after the NodeBounce was removed').toEqual([]);
      expect(r.unexplained, 'pod replacements not matched by an eviction').toEqual([]);
    },
  );

  it(
    'a plain NodeBounce deleted 5-50 ms after its creation, or right after its intent is written, 16 times: protection back on, no eviction after removal',
    { timeout: 400_000 },
    async () => {
      const ns = await env.namespace('cancel-nb');
      // One node protected (the window around the disable), one not (the window between the intent and the eviction).
      const pods = ['cn-a', 'cn-b'];
      await Promise.all(
        pods.map((n, i) =>
          env.fx.readyExpressNode(ns, n, {
            startupDelay: '300ms',
            shutdownDelay: '200ms',
            shutdownProtection: i === 0,
          }),
        ),
      );
      const uids = await trackPodUids(env.kc, ns);
      // Deleting as soon as our watch shows a step the operator wrote: DisablingShutdownProtection (the finalizer and
      // the disable come next) or Terminating (the eviction comes next), plus 0-10 ms.
      let trigger: { name: string; fire: () => void } | undefined;
      const nbs = await watchNodeBounceLifetimes(
        env.kc,
        ns,
        () => undefined,
        (_type, nb) => {
          const step = nb.status?.reason === 'DisablingShutdownProtection' || nb.status?.phase === 'Terminating';
          if (trigger && nb.metadata.name === trigger.name && step) trigger.fire();
        },
      );
      const from = Date.now() - 500;
      const problems: string[] = [];
      const runs: string[] = [];
      for (let run = 0; run < 16; run++) {
        const name = `cancel-${run}`;
        const pod = pods[run % pods.length]!;
        const afterStep = run % 4 >= 2;
        const wait = afterStep ? Math.floor(random() * 11) : delay();
        const stepSeen = new Promise<void>((resolve) => (trigger = { name, fire: resolve }));
        await env.fx.createNodeBounce(ns, { podName: pod }, { name });
        if (afterStep) await Promise.race([stepSeen, sleep(10_000)]); // no step within 10 s: delete anyway (reported below)
        await sleep(wait);
        await env.fx.deleteNodeBounce(ns, name).catch((err: unknown) => {
          if ((err as { code?: number }).code !== 404) throw err;
        });
        problems.push(
          ...(await settle(
            ns,
            pods,
            `run ${run} (${pod}, delete ${afterStep ? 'after the step' : 'after creation'} +${wait} ms)`,
            (p) => p === 'cn-a',
          )),
        );
        runs.push(`${run}: ${pod} ${afterStep ? 'step' : 'created'}+${wait}ms`);
      }
      const r = await report(ns, from, nbs.all(), uids, pods);
      console.log(`[cancel-nb] seed ${seed}; runs ${runs.join(' | ')}; ${r.evictions} evictions`);
      nbs.stop();
      uids.stop();
      expect(problems, 'nodes left unprotected').toEqual([]);
      expect(r.afterRemoval, 'evictions after the NodeBounce was removed').toEqual([]);
      expect(r.unexplained, 'pod replacements not matched by an eviction').toEqual([]);
    },
  );
});
