// The CLI's own small client for the NodeBounce API, on @kubernetes/client-node. A separate program from the
// operator, so it does not share the operator's client; it shares only the API types.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch, type CoreV1Event } from '@kubernetes/client-node';
import {
  NODEBOUNCE_API_VERSION,
  NODEBOUNCE_GROUP,
  NODEBOUNCE_KIND,
  NODEBOUNCE_PLURAL,
  NODEBOUNCE_VERSION,
  type NodeBounce,
  type NodeBounceSpec,
} from '../api/nodebounce.js';
import {
  ROLLINGBOUNCE_KIND,
  ROLLINGBOUNCE_PLURAL,
  type RollingBounce,
  type RollingBounceSpec,
} from '../api/rollingbounce.js';
import { apiErrorInfo, CliError, isConnectionError } from './errors.js';
import { makeApi } from '../kube/http.js';

/** One CLI request (not a watch): longer than the operator's, a person is waiting but a list may be large. */
const CLI_REQUEST_TIMEOUT_MS = 30_000;

export type { CoreV1Event };

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const NB = { group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION, plural: NODEBOUNCE_PLURAL };
const RESOURCE = `${NODEBOUNCE_PLURAL}.${NODEBOUNCE_GROUP}`;
const RB = { group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION, plural: ROLLINGBOUNCE_PLURAL };

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Loads the kubeconfig the way kubectl finds it (--kubeconfig, then $KUBECONFIG, then ~/.kube/config, then
 * in-cluster), but says clearly when there is none instead of falling back to localhost:8080.
 */
export function loadKubeConfig(opts: KubeOptions = {}): KubeConfig {
  const env = opts.env ?? process.env;
  let kc = new KubeConfig();
  const load = (file: string, into: KubeConfig) => {
    try {
      into.loadFromFile(file);
    } catch (err) {
      throw new CliError(`cannot read kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig))
      throw new CliError(`no kubeconfig: --kubeconfig ${opts.kubeconfig} does not exist`);
    load(opts.kubeconfig, kc);
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f.length > 0);
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) throw new CliError(`no kubeconfig: KUBECONFIG=${env.KUBECONFIG} names no existing file`);
    const loaded = present
      .filter((file) => readFileSync(file, 'utf8').trim().length > 0) // kubectl skips empty files
      .map((file) => {
        const one = new KubeConfig();
        load(file, one);
        return one;
      });
    kc = mergeKubeConfigs(loaded);
  } else {
    const home = env.HOME || homedir();
    const file = home ? join(home, '.kube', 'config') : undefined;
    if (file && existsSync(file)) load(file, kc);
    else if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) kc.loadFromCluster();
    else throw new CliError('no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config');
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new CliError(`context "${opts.context}" not found in the kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
    throw new CliError(
      'the kubeconfig has no current context: pass --context or run `kubectl config use-context NAME`',
    );
  }
  if (!kc.getCurrentCluster())
    throw new CliError(`context "${kc.getCurrentContext()}" names no cluster in the kubeconfig`);
  return kc;
}

/**
 * Merges kubeconfig files (in KUBECONFIG order) with kubectl's rules (client-go clientcmd): the first file that sets
 * current-context wins; a cluster, user or context whose name several files define keeps the first file's entry;
 * later files only add new names. (client-node's mergeConfig lets the last current-context win and throws on a
 * duplicate name, so the CLI could act on another cluster than kubectl.) Each file's relative paths are already
 * resolved against its own directory by loadFromFile.
 */
export function mergeKubeConfigs(configs: KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Set<string>();
    const out: T[] = [];
    for (const item of lists.flat()) {
      if (seen.has(item.name)) continue;
      seen.add(item.name);
      out.push(item);
    }
    return out;
  };
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: firstByName(configs.map((c) => c.getClusters())),
    users: firstByName(configs.map((c) => c.getUsers())),
    contexts: firstByName(configs.map((c) => c.getContexts())),
    currentContext: configs.map((c) => c.getCurrentContext()).find((name) => Boolean(name)),
  });
  return merged;
}

/** The namespace to use: -n, else the context's namespace, else "default" (like kubectl). */
export function defaultNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}

export type PodCheck = 'Found' | 'NotFound' | 'Unknown';

export type WatchHandle = { stop(): void };

export class NodeBounceClient {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  readonly server: string;

  constructor(readonly kc: KubeConfig) {
    // Every call has a deadline, like the operator's (the watches behind --wait have client-node's idle timer).
    this.custom = makeApi(kc, CustomObjectsApi, CLI_REQUEST_TIMEOUT_MS);
    this.core = makeApi(kc, CoreV1Api, CLI_REQUEST_TIMEOUT_MS);
    this.server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  }

