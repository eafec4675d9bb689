import type { NodeBounce } from '../api/nodebounce.js';
import type { ObjectCache } from '../kube/runtime.js';

/**
 * The watch cache plus our own recent writes. A watch event for our write can arrive after the next
 * reconcile starts; reading our own write back avoids deciding on a version we already replaced.
 * Any version we did not write (someone else's change) wins over the overlay.
 */
export class NodeBounceStore {
  private readonly writes = new Map<string, { ours: Set<string>; latest: NodeBounce }>();

  constructor(private readonly cache: ObjectCache<NodeBounce>) {}

  private static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  get(namespace: string, name: string): NodeBounce | undefined {
    const key = NodeBounceStore.key(namespace, name);
    const cached = this.cache.get(namespace, name);
    const w = this.writes.get(key);
    if (!w) return cached;
    if (!cached || cached.metadata.uid !== w.latest.metadata.uid) {
      this.writes.delete(key);
      return cached;
    }
    const rv = cached.metadata.resourceVersion ?? '';
    if (rv === w.latest.metadata.resourceVersion || !w.ours.has(rv)) {
      this.writes.delete(key);
      return cached;
    }
    return w.latest;
  }

  list(namespace: string): NodeBounce[] {
    return this.cache.list(namespace).map((nb) => this.get(namespace, nb.metadata.name) ?? nb);
  }

  /** Every cached NodeBounce (the cache's versions; good enough for counting). */
  listAll(): NodeBounce[] {
    return this.cache.listAll();
  }

  /** Records that we replaced `before` with `after` (as returned by the server). */
  recordWrite(before: NodeBounce, after: NodeBounce): NodeBounce {
    const key = NodeBounceStore.key(after.metadata.namespace, after.metadata.name);
    const w = this.writes.get(key) ?? { ours: new Set<string>(), latest: after };
    if (before.metadata.resourceVersion) w.ours.add(before.metadata.resourceVersion);
    if (after.metadata.resourceVersion) w.ours.add(after.metadata.resourceVersion);
    w.latest = after;
    this.writes.set(key, w);
    return after;
  }

  forget(namespace: string, name: string): void {
    this.writes.delete(NodeBounceStore.key(namespace, name));
  }
}
