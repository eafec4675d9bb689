import { isDeepStrictEqual } from 'node:util';
import { isTerminal, type NodeBounce, type NodeBounceStatus } from '../api/nodebounce.js';
import type { ChangeType } from '../kube/informer.js';
import type { ObjectCache } from '../kube/runtime.js';

function addTo(index: Map<string, Set<string>>, key: string, name: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(name);
}

function removeFrom(index: Map<string, Set<string>>, key: string, name: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(name);
  if (set.size === 0) index.delete(key);
}

/**
 * Whether a NodeBounce may still have something to do: not finished, or holding a finalizer (ours: protection to
 * restore; someone else's: we wait), or being deleted. A finished one (Succeeded/Failed, no finalizer, not being
 * deleted) is never reconciled again because of a pod or Express change, and never blocks another bounce of its pod
 * (findBlocker, src/bounce/queue.ts: only unfinished ones or those holding our finalizer do).
 */
export function hasWorkLeft(nb: NodeBounce): boolean {
  return (
    !isTerminal(nb.status?.phase) || (nb.metadata.finalizers?.length ?? 0) > 0 || Boolean(nb.metadata.deletionTimestamp)
  );
}

interface OwnWrites {
  /** resourceVersions our writes produced or replaced. */
  ours: Set<string>;
  /** Our latest persisted version. */
  latest: NodeBounce;
  /** Progress not written yet (see recordLocal): goes out with the next status write. */
  local?: NodeBounceStatus;
}

/**
 * The watch cache plus our own recent writes. A watch event for our write can arrive after the next
 * reconcile starts; reading our own write back avoids deciding on a version we already replaced.
 * Any version we did not write (someone else's change) wins over the overlay.
 */
export class NodeBounceStore {
  private readonly writes = new Map<string, OwnWrites>();
  // Indexes of the cached NodeBounces, kept from the watch events (see track()), so that a pod or Express event
  // finds the NodeBounces it concerns without scanning the namespace: with 1,000 NodeBounces in one namespace
  // the scans took about a quarter of the operator's CPU (benchmark profile). Only NodeBounces with work left
  // (hasWorkLeft) are indexed: finished ones pile up (until their TTL, if any) and concern no pod or Express event;
  // a finished one failed before resolving its Express resource would otherwise stay "unresolved" for ever, a
  // candidate for every Express event of its namespace.
  /** "ns/podName" -> names (spec.podName is immutable). */
  private readonly byPod = new Map<string, Set<string>>();
  /** "ns/expressName" -> names, by status.expressResourceName. */
  private readonly byExpress = new Map<string, Set<string>>();
  /** ns -> names whose status has no expressResourceName yet. */
  private readonly unresolved = new Map<string, Set<string>>();
  private readonly indexed = new Map<string, { pod?: string; express?: string; unresolved?: string }>();

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
    if (rv === w.latest.metadata.resourceVersion) {
      if (w.local) return { ...cached, status: w.local };
      this.writes.delete(key);
      return cached;
    }
    if (!w.ours.has(rv)) {
      // Someone else's version. Unwritten progress survives a change that left status alone (an annotation, a
      // label); any other change wins, and the next decision starts from it.
      if (w.local && isDeepStrictEqual(cached.status, w.latest.status)) {
        w.latest = cached;
        return { ...cached, status: w.local };
      }
      this.writes.delete(key);
      return cached;
    }
    return w.local ? { ...w.latest, status: w.local } : w.latest;
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
    // A status write carries whatever was kept locally: it was decided from the local status.
    delete w.local;
    this.writes.set(key, w);
    return after;
  }

  /**
   * Keeps `status` as this NodeBounce's status in memory without writing it (progress that the next status write
   * carries, see ACTION_RULES.deferredOnSuccess). `current` is the version the status was derived from.
   */
  recordLocal(current: NodeBounce, status: NodeBounceStatus): NodeBounce {
    const key = NodeBounceStore.key(current.metadata.namespace, current.metadata.name);
    let w = this.writes.get(key);
    const rv = current.metadata.resourceVersion;
    if (!w || w.latest.metadata.uid !== current.metadata.uid || w.latest.metadata.resourceVersion !== rv) {
      w = { ours: new Set(rv ? [rv] : []), latest: current };
      this.writes.set(key, w);
    }
    w.local = status;
    return { ...w.latest, status };
  }

  forget(namespace: string, name: string): void {
    this.writes.delete(NodeBounceStore.key(namespace, name));
  }

  /** Keeps the indexes in step with the cache; call for every watch event of a NodeBounce. */
  track(nb: NodeBounce, type: ChangeType): void {
    const { namespace, name } = nb.metadata;
    const key = NodeBounceStore.key(namespace, name);
    const old = this.indexed.get(key);
    if (old?.pod) removeFrom(this.byPod, old.pod, name);
    if (old?.express) removeFrom(this.byExpress, old.express, name);
    if (old?.unresolved) removeFrom(this.unresolved, old.unresolved, name);
    if (type === 'delete' || !hasWorkLeft(nb)) {
      this.indexed.delete(key);
      return;
    }
    const entry: { pod?: string; express?: string; unresolved?: string } = {};
    if (nb.spec?.podName) addTo(this.byPod, (entry.pod = NodeBounceStore.key(namespace, nb.spec.podName)), name);
    if (nb.status?.expressResourceName)
      addTo(this.byExpress, (entry.express = NodeBounceStore.key(namespace, nb.status.expressResourceName)), name);
    else addTo(this.unresolved, (entry.unresolved = namespace), name);
    this.indexed.set(key, entry);
  }

  /** Names of the NodeBounces for a pod (those with work left, see track()). */
  namesForPod(namespace: string, podName: string): string[] {
    return [...(this.byPod.get(NodeBounceStore.key(namespace, podName)) ?? [])];
  }

  /** Names of the NodeBounces that may concern an Express resource: those resolved to it, and the unresolved ones. */
  namesForExpress(namespace: string, expressName: string): string[] {
    return [
      ...(this.byExpress.get(NodeBounceStore.key(namespace, expressName)) ?? []),
      ...(this.unresolved.get(namespace) ?? []),
    ];
  }

  /** The NodeBounces for a pod that have work left (with our own recent writes; finished ones are not indexed). */
  listForPod(namespace: string, podName: string): NodeBounce[] {
    return this.namesForPod(namespace, podName)
      .map((n) => this.get(namespace, n))
      .filter((nb): nb is NodeBounce => nb !== undefined);
  }
}
