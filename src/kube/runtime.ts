import { readFileSync } from 'node:fs';
import * as dotI from '@dot-i/k8s-operator';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  loadYaml,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isApiCode } from './errors.js';
import { ResilientInformer, type ChangeHandler } from './informer.js';

// Our small interface over the operator framework. The rest of the code sees only OperatorRuntime.
// See docs/adr/0001-operator-framework.md for why dot-i is subclassed this way.

/** Anything with object metadata; caches hold the raw JSON the API server sent. */
export type Watched = { metadata?: { name?: string; namespace?: string } };

export interface WatchSpec<T extends Watched> {
  /** API group, '' for core. */
  group: string;
  version: string;
  plural: string;
  /** Namespaces to watch; empty means all namespaces. */
  namespaces: string[];
  list: (namespace?: string) => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
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

// @dot-i/k8s-operator is CommonJS; its class is the module's default export.
const DotIOperator = (dotI as unknown as { default: { default: new (logger?: unknown) => object } }).default.default;

type DotIOperatorShape = {
  kubeConfig: KubeConfig;
  k8sApi: CoreV1Api;
};

/**
 * dot-i's Operator, fixed for client-node 1.x and made safe:
 * - getCustomResourceApiUri: k8sApi.basePath is gone in 1.x; build URLs from the current cluster's server;
 * - registerCustomResourceDefinition: 1.x takes `{ body }` and reports 409 as ApiException.code;
 * - watchResource: dot-i exits the process on any watch error and restarts watches without a
 *   resourceVersion (missing deletes); ours resume from the last resourceVersion and back off;
 * - no global event queue with concurrency 1: events go straight to the caller (our keyed work queue);
 * - stop() never exits the process.
 */
export class DotIRuntime extends (DotIOperator as unknown as new (logger?: unknown) => DotIOperatorShape) implements OperatorRuntime {
  private readonly informers: Array<ResilientInformer<KubernetesObject>> = [];
  private started = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly log: Logger,
  ) {
    super({
      debug: (m: string) => log.debug(m),
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    });
    // dot-i loads the default kubeconfig itself; use the one we were given.
    this.kubeConfig = kubeConfig;
    this.k8sApi = kubeConfig.makeApiClient(CoreV1Api);
  }

  get ready(): boolean {
    return this.started && this.informers.every((i) => i.synced);
  }

  getCustomResourceApiUri(group: string, version: string, plural: string, namespace?: string): string {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    let path = group ? `/apis/${group}/${version}/` : `/api/${version}/`;
    if (namespace) path += `namespaces/${namespace}/`;
    return server.replace(/\/$/, '') + path + plural;
  }

  async registerCustomResourceDefinition(crdFile: string): Promise<{ group: string; plural: string }> {
    const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(crdFile, 'utf8'));
    if (!crd.apiVersion?.startsWith('apiextensions.k8s.io/')) {
      throw new Error(`${crdFile}: not a CustomResourceDefinition (apiVersion ${crd.apiVersion})`);
    }
    try {
      await this.kubeConfig.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
      this.log.info({ crd: crd.metadata?.name }, 'registered custom resource definition');
    } catch (err) {
      if (!isApiCode(err, 409)) throw err;
    }
    return { group: crd.spec.group, plural: crd.spec.names.plural };
  }

  watch<T extends Watched>(spec: WatchSpec<T>, onChange: ChangeHandler<T>): ObjectCache<T> {
    const namespaces = spec.namespaces.length > 0 ? spec.namespaces : [undefined];
    const byNamespace = new Map<string | undefined, ResilientInformer<KubernetesObject>>();
    for (const ns of namespaces) {
      const url = new URL(this.getCustomResourceApiUri(spec.group, spec.version, spec.plural, ns));
      const list = () => spec.list(ns) as unknown as Promise<KubernetesListObject<KubernetesObject>>;
      const informer = new ResilientInformer<KubernetesObject>(this.kubeConfig, url.pathname, list, this.log);
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
