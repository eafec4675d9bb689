// API answers the operator's pure decisions depend on, pinned against the real kube-apiserver of whichever Kubernetes
// release the run uses (the default, or `npm run test:compat -- --kubernetes 1.35.4`). A release that changed one of
// them fails here with the exact answer, instead of as a slow bounce that ends with an unexpected reason.
import { CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isDisruptionBudgetRefusal } from '../../src/bounce/outcome.js';
import type { ActionOutcome } from '../../src/bounce/types.js';
import { apiConfigSchema, defaultExpressConfig } from '../../src/config/schema.js';
import { KubeClient } from '../../src/kube/client.js';
import { describeApiError } from '../../src/kube/errors.js';
import { BoundedWatch } from '../../src/kube/watch.js';
import { VERSIONS, createNamespace, deleteNamespace, readPod, uniqueName, waitUntil } from '../harness/index.js';

const kc = new KubeConfig();
let ns = '';

beforeAll(async () => {
  kc.loadFromFile(inject('kubeconfigPath'));
  ns = await createNamespace(kc, uniqueName('compat'));
});

afterAll(async () => {
  if (ns) await deleteNamespace(kc, ns);
});

/** What the operator's action runner makes of an eviction (src/controller/actions.ts). */
async function evict(client: KubeClient, name: string, uid: string): Promise<ActionOutcome> {
  try {
    await client.evictPod(ns, name, uid, 'Evict');
    return { ok: true };
  } catch (err) {
    return { ok: false, ...describeApiError(err) };
  }
}

async function runningPod(name: string, labels: Record<string, string>): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const pod = await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name, labels, annotations: { 'kwok.nodebounce.dev/startup-delay': '100ms' } },
      spec: { nodeName: inject('kwokNodeNames')[0], containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
    },
  });
  await waitUntil(async () => (await readPod(kc, ns, name))?.status?.phase === 'Running', {
    description: `pod ${name} Running`,
    timeoutMs: 60_000,
  });
  return pod.metadata?.uid as string;
}