  async create(namespace: string, spec: NodeBounceSpec, generateName: string): Promise<NodeBounce> {
    try {
      return (await this.custom.createNamespacedCustomObject({
        ...NB,
        namespace,
        body: {
          apiVersion: NODEBOUNCE_API_VERSION,
          kind: NODEBOUNCE_KIND,
          metadata: { generateName, namespace },
          spec,
        },
      })) as NodeBounce;
    } catch (err) {
      throw await this.translate(err, `create a NodeBounce in namespace ${namespace}`);
    }
  }

  async get(namespace: string, name: string): Promise<NodeBounce> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...NB, namespace, name })) as NodeBounce;
    } catch (err) {
      throw await this.translate(
        err,
        `get NodeBounce ${name}`,
        () => `NodeBounce "${name}" not found in namespace ${namespace}`,
      );
    }
  }

  /** NodeBounces of one namespace, or of all namespaces when `namespace` is undefined; oldest first. */
  async list(namespace: string | undefined): Promise<{ items: NodeBounce[]; resourceVersion?: string }> {
    try {
      const res = (
        namespace
          ? await this.custom.listNamespacedCustomObject({ ...NB, namespace })
          : await this.custom.listClusterCustomObject(NB)
      ) as { items?: NodeBounce[]; metadata?: { resourceVersion?: string } };
      const items = (res.items ?? []).sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          a.metadata.namespace.localeCompare(b.metadata.namespace) ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
      return { items, resourceVersion: res.metadata?.resourceVersion };
    } catch (err) {
      throw await this.translate(
        err,
        namespace ? `list NodeBounces in namespace ${namespace}` : 'list NodeBounces in all namespaces',
      );
    }
  }

  async createRollingBounce(
    namespace: string,
    spec: RollingBounceSpec,
    name: { name?: string; generateName?: string },
  ): Promise<RollingBounce> {
    try {
      return (await this.custom.createNamespacedCustomObject({
        ...RB,
        namespace,
        body: { apiVersion: NODEBOUNCE_API_VERSION, kind: ROLLINGBOUNCE_KIND, metadata: { ...name, namespace }, spec },
      })) as RollingBounce;
    } catch (err) {
      throw await this.translate(err, `create a RollingBounce in namespace ${namespace}`);
    }
  }

  async getRollingBounce(namespace: string, name: string): Promise<RollingBounce> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...RB, namespace, name })) as RollingBounce;
    } catch (err) {
      throw await this.translate(
        err,
        `get RollingBounce ${name}`,
        () => `RollingBounce "${name}" not found in namespace ${namespace}`,
      );
    }
  }

  /** Sets spec.paused (merge patch). */
  async setRollingBouncePaused(namespace: string, name: string, paused: boolean): Promise<RollingBounce> {
    try {
      const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
      return (await this.custom.patchNamespacedCustomObject(
        { ...RB, namespace, name, body: { spec: { paused } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as RollingBounce;
    } catch (err) {
      throw await this.translate(
        err,
        `${paused ? 'pause' : 'resume'} RollingBounce ${name}`,
        () => `RollingBounce "${name}" not found in namespace ${namespace}`,
      );
    }
  }

  /** RollingBounces of one namespace (or all), oldest first. */
  async listRollingBounces(
    namespace: string | undefined,
  ): Promise<{ items: RollingBounce[]; resourceVersion?: string }> {
    try {
      const res = (
        namespace
          ? await this.custom.listNamespacedCustomObject({ ...RB, namespace })
          : await this.custom.listClusterCustomObject(RB)
      ) as { items?: RollingBounce[]; metadata?: { resourceVersion?: string } };
      const items = (res.items ?? []).sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
      return { items, resourceVersion: res.metadata?.resourceVersion };
    } catch (err) {
      throw await this.translate(
        err,
        namespace ? `list RollingBounces in namespace ${namespace}` : 'list RollingBounces in all namespaces',
      );
    }
  }

  /** Names of the pods in a namespace (for shell completion). */
  async podNames(namespace: string): Promise<string[]> {
    try {
      const list = await this.core.listNamespacedPod({ namespace });
      return list.items.map((p) => p.metadata?.name ?? '').filter(Boolean);
    } catch (err) {
      throw await this.translate(err, `list pods in namespace ${namespace}`);
    }
  }

  /** Whether the pod exists. Unknown when we may not read pods (the operator will tell, with PodNotFound). */
  async checkPod(namespace: string, name: string): Promise<PodCheck> {
    try {
      await this.core.readNamespacedPod({ namespace, name });
      return 'Found';
    } catch (err) {
      const info = apiErrorInfo(err);
      if (info.code === 404) return 'NotFound';
      if (info.code === 403) return 'Unknown';
      throw await this.translate(err, `get pod ${name}`);
    }
  }

  /** Events about one NodeBounce, oldest first. Empty when we may not read events. */
  async events(namespace: string, name: string, uid?: string, kind: string = NODEBOUNCE_KIND): Promise<CoreV1Event[]> {
    try {
      const list = await this.core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
      });
      return list.items
        .filter((e) => !uid || !e.involvedObject.uid || e.involvedObject.uid === uid)
        .sort(
          (a, b) => eventTime(a) - eventTime(b) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
        );
    } catch (err) {
      if (apiErrorInfo(err).code === 403) return [];
      throw await this.translate(err, `list events of ${kind} ${name}`);
    }
  }

  /**
   * Watches one NodeBounce (a field selector on its name) from `resourceVersion`. `onDone` gets the error, or
   * undefined when the server closed the watch (the caller re-lists and watches again).
   */
  async watchNodeBounce(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onChange: (type: string, nb: NodeBounce) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    return this.watch(
      `/apis/${NODEBOUNCE_GROUP}/${NODEBOUNCE_VERSION}/namespaces/${namespace}/${NODEBOUNCE_PLURAL}`,
      { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: true },
      onChange,
      onDone,
    );
  }

  /** Watches the events about one NodeBounce. */
  async watchEvents(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (type: string, ev: CoreV1Event) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    return this.watch(
      `/api/v1/namespaces/${namespace}/events`,
      { fieldSelector: `involvedObject.kind=${NODEBOUNCE_KIND},involvedObject.name=${name}`, resourceVersion },
      onEvent,
      onDone,
    );
  }

  /** The resourceVersion to start an events watch from (so old events are not replayed as new). */
  async eventsResourceVersion(namespace: string, name: string): Promise<string | undefined> {
    try {
      const list = await this.core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=${NODEBOUNCE_KIND},involvedObject.name=${name}`,
        limit: 1,
      });
      return list.metadata?.resourceVersion;
    } catch {
      return undefined;
    }
  }

  private async watch<T>(
    path: string,
    query: Record<string, string | boolean | undefined>,
    onChange: (type: string, obj: T) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    let stopped = false;
    const ctrl = await new Watch(this.kc).watch(
      path,
      query,
      (type, obj: T) => {
        if (!stopped) onChange(type, obj);
      },
      (err: unknown) => {
        if (!stopped) onDone(err ?? undefined);
        stopped = true;
      },
    );
    return {
      stop: () => {
        stopped = true;
        ctrl.abort();
      },
    };
  }

  /** One clear error for a failed call. */
  async translate(err: unknown, what: string, notFound?: () => string): Promise<CliError> {
    if (err instanceof CliError) return err;
    if (isConnectionError(err)) {
      const message = apiErrorInfo(err).message;
      // node-fetch says "request to <url> failed, reason: connect ECONNREFUSED …": the reason is what matters.
      return new CliError(
        `cannot reach the Kubernetes API server at ${this.server}: ${/, reason: (.*)$/.exec(message)?.[1] ?? message}`,
      );
    }
    const info = apiErrorInfo(err);
    switch (info.code) {
      case 401:
        return new CliError(
          `unauthorized: the API server at ${this.server} rejected the credentials of context "${this.kc.getCurrentContext()}"`,
        );
      case 403:
        return new CliError(
          `forbidden: ${info.message.startsWith(RESOURCE) || info.message.includes('forbidden') ? info.message : `cannot ${what}: ${info.message}`}`,
        );
      case 404:
        if (!(await this.crdInstalled())) {
          return new CliError(
            `the NodeBounce API (${RESOURCE}/${NODEBOUNCE_VERSION}) is not installed on ${this.server}: install the CRD (crds/) and the nodebounce operator`,
          );
        }
        if (
          notFound &&
          info.isStatus &&
          (info.reason === 'NotFound' || info.reason === undefined) &&
          !/^namespaces? /.test(info.message)
        ) {
          return new CliError(notFound());
        }
        return new CliError(`not found: cannot ${what}: ${info.message}`);
      default:
        return new CliError(`cannot ${what}: ${info.code ? `${info.code} ` : ''}${info.message}`);
    }
  }

  /** Discovery: does the server serve nodebounces in our group/version? */
  async crdInstalled(): Promise<boolean> {
    try {
      const res = await this.custom.getAPIResources({ group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION });
      return res.resources.some((r) => r.name === NODEBOUNCE_PLURAL);
    } catch (err) {
      if (apiErrorInfo(err).code === 404) return false;
      return true; // can't tell (e.g. forbidden discovery): don't claim it is missing
    }
  }
}

export function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
