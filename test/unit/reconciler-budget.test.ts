import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import type { RollingBounce } from '../../src/api/rollingbounce.js';
import type { PodLike } from '../../src/bounce/pod.js';
import { defaultOperatorConfig } from '../../src/config/schema.js';
import { BounceReconciler, nodeBounceKey } from '../../src/controller/reconciler.js';
import { NodeBounceStore } from '../../src/controller/store.js';
import type { UnstructuredObject } from '../../src/express/view.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { ObjectCache } from '../../src/kube/runtime.js';
import { NS, T0, makeNodeBounce, makePod } from './fixtures.js';

// The disruption budget in the NodeBounce reconciler (docs/adr/0007): which requests each path makes, and the
// per-namespace lock that serializes two checks. A recording client in memory (the API server's part is in
// test/integration/rollout-budget.test.ts).

const cache = <T extends { metadata?: { name?: string; namespace?: string } }>(items: () => T[]): ObjectCache<T> => ({
  get: (ns, name) => items().find((i) => i.metadata?.namespace === ns && i.metadata?.name === name),
  list: (ns) => items().filter((i) => i.metadata?.namespace === ns),
  listAll: () => items(),
});
const express = (name: string): UnstructuredObject => ({
  metadata: { name, namespace: NS },
  spec: { state: 'up' },
  status: { state: 'running' },
});
const pod = (name: string) => makePod({ name, uid: `uid-${name}`, labels: { 'express.dev/node': name } });
const rollout = (name: string, members: string[]): RollingBounce => ({
  metadata: { name, namespace: NS, uid: `${name}-uid` },
  spec: { members: { podNames: members } },
  status: {
    phase: 'Progressing',
    maxUnavailable: 1,
    members: members.map((m) => ({ pod: m, expressResource: m, phase: 'InProgress' as const })),
  },
});
const memberBounce = (rb: string, podName: string): NodeBounce =>
  makeNodeBounce({
    name: `${rb}-${podName}`,
    spec: { podName },
    meta: {
      uid: `nb-${rb}-${podName}`,
      resourceVersion: '1',
      ownerReferences: [
        {
          apiVersion: 'bounce.express.dev/v1alpha1',
          kind: 'RollingBounce',
          name: rb,
          uid: `${rb}-uid`,
          controller: true,
        },
      ],
    },
  });

function world(opts: { nodeBounces: NodeBounce[]; rollouts: RollingBounce[]; pods?: PodLike[] }) {
  const names = ['node-a', 'node-b', 'node-c'];
  const pods = opts.pods ?? names.map(pod);
  const exprs = names.map(express);
  const nbs = new Map(opts.nodeBounces.map((nb) => [nb.metadata.name, nb]));
  const calls: string[] = [];
  const evictions: string[] = [];
  let rv = 1;
  // Every answer comes back after a tick, so two reconciles interleave as they would on the network.
  const later = <T>(what: string, v: T) => {
    calls.push(what);
    return new Promise<T>((r) => setTimeout(() => r(v), 1));
  };
  const client = {
    getPod: (_ns: string, name: string) =>
      later(
        'get pod',
        pods.find((p) => p.metadata?.name === name),
      ),
    getExpress: (_ns: string, name: string) =>
      later(
        'get express',
        exprs.find((e) => e.metadata?.name === name),
      ),
    listNodeBouncesForPod: (_ns: string, p: string) =>
      later(
        'list nodebounces for pod',
        [...nbs.values()].filter((n) => n.spec.podName === p),
      ),
    listNodeBounces: () => later('list nodebounces', { items: [...nbs.values()] }),
    listPods: () => later('list pods', { items: pods }),
    listExpress: () => later('list express', { items: exprs }),
    listRollingBounces: () => later('list rollingbounces', { items: opts.rollouts }),
    replaceNodeBounceStatus: async (next: NodeBounce) => {
      const saved = { ...next, metadata: { ...next.metadata, resourceVersion: String(++rv) } };
      nbs.set(saved.metadata.name, saved);
      return later('update status', saved);
    },
    setNodeBounceFinalizers: async (nb: NodeBounce, finalizers: string[], annotations?: Record<string, string>) => {
      const cur = nbs.get(nb.metadata.name) ?? nb;
      const metadata = { ...cur.metadata, finalizers, resourceVersion: String(++rv) };
      if (annotations) metadata.annotations = { ...cur.metadata.annotations, ...annotations };
      const saved = { ...cur, metadata };
      nbs.set(saved.metadata.name, saved);
      return later('set finalizers', saved);
    },
    evictPod: async (_ns: string, podName: string) => {
      evictions.push(podName);
      return later('evict', undefined);
    },
    recordEvent: async () => undefined,
  } as unknown as KubeClient;
  const nbCache = cache(() => [...nbs.values()]);
  const reconciler = new BounceReconciler({
    client,
    store: new NodeBounceStore(nbCache),
    pods: cache(() => pods),
    express: cache(() => exprs),
    config: defaultOperatorConfig,
    log: pino({ level: 'silent' }),
    clock: () => T0,
    rollouts: () => opts.rollouts,
  });
  return { reconciler, calls, evictions, nbs };
}