describe('API behaviour the operator relies on', () => {
  // Runs next to the eviction test: a periodic bookmark takes about a minute. The server may also send one at once
  // (1.35 does, ~0.3 s after the watch starts); what the idle watchdog needs is the periodic one.
  it.concurrent(
    'a quiet watch receives periodic BOOKMARKs (about once a minute; the operator restarts a watch idle for 90 s)',
    { timeout: 600_000 },
    async () => {
      const api = apiConfigSchema.parse({});
      // The server sends one about every 60 s; under heavy load one 1.35 run saw no periodic bookmark within the 90 s
      // default (the operator then restarts the watch from its resourceVersion, which is harmless). So the watch here
      // allows 3x the default and the test checks that periodic bookmarks come at all, logging the gap.
      const idleTimeoutMs = api.watchIdleTimeoutSeconds * 1000 * 3;
      const started = Date.now();
      const seen: Array<{ phase: string; rv?: string; afterMs: number }> = [];
      let abort: AbortController | undefined;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no periodic bookmark: ${JSON.stringify(seen)}`)), idleTimeoutMs * 2);
        const watch = new BoundedWatch(kc, {
          timeoutMinSeconds: api.watchTimeoutMinSeconds,
          timeoutMaxSeconds: api.watchTimeoutMaxSeconds,
          idleTimeoutMs,
        });
        // A namespace nothing writes NodeBounces to: only bookmarks can arrive.
        watch
          .watch(
            `/apis/bounce.express.dev/v1alpha1/namespaces/${ns}/nodebounces`,
            { resourceVersion: '0' },
            (phase, obj) => {
              const rv = (obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
              seen.push({ phase, rv, afterMs: Date.now() - started });
              if (phase === 'BOOKMARK' && Date.now() - started > 10_000) resolve();
            },
            (err) => reject(new Error(`watch ended: ${String(err)}; seen ${JSON.stringify(seen)}`)),
          )
          .then((a) => (abort = a), reject);
      }).finally(() => {
        clearTimeout(timer);
        abort?.abort();
      });
      console.log(`[compat] watch data: ${JSON.stringify(seen)}`);
      expect(seen.map((e) => e.phase).every((p) => p === 'BOOKMARK')).toBe(true);
      for (const e of seen) expect(e.rv).toMatch(/^\d+$/);
      const gaps = seen.map((e, i) => e.afterMs - (i > 0 ? seen[i - 1]!.afterMs : 0));
      expect(Math.max(...gaps)).toBeLessThan(idleTimeoutMs);
    },
  );

  it.concurrent(
    'eviction answers: 201 and a terminating pod; 409 precondition for a stale UID; 429 DisruptionBudget; 403; 404',
    { timeout: 120_000 },
    async () => {
      const client = new KubeClient(kc, defaultExpressConfig, apiConfigSchema.parse({}));
      const core = kc.makeApiClient(CoreV1Api);

      // Allowed: the pod is reported as terminating (deletionTimestamp set) until the node finishes it.
      const uid = await runningPod('free', { app: 'free' });
      const stale = await evict(client, 'free', 'not-its-uid');
      expect(stale).toMatchObject({ ok: false, code: 409 });
      // outcome.ts takes a 409 whose message names the failed precondition for "that incarnation is gone".
      expect(stale.ok === false && stale.message).toMatch(/precondition/i);
      expect(await evict(client, 'free', uid)).toEqual({ ok: true });
      const after = await readPod(kc, ns, 'free');
      if (after) expect(after.metadata?.deletionTimestamp).toBeDefined();
      await waitUntil(async () => (await readPod(kc, ns, 'free')) === undefined, {
        description: 'evicted pod gone',
        timeoutMs: 60_000,
      });

      // A PodDisruptionBudget allowing nothing: 429 with the DisruptionBudget cause, told apart from throttling.
      const guardedUid = await runningPod('guarded', { app: 'guarded' });
      await kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
        namespace: ns,
        body: {
          metadata: { name: 'none' },
          spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'guarded' } } },
        },
      });
      const refused = await evict(client, 'guarded', guardedUid);
      console.log(`[compat] PDB refusal: ${JSON.stringify(refused)}`);
      expect(refused).toMatchObject({ ok: false, code: 429 });
      expect(isDisruptionBudgetRefusal(refused)).toBe(true);
      expect((await core.readNamespacedPod({ namespace: ns, name: 'guarded' })).metadata?.deletionTimestamp).toBe(
        undefined,
      );

      // A budget with too many evictions its controller has not confirmed yet (more than 2000 in
      // status.disruptedPods): 403; Kubernetes 1.37 added the DisruptionBudget cause to it, which makes it a PDB
      // refusal for the operator (BlockedByPDB) instead of an EvictionFailed.
      const oddUid = await runningPod('odd', { app: 'odd' });
      const policy = kc.makeApiClient(PolicyV1Api);
      await policy.createNamespacedPodDisruptionBudget({
        namespace: ns,
        body: { metadata: { name: 'pending' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'odd' } } } },
      });
      // No disruption controller here: the test writes the status it would have written.
      const disruptedPods = Object.fromEntries(
        Array.from({ length: 2001 }, (_, i) => [`gone-${i}`, new Date()] as const),
      );
      await policy.replaceNamespacedPodDisruptionBudgetStatus({
        namespace: ns,
        name: 'pending',
        body: {
          ...(await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'pending' })),
          status: {
            observedGeneration: 1,
            disruptionsAllowed: 1,
            currentHealthy: 1,
            desiredHealthy: 0,
            expectedPods: 1,
            disruptedPods,
          },
        },
      });
      const negative = await evict(client, 'odd', oddUid);
      console.log(`[compat] PDB with 2001 pending evictions: ${JSON.stringify(negative)}`);
      expect(negative).toMatchObject({ ok: false, code: 403 });
      const minor = Number(/^v1\.(\d+)\./.exec(VERSIONS.kubernetes)?.[1]);
      expect(isDisruptionBudgetRefusal(negative)).toBe(minor >= 37);

      expect(await evict(client, 'no-such-pod', guardedUid)).toMatchObject({ ok: false, code: 404 });
    },
  );
});
