/**
 * A stand-in for the Express operator (test fixture): watches ExpressNode resources and keeps one pod
 * per node that should be up, like the real operator would. Public API only, through informers.
 *
 * For each ExpressNode (express.dev/v1alpha1) whose spec.state is not "down"/"stopped":
 *  - its pod exists: name = ExpressNode name, label express.dev/node=<name>, controller ownerReference
 *    to the ExpressNode, spec.nodeName = a kwok node, a startupProbe and a readinessProbe;
 *  - after the pod is deleted and fully gone, a new one is created (same name, new UID);
 *  - annotations with prefix kwok.nodebounce.dev/ on the ExpressNode are copied onto new pods;
 *  - status.state is set to "running" when unset.
 * When spec.state is down/stopped: the pod is deleted (graceful) and status.state set to "down".
 * Spec fields are never written. Per-ExpressNode test knobs (annotations):
 *  - sim.express.dev/mapping: label       -> pods get only the label, no ownerReference
 *  - sim.express.dev/pod-naming: generate -> pods get generateName "<name>-" instead of a fixed name
 * Since no garbage collector runs, pods of deleted ExpressNodes are deleted by the simulator.
 *
 * Mode "statefulset" (the real-node tier, test/harness/realcluster.ts): instead of creating pods itself, the
 * simulator keeps one StatefulSet per ExpressNode (same name, one replica, 0 when the node should be down, owned
 * by the ExpressNode so the real garbage collector removes it), whose pod `<name>-0` runs the Express test app
 * (test/harness/images/express-app): a startupProbe on /healthz, a readinessProbe on /ready, and a SIGTERM trap
 * that drains for a configurable time and logs that it did. The real StatefulSet controller recreates the pod
 * after a bounce. The ExpressNode's labels are copied onto the pod (e.g. for a PDB selector). Knobs
 * (annotations on the ExpressNode, read when the StatefulSet is created):
 *  - sim.express.dev/startup-delay: seconds before /healthz answers 200 (default: options.startupDelaySeconds)
 *  - sim.express.dev/drain-seconds: how long the app drains after SIGTERM (default: options.drainSeconds)
 *  - sim.express.dev/ready-initial: "false" -> /ready answers 503 until POST /admin/ready?value=true
 *  - sim.express.dev/paused: "true" -> the simulator leaves this ExpressNode alone (e.g. a node marked down whose
 *    pod is still there, as while a real Express operator is shutting it down)
 */
import { createHash } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
  PatchStrategy,
  type V1ObjectMeta,
  type V1Pod,
  type V1StatefulSet,
  makeInformer,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KWOK_ANNOTATION_PREFIX, KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from './kwok.js';

export const EXPRESS_GROUP = 'express.dev';
export const EXPRESS_VERSION = 'v1alpha1';
export const EXPRESS_PLURAL = 'expressnodes';
export const EXPRESS_KIND = 'ExpressNode';
export const EXPRESS_API_VERSION = `${EXPRESS_GROUP}/${EXPRESS_VERSION}`;
/** Label on every Express pod: the ExpressNode name. */
export const EXPRESS_NODE_LABEL = 'express.dev/node';
export const SIM_MAPPING_ANNOTATION = 'sim.express.dev/mapping';
export const SIM_POD_NAMING_ANNOTATION = 'sim.express.dev/pod-naming';
export const EXPRESS_CONTAINER_IMAGE = 'registry.invalid/express/node:simulated';
export const SIM_STARTUP_DELAY_ANNOTATION = 'sim.express.dev/startup-delay';
export const SIM_DRAIN_SECONDS_ANNOTATION = 'sim.express.dev/drain-seconds';
export const SIM_READY_INITIAL_ANNOTATION = 'sim.express.dev/ready-initial';
export const SIM_PAUSED_ANNOTATION = 'sim.express.dev/paused';

export interface ExpressNode extends KubernetesObject {
  metadata?: V1ObjectMeta;
  spec?: { state?: unknown; shutdownProtection?: unknown; [k: string]: unknown };
  status?: { state?: unknown; [k: string]: unknown };
}

export interface ExpressSimulatorOptions {
  /** Namespaces to watch; default: all namespaces. */
  namespaces?: string[];
  /** Nodes to place pods on; default: every Node annotated kwok.x-k8s.io/node=fake. */
  nodeNames?: string[];
  log?: (line: string) => void;
  /** "pods" (default): the simulator creates pods on kwok nodes; "statefulset": see the header comment. */
  mode?: 'pods' | 'statefulset';
  /** statefulset mode: the Express app image (loaded into the node). Default EXPRESS_APP_IMAGE of images.ts. */
  image?: string;
  /** statefulset mode: the app's imagePullPolicy. Default Never (loaded into the node); remote e2e runs pull it. */
  imagePullPolicy?: string;
  /** statefulset mode: default startup delay of the app (s). Default 3. */
  startupDelaySeconds?: number;
  /** statefulset mode: default drain time after SIGTERM (s). Default 5. */
  drainSeconds?: number;
}

