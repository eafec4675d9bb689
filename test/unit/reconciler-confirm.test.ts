import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NODEBOUNCE_FINALIZER, type NodeBounce } from '../../src/api/nodebounce.js';
import type { PodLike } from '../../src/bounce/pod.js';
import { defaultOperatorConfig } from '../../src/config/schema.js';
import { BounceReconciler, nodeBounceKey } from '../../src/controller/reconciler.js';
import { NodeBounceStore } from '../../src/controller/store.js';
import type { UnstructuredObject } from '../../src/express/view.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { ObjectCache } from '../../src/kube/runtime.js';
import { EXPRESS, NEW_UID, NS, OLD_UID, POD, T0, acceptedStatus, makeNodeBounce, makePod } from './fixtures.js';

// A watch that lags or is reconnecting can miss a pod or an Express resource that exists. Failing a bounce for
// good on that (PodNotFound, ExpressResourceNotFound) must be confirmed by a live read first.

function cache<T extends { metadata?: { name?: string; namespace?: string } }>(items: T[]): ObjectCache<T> {
  return {
    get: (ns, name) => items.find((i) => i.metadata?.namespace === ns && i.metadata?.name === name),
    list: (ns) => items.filter((i) => i.metadata?.namespace === ns),
    listAll: () => items,
  };
}

const expressNode: UnstructuredObject = {
  metadata: { name: EXPRESS, namespace: NS },
  spec: { state: 'up' },
  status: { state: 'running' },
};

function apiError(code: number): Error {
  return Object.assign(new Error(`HTTP ${code}`), { code });
}

function setup(opts: {
  cachedPods: PodLike[];
  cachedExpress: UnstructuredObject[];
  livePod?: PodLike;
  liveExpress?: UnstructuredObject;
  /** Runs right after our finalizer went on: e.g. someone deletes the NodeBounce. */
  afterHold?: (change: (f: (nb: NodeBounce, rv: string) => NodeBounce) => void) => void;
}) {
  let nb: NodeBounce = makeNodeBounce({ status: acceptedStatus(0), meta: { resourceVersion: '1' } });
  const calls = {
    getPod: 0,
    getExpress: 0,
    evictions: [] as unknown[][],
    statuses: [] as NodeBounce[],
    /** Every write, in order. */
    order: [] as string[],
  };
  let rv = 1;
  const client = {
    listNodeBouncesForPod: async () => [nb],
    setNodeBounceFinalizers: async (
      current: NodeBounce,
      finalizers: string[],
      annotations?: Record<string, string>,
    ) => {
      if (current.metadata.resourceVersion !== nb.metadata.resourceVersion) throw apiError(409);
      calls.order.push(`finalizers ${finalizers.join(',')}`);
      const metadata = { ...nb.metadata, finalizers, resourceVersion: String(++rv) };
      if (annotations) metadata.annotations = { ...nb.metadata.annotations, ...annotations };
      const held = { ...nb, metadata };
      nb = held;
      opts.afterHold?.((deleted) => (nb = deleted(nb, String(++rv))));
      return held;
    },
    replaceNodeBounceStatus: async (next: NodeBounce) => {
      if (next.metadata.resourceVersion !== nb.metadata.resourceVersion) throw apiError(409);
      calls.order.push(`status ${next.status?.phase}`);
      nb = { ...next, metadata: { ...next.metadata, resourceVersion: String(++rv) } };
      calls.statuses.push(nb);
      return nb;
    },
    getPod: async () => {
      calls.getPod++;
      return opts.livePod;
    },
    getExpress: async () => {
      calls.getExpress++;
      return opts.liveExpress;
    },
    evictPod: async (...args: unknown[]) => {
      calls.order.push('evict');
      calls.evictions.push(args);
    },
    recordEvent: async () => undefined,
  } as unknown as KubeClient;
  const store = new NodeBounceStore({ get: () => nb, list: () => [nb], listAll: () => [nb] });
  const reconciler = new BounceReconciler({
    client,
    store,
    pods: cache(opts.cachedPods),
    express: cache(opts.cachedExpress),
    config: defaultOperatorConfig,
    log: pino({ level: 'silent' }),
    clock: () => T0,
  });
  return { reconciler, calls, key: nodeBounceKey(NS, 'bounce-1') };
}

