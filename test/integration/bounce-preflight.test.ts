import { describe, expect, it } from 'vitest';
import { readPod } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

// Every preflight failure ends Failed with its named reason, and nothing is touched.
describe('preflight on the real control plane', () => {
  const env = useOperatorEnv();

  async function expectUntouched(
    ns: string,
    podName: string,
    uid: string | undefined,
    expressName?: string,
    expressRV?: string,
  ) {
    const pod = await readPod(env.kc, ns, podName);
    expect(pod?.metadata?.uid).toBe(uid);
    expect(pod?.metadata?.deletionTimestamp).toBeUndefined();
    if (expressName) expect((await env.fx.getExpressNode(ns, expressName)).metadata.resourceVersion).toBe(expressRV);
  }

  it('PodNotFound', async () => {
    const ns = await env.namespace('pf-nopod');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'does-not-exist' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'PodNotFound' });
    expect(done.status?.message).toContain('does-not-exist');
    expect(done.status?.conditions?.find((c) => c.type === 'Succeeded')).toMatchObject({
      status: 'False',
      reason: 'PodNotFound',
    });
    // Events are sent after the status write, without waiting: poll.
    await expect
      .poll(async () => (await env.fx.events(ns, nb.metadata.name)).find((e) => e.reason === 'PodNotFound')?.type)
      .toBe('Warning');
  });

  it('a pod with the same name in another namespace is never touched', async () => {
    const other = await env.namespace('pf-other');
    const pod = await env.fx.readyExpressNode(other, 'twin');
    const ns = await env.namespace('pf-mine');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'twin' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('PodNotFound');
    await expectUntouched(other, 'twin', pod.metadata?.uid);
  });

  it('ExpressResourceNotFound: the pod maps to no Express resource, or to one that is gone', async () => {
    const ns = await env.namespace('pf-noexpress');
    await env.fx.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'plain' },
        spec: { nodeName: 'kwok-node-0', containers: [{ name: 'c', image: 'registry.invalid/x' }] },
      },
    });
    const nb1 = await env.fx.createNodeBounce(ns, { podName: 'plain' });
    const done1 = await env.fx.waitFinished(ns, nb1.metadata.name);
    expect(done1.status?.reason).toBe('ExpressResourceNotFound');
    expect(done1.status?.message).toContain('express.dev/node');

    // Labelled for an Express resource that does not exist.
    await env.fx.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'orphan', labels: { 'express.dev/node': 'ghost' } },
        spec: { nodeName: 'kwok-node-0', containers: [{ name: 'c', image: 'registry.invalid/x' }] },
      },
    });
    const orphan = await readPod(env.kc, ns, 'orphan');
    const nb2 = await env.fx.createNodeBounce(ns, { podName: 'orphan' });
    const done2 = await env.fx.waitFinished(ns, nb2.metadata.name);
    expect(done2.status?.reason).toBe('ExpressResourceNotFound');
    expect(done2.status?.message).toContain('ghost');
    // (The simulated Express operator garbage-collects such orphans itself; what matters is that we didn't act.)
    expect(done2.status?.podUID).toBeUndefined();
    expect((await env.fx.events(ns, nb2.metadata.name)).map((e) => e.reason)).not.toContain('Evicting');
    expect(orphan).toBeDefined();
  });

  it('ExpressResourceInvalid: a field of the wrong type is never guessed at', async () => {
    const ns = await env.namespace('pf-invalid');
    const pod = await env.fx.readyExpressNode(ns, 'odd', { runtimeState: 42 });
    const rv = (await env.fx.getExpressNode(ns, 'odd')).metadata.resourceVersion;
    const nb = await env.fx.createNodeBounce(ns, { podName: 'odd' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('ExpressResourceInvalid');
    expect(done.status?.message).toContain('status.state must be a string');
    await expectUntouched(ns, 'odd', pod.metadata?.uid, 'odd', rv);
  });

  it('IntentionallyDown: never brought back, GitOps or not, force or not', async () => {
    const ns = await env.namespace('pf-down');
    const pod = await env.fx.readyExpressNode(ns, 'sleepy');
    // Down in Git: Argo CD's tracking annotation on the Express resource. The pod is still there (shutting down).
    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'express.dev',
        version: 'v1alpha1',
        plural: 'expressnodes',
        namespace: ns,
        name: 'sleepy',
        body: [
          {
            op: 'add',
            path: '/metadata/annotations/argocd.argoproj.io~1tracking-id',
            value: 'express-prod:express.dev/ExpressNode:' + ns + '/sleepy',
          },
          { op: 'add', path: '/metadata/annotations/kwok.nodebounce.dev~1shutdown-delay', value: 'never' },
        ],
      },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/json-patch+json'),
    );
    const podNow = await readPod(env.kc, ns, 'sleepy');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'sleepy', force: true });
    // Flip the desired state to down only now, so the pod still exists when preflight runs.
    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'express.dev',
        version: 'v1alpha1',
        plural: 'expressnodes',
        namespace: ns,
        name: 'sleepy',
        body: { spec: { state: 'stopped' } },
      },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    if (done.status?.reason === 'IntentionallyDown') {
      expect(done.status?.message).toContain('GitOps-managed');
      expect(done.status?.message).toContain('never overrides');
    } else {
      // Preflight raced ahead of the patch: then it must have been a normal bounce attempt.
      expect(['PodRestarted', 'ReadyTimeout', 'TerminationTimeout']).toContain(done.status?.reason);
    }
    expect(pod.metadata?.uid).toBe(podNow?.metadata?.uid);
  });

  it('IntentionallyDown without GitOps metadata says so', async () => {
    const ns = await env.namespace('pf-down2');
    // A "down" node whose pod is kept around (never terminates) by the simulated kubelet.
    await env.fx.readyExpressNode(ns, 'resting', { shutdownDelay: 'never' });
    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'express.dev',
        version: 'v1alpha1',
        plural: 'expressnodes',
        namespace: ns,
        name: 'resting',
        body: { spec: { state: 'down' } },
      },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const nb = await env.fx.createNodeBounce(ns, { podName: 'resting', force: true });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('IntentionallyDown');
    expect(done.status?.message).toContain('not GitOps-managed');
  });

  it('NodeRebuilding without force: refused, with advice and how to force; nothing touched', async () => {
    const ns = await env.namespace('pf-rebuild');
    const pod = await env.fx.readyExpressNode(ns, 'busy', { runtimeState: 'rebuilding', shutdownProtection: true });
    const rv = (await env.fx.getExpressNode(ns, 'busy')).metadata.resourceVersion;
    const nb = await env.fx.createNodeBounce(ns, { podName: 'busy' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('NodeRebuilding');
    expect(done.status?.message).toContain('rebuilding its cache');
    expect(done.status?.message).toContain('force: true');
    await expectUntouched(ns, 'busy', pod.metadata?.uid, 'busy', rv);
    expect((await env.fx.getNodeBounce(ns, nb.metadata.name))?.metadata.finalizers ?? []).toEqual([]);
  });

  it('InvalidSpec: rejected by the API schema, or Failed by the operator for what the schema cannot say', async () => {
    const ns = await env.namespace('pf-spec');
    const pod = await env.fx.readyExpressNode(ns, 'n1');
    await expect(env.fx.createNodeBounce(ns, { podName: 'n1', mode: 'Yank' as never })).rejects.toMatchObject({
      code: 422,
    });
    await expect(env.fx.createNodeBounce(ns, { podName: 'n1', gracePeriodSeconds: 0 })).rejects.toMatchObject({
      code: 422,
    });
    await expect(env.fx.createNodeBounce(ns, {})).rejects.toMatchObject({ code: 422 });
    await expect(env.fx.createNodeBounce(ns, { podName: 'n1', reason: 'x'.repeat(1025) })).rejects.toMatchObject({
      code: 422,
    });

    const nb = await env.fx.createNodeBounce(ns, {
      podName: 'n1',
      gracePeriodSeconds: 60,
      terminationTimeoutSeconds: 30,
    });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('InvalidSpec');
    expect(done.status?.message).toContain('gracePeriodSeconds');
    await expectUntouched(ns, 'n1', pod.metadata?.uid);
  });

  it('spec is immutable: an update is rejected by the API with a clear message', async () => {
    const ns = await env.namespace('pf-immutable');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'whatever', dryRun: true });
    const err = await env.fx.custom
      .patchNamespacedCustomObject(
        {
          group: 'bounce.express.dev',
          version: 'v1alpha1',
          plural: 'nodebounces',
          namespace: ns,
          name: nb.metadata.name,
          body: { spec: { podName: 'other' } },
        },
        (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
      )
      .catch((e: unknown) => e as { code?: number; body?: string });
    expect((err as { code?: number }).code).toBe(422);
    expect(String((err as { body?: string }).body)).toContain('spec is immutable');
  });
});
