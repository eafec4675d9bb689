import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import type { PodLike } from '../../src/bounce/pod.js';
import { defaultOperatorConfig } from '../../src/config/schema.js';
import { BounceReconciler, nodeBounceKey } from '../../src/controller/reconciler.js';
import { NodeBounceStore } from '../../src/controller/store.js';
import { FailedAfterProgress } from '../../src/controller/workqueue.js';
import type { UnstructuredObject } from '../../src/express/view.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { ObjectCache } from '../../src/kube/runtime.js';
import { EXPRESS, NS, OLD_UID, T0, acceptedStatus, makeNodeBounce, makePod } from './fixtures.js';

// Chaos faults seed 202 (25 % injected API errors): the shutdown-protection disable landed, the status write that
// should have recorded it failed, and every later pass patched again and had to write status again; the failures
// in a row doubled the retry backoff to 60 s and one bounce sat in Pending/DisablingShutdownProtection for 300 s.

function cache<T extends { metadata?: { name?: string; namespace?: string } }>(items: () => T[]): ObjectCache<T> {
  return {
    get: (ns, name) => items().find((i) => i.metadata?.namespace === ns && i.metadata?.name === name),
    list: (ns) => items().filter((i) => i.metadata?.namespace === ns),
    listAll: () => items(),
  };
}

function apiError(code: number): Error {
  return Object.assign(new Error(`HTTP ${code}`), { code });
}

/** An API server of one NodeBounce, one pod and one ExpressNode with protection on; `fail` answers a call with 500. */
function setup(fail: (call: string, n: number) => boolean, failCode = 500) {
  let nb: NodeBounce = makeNodeBounce({ status: acceptedStatus(0), finalizer: true, meta: { resourceVersion: '1' } });
  let express: UnstructuredObject = {
    metadata: { name: EXPRESS, namespace: NS, resourceVersion: '10' },
    spec: { state: 'up', shutdownProtection: true },
    status: { state: 'running' },
  };
  const pod: PodLike = makePod();
  let rv = 1;
  const counts = new Map<string, number>();
  const calls: string[] = [];
  const call = (name: string) => {
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    if (fail(name, n)) {
      calls.push(`${name} (${failCode})`);
      throw apiError(failCode);
    }
    calls.push(name);
  };
  const client = {
    listNodeBouncesForPod: async () => [nb],
    getPod: async () => (call('getPod'), pod),
    getExpress: async () => (call('getExpress'), express),
    replaceNodeBounceStatus: async (next: NodeBounce) => {
      if (next.metadata.resourceVersion !== nb.metadata.resourceVersion) throw apiError(409);
      call(`status ${next.status?.phase}/${next.status?.reason}`);
      nb = { ...next, metadata: { ...next.metadata, resourceVersion: String(++rv) } };
      return nb;
    },
    patchExpress: async (_ns: string, _name: string, patch: { spec?: { shutdownProtection?: boolean } }) => {
      call(`patchExpress ${patch.spec?.shutdownProtection}`);
      express = {
        ...express,
        metadata: { ...express.metadata, resourceVersion: '11' },
        spec: { ...(express.spec as object), ...patch.spec },
      };
      return express;
    },
    evictPod: async () => call('evict'),
    recordEvent: async () => undefined,
  } as unknown as KubeClient;
  // The watch cache follows the server at once here (the store's own-write overlay is tested elsewhere).
  const store = new NodeBounceStore(cache(() => [nb]));
  const reconciler = new BounceReconciler({
    client,
    store,
    pods: cache(() => [pod]),
    express: cache(() => [express]),
    config: defaultOperatorConfig,
    log: pino({ level: 'silent' }),
    clock: () => T0,
  });
  return { reconciler, calls, key: nodeBounceKey(NS, 'bounce-1'), nb: () => nb };
}

describe('reconciler under API faults: a lost disable answer', () => {
  it('the disable lands, its status write fails: FailedAfterProgress; the next pass records it and evicts, no second patch', async () => {
    const { reconciler, calls, key, nb } = setup((c, n) => c.startsWith('status') && n === 2);
    const first = await reconciler.reconcile(key).catch((e: unknown) => e);
    // The intent write landed before the failure: retried after the base backoff, not a doubled one.
    expect(first).toBeInstanceOf(FailedAfterProgress);
    expect(calls).toEqual([
      'getPod',
      'getExpress',
      'status Pending/DisablingShutdownProtection',
      'patchExpress false',
      'status Pending/DisablingShutdownProtection (500)',
    ]);
    calls.length = 0;
    await reconciler.reconcile(key);
    expect(calls).toEqual(['getPod', 'getExpress', 'status Terminating/Evicting', 'evict']);
    expect(nb().status?.shutdownProtection).toEqual({ wasEnabled: true, disabledByOperator: true, restored: false });
    expect(nb().status?.podUID).toBe(OLD_UID);
  });

  it.each([[500], [503], [429]])('a live read answered %i is asked once more in the same pass', async (code) => {
    const { reconciler, calls, key } = setup((c, n) => c === 'getPod' && n === 1, code);
    await reconciler.reconcile(key);
    expect(calls).toEqual([
      `getPod (${code})`,
      'getExpress',
      'getPod',
      'status Pending/DisablingShutdownProtection',
      'patchExpress false',
      'status Pending/DisablingShutdownProtection',
    ]);
  });

  it.each([[403], [409]])('a live read answered %i is not asked again: the pass fails', async (code) => {
    const { reconciler, calls, key } = setup((c, n) => c === 'getPod' && n === 1, code);
    await expect(reconciler.reconcile(key)).rejects.toThrow(`HTTP ${code}`);
    expect(calls.filter((c) => c.startsWith('getPod'))).toEqual([`getPod (${code})`]);
  });

  it('a pass that fails before any write of the NodeBounce lands is a plain failure (the backoff keeps doubling)', async () => {
    // Both tries of the read fail.
    const { reconciler, calls, key } = setup((c) => c === 'getExpress');
    const err = await reconciler.reconcile(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(FailedAfterProgress);
    expect(calls).toEqual(['getPod', 'getExpress (500)', 'getExpress (500)']);
  });
});
