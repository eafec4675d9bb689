import { describe, expect, inject, it } from 'vitest';
import { readPod, waitUntil } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';
import { countPodDisruptions, trackPodUids } from './support/pods.js';

// The operator is SIGKILLed mid-bounce and started again: it continues from status and never repeats a
// side effect. Each pod is evicted exactly once (counted in the kube-apiserver audit log).
describe('crash and restart on the real control plane', () => {
  const env = useOperatorEnv();

  it.each([
    ['Terminating', { shutdownDelay: '3s', startupDelay: '300ms' }],
    ['Starting', { shutdownDelay: '300ms', startupDelay: '4s' }],
  ] as const)('killed mid-%s, restarted: Succeeded, the pod evicted exactly once', async (phase, delays) => {
    const ns = await env.namespace(`crash-${phase.toLowerCase()}`);
    const first = await env.fx.readyExpressNode(ns, 'cr', { ...delays, shutdownProtection: true });
    const uids = await trackPodUids(env.kc, ns);
    const nb = await env.fx.createNodeBounce(ns, { podName: 'cr' });
    await env.fx.waitNodeBounce(ns, nb.metadata.name, (o) => o.status?.phase === phase, 30_000, phase);
    // Mid-Terminating means after the eviction: the pod is being deleted. The eviction's success is not in status
    // yet (it goes out with the next status write, ADR 0006), so the kill loses it: the restart must not evict again.
    if (phase === 'Terminating')
      await waitUntil(async () => (await readPod(env.kc, ns, 'cr'))?.metadata?.deletionTimestamp, {
        timeoutMs: 30_000,
        intervalMs: 20,
        description: 'the pod is terminating',
      });
    await env.operator.kill();
    // While it is down the bounce keeps going on its own (the kubelet and the Express operator act).
    await new Promise((r) => setTimeout(r, 1000));
    await env.restartOperator();
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 60_000);
    uids.stop();
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted', podUID: first.metadata?.uid });
    expect(uids.uidsOf('cr')).toEqual([first.metadata?.uid, done.status?.replacementPodUID]);
    expect(await countPodDisruptions(inject('auditLogPath'), ns, 'cr')).toBe(1);
    expect(done.status?.shutdownProtection).toMatchObject({ disabledByOperator: true, restored: true });
    expect((await env.fx.getExpressNode(ns, 'cr')).spec.shutdownProtection).toBe(true);
  });
});