export interface ExpressSimulator {
  stop(): Promise<void>;
}

/** Creates an ExpressNode (the sample CRD); the simulator then creates its pod. Returns the created object. */
export async function createExpressNode(
  kc: KubeConfig,
  namespace: string,
  name: string,
  opts: { spec?: Record<string, unknown>; annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): Promise<ExpressNode> {
  return (await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: EXPRESS_GROUP,
    version: EXPRESS_VERSION,
    plural: EXPRESS_PLURAL,
    namespace,
    body: {
      apiVersion: EXPRESS_API_VERSION,
      kind: EXPRESS_KIND,
      metadata: { name, namespace, annotations: opts.annotations, labels: opts.labels },
      spec: opts.spec ?? { state: 'up' },
    },
  })) as ExpressNode;
}

/** True when an ExpressNode's desired state asks for no pod. */
export function isDesiredDown(state: unknown): boolean {
  return typeof state === 'string' && ['down', 'stopped'].includes(state.trim().toLowerCase());
}

function stableIndex(key: string, n: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % n;
}

/** The pod the simulator creates for an ExpressNode (exported for tests of the fixture itself). */
export function expressPodFor(en: ExpressNode, nodeName: string): V1Pod {
  const meta = en.metadata ?? {};
  const name = meta.name ?? '';
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    if (k.startsWith(KWOK_ANNOTATION_PREFIX)) annotations[k] = v;
  }
  const labelOnly = meta.annotations?.[SIM_MAPPING_ANNOTATION] === 'label';
  const generate = meta.annotations?.[SIM_POD_NAMING_ANNOTATION] === 'generate';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(generate ? { generateName: `${name}-` } : { name }),
      namespace: meta.namespace,
      labels: {
        [EXPRESS_NODE_LABEL]: name,
        'app.kubernetes.io/name': 'express-node',
        'app.kubernetes.io/managed-by': 'express-simulator',
      },
      annotations,
      ownerReferences: labelOnly
        ? undefined
        : [
            {
              apiVersion: EXPRESS_API_VERSION,
              kind: EXPRESS_KIND,
              name,
              uid: meta.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
    },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'express',
          image: EXPRESS_CONTAINER_IMAGE,
          ports: [{ name: 'http', containerPort: 8080 }],
          startupProbe: {
            httpGet: { path: '/healthz', port: 'http' },
            initialDelaySeconds: 1,
            periodSeconds: 2,
            failureThreshold: 5,
          },
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 3 },
        },
      ],
    },
  };
}

