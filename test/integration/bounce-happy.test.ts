import { describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

describe('bounce: happy path on the real control plane', () => {
  const env = useOperatorEnv();

  it('Terminating -> Starting -> Succeeded with PodRestarted and a new UID', async () => {
    const { fx, operator } = env;
    const ns = await env.namespace('happy');
    const oldPod = await fx.readyExpressNode(ns, 'node-a', { startupDelay: '1s', shutdownDelay: '1s' });
    const transitions = await fx.recordTransitions(ns);
    const nb = await fx.createNodeBounce(ns, { podName: 'node-a', reason: 'weekly restart' }, { name: 'bounce-a' });

    const done = await fx.waitFinished(ns, nb.metadata.name);
    await waitUntil(() => transitions.of(nb.metadata.name).some((s) => s.startsWith('Succeeded')), {
      description: 'watch sees Succeeded',
    });
    transitions.stop();
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.reason).toBe('PodRestarted');
    expect(done.status?.podUID).toBe(oldPod.metadata?.uid);
    expect(done.status?.replacementPodUID).toBeTruthy();
    expect(done.status?.replacementPodUID).not.toBe(oldPod.metadata?.uid);
    expect(done.status?.observedGeneration).toBe(1);
    const succeeded = done.status?.conditions?.find((c) => c.type === 'Succeeded');
    expect(succeeded).toMatchObject({ status: 'True', reason: 'PodRestarted' });
    for (const t of ['PreflightPassed', 'PodTerminated', 'PodReady']) {
      expect(done.status?.conditions?.find((c) => c.type === t)?.status, t).toBe('True');
    }
    for (const ts of [
      'startTime',
      'terminatingTime',
      'podDeletedTime',
      'terminatedTime',
      'readyTime',
      'completionTime',
    ] as const) {
      expect(done.status?.[ts], ts).toBeTruthy();
    }
    // Startup probe in the simulated pod: 1 + 2 x 5 = 11 s, plus one readiness period (3 s).
    expect(done.status?.effectiveTimeouts).toEqual({
      terminationSeconds: 600,
      readySeconds: 14,
      readySource: 'StartupProbe',
    });

    const phases = transitions.of(nb.metadata.name).map((s) => s.split('/')[0]);
    const order = phases.filter((p, i) => p !== '-' && p !== phases[i - 1]);
    // Accepted and started in one status write (docs/adr/0006): no Pending without shutdown protection to disable.
    expect(order).toEqual(['Terminating', 'Starting', 'Succeeded']);

    const newPod = await fx.waitPodReady(ns, 'node-a');
    expect(newPod.metadata?.uid).toBe(done.status?.replacementPodUID);

    const events = await fx.events(ns, nb.metadata.name);
    // One Event per step a human needs: the eviction and the result (which says where the time went).
    expect(events.map((e) => e.reason).sort()).toEqual(['PodEvicted', 'PodRestarted']);
    expect(events.find((e) => e.reason === 'PodEvicted')?.message).toContain('weekly restart');
    expect(events.find((e) => e.reason === 'PodRestarted')?.message).toMatch(
      /old pod gone \d+\.\ds after the eviction, replacement Ready \d+\.\ds later/,
    );

    // pino logs carry namespace, name and phase on every reconcile line.
    const lines = operator.records().filter((r) => r.name === nb.metadata.name && r.namespace === ns);
    expect(lines.length).toBeGreaterThan(0);
    for (const r of lines) expect(r.phase, JSON.stringify(r)).toBeTruthy();
  });
});
