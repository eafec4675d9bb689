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
import { createNamespace, deleteNamespace, readPod, uniqueName, waitUntil } from '../harness/index.js';

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
  // Runs next to the eviction test: a bookmark takes about a minute.
  it.concurrent(
    'a quiet watch, at the operator default limits, receives a BOOKMARK before its idle timeout',
    { timeout: 150_000 },
    async () => {
      const api = apiConfigSchema.parse({});
      const idleTimeoutMs = api.watchIdleTimeoutSeconds * 1000;
      const started = Date.now();
      let abort: AbortController | undefined;
      const first = await new Promise<{ phase: string; rv?: string; afterMs: number }>((resolve, reject) => {
        const watch = new BoundedWatch(kc, {
          timeoutMinSeconds: api.watchTimeoutMinSeconds,
          timeoutMaxSeconds: api.watchTimeoutMaxSeconds,
          idleTimeoutMs,
        });
        // A namespace nothing writes to: only bookmarks can arrive.
        watch
          .watch(
            `/apis/bounce.express.dev/v1alpha1/namespaces/${ns}/nodebounces`,
            { resourceVersion: '0' },
            (phase, obj) => {
              const rv = (obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
              resolve({ phase, rv, afterMs: Date.now() - started });
            },
            (err) => reject(new Error(`watch ended before any data: ${String(err)}`)),
          )
          .then((a) => (abort = a), reject);
      });
      abort?.abort();
      console.log(`[compat] first watch data: ${JSON.stringify(first)}`);
      expect(first.phase).toBe('BOOKMARK');
      expect(first.rv).toMatch(/^\d+$/);
      expect(first.afterMs).toBeLessThan(idleTimeoutMs);
    },
  );

  it.concurrent(
    'eviction answers: 201 and a terminating pod; 409 precondition for a stale UID; 429 DisruptionBudget; 404',
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

      expect(await evict(client, 'no-such-pod', guardedUid)).toMatchObject({ ok: false, code: 404 });
    },
  );
});
