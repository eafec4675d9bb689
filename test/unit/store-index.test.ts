import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import { NodeBounceStore } from '../../src/controller/store.js';
import type { ObjectCache } from '../../src/kube/runtime.js';
import { NS, makeNodeBounce } from './fixtures.js';

// The store's indexes let pod / Express events find their NodeBounces without scanning the namespace.
function storeOver(items: Map<string, NodeBounce>): NodeBounceStore {
  return new NodeBounceStore({
    get: (_ns: string, name: string) => items.get(name),
    list: () => [...items.values()],
    listAll: () => [...items.values()],
  } as unknown as ObjectCache<NodeBounce>);
}

describe('NodeBounceStore indexes', () => {
  it('finds NodeBounces by pod and by Express resource, following status changes and deletes', () => {
    const items = new Map<string, NodeBounce>();
    const store = storeOver(items);
    const put = (nb: NodeBounce, type: 'add' | 'update') => {
      items.set(nb.metadata.name, nb);
      store.track(nb, type);
    };
    const a = makeNodeBounce({ name: 'a', spec: { podName: 'p1' } });
    const b = makeNodeBounce({ name: 'b', spec: { podName: 'p1' }, meta: { uid: 'nb-uid-2' } });
    const c = makeNodeBounce({ name: 'c', spec: { podName: 'p2' }, meta: { uid: 'nb-uid-3' } });
    put(a, 'add');
    put(b, 'add');
    put(c, 'add');
    expect(store.namesForPod(NS, 'p1').sort()).toEqual(['a', 'b']);
    expect(store.namesForPod(NS, 'p2')).toEqual(['c']);
    expect(store.namesForPod('other-ns', 'p1')).toEqual([]);
    expect(
      store
        .listForPod(NS, 'p1')
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(['a', 'b']);
    // Unresolved NodeBounces are candidates for any Express resource in their namespace.
    expect(store.namesForExpress(NS, 'x1').sort()).toEqual(['a', 'b', 'c']);

    put({ ...a, status: { phase: 'Pending', expressResourceName: 'x1' } }, 'update');
    put({ ...c, status: { phase: 'Pending', expressResourceName: 'x2' } }, 'update');
    expect(store.namesForExpress(NS, 'x1').sort()).toEqual(['a', 'b']);
    expect(store.namesForExpress(NS, 'x2').sort()).toEqual(['b', 'c']);

    items.delete('a');
    store.track(a, 'delete');
    expect(store.namesForPod(NS, 'p1')).toEqual(['b']);
    expect(store.namesForExpress(NS, 'x1')).toEqual(['b']);
  });
});