/** The StatefulSet the simulator keeps for an ExpressNode in statefulset mode (exported for tests). */
export function expressStatefulSetFor(
  en: ExpressNode,
  opts: { image: string; startupDelaySeconds: number; drainSeconds: number; imagePullPolicy?: string },
): V1StatefulSet {
  const meta = en.metadata ?? {};
  const name = meta.name ?? '';
  const ann = meta.annotations ?? {};
  const drain = Number(ann[SIM_DRAIN_SECONDS_ANNOTATION] ?? opts.drainSeconds);
  const startup = Number(ann[SIM_STARTUP_DELAY_ANNOTATION] ?? opts.startupDelaySeconds);
  const labels = { ...(meta.labels ?? {}), [EXPRESS_NODE_LABEL]: name, 'app.kubernetes.io/name': 'express-node' };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      namespace: meta.namespace,
      labels: { 'app.kubernetes.io/name': 'express-node', 'app.kubernetes.io/managed-by': 'express-simulator' },
      ownerReferences: [
        {
          apiVersion: EXPRESS_API_VERSION,
          kind: EXPRESS_KIND,
          name,
          uid: meta.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      serviceName: name,
      replicas: isDesiredDown(en.spec?.state) ? 0 : 1,
      selector: { matchLabels: { [EXPRESS_NODE_LABEL]: name } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          // Longer than the drain, so the kubelet never has to SIGKILL a draining node.
          terminationGracePeriodSeconds: drain + 15,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 },
          containers: [
            {
              name: 'express',
              image: opts.image,
              imagePullPolicy: opts.imagePullPolicy ?? 'Never',
              env: [
                { name: 'STARTUP_DELAY', value: `${startup}s` },
                { name: 'SHUTDOWN_DELAY', value: `${drain}s` },
                { name: 'READY_INITIAL', value: ann[SIM_READY_INITIAL_ANNOTATION] === 'false' ? 'false' : 'true' },
              ],
              ports: [{ name: 'http', containerPort: 8080 }],
              startupProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 1,
                failureThreshold: 120,
                timeoutSeconds: 1,
              },
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, timeoutSeconds: 1 },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * An API error in one readable line: `HTTP 403: <the Status message>`. client-node's ApiException message spans
 * lines (HTTP-Code, Message, Body, Headers); the simulator logs a failure per retry, so a dump each time floods.
 */
export function oneLineError(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown } | undefined;
  let status: string | undefined;
  const body = e?.body;
  if (typeof body === 'string') {
    try {
      status = (JSON.parse(body) as { message?: string }).message;
    } catch {
      status = body.split('\n')[0];
    }
  } else if (body && typeof body === 'object') status = (body as { message?: string }).message;
  if (typeof e?.code === 'number' && status) return `HTTP ${e.code}: ${status}`;
  const text = typeof e?.message === 'string' ? e.message : String(err);
  return text.split('\n')[0]!.trim();
}

function code(err: unknown): number | undefined {
  return (err as { code?: number } | undefined)?.code;
}

/** How long a pod must have been gone before it is recreated (see the kwok note where it is used). */
const RECREATE_AFTER_GONE_MS = 1000;

export async function startExpressSimulator(
  kc: KubeConfig,
  opts: ExpressSimulatorOptions = {},
): Promise<ExpressSimulator> {
  const log = opts.log ?? (() => undefined);
  const mode = opts.mode ?? 'pods';
  const apps = kc.makeApiClient(AppsV1Api);
  const stsOpts = {
    image: opts.image ?? 'nodebounce.local/express-app:1',
    startupDelaySeconds: opts.startupDelaySeconds ?? 3,
    drainSeconds: opts.drainSeconds ?? 5,
    imagePullPolicy: opts.imagePullPolicy,
  };
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  let stopped = false;

  const timers = new Map<string, NodeJS.Timeout>();
  const hadPod = new Set<string>(); // ExpressNodes whose pod we have seen: a missing pod is then a recreation
  const goneSince = new Map<string, number>();
  const running = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  const failures = new Map<string, number>();
  const lastDesired = new Map<string, 'up' | 'down'>();
  const warnedLongNames = new Set<string>();
  let nodeNames = opts.nodeNames ?? [];

  const scopes = opts.namespaces && opts.namespaces.length > 0 ? opts.namespaces : [undefined];
  const enInformers: Array<Informer<ExpressNode> & ObjectCache<ExpressNode>> = [];
  const podInformers: Array<Informer<V1Pod> & ObjectCache<V1Pod>> = [];

  const enqueue = (key: string, delayMs = 0) => {
    if (stopped) return;
    if (running.has(key)) {
      dirty.add(key);
      return;
    }
    if (timers.has(key)) {
      if (delayMs > 0) return;
      clearTimeout(timers.get(key));
    }
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        const p = reconcile(key)
          .then(() => {
            failures.delete(key);
          })
          .catch((err: unknown) => {
            const n = (failures.get(key) ?? 0) + 1;
            failures.set(key, n);
            log(`express-simulator: reconcile ${key} failed (${n}): ${oneLineError(err)}`);
            dirty.add(key);
          })
          .finally(() => {
            running.delete(key);
            if (dirty.delete(key)) {
              const n = failures.get(key) ?? 0;
              enqueue(key, n > 0 ? Math.min(5000, 250 * 2 ** n) : 0);
            }
          });
        running.set(key, p);
      }, delayMs),
    );
  };

  const keyOf = (ns: string | undefined, name: string | undefined) => (ns && name ? `${ns}/${name}` : undefined);

  const pickNode = async (key: string): Promise<string> => {
    if (nodeNames.length === 0) {
      const nodes = await core.listNode();
      nodeNames = nodes.items
        .filter((n) => n.metadata?.annotations?.[KWOK_NODE_ANNOTATION] === KWOK_NODE_ANNOTATION_VALUE)
        .map((n) => n.metadata?.name ?? '')
        .filter(Boolean)
        .sort();
      if (nodeNames.length === 0) throw new Error('no kwok nodes to place Express pods on');
    }
    return nodeNames[stableIndex(key, nodeNames.length)] as string;
  };

  const patchStatusState = async (ns: string, name: string, state: string) => {
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        namespace: ns,
        plural: EXPRESS_PLURAL,
        name,
        body: { status: { state } },
      },
      mergePatch,
    );
  };

  async function reconcile(key: string): Promise<void> {
    if (stopped) return;
    const [ns, name] = key.split('/') as [string, string];
    let en: ExpressNode | undefined;
    try {
      en = (await custom.getNamespacedCustomObject({
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        namespace: ns,
        plural: EXPRESS_PLURAL,
        name,
      })) as ExpressNode;
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
    if (mode === 'statefulset') return reconcileStatefulSet(ns, name, en);
    let pods: V1Pod[] = [];
    if (name.length <= 63) {
      pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `${EXPRESS_NODE_LABEL}=${name}` })).items;
    }
    const uid = en?.metadata?.uid;
    // Pods owned by an earlier incarnation of the ExpressNode (or by nothing, when it is gone) are
    // garbage: delete them as the garbage collector would.
    const ownedByOther = (p: V1Pod) => {
      const ref = p.metadata?.ownerReferences?.find((r) => r.controller);
      return !!ref && (ref.kind !== EXPRESS_KIND || ref.uid !== uid);
    };
    const deletePod = async (p: V1Pod) => {
      if (p.metadata?.deletionTimestamp) return;
      try {
        await core.deleteNamespacedPod({ namespace: ns, name: p.metadata?.name ?? '' });
        log(`express-simulator: deleted pod ${ns}/${p.metadata?.name}`);
      } catch (err) {
        if (code(err) !== 404) throw err;
      }
    };
    if (!en || en.metadata?.deletionTimestamp) {
      // Gone, or being deleted (finalizers pending): tear the pod down, as the operator would.
      lastDesired.delete(key);
      for (const p of pods) await deletePod(p);
      return;
    }
    if (name.length > 63) {
      if (!warnedLongNames.has(key))
        log(`express-simulator: ${key}: name longer than 63 characters cannot be a label value; no pod`);
      warnedLongNames.add(key);
      return;
    }
    const foreign = pods.filter(
      (p) => ownedByOther(p) && p.metadata?.ownerReferences?.some((r) => r.kind === EXPRESS_KIND),
    );
    for (const p of foreign) await deletePod(p);
    const mine = pods.filter((p) => !foreign.includes(p));
    const statusState = en.status?.state;

    if (isDesiredDown(en.spec?.state)) {
      lastDesired.set(key, 'down');
      for (const p of mine) await deletePod(p);
      if (statusState !== 'down') await patchStatusState(ns, name, 'down');
      return;
    }

    const wasDown = lastDesired.get(key) === 'down';
    lastDesired.set(key, 'up');
    if (statusState === undefined || statusState === null || (wasDown && statusState === 'down')) {
      await patchStatusState(ns, name, 'running');
    }
    // Recreate only once every previous pod (also a terminating one) is fully gone.
    if (pods.length > 0) {
      hadPod.add(key);
      goneSince.delete(key);
      return;
    }
    if (hadPod.has(key)) {
      // kwok deletes a terminated pod by name, without a UID precondition, and under load it sometimes sends that
      // delete a second time (seen ~0.6 s after the first): a replacement created in between was deleted too. A
      // real StatefulSet controller is no faster than this anyway.
      const since = goneSince.get(key) ?? Date.now();
      goneSince.set(key, since);
      const wait = RECREATE_AFTER_GONE_MS - (Date.now() - since);
      if (wait > 0) {
        setTimeout(() => enqueue(key), wait).unref();
        return;
      }
    }
    goneSince.delete(key);
    const pod = expressPodFor(en, await pickNode(key));
    try {
      const created = await core.createNamespacedPod({ namespace: ns, body: pod });
      log(
        `express-simulator: created pod ${ns}/${created.metadata?.name} (uid ${created.metadata?.uid}) on ${pod.spec?.nodeName}`,
      );
    } catch (err) {
      if (code(err) === 409) {
        // A pod with that name exists but lacks our label (or the cache lagged): retry later.
        dirty.add(key);
        failures.set(key, (failures.get(key) ?? 0) + 1);
        return;
      }
      throw err;
    }
  }

  /** statefulset mode: the StatefulSet carries the pod; the garbage collector deletes it with its ExpressNode. */
  async function reconcileStatefulSet(ns: string, name: string, en: ExpressNode | undefined): Promise<void> {
    if (!en || en.metadata?.deletionTimestamp || en.metadata?.annotations?.[SIM_PAUSED_ANNOTATION] === 'true') return;
    const want = expressStatefulSetFor(en, stsOpts);
    const down = isDesiredDown(en.spec?.state);
    let sts: V1StatefulSet | undefined;
    try {
      sts = await apps.readNamespacedStatefulSet({ namespace: ns, name });
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
    if (!sts) {
      await apps.createNamespacedStatefulSet({ namespace: ns, body: want });
      log(`express-simulator: created StatefulSet ${ns}/${name} (replicas ${want.spec?.replicas})`);
    } else if (sts.spec?.replicas !== want.spec?.replicas) {
      await apps.patchNamespacedStatefulSet(
        { namespace: ns, name, body: { spec: { replicas: want.spec?.replicas } } },
        mergePatch,
      );
      log(`express-simulator: StatefulSet ${ns}/${name} scaled to ${want.spec?.replicas}`);
    }
    const statusState = en.status?.state;
    if (down && statusState !== 'down') await patchStatusState(ns, name, 'down');
    else if (!down && (statusState === undefined || statusState === null || statusState === 'down')) {
      await patchStatusState(ns, name, 'running');
    }
  }

  const safe =
    <T>(fn: (obj: T) => void) =>
    (obj: T) => {
      try {
        fn(obj);
      } catch (err) {
        log(`express-simulator: event handler error: ${String(err)}`);
      }
    };
  const restartOnError = (informer: Informer<KubernetesObject>, what: string) => {
    informer.on('error', (err?: unknown) => {
      if (stopped) return;
      const e = err as { code?: number; message?: string } | undefined;
      const msg = (e?.message ?? String(err)).split('\n')[0];
      log(`express-simulator: ${what} watch error (${e?.code ?? ''} ${msg}); restarting in 1s`);
      setTimeout(() => {
        if (!stopped) informer.start().catch(() => undefined);
      }, 1000);
    });
  };

  for (const ns of scopes) {
    const enPath = ns
      ? `/apis/${EXPRESS_GROUP}/${EXPRESS_VERSION}/namespaces/${ns}/${EXPRESS_PLURAL}`
      : `/apis/${EXPRESS_GROUP}/${EXPRESS_VERSION}/${EXPRESS_PLURAL}`;
    const enInformer = makeInformer<ExpressNode>(kc, enPath, async () =>
      ns
        ? custom.listNamespacedCustomObject({
            group: EXPRESS_GROUP,
            version: EXPRESS_VERSION,
            namespace: ns,
            plural: EXPRESS_PLURAL,
          })
        : custom.listClusterCustomObject({ group: EXPRESS_GROUP, version: EXPRESS_VERSION, plural: EXPRESS_PLURAL }),
    );
    const onEn = safe((obj: ExpressNode) => {
      const key = keyOf(obj?.metadata?.namespace, obj?.metadata?.name);
      if (key) enqueue(key);
    });
    enInformer.on('add', onEn);
    enInformer.on('update', onEn);
    enInformer.on('delete', onEn);
    restartOnError(enInformer, 'ExpressNode');
    enInformers.push(enInformer);

    const podPath = ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods';
    const podInformer = makeInformer<V1Pod>(
      kc,
      podPath,
      async () =>
        ns
          ? core.listNamespacedPod({ namespace: ns, labelSelector: EXPRESS_NODE_LABEL })
          : core.listPodForAllNamespaces({ labelSelector: EXPRESS_NODE_LABEL }),
      EXPRESS_NODE_LABEL,
    );
    const onPod = safe((pod: V1Pod) => {
      const key = keyOf(pod?.metadata?.namespace, pod?.metadata?.labels?.[EXPRESS_NODE_LABEL]);
      if (key) enqueue(key);
    });
    podInformer.on('add', onPod);
    podInformer.on('update', onPod);
    podInformer.on('delete', onPod);
    restartOnError(podInformer, 'Pod');
    podInformers.push(podInformer);
  }

  await Promise.all([...enInformers, ...podInformers].map((i) => i.start()));
  const resync = setInterval(() => {
    for (const inf of enInformers) {
      for (const en of inf.list()) {
        const key = keyOf(en.metadata?.namespace, en.metadata?.name);
        if (key) enqueue(key, 10);
      }
    }
  }, 10_000);
  resync.unref();
  log(`express-simulator: watching ExpressNodes in ${opts.namespaces?.join(', ') || 'all namespaces'}`);

  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(resync);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.all([...enInformers, ...podInformers].map((i) => i.stop().catch(() => undefined)));
      await Promise.allSettled([...running.values()]);
    },
  };
}