describe('reconciler: absence is confirmed live before failing', () => {
  it('pod and Express resource missing from the caches but present live: the bounce goes on', async () => {
    const { reconciler, calls, key } = setup({
      cachedPods: [],
      cachedExpress: [],
      livePod: makePod(),
      liveExpress: expressNode,
    });
    await reconciler.reconcile(key);
    expect(calls.getPod).toBeGreaterThan(0);
    expect(calls.statuses.map((s) => s.status?.phase)).not.toContain('Failed');
    expect(calls.statuses.at(-1)?.status?.phase).toBe('Terminating');
    expect(calls.evictions).toEqual([[NS, POD, OLD_UID, 'Evict', undefined]]);
  });

  it('Express resource missing only from its cache: the bounce goes on', async () => {
    const { reconciler, calls, key } = setup({
      cachedPods: [makePod()],
      cachedExpress: [],
      livePod: makePod(),
      liveExpress: expressNode,
    });
    await reconciler.reconcile(key);
    expect(calls.getExpress).toBeGreaterThan(0);
    expect(calls.statuses.at(-1)?.status?.phase).toBe('Terminating');
    expect(calls.evictions).toHaveLength(1);
  });

  it('really missing: Failed with PodNotFound, nothing evicted', async () => {
    const { reconciler, calls, key } = setup({ cachedPods: [], cachedExpress: [expressNode] });
    await reconciler.reconcile(key);
    expect(calls.getPod).toBe(1);
    expect(calls.statuses.at(-1)?.status).toMatchObject({ phase: 'Failed', reason: 'PodNotFound' });
    expect(calls.evictions).toEqual([]);
  });

  it('everything in the caches: the step that starts the bounce still reads pod and Express resource live, once each', async () => {
    const { reconciler, calls, key } = setup({
      cachedPods: [makePod()],
      cachedExpress: [expressNode],
      livePod: makePod(),
      liveExpress: expressNode,
    });
    await reconciler.reconcile(key);
    expect([calls.getPod, calls.getExpress]).toEqual([1, 1]);
    expect(calls.statuses.at(-1)?.status?.phase).toBe('Terminating');
  });
});

describe('reconciler: the UID that is recorded and evicted is read live, under the per-pod lock', () => {
  it('the pod restarted on its own and the cache still holds the old incarnation: the live UID is used', async () => {
    const { reconciler, calls, key } = setup({
      cachedPods: [makePod()],
      cachedExpress: [expressNode],
      livePod: makePod({ uid: NEW_UID }),
      liveExpress: expressNode,
    });
    await reconciler.reconcile(key);
    expect(calls.statuses.at(-1)?.status).toMatchObject({ phase: 'Terminating', podUID: NEW_UID });
    expect(calls.evictions).toEqual([[NS, POD, NEW_UID, 'Evict', undefined]]);
  });

  it('the Express resource became intentionally down after the cache saw it: refused on the live read, nothing touched', async () => {
    const down = { ...expressNode, spec: { state: 'down' } };
    const { reconciler, calls, key } = setup({
      cachedPods: [makePod()],
      cachedExpress: [expressNode],
      livePod: makePod(),
      liveExpress: down,
    });
    await reconciler.reconcile(key);
    expect(calls.statuses.at(-1)?.status).toMatchObject({ phase: 'Failed', reason: 'IntentionallyDown' });
    expect(calls.evictions).toEqual([]);
  });
});

