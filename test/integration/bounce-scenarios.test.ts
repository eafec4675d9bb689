import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { readPod, waitUntil } from '../harness/index.js';
import { createDenyPolicy, waitUntilRefused } from './support/admission.js';
import { useOperatorEnv } from './support/env.js';
import { trackPodUids } from './support/pods.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('bounce scenarios on the real control plane', () => {
  const env = useOperatorEnv();

  it('rebuilding with force: succeeds, with a Normal event saying it was forced', async () => {
    const ns = await env.namespace('sc-force');
    const pod = await env.fx.readyExpressNode(ns, 'rb', { runtimeState: 'rebuilding' });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'rb', force: true });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
    expect(done.status?.replacementPodUID).not.toBe(pod.metadata?.uid);
    const events = await env.fx.events(ns, nb.metadata.name);
    expect(events.find((e) => e.reason === 'ForcedWhileRebuilding')?.type).toBe('Normal');
  });

  it.each(['catchup', 'efficient-catchup'])('catch-up state %s: proceeds with a Normal event', async (state) => {
    const ns = await env.namespace('sc-catchup');
    await env.fx.readyExpressNode(ns, 'cu', { runtimeState: state });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'cu' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
    const events = await env.fx.events(ns, nb.metadata.name);
    expect(events.find((e) => e.reason === 'NodeCatchingUp')).toMatchObject({ type: 'Normal' });
  });

  it('dry run: DryRunPassed, nothing touched', async () => {
    const ns = await env.namespace('sc-dry');
    const pod = await env.fx.readyExpressNode(ns, 'dr', { shutdownProtection: true });
    const rv = (await env.fx.getExpressNode(ns, 'dr')).metadata.resourceVersion;
    const nb = await env.fx.createNodeBounce(ns, { podName: 'dr', dryRun: true });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'DryRunPassed' });
    expect(done.status?.message).toContain('Nothing was touched');
    expect(done.status?.conditions?.find((c) => c.type === 'Succeeded')).toMatchObject({
      status: 'True',
      reason: 'DryRunPassed',
    });
    const now = await readPod(env.kc, ns, 'dr');
    expect(now?.metadata?.uid).toBe(pod.metadata?.uid);
    expect(now?.metadata?.deletionTimestamp).toBeUndefined();
    expect((await env.fx.getExpressNode(ns, 'dr')).metadata.resourceVersion).toBe(rv);
    expect(done.metadata.finalizers ?? []).toEqual([]);
  });

  it('shutdown protection: disabled for the bounce, restored after the replacement is Ready', async () => {
    const ns = await env.namespace('sc-protect');
    await env.fx.readyExpressNode(ns, 'pr', { shutdownProtection: true, shutdownDelay: '1s' });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'pr' });
    const terminating = await env.fx.waitPhase(ns, nb.metadata.name, 'Terminating');
    expect(terminating.metadata.finalizers).toContain('bounce.express.dev/restore-shutdown-protection');
    expect((await env.fx.getExpressNode(ns, 'pr')).spec.shutdownProtection).toBe(false);
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
    expect(done.status?.shutdownProtection).toMatchObject({
      wasEnabled: true,
      disabledByOperator: true,
      restored: true,
    });
    expect((await env.fx.getExpressNode(ns, 'pr')).spec.shutdownProtection).toBe(true);
    await env.fx.waitNodeBounce(
      ns,
      nb.metadata.name,
      (o) => (o.metadata.finalizers ?? []).length === 0,
      10_000,
      'finalizer released',
    );
    const reasons = (await env.fx.events(ns, nb.metadata.name)).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ShutdownProtectionDisabled', 'ShutdownProtectionRestored']));
  });

  it('shutdown protection patch forbidden: a Warning event, and the bounce still succeeds', async () => {
    const ns = await env.namespace('sc-forbid');
    // An admission policy denies the operator's changes to ExpressNodes in this namespace (403 Forbidden).
    const policy = await createDenyPolicy(env.kc, {
      name: `deny-operator-${ns}`,
      namespace: ns,
      resourceRules: [
        { apiGroups: ['express.dev'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['expressnodes'] },
      ],
      matchConditions: [
        {
          name: 'operator-only',
          expression: "request.userInfo.username == 'system:serviceaccount:nodebounce-system:nodebounce-operator'",
        },
      ],
      message: 'changes by the nodebounce operator are denied by policy',
      reason: 'Forbidden',
    });
    try {
      await env.fx.readyExpressNode(ns, 'fb', { shutdownProtection: true });
      // Wait until the policy is in force for the operator's identity (a server-side dry run).
      const asOperator = env.operatorKc.makeApiClient(CustomObjectsApi);
      await waitUntilRefused(
        () =>
          asOperator.patchNamespacedCustomObject(
            {
              group: 'express.dev',
              version: 'v1alpha1',
              plural: 'expressnodes',
              namespace: ns,
              name: 'fb',
              body: { spec: { shutdownProtection: false } },
              dryRun: 'All',
            },
            mergePatch,
          ),
        'admission policy in force',
        (e) => (e as { code?: number }).code === 403,
      );
      const pod = await readPod(env.kc, ns, 'fb');
      const nb = await env.fx.createNodeBounce(ns, { podName: 'fb' });
      const done = await env.fx.waitFinished(ns, nb.metadata.name);
      expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
      expect(done.status?.replacementPodUID).not.toBe(pod?.metadata?.uid);
      const condition = done.status?.conditions?.find((c) => c.type === 'ShutdownProtectionDisabled');
      expect(condition).toMatchObject({ status: 'False', reason: 'DisableFailed' });
      expect(condition?.message).toContain('403');
      const warning = (await env.fx.events(ns, nb.metadata.name)).find(
        (e) => e.reason === 'ShutdownProtectionNotDisabled',
      );
      expect(warning?.type).toBe('Warning');
      expect((await env.fx.getExpressNode(ns, 'fb')).spec.shutdownProtection).toBe(true);
      // The finalizer goes in the write after the final status (seen still present under load, on 1.35 and 1.37).
      await env.fx.waitNodeBounce(
        ns,
        nb.metadata.name,
        (o) => !(o.metadata.finalizers ?? []).length,
        30_000,
        'no finalizer',
      );
    } finally {
      await policy.remove();
    }
  });

  it('deleted mid-flight: protection restored, finalizer gone, no further action', async () => {
    const ns = await env.namespace('sc-delete');
    await env.fx.readyExpressNode(ns, 'dm', { shutdownProtection: true, shutdownDelay: '3s' });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'dm' });
    await env.fx.waitPhase(ns, nb.metadata.name, 'Terminating');
    expect((await env.fx.getExpressNode(ns, 'dm')).spec.shutdownProtection).toBe(false);
    await env.fx.deleteNodeBounce(ns, nb.metadata.name);
    await waitUntil(async () => (await env.fx.getNodeBounce(ns, nb.metadata.name)) === undefined, {
      timeoutMs: 15_000,
      description: 'NodeBounce gone',
    });
    expect((await env.fx.getExpressNode(ns, 'dm')).spec.shutdownProtection).toBe(true);
    // The pod that was already evicted goes away and comes back through the Express operator; we stay out.
    const replacement = await env.fx.waitPodReady(ns, 'dm', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await readPod(env.kc, ns, 'dm'))?.metadata?.uid).toBe(replacement.metadata?.uid);
    expect((await env.fx.getExpressNode(ns, 'dm')).spec.shutdownProtection).toBe(true);
  });

  it('two NodeBounces for one pod: serialized FIFO, both Succeeded, two distinct restarts', async () => {
    const ns = await env.namespace('sc-fifo');
    const first = await env.fx.readyExpressNode(ns, 'ff', { shutdownDelay: '1s' });
    const uids = await trackPodUids(env.kc, ns);
    const transitions = await env.fx.recordTransitions(ns);
    const a = await env.fx.createNodeBounce(ns, { podName: 'ff' }, { name: 'a-first' });
    const b = await env.fx.createNodeBounce(ns, { podName: 'ff' }, { name: 'b-second' });
    const doneA = await env.fx.waitFinished(ns, a.metadata.name);
    const doneB = await env.fx.waitFinished(ns, b.metadata.name);
    transitions.stop();
    uids.stop();
    expect(doneA.status?.reason).toBe('PodRestarted');
    expect(doneB.status?.reason).toBe('PodRestarted');
    expect(doneA.status?.podUID).toBe(first.metadata?.uid);
    expect(doneB.status?.podUID).toBe(doneA.status?.replacementPodUID);
    expect(new Set([doneA.status?.podUID, doneB.status?.podUID, doneB.status?.replacementPodUID]).size).toBe(3);
    expect(uids.uidsOf('ff')).toEqual([
      first.metadata?.uid,
      doneA.status?.replacementPodUID,
      doneB.status?.replacementPodUID,
    ]);
    expect(transitions.of(b.metadata.name)).toContain('Pending/WaitingForOtherBounce');
    expect(Date.parse(doneB.status!.terminatingTime!)).toBeGreaterThanOrEqual(
      Date.parse(doneA.status!.completionTime!),
    );
  });

  it('a later request starts on its own when the earlier one is deleted', async () => {
    const ns = await env.namespace('sc-fifo-del');
    await env.fx.readyExpressNode(ns, 'fd');
    const policy = env.kc.makeApiClient((await import('@kubernetes/client-node')).PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'hold' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { 'express.dev/node': 'fd' } } },
      },
    });
    const blocker = await env.fx.createNodeBounce(ns, { podName: 'fd' }, { name: 'a-blocker' });
    await env.fx.waitNodeBounce(
      ns,
      blocker.metadata.name,
      (o) => o.status?.reason === 'BlockedByPDB',
      20_000,
      'BlockedByPDB',
    );
    const waiter = await env.fx.createNodeBounce(ns, { podName: 'fd' }, { name: 'b-waiter' });
    const waiting = await env.fx.waitNodeBounce(
      ns,
      waiter.metadata.name,
      (o) => o.status?.reason === 'WaitingForOtherBounce',
      20_000,
      'waiting',
    );
    expect(waiting.status?.message).toContain('a-blocker');
    await env.fx.deleteNodeBounce(ns, blocker.metadata.name);
    // It starts by itself (and is now the one held by the budget) ...
    await env.fx.waitNodeBounce(
      ns,
      waiter.metadata.name,
      (o) => o.status?.reason === 'BlockedByPDB',
      20_000,
      'started after the blocker was deleted',
    );
    // ... and finishes once the budget is gone.
    await policy.deleteNamespacedPodDisruptionBudget({ namespace: ns, name: 'hold' });
    const done = await env.fx.waitFinished(ns, waiter.metadata.name, 60_000);
    expect(done.status?.reason).toBe('PodRestarted');
  });

  it('mode Delete: a plain graceful delete, UID-guarded', async () => {
    const ns = await env.namespace('sc-delete-mode');
    const pod = await env.fx.readyExpressNode(ns, 'dl');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'dl', mode: 'Delete', gracePeriodSeconds: 5 });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted', podUID: pod.metadata?.uid });
    expect((await env.fx.events(ns, nb.metadata.name)).map((e) => e.reason)).toContain('PodDeleted');
  });

  it('pods named differently by the Express operator: the replacement is found through the Express resource', async () => {
    const ns = await env.namespace('sc-rename');
    await env.fx.createExpressNode(ns, 'rn', {
      annotations: { 'sim.express.dev/pod-naming': 'generate', 'sim.express.dev/mapping': 'label' },
    });
    const pod = await waitUntil(async () => {
      const pods = await env.fx.core.listNamespacedPod({ namespace: ns, labelSelector: 'express.dev/node=rn' });
      const p = pods.items.find((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return p;
    });
    const nb = await env.fx.createNodeBounce(ns, { podName: pod.metadata!.name! });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted', expressResourceName: 'rn' });
    expect(done.status?.replacementPodName).not.toBe(pod.metadata?.name);
    expect(done.status?.replacementPodName).toMatch(/^rn-/);
  });

  it('ttlSecondsAfterFinished: deleted after it finishes; kept (with a Warning) when Argo CD tracks it', async () => {
    const ns = await env.namespace('sc-ttl');
    await env.fx.readyExpressNode(ns, 'tt');
    const plain = await env.fx.createNodeBounce(ns, { podName: 'tt', dryRun: true, ttlSecondsAfterFinished: 1 });
    const argo = await env.fx.createNodeBounce(
      ns,
      { podName: 'tt', dryRun: true, ttlSecondsAfterFinished: 1 },
      { annotations: { 'argocd.argoproj.io/tracking-id': 'app:bounce.express.dev/NodeBounce:ns/x' } },
    );
    await env.fx.waitFinished(ns, argo.metadata.name);
    await waitUntil(async () => (await env.fx.getNodeBounce(ns, plain.metadata.name)) === undefined, {
      timeoutMs: 15_000,
      description: 'TTL deletion',
    });
    await new Promise((r) => setTimeout(r, 1500));
    const kept = await env.fx.getNodeBounce(ns, argo.metadata.name);
    expect(kept?.status?.ttlSkipped).toBe(true);
    const warnings = (await env.fx.events(ns, argo.metadata.name)).filter((e) => e.reason === 'TTLSkipped');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.type).toBe('Warning');
  });
});
