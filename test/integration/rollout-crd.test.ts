import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/index.js';

// The RollingBounce CRD on the real API server: what the schema and CEL reject with 422, defaults, and that
// only paused and maxUnavailable may change.
const RB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'rollingbounces' };

describe('RollingBounce CRD on the real control plane', () => {
  const kc = new KubeConfig();
  let custom: CustomObjectsApi;
  let ns: string;
  let seq = 0;
  const create = (spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      ...RB,
      namespace: ns,
      body: {
        apiVersion: 'bounce.express.dev/v1alpha1',
        kind: 'RollingBounce',
        metadata: { name: `rb-${seq++}` },
        spec,
      },
    }) as Promise<{ metadata: { name: string; resourceVersion: string }; spec: Record<string, unknown> }>;
  const status = async (p: Promise<unknown>) => {
    try {
      await p;
      return 201;
    } catch (err) {
      return (err as { code?: number }).code;
    }
  };

  beforeAll(async () => {
    kc.loadFromFile(inject('kubeconfigPath'));
    custom = kc.makeApiClient(CustomObjectsApi);
    ns = await createNamespace(kc, uniqueName('rb-crd'));
  });

  it('applies defaults', async () => {
    const rb = await create({ members: { podNames: ['a', 'b'] } });
    expect(rb.spec).toMatchObject({
      maxUnavailable: 1,
      order: 'byName',
      settleSeconds: 0,
      paused: false,
      maxFailures: 0,
      dryRun: false,
    });
  });

  it.each([
    ['neither selector nor podNames', { members: {} }],
    ['both selector and podNames', { members: { podNames: ['a'], selector: { matchLabels: { a: 'b' } } } }],
    ['maxUnavailable 0', { members: { podNames: ['a'] }, maxUnavailable: 0 }],
    ['maxUnavailable 0%', { members: { podNames: ['a'] }, maxUnavailable: '0%' }],
    ['maxUnavailable 150%', { members: { podNames: ['a'] }, maxUnavailable: '150%' }],
    ['maxUnavailable "two"', { members: { podNames: ['a'] }, maxUnavailable: 'two' }],
    ['an unknown order', { members: { podNames: ['a'] }, order: 'random' }],
    ['a bad window time', { members: { podNames: ['a'] }, maintenanceWindows: [{ start: '25:00', end: '03:00' }] }],
    [
      'a bad day',
      { members: { podNames: ['a'] }, maintenanceWindows: [{ days: ['Monday'], start: '01:00', end: '03:00' }] },
    ],
    ['a bad pod name', { members: { podNames: ['Node_A'] } }],
    [
      'a prometheus endpoint that is not a name',
      { members: { podNames: ['a'] }, healthGate: { prometheus: { endpoint: 'http://x', query: 'up' } } },
    ],
    ['a bad bounce mode', { members: { podNames: ['a'] }, bounceTemplate: { mode: 'Kill' } }],
  ])('rejects %s with 422', async (_, spec) => {
    expect(await status(create(spec))).toBe(422);
  });

  it('refuses a name longer than 63 characters (its NodeBounces carry it as a label value), saying why', async () => {
    const named = (name: string) =>
      custom.createNamespacedCustomObject({
        ...RB,
        namespace: ns,
        body: {
          apiVersion: 'bounce.express.dev/v1alpha1',
          kind: 'RollingBounce',
          metadata: { name },
          spec: { members: { podNames: ['a'] } },
        },
      });
    let refusal = '';
    try {
      await named('n'.repeat(64));
    } catch (err) {
      refusal = `${(err as { code?: number }).code} ${String((err as { body?: unknown }).body)}`;
    }
    expect(refusal).toMatch(/^422 .*at most 63 characters/);
    expect(await status(named('n'.repeat(63)))).toBe(201);
  });

  it('accepts a full spec; only paused and maxUnavailable may change', async () => {
    const rb = await create({
      members: {
        selector: {
          matchLabels: { app: 'x' },
          matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['witness'] }],
        },
      },
      maxUnavailable: '25%',
      order: 'reverse',
      last: { matchLabels: { role: 'leader' } },
      settleSeconds: 5,
      healthGate: {
        healthyStates: ['running'],
        stableSeconds: 3,
        prometheus: { endpoint: 'default', query: 'ALERTS{alertstate="firing"}' },
      },
      maintenanceWindows: [{ days: ['Sat', 'Sun'], start: '22:00', end: '04:00', timeZone: 'Europe/Paris' }],
      maxFailures: 1,
      bounceTemplate: { force: false, reason: 'kernel patch', mode: 'Evict', terminationTimeoutSeconds: 300 },
    });
    const name = rb.metadata.name;
    const mergePatch = (body: unknown) =>
      custom.patchNamespacedCustomObject(
        { ...RB, namespace: ns, name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    expect(await status(mergePatch({ spec: { paused: true } }))).toBe(201);
    expect(await status(mergePatch({ spec: { maxUnavailable: 2 } }))).toBe(201);
    expect(await status(mergePatch({ spec: { order: 'byName' } }))).toBe(422);
    expect(await status(mergePatch({ spec: { settleSeconds: 9 } }))).toBe(422);
    expect(await status(mergePatch({ spec: { members: { selector: { matchLabels: { app: 'y' } } } } }))).toBe(422);
    expect(await status(mergePatch({ spec: { bounceTemplate: null } }))).toBe(422);
    expect(await status(mergePatch({ spec: { dryRun: true } }))).toBe(422);
  });
});
