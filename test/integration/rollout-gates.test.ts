import { describe, expect, inject, it } from 'vitest';
import { sleep } from './support/reliability.js';
import { useOperatorEnv } from './support/env.js';
import { auditEvictions, RolloutFixture } from './support/rollout.js';

// RollingBounce gates on the real control plane: health gate, pause/resume, failure policy, maintenance windows,
// bad specs, deletion mid-rollout.
describe('RollingBounce: gates, pause, failures, deletion', () => {
  const env = useOperatorEnv();
  const rf = () => new RolloutFixture(env.kc);
  const nodes = async (
    ns: string,
    names: string[],
    opts: { startupDelay?: string; shutdownProtection?: boolean } = {},
  ) => {
    await Promise.all(
      names.map((n) =>
        env.fx.readyExpressNode(ns, n, {
          labels: { cluster: 'g' },
          startupDelay: opts.startupDelay ?? '500ms',
          shutdownDelay: '300ms',
          shutdownProtection: opts.shutdownProtection,
        }),
      ),
    );
  };
  const members = { selector: { matchLabels: { cluster: 'g' } } };
  const row = (rb: { status?: { members?: Array<{ pod: string; phase: string }> } }, pod: string) =>
    rb.status?.members?.find((m) => m.pod === pod);
  const rowReason = (rb: { status?: { members?: Array<{ pod: string; reason?: string }> } }, pod: string) =>
    rb.status?.members?.find((m) => m.pod === pod)?.reason ?? '';

  it('the health gate holds the next member while another member is rebuilding', async () => {
    const ns = await env.namespace('rb-health');
    await nodes(ns, ['h-a', 'h-b', 'h-c'], { startupDelay: '2s' });
    const from = Date.now() - 1000;
    await rf().create(ns, 'gated', { members, healthGate: { stableSeconds: 1 } });
    // h-a's NodeBounce past its disruption-budget check (evicting or after): from then on h-c's rebuild cannot
    // stop it (before, h-a's NodeBounce would wait for h-c: WaitingForDisruptionBudget, docs/adr/0007).
    await rf().wait(
      ns,
      'gated',
      (rb) => row(rb, 'h-a')?.phase === 'Succeeded' || /^(Terminating|Starting)/.test(rowReason(rb, 'h-a')),
      30_000,
      'h-a evicting',
    );
    await env.fx.setRuntimeState(ns, 'h-c', 'rebuilding');
    const held = await rf().wait(
      ns,
      'gated',
      (rb) => row(rb, 'h-a')?.phase === 'Succeeded' && rb.status?.reason === 'MembersUnhealthy',
      30_000,
      'held by h-c',
    );
    expect(held.status?.phase).toBe('WaitingForHealth');
    expect(held.status?.message).toContain('h-c: runtime state "rebuilding"');
    await sleep(2500);
    expect(row((await rf().get(ns, 'gated'))!, 'h-b')?.phase).toBe('Pending');
    expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['h-a']);
    await env.fx.setRuntimeState(ns, 'h-c', 'running');
    const done = await rf().waitFinished(ns, 'gated');
    expect(done.status).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
    expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['h-a', 'h-b', 'h-c']);
  });

  it('pause stops new members (the in-flight one finishes); resume finishes the rollout', async () => {
    const ns = await env.namespace('rb-pause');
    await nodes(ns, ['p-a', 'p-b', 'p-c'], { startupDelay: '2s' });
    const from = Date.now() - 1000;
    await rf().create(ns, 'pausable', { members, healthGate: { stableSeconds: 0 } });
    await rf().wait(ns, 'pausable', (rb) => row(rb, 'p-a')?.phase === 'InProgress', 30_000, 'p-a in progress');
    await rf().patchSpec(ns, 'pausable', { paused: true });
    const paused = await rf().wait(
      ns,
      'pausable',
      (rb) => rb.status?.phase === 'Paused' && row(rb, 'p-a')?.phase === 'Succeeded',
      30_000,
      'paused, p-a done',
    );
    expect(paused.status?.conditions?.find((c) => c.type === 'Paused')).toMatchObject({
      status: 'True',
      observedGeneration: 2,
    });
    expect(paused.status?.progress).toBe('1/3');
    await sleep(2000);
    expect(row((await rf().get(ns, 'pausable'))!, 'p-b')?.phase).toBe('Pending');
    expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['p-a']);
    await rf().patchSpec(ns, 'pausable', { paused: false });
    const done = await rf().waitFinished(ns, 'pausable');
    expect(done.status).toMatchObject({ phase: 'Succeeded', progress: '3/3', observedGeneration: 3 });
  });

  it('a member whose bounce fails stops the rollout with its reason; later members untouched', async () => {
    const ns = await env.namespace('rb-fail');
    await nodes(ns, ['f-a', 'f-c']);
    // f-b's replacement never becomes Ready: its NodeBounce fails with ReadyTimeout.
    await env.fx.readyExpressNode(ns, 'f-b', {
      labels: { cluster: 'g' },
      startupDelay: '300ms',
      shutdownDelay: '300ms',
    });
    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'express.dev',
        version: 'v1alpha1',
        plural: 'expressnodes',
        namespace: ns,
        name: 'f-b',
        body: { metadata: { annotations: { 'kwok.nodebounce.dev/startup-delay': 'never' } } },
      },
      (await import('@kubernetes/client-node')).setHeaderOptions(
        'Content-Type',
        (await import('@kubernetes/client-node')).PatchStrategy.MergePatch,
      ),
    );
    const from = Date.now() - 1000;
    await rf().create(ns, 'failing', {
      members,
      healthGate: { stableSeconds: 0 },
      bounceTemplate: { readyTimeoutSeconds: 3 },
    });
    const done = await rf().waitFinished(ns, 'failing');
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'MemberFailed', progress: '2/3' });
    expect(done.status?.message).toContain('member f-b failed (ReadyTimeout');
    expect(row(done, 'f-b')).toMatchObject({ phase: 'Failed', reason: 'ReadyTimeout' });
    expect(row(done, 'f-c')).toMatchObject({ phase: 'Pending' });
    expect(done.status?.conditions?.find((c) => c.type === 'Succeeded')).toMatchObject({
      status: 'False',
      reason: 'MemberFailed',
    });
    expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['f-a', 'f-b']);
  });

  it('outside every maintenance window it waits and says until when; nothing is evicted', async () => {
    const ns = await env.namespace('rb-window');
    await nodes(ns, ['w-a']);
    // A window that closed a minute ago (today, UTC) and opens again tomorrow.
    const now = new Date();
    const hhmm = (d: Date) =>
      `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const start = new Date(now.getTime() - 3 * 60_000);
    const end = new Date(now.getTime() - 60_000);
    const from = Date.now() - 1000;
    await rf().create(ns, 'windowed', {
      members,
      maintenanceWindows: [{ start: hhmm(start), end: hhmm(end), timeZone: 'UTC' }],
    });
    const waiting = await rf().wait(
      ns,
      'windowed',
      (rb) => rb.status?.phase === 'WaitingForWindow',
      30_000,
      'WaitingForWindow',
    );
    expect(waiting.status?.reason).toBe('OutsideMaintenanceWindow');
    const until = Date.parse(waiting.status!.waitingUntil!);
    const expected = new Date(
      Date.UTC(
        start.getUTCFullYear(),
        start.getUTCMonth(),
        start.getUTCDate() + 1,
        start.getUTCHours(),
        start.getUTCMinutes(),
      ),
    );
    expect(new Date(until).toISOString()).toBe(expected.toISOString());
    expect(waiting.status?.message).toContain(expected.toISOString());
    await sleep(1000);
    expect(await auditEvictions(inject('auditLogPath'), ns, from)).toEqual([]);
    expect(await rf().nodeBounces(ns)).toEqual([]);
    // Deleting a waiting RollingBounce: its finalizer goes, it is gone.
    await rf().delete(ns, 'windowed');
    await expect.poll(async () => await rf().get(ns, 'windowed'), { timeout: 15_000 }).toBeUndefined();
  });

  it('a window that opens in the next minute: waits for it, then bounces inside it', { timeout: 180_000 }, async () => {
    const ns = await env.namespace('rb-window-open');
    await nodes(ns, ['o-a']);
    const now = new Date();
    const opens = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
    const closes = new Date(opens.getTime() + 5 * 60_000);
    const hhmm = (d: Date) =>
      `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const from = Date.now() - 1000;
    await rf().create(ns, 'soon', {
      members,
      healthGate: { stableSeconds: 0 },
      maintenanceWindows: [{ start: hhmm(opens), end: hhmm(closes), timeZone: 'UTC' }],
    });
    const waiting = await rf().wait(
      ns,
      'soon',
      (rb) => rb.status?.phase === 'WaitingForWindow' || rb.status?.phase === 'Progressing',
      30_000,
      'waiting',
    );
    if (waiting.status?.phase === 'WaitingForWindow') expect(waiting.status.waitingUntil).toBe(opens.toISOString());
    const done = await rf().waitFinished(ns, 'soon', 150_000);
    expect(done.status).toMatchObject({ phase: 'Succeeded', progress: '1/1' });
    const evictions = await auditEvictions(inject('auditLogPath'), ns, from);
    expect(evictions).toHaveLength(1);
    expect(evictions[0]!.at).toBeGreaterThanOrEqual(opens.getTime());
  });

  it.each([
    [
      'an unknown time zone',
      {
        members: { podNames: ['x-a'] },
        maintenanceWindows: [{ start: '01:00', end: '02:00', timeZone: 'Mars/Olympus' }],
      },
      'InvalidSpec',
      'Mars/Olympus',
    ],
    [
      'a grace period longer than the termination timeout',
      { members: { podNames: ['x-a'] }, bounceTemplate: { gracePeriodSeconds: 900 } },
      'InvalidSpec',
      'gracePeriodSeconds',
    ],
    [
      'a pod that does not exist',
      { members: { podNames: ['x-a', 'ghost'] } },
      'MembersNotFound',
      'ghost (no such pod)',
    ],
    [
      'a selector matching nothing',
      { members: { selector: { matchLabels: { cluster: 'nope' } } } },
      'NoMembers',
      'cluster',
    ],
  ])('bad spec: %s -> Failed with a named reason, nothing created', async (_, spec, reason, text) => {
    const ns = await env.namespace('rb-bad');
    await nodes(ns, ['x-a']);
    await rf().create(ns, 'bad', spec);
    const done = await rf().wait(ns, 'bad', (rb) => rb.status?.phase === 'Failed', 30_000, 'Failed');
    expect(done.status?.reason).toBe(reason);
    expect(done.status?.message).toContain(text);
    expect(await rf().nodeBounces(ns)).toEqual([]);
    await rf().wait(ns, 'bad', (o) => (o.metadata.finalizers ?? []).length === 0, 30_000, 'no finalizer left');
  });

  it('deleted mid-rollout: the in-flight NodeBounce is deleted, shutdown protection restored, nothing else started', async () => {
    const ns = await env.namespace('rb-delete');
    await nodes(ns, ['d-a', 'd-b'], { startupDelay: '3s', shutdownProtection: true });
    const from = Date.now() - 1000;
    await rf().create(ns, 'doomed', { members, healthGate: { stableSeconds: 0 } });
    await rf().wait(
      ns,
      'doomed',
      (rb) => row(rb, 'd-a')?.phase === 'InProgress' && (rb.metadata.finalizers ?? []).length > 0,
      30_000,
      'd-a in progress',
    );
    // Wait until the bounce touched the node (protection disabled, pod evicted).
    await expect
      .poll(async () => (await auditEvictions(inject('auditLogPath'), ns, from)).length, { timeout: 20_000 })
      .toBe(1);
    await rf().delete(ns, 'doomed');
    await expect.poll(async () => await rf().get(ns, 'doomed'), { timeout: 30_000 }).toBeUndefined();
    await expect.poll(async () => (await rf().nodeBounces(ns)).length, { timeout: 30_000 }).toBe(0);
    await expect
      .poll(async () => (await env.fx.getExpressNode(ns, 'd-a')).spec.shutdownProtection, { timeout: 30_000 })
      .toBe(true);
    expect((await env.fx.getExpressNode(ns, 'd-b')).spec.shutdownProtection).toBe(true);
    await sleep(1000);
    expect((await auditEvictions(inject('auditLogPath'), ns, from)).map((e) => e.pod)).toEqual(['d-a']);
  });
});
