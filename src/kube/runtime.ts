import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config/schema.js';
import { ResilientInformer, type CacheTransform, type ChangeHandler } from './informer.js';

// The operator's runtime: the list+watch caches the controller reads, with one start/ready/stop lifecycle.
// It is ours, built directly on client-node's informers (docs/adr/0004-no-operator-framework.md says why
// @dot-i/k8s-operator is gone).

/** Anything with object metadata; caches hold the raw JSON the API server sent. */
export type Watched = { metadata?: { name?: string; namespace?: string } };

export interface WatchSpec<T extends Watched> {
  /** API group, '' for core. */
  group: string;
  version: string;
  plural: string;
  /** Namespaces to watch; empty means all namespaces. */
  namespaces: string[];
  /** Lists the collection; must apply `labelSelector` when it is given. */
  list: (
    namespace: string | undefined,
    labelSelector: string | undefined,
  ) => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** Only objects matching this label selector are listed, watched and cached. */
  labelSelector?: string;
  /**
   * What the cache keeps of each object (applied before it is stored; see CacheTransform). Everything that reads the
   * cache, and the change handler, sees only what it keeps.
   */
  transform?: CacheTransform<T>;
}

/** A read-only view over the watched objects of one kind (across its namespaces). */
export interface ObjectCache<T> {
  get(namespace: string, name: string): T | undefined;
  list(namespace: string): readonly T[];
  /** Every cached object, across the watched namespaces. */
  listAll(): T[];
}

export interface OperatorRuntime {
  readonly kubeConfig: KubeConfig;
  /** Registers a watch; events go to `onChange` (which must not block). Call before start(). */
  watch<T extends Watched>(spec: WatchSpec<T>, onChange: ChangeHandler<T>): ObjectCache<T>;
  /** Starts every watch and resolves once all caches are synced. */
  start(): Promise<void>;
  /** True once every watch has listed. */
  readonly ready: boolean;
  stop(): Promise<void>;
}

/** The API path of a collection: /api/v1/pods, /apis/<group>/<version>/namespaces/<ns>/<plural>, ... */
export function collectionPath(group: string, version: string, plural: string, namespace?: string): string {
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
}

export class KubeRuntime implements OperatorRuntime {
  private readonly informers: Array<ResilientInformer<KubernetesObject>> = [];
  private started = false;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly api: ApiConfig,
    private readonly log: Logger,
  ) {}

  get ready(): boolean {
    return this.started && this.informers.every((i) => i.synced);
  }

  watch<T extends Watched>(spec: WatchSpec<T>, onChange: ChangeHandler<T>): ObjectCache<T> {
    if (this.started) throw new Error('watch() after start()');
    const namespaces = spec.namespaces.length > 0 ? spec.namespaces : [undefined];
    const byNamespace = new Map<string | undefined, ResilientInformer<KubernetesObject>>();
    for (const ns of namespaces) {
      const path = collectionPath(spec.group, spec.version, spec.plural, ns);
      const list = () =>
        spec.list(ns, spec.labelSelector) as unknown as Promise<KubernetesListObject<KubernetesObject>>;
      const limits = {
        timeoutMinSeconds: this.api.watchTimeoutMinSeconds,
        timeoutMaxSeconds: this.api.watchTimeoutMaxSeconds,
        idleTimeoutMs: this.api.watchIdleTimeoutSeconds * 1000,
      };
      const informer = new ResilientInformer<KubernetesObject>(this.kubeConfig, path, list, limits, this.log, {
        transform: spec.transform as CacheTransform<KubernetesObject> | undefined,
        labelSelector: spec.labelSelector,
      });
      informer.onChange(onChange as unknown as ChangeHandler<KubernetesObject>);
      byNamespace.set(ns, informer);
      this.informers.push(informer);
    }
    const pick = (namespace: string) => byNamespace.get(namespace) ?? byNamespace.get(undefined);
    return {
      get: (namespace, name) => pick(namespace)?.get(name, namespace) as T | undefined,
      list: (namespace) => (pick(namespace)?.list(namespace) ?? []) as unknown as T[],
      listAll: () => [...byNamespace.values()].flatMap((i) => i.list() as unknown as T[]),
    };
  }

  async start(): Promise<void> {
    this.started = true;
    await Promise.all(this.informers.map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