describe('reconciler: a NodeBounce that is gone is not requeued', () => {
  const finished = (): NodeBounce =>
    makeNodeBounce({
      spec: { ttlSecondsAfterFinished: 0 },
      meta: { resourceVersion: '7' },
      status: {
        ...acceptedStatus(0),
        phase: 'Failed',
        reason: 'PodNotFound',
        message: 'gone',
        completionTime: T0.toISOString(),
      },
    });

  function gone(deleteError?: { code: number }) {
    const nb = finished();
    let deletes = 0;
    const client = {
      deleteNodeBounce: async () => {
        deletes++;
        if (deleteError) throw Object.assign(new Error(`HTTP ${deleteError.code}`), deleteError);
      },
      replaceNodeBounceStatus: async (n: NodeBounce) => n,
      recordEvent: async () => undefined,
    } as unknown as KubeClient;
    // The watch has not delivered the delete yet: the cache still holds the finished NodeBounce.
    const store = new NodeBounceStore({ get: () => nb, list: () => [nb], listAll: () => [nb] });
    const reconciler = new BounceReconciler({
      client,
      store,
      pods: cache([]),
      express: cache([]),
      config: defaultOperatorConfig,
      log: pino({ level: 'silent' }),
      clock: () => T0,
    });
    return { reconciler, deletes: () => deletes };
  }

  it('TTL delete succeeded: no requeue', async () => {
    const { reconciler, deletes } = gone();
    expect(await reconciler.reconcile(nodeBounceKey(NS, 'bounce-1'))).toEqual({});
    expect(deletes()).toBe(1);
  });

  it('TTL delete answered 404 (already gone, cache lagging): no requeue, so no hot loop', async () => {
    const { reconciler, deletes } = gone({ code: 404 });
    expect(await reconciler.reconcile(nodeBounceKey(NS, 'bounce-1'))).toEqual({});
    expect(deletes()).toBe(1);
  });

  it('TTL delete failed otherwise (500): retried with backoff', async () => {
    const { reconciler } = gone({ code: 500 });
    await expect(reconciler.reconcile(nodeBounceKey(NS, 'bounce-1'))).rejects.toThrow(/retrying with backoff/);
  });
});

describe('reconciler: observe() does not scan the namespace when it needs not', () => {
  it('Starting, the pod of that name is already a new incarnation: the pod cache is not listed', () => {
    let listed = 0;
    const pods = {
      get: (_ns: string, name: string) => (name === POD ? makePod({ uid: 'uid-new-2222' }) : undefined),
      list: () => {
        listed++;
        return [];
      },
      listAll: () => [],
    } as unknown as ObjectCache<PodLike>;
    const nb = makeNodeBounce({
      status: { ...acceptedStatus(0), phase: 'Starting', podUID: OLD_UID, expressResourceName: EXPRESS },
    });
    const store = new NodeBounceStore({ get: () => nb, list: () => [nb], listAll: () => [nb] });
    const reconciler = new BounceReconciler({
      client: {} as KubeClient,
      store,
      pods,
      express: cache([expressNode]),
      config: defaultOperatorConfig,
      log: pino({ level: 'silent' }),
    });
    expect(reconciler.observe(nb).pod?.metadata?.uid).toBe('uid-new-2222');
    expect(listed).toBe(0);
    // Old pod still there: differently named replacements are looked for.
    const oldPods = { ...pods, get: () => makePod() } as unknown as ObjectCache<PodLike>;
    const r2 = new BounceReconciler({
      client: {} as KubeClient,
      store,
      pods: oldPods,
      express: cache([expressNode]),
      config: defaultOperatorConfig,
      log: pino({ level: 'silent' }),
    });
    r2.observe(nb);
    expect(listed).toBe(1);
  });
});

describe('reconciler: nothing is touched before our finalizer and the intent are written (issue 17)', () => {
  const present = {
    cachedPods: [makePod()],
    cachedExpress: [expressNode],
    livePod: makePod(),
    liveExpress: expressNode,
  };

  it('the finalizer goes on (with the live reads), then the intent, then the eviction', async () => {
    const { reconciler, calls, key } = setup(present);
    await reconciler.reconcile(key);
    expect(calls.order).toEqual([`finalizers ${NODEBOUNCE_FINALIZER}`, 'status Terminating', 'evict']);
  });

  it('deleted right after the finalizer went on: the intent write fails on the new version, nothing evicted', async () => {
    const { reconciler, calls, key } = setup({
      ...present,
      afterHold: (change) =>
        change((nb, rv) => ({
          ...nb,
          metadata: { ...nb.metadata, deletionTimestamp: T0.toISOString(), resourceVersion: rv },
        })),
    });
    await reconciler.reconcile(key);
    expect(calls.order).toEqual([`finalizers ${NODEBOUNCE_FINALIZER}`]);
    expect(calls.evictions).toEqual([]);
  });
});