describe('reconciler: the disruption budget', () => {
  it('a plain NodeBounce of a pod in no RollingBounce keeps the fast path: no LIST, the same requests as main', async () => {
    const w = world({ nodeBounces: [makeNodeBounce({ spec: { podName: 'node-a' } })], rollouts: [] });
    await w.reconciler.reconcile(nodeBounceKey(NS, 'bounce-1'));
    // One round trip of reads (with our finalizer taken in it), the intent write, the eviction: no LIST.
    expect(w.calls.slice(0, 3).sort()).toEqual(['get express', 'get pod', 'set finalizers']);
    expect(w.calls.slice(3)).toEqual(['update status', 'evict']);
    expect(w.evictions).toEqual(['node-a']);
  });

  it("a user's NodeBounce of a member waits while another member is down, reading the group live", async () => {
    const rb = rollout('rb', ['node-a', 'node-b', 'node-c']);
    const w = world({
      nodeBounces: [makeNodeBounce({ spec: { podName: 'node-a' } })],
      rollouts: [rb],
      pods: [
        pod('node-a'),
        makePod({ name: 'node-b', uid: 'uid-b', ready: false, labels: { 'express.dev/node': 'node-b' } }),
        pod('node-c'),
      ],
    });
    await w.reconciler.reconcile(nodeBounceKey(NS, 'bounce-1'));
    expect(w.evictions).toEqual([]);
    expect(w.calls).toEqual(
      expect.arrayContaining(['list nodebounces', 'list pods', 'list express', 'list rollingbounces']),
    );
    const st = w.nbs.get('bounce-1')!.status!;
    expect(st).toMatchObject({ phase: 'Pending', reason: 'WaitingForDisruptionBudget' });
    expect(st.message).toContain('node-b: pod node-b not Ready');
  });

  it('two member NodeBounces of two overlapping rollouts checking at once: exactly one evicts', async () => {
    // r1 and r2 both hold node-a and node-c; r1 starts node-a while r2 starts node-c, at the same moment.
    const rollouts = [rollout('r1', ['node-a', 'node-c']), rollout('r2', ['node-c', 'node-a'])];
    const w = world({ nodeBounces: [memberBounce('r1', 'node-a'), memberBounce('r2', 'node-c')], rollouts });
    await Promise.all([
      w.reconciler.reconcile(nodeBounceKey(NS, 'r1-node-a')),
      w.reconciler.reconcile(nodeBounceKey(NS, 'r2-node-c')),
    ]);
    expect(w.evictions).toHaveLength(1);
    const reasons = [...w.nbs.values()].map((nb) => nb.status?.reason).sort();
    expect(reasons).toEqual(['Evicting', 'WaitingForDisruptionBudget']);
  });
});
