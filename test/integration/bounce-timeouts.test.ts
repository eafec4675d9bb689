import { CoreV1Api, PatchStrategy, PolicyV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { readPod } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('deadlines on the real control plane', () => {
  const env = useOperatorEnv();

  it('a PDB with maxUnavailable 0: BlockedByPDB, then TerminationTimeout; the pod is never deleted', async () => {
    const ns = await env.namespace('to-pdb');
    const pod = await env.fx.readyExpressNode(ns, 'pd', { shutdownProtection: true });
    await env.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'strict' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { 'express.dev/node': 'pd' } } },
      },
    });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'pd', terminationTimeoutSeconds: 4 });
    const blocked = await env.fx.waitNodeBounce(
      ns,
      nb.metadata.name,
      (o) => o.status?.reason === 'BlockedByPDB',
      20_000,
      'BlockedByPDB',
    );
    expect(blocked.status?.phase).toBe('Terminating');
    expect(blocked.status?.message).toContain('PodDisruptionBudget');
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 30_000);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'TerminationTimeout' });
    expect(done.status?.message).toContain('PodDisruptionBudget');
    expect(done.status?.eviction?.attempts).toBeGreaterThan(1);
    const now = await readPod(env.kc, ns, 'pd');
    expect(now?.metadata?.uid).toBe(pod.metadata?.uid);
    expect(now?.metadata?.deletionTimestamp).toBeUndefined();
    // Protection was disabled for the attempt, and is restored after the failure.
    await env.fx.waitNodeBounce(
      ns,
      nb.metadata.name,
      (o) => o.status?.shutdownProtection?.restored === true && !(o.metadata.finalizers ?? []).length,
      10_000,
      'restored',
    );
    expect((await env.fx.getExpressNode(ns, 'pd')).spec.shutdownProtection).toBe(true);
    const events = await env.fx.events(ns, nb.metadata.name);
    expect(events.filter((e) => e.reason === 'BlockedByPDB')).toHaveLength(1);
    expect(events.find((e) => e.reason === 'TerminationTimeout')?.type).toBe('Warning');
  });

  it('a pod that never finishes terminating: TerminationTimeout with its last observed state', async () => {
    const ns = await env.namespace('to-term');
    await env.fx.readyExpressNode(ns, 'st');
    // Tell the simulated kubelet to never finish shutting this pod down.
    const core = env.kc.makeApiClient(CoreV1Api);
    await core.patchNamespacedPod(
      {
        namespace: ns,
        name: 'st',
        body: { metadata: { annotations: { 'kwok.nodebounce.dev/shutdown-delay': 'never' } } },
      },
      mergePatch,
    );
    const nb = await env.fx.createNodeBounce(ns, { podName: 'st', terminationTimeoutSeconds: 3 });
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 20_000);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'TerminationTimeout' });
    expect(done.status?.message).toContain('never forces');
    expect(done.status?.lastObservedPodState).toContain('terminating');
    // Never forced: the pod is still there, terminating.
    expect((await readPod(env.kc, ns, 'st'))?.metadata?.deletionTimestamp).toBeTruthy();
    await core.deleteNamespacedPod({ namespace: ns, name: 'st', gracePeriodSeconds: 0 });
  });

  it('a replacement that never becomes Ready: ReadyTimeout with the last observed pod state', async () => {
    const ns = await env.namespace('to-ready');
    await env.fx.readyExpressNode(ns, 'nr');
    // Replacements of this node never become Ready.
    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'express.dev',
        version: 'v1alpha1',
        plural: 'expressnodes',
        namespace: ns,
        name: 'nr',
        body: { metadata: { annotations: { 'kwok.nodebounce.dev/startup-delay': 'never' } } },
      },
      mergePatch,
    );
    const nb = await env.fx.createNodeBounce(ns, { podName: 'nr', readyTimeoutSeconds: 3 });
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 30_000);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'ReadyTimeout' });
    expect(done.status?.effectiveTimeouts).toMatchObject({ readySeconds: 3, readySource: 'Spec' });
    expect(done.status?.replacementPodUID).toBeTruthy();
    expect(done.status?.message).toContain('spec.readyTimeoutSeconds');
    expect(done.status?.lastObservedPodState).toMatch(/Ready=False|no Ready condition|phase Pending/);
    expect(done.status?.conditions?.find((c) => c.type === 'PodReady')).toMatchObject({
      status: 'False',
      reason: 'ReadyTimeout',
    });
  });

  it('a hand-edited status (Starting without terminatedTime): Failed/InvalidStatus, protection restored, no hot loop', async () => {
    // It used to make the ready deadline NaN: the work queue requeued after NaN ms (1 ms), ~800 reconciles/s.
    const ns = await env.namespace('to-edit');
    await env.fx.readyExpressNode(ns, 'he', { shutdownProtection: true });
    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'express.dev',
        version: 'v1alpha1',
        plural: 'expressnodes',
        namespace: ns,
        name: 'he',
        body: { metadata: { annotations: { 'kwok.nodebounce.dev/startup-delay': 'never' } } },
      },
      mergePatch,
    );
    const nb = await env.fx.createNodeBounce(ns, { podName: 'he', readyTimeoutSeconds: 600 });
    await env.fx.waitNodeBounce(ns, nb.metadata.name, (o) => o.status?.phase === 'Starting', 30_000, 'Starting');
    await env.fx.custom.patchNamespacedCustomObjectStatus(
      {
        group: 'bounce.express.dev',
        version: 'v1alpha1',
        plural: 'nodebounces',
        namespace: ns,
        name: nb.metadata.name,
        body: [{ op: 'remove', path: '/status/terminatedTime' }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 20_000);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'InvalidStatus' });
    expect(done.status?.message).toContain('status.terminatedTime is missing');
    await env.fx.waitNodeBounce(
      ns,
      nb.metadata.name,
      (o) => o.status?.shutdownProtection?.restored === true && !(o.metadata.finalizers ?? []).length,
      10_000,
      'restored',
    );
    expect((await env.fx.getExpressNode(ns, 'he')).spec.shutdownProtection).toBe(true);
    // Settled: a few reconciles at most while nothing changes (a hot loop makes thousands).
    const reconciles = async () =>
      (await env.operator.metrics()).body
        .split('\n')
        .filter((l) => l.startsWith('controller_runtime_reconcile_total{'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    const before = await reconciles();
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await reconciles()) - before).toBeLessThan(20);
  });
});
