/**
 * Helpers of the e2e tier: install the operator the way users do (Helm chart, kustomize), Express nodes backed by
 * real StatefulSets, NodeBounce timelines from a watch (every status write is seen, so short phases are not
 * missed), container logs followed live (the old pod's drain log disappears with the pod), and diagnostics of
 * failed tests. Every wait is bounded and says what it waited for.
 */
import { request as httpRequest } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PolicyV1Api,
  Watch,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterEach, inject } from 'vitest';
import {
  NODEBOUNCE_GROUP,
  NODEBOUNCE_PLURAL,
  NODEBOUNCE_VERSION,
  type NodeBounce,
  type NodeBounceSpec,
} from '../../src/api/nodebounce.js';
import { CHART_DIR, DEPLOY_DIR, type K8sObject, parseObjects } from '../harness/deploy.js';
import {
  createExpressNode,
  EXPRESS_GROUP,
  EXPRESS_PLURAL,
  EXPRESS_VERSION,
  type ExpressNode,
} from '../harness/express-simulator.js';
import { isPodReady, readPod, uniqueName, waitUntil } from '../harness/kube.js';
import { KubeRequestError, kubeRequest } from '../harness/raw.js';
import { ensureTool } from '../harness/tools.js';

const exec = promisify(execFile);
export const OPERATOR_NS = 'nodebounce-system';
export const OPERATOR_LABEL = 'app.kubernetes.io/name=nodebounce-operator';

export interface E2E {
  kc: KubeConfig;
  kubeconfigPath: string;
  image: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  policy: PolicyV1Api;
  coordination: CoordinationV1Api;
  logDir: string;
  /** Remote mode (docs/e2e.md, "Running against your own cluster"): an existing cluster, not the local node. */
  remote: boolean;
  /** The operator's namespace: nodebounce-system locally, nodebounce-e2e-<id> remotely. */
  operatorNs: string;
  /** Remote mode: the one namespace of all Express test objects, the only one the operator watches. */
  expressNs: string;
  /** Remote mode: imagePullPolicy of the operator (IfNotPresent unless NODEBOUNCE_E2E_IMAGE_PULL_POLICY). */
  pullPolicy: string;
}

/** The skip reason (non-empty only outside CI on machines that cannot run a real node). */
export const skipReason = (): string => inject('e2eSkipReason');
/** True in remote mode (NODEBOUNCE_E2E_KUBECONFIG set). */
export const isRemote = (): boolean => inject('e2eMode') === 'remote';

export function e2e(): E2E {
  const kubeconfigPath = inject('e2eKubeconfig');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    kc,
    kubeconfigPath,
    image: inject('e2eOperatorImage'),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    policy: kc.makeApiClient(PolicyV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    logDir: inject('e2eLogDir'),
    remote: isRemote(),
    operatorNs: inject('e2eOperatorNs'),
    expressNs: inject('e2eExpressNs'),
    pullPolicy: inject('e2ePullPolicy'),
  };
}

function imageParts(image: string): { repository: string; tag: string } {
  const i = image.lastIndexOf(':');
  return { repository: image.slice(0, i), tag: image.slice(i + 1) };
}

// ---- installing the operator --------------------------------------------------------------------------------

export interface Installation {
  how: 'helm' | 'kustomize';
  uninstall(): Promise<void>;
}

/** `helm upgrade --install` of deploy/helm/nodebounce-operator, as the chart's README tells users to. */
export async function installWithHelm(env: E2E, opts: { replicas: number; set?: string[] }): Promise<Installation> {
  const helm = await ensureTool('helm');
  const home = mkdtempSync(join(tmpdir(), 'nodebounce-e2e-helm-'));
  const helmEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'c'),
    HELM_CONFIG_HOME: join(home, 'f'),
    HELM_DATA_HOME: join(home, 'd'),
  };
  const { repository, tag } = imageParts(env.image);
  const base = ['--kubeconfig', env.kubeconfigPath, '--namespace', env.operatorNs];
  // Remote: into the run's namespace (it exists), no CRDs (checked by the global setup), and nothing cluster-wide:
  // a Role/RoleBinding in the run's Express namespace, the only one watched, and no aggregated ClusterRoles.
  const remoteArgs = env.remote
    ? [
        '--skip-crds',
        '--set',
        'rbac.namespaced=true',
        '--set',
        'rbac.aggregatedRoles=false',
        '--set',
        `watchNamespaces={${env.expressNs}}`,
        '--set',
        `image.pullPolicy=${env.pullPolicy}`,
      ]
    : ['--create-namespace'];
  await exec(
    helm,
    [
      'upgrade',
      '--install',
      'nodebounce-operator',
      CHART_DIR,
      ...base,
      ...remoteArgs,
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      `replicaCount=${opts.replicas}`,
      ...(opts.set ?? []).flatMap((v) => ['--set', v]),
      '--wait',
      '--timeout',
      '180s',
    ],
    { env: helmEnv, maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`helm install failed: ${err.stderr || err.message}`);
  });
  await waitOperatorAvailable(env, opts.replicas);
  return {
    how: 'helm',
    uninstall: async () => {
      await exec(helm, ['uninstall', 'nodebounce-operator', ...base, '--wait', '--timeout', '120s'], { env: helmEnv });
      // Remote: the namespace belongs to the run; the global teardown deletes it.
      if (!env.remote) await deleteNamespace(env, env.operatorNs);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `kustomize build` of an overlay over deploy/base that only sets the image (what docs/deploy.md says), applied. */
export async function installWithKustomize(env: E2E): Promise<Installation> {
  const kustomize = await ensureTool('kustomize');
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-e2e-kustomize-'));
  const { repository, tag } = imageParts(env.image);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    JSON.stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(dir, join(DEPLOY_DIR, 'base'))],
      images: [{ name: 'nodebounce-operator', newName: repository, newTag: tag }],
      ...(env.remote ? remoteKustomizeOverlay(env) : {}),
    }),
  );
  const { stdout } = await exec(kustomize, ['build', dir], { maxBuffer: 32 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  let objs = parseObjects(stdout);
  if (env.remote) {
    // What deploy/namespaced does, for the run's namespaces: no cluster-scoped objects at all (no ClusterRole or
    // binding, no aggregated roles, no CRD, no Namespace: the run's namespace exists), and the operator's Role and
    // RoleBinding (deploy/namespaced/operator-role) in the one watched namespace.
    const role = parseObjects(
      (await exec(kustomize, ['build', join(DEPLOY_DIR, 'namespaced', 'operator-role')])).stdout,
    );
    objs = [
      ...objs.filter(
        (o) => !['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Namespace'].includes(o.kind),
      ),
      ...role.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: env.expressNs } })),
    ].map((o) => (o.kind === 'RoleBinding' ? withSubjectNamespace(o, env.operatorNs) : o));
  }
  await applyObjects(env.kc, objs);
  await waitOperatorAvailable(env, 1);
  return {
    how: 'kustomize',
    uninstall: async () => {
      // Everything but the CRDs (they would take the NodeBounces of other installations with them).
      for (const o of [...objs].reverse()) {
        if (o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace') continue;
        await kubeRequest(env.kc, 'DELETE', objectPath(o)).catch((e: { code?: number }) => {
          if (e.code !== 404) throw e;
        });
      }
      if (!env.remote) await deleteNamespace(env, env.operatorNs);
    },
  };
}

/** Remote kustomize overlay: the run's namespace, only the run's Express namespace watched, the pull policy. */
function remoteKustomizeOverlay(env: E2E): Record<string, unknown> {
  return {
    namespace: env.operatorNs,
    patches: [
      {
        patch: JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'nodebounce-operator' },
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'operator',
                    imagePullPolicy: env.pullPolicy,
                    env: [{ name: 'NODEBOUNCE_WATCH_NAMESPACES', value: env.expressNs }],
                  },
                ],
              },
            },
          },
        }),
      },
    ],
  };
}

/** The operator's ServiceAccount subjects of a RoleBinding, pointed at `ns` (its namespace in this run). */
function withSubjectNamespace(o: K8sObject, ns: string): K8sObject {
  const subjects = (o as { subjects?: Array<{ kind: string; name: string; namespace?: string }> }).subjects;
  return {
    ...o,
    subjects: subjects?.map((s) =>
      s.kind === 'ServiceAccount' && s.name === 'nodebounce-operator' ? { ...s, namespace: ns } : s,
    ),
  };
}

const KINDS: Record<string, { api: string; plural: string; namespaced: boolean }> = {
  Namespace: { api: '/api/v1', plural: 'namespaces', namespaced: false },
  ServiceAccount: { api: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  Service: { api: '/api/v1', plural: 'services', namespaced: true },
  ConfigMap: { api: '/api/v1', plural: 'configmaps', namespaced: true },
  Deployment: { api: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  ClusterRole: { api: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { api: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  Role: { api: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { api: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  CustomResourceDefinition: {
    api: '/apis/apiextensions.k8s.io/v1',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  NetworkPolicy: { api: '/apis/networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
};

function objectPath(o: K8sObject): string {
  const k = KINDS[o.kind];
  if (!k) throw new Error(`e2e applyObjects: unsupported kind ${o.kind}`);
  const ns = k.namespaced ? `/namespaces/${o.metadata.namespace ?? 'default'}` : '';
  return `${k.api}${ns}/${k.plural}/${o.metadata.name}`;
}

/** Server-side apply of rendered manifests (what `kubectl apply --server-side` does), namespaces and CRDs first. */
export async function applyObjects(kc: KubeConfig, objs: K8sObject[]): Promise<void> {
  const order = (o: K8sObject) => (o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2);
  for (const o of [...objs].sort((a, b) => order(a) - order(b))) {
    await kubeRequest(kc, 'PATCH', `${objectPath(o)}?fieldManager=nodebounce-e2e&force=true`, JSON.stringify(o), {
      contentType: 'application/apply-patch+yaml',
    });
  }
}

export async function operatorPods(env: E2E): Promise<V1Pod[]> {
  return (await env.core.listNamespacedPod({ namespace: env.operatorNs, labelSelector: OPERATOR_LABEL })).items;
}

async function waitOperatorAvailable(env: E2E, replicas: number): Promise<void> {
  await waitUntil(
    async () => {
      const ready = (await operatorPods(env)).filter((p) => isPodReady(p) && !p.metadata?.deletionTimestamp);
      return ready.length >= replicas;
    },
    { timeoutMs: 180_000, intervalMs: 500, description: `${replicas} Ready operator pod(s) in ${env.operatorNs}` },
  ).catch(async (err: Error) => {
    const pods = await operatorPods(env).catch(() => []);
    throw new Error(
      `${err.message}; pods: ${JSON.stringify(pods.map((p) => ({ name: p.metadata?.name, status: p.status?.containerStatuses })))}`,
    );
  });
}

/** The pod name of the current leader (Lease holder `<pod>_<suffix>`). */
export async function leaderPod(env: E2E): Promise<string | undefined> {
  try {
    const lease = await env.coordination.readNamespacedLease({
      namespace: env.operatorNs,
      name: 'nodebounce-operator',
    });
    return lease.spec?.holderIdentity?.replace(/_[^_]+$/, '') || undefined;
  } catch {
    return undefined;
  }
}

// ---- namespaces and Express nodes ---------------------------------------------------------------------------

export async function createNamespace(env: E2E, prefix: string): Promise<string> {
  // Remote: all tests share the run's Express namespace (the operator's namespaced RBAC and watch cover only it);
  // the names of the tests' objects are distinct, and deleteNamespace empties it instead.
  if (env.remote) return env.expressNs;
  const name = uniqueName(prefix);
  await env.core.createNamespace({ body: { metadata: { name, labels: { 'nodebounce.dev/e2e': 'true' } } } });
  // The real ServiceAccount controller creates `default`; pods are rejected without it.
  await waitUntil(() => env.core.readNamespacedServiceAccount({ namespace: name, name: 'default' }).then(() => true), {
    timeoutMs: 30_000,
    description: `ServiceAccount default in ${name}`,
  });
  return name;
}

/** Deletes a namespace and waits until the namespace controller has removed it and its contents. */
export async function deleteNamespace(env: E2E, name: string): Promise<void> {
  if (env.remote && name === env.expressNs) return emptyExpressNamespace(env);
  try {
    await env.core.deleteNamespace({ name });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return;
    throw err;
  }
  await waitUntil(
    () =>
      env.core.readNamespace({ name }).then(
        () => false,
        (e: { code?: number }) => e.code === 404,
      ),
    { timeoutMs: 120_000, intervalMs: 500, description: `namespace ${name} to be deleted` },
  );
}

/**
 * Remote: removes the tests' objects from the run's Express namespace (ExpressNodes, whose StatefulSets the garbage
 * collector removes, NodeBounces, PDBs) and waits for its pods to be gone. Idempotent (afterAll calls it per test).
 */
async function emptyExpressNamespace(env: E2E): Promise<void> {
  const ns = env.expressNs;
  await env.custom.deleteCollectionNamespacedCustomObject({
    group: EXPRESS_GROUP,
    version: EXPRESS_VERSION,
    plural: EXPRESS_PLURAL,
    namespace: ns,
  });
  await env.custom.deleteCollectionNamespacedCustomObject({
    group: NODEBOUNCE_GROUP,
    version: NODEBOUNCE_VERSION,
    plural: NODEBOUNCE_PLURAL,
    namespace: ns,
  });
  await env.policy.deleteCollectionNamespacedPodDisruptionBudget({ namespace: ns });
  await waitUntil(async () => (await env.core.listNamespacedPod({ namespace: ns })).items.length === 0, {
    timeoutMs: 120_000,
    intervalMs: 500,
    description: `the pods of ${ns} to be gone`,
  });
}

/**
 * An HTTP request to a pod's port: locally straight to the pod IP (the host is on the node's bridge), remotely
 * through the API server's pod proxy (the test host cannot reach pod IPs of a remote cluster).
 */
export async function podHttp(
  env: E2E,
  pod: V1Pod,
  port: number,
  path: string,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ status: number; body: string }> {
  if (!env.remote) {
    if (method === 'POST') return { status: await httpPost(`http://${pod.status?.podIP}:${port}${path}`), body: '' };
    return httpGet(`http://${pod.status?.podIP}:${port}${path}`);
  }
  return proxyRequest(
    env,
    `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}:${port}/proxy${path}`,
    method,
  );
}

/** GET through a Service: locally its ClusterIP (kube-proxy on this host), remotely the API server's service proxy. */
export async function serviceGet(
  env: E2E,
  ns: string,
  name: string,
  clusterIP: string | undefined,
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  if (!env.remote) return httpGet(`http://${clusterIP}:${port}${path}`);
  return proxyRequest(env, `/api/v1/namespaces/${ns}/services/${name}:${port}/proxy${path}`, 'GET');
}

async function proxyRequest(env: E2E, path: string, method: string): Promise<{ status: number; body: string }> {
  try {
    const body = await kubeRequest<unknown>(env.kc, method, path, undefined, { timeoutMs: 5000 });
    return { status: 200, body: typeof body === 'string' ? body : JSON.stringify(body) };
  } catch (err) {
    if (err instanceof KubeRequestError) return { status: err.code, body: String(err.body) };
    throw err;
  }
}

export interface ExpressNodeOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
  /** Wait for the pod to be Ready (default true). */
  waitReady?: boolean;
}

/** An ExpressNode whose StatefulSet pod `<name>-0` runs (and, by default, is Ready). */
export async function expressNode(env: E2E, ns: string, name: string, opts: ExpressNodeOptions = {}): Promise<V1Pod> {
  await createExpressNode(env.kc, ns, name, {
    spec: opts.spec ?? { state: 'up', shutdownProtection: true },
    labels: opts.labels,
    annotations: opts.annotations,
  });
  const podName = `${name}-0`;
  return waitUntil(
    async () => {
      const p = await readPod(env.kc, ns, podName);
      if (!p) return undefined;
      if (opts.waitReady === false)
        return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.started ? p : undefined;
      return isPodReady(p) ? p : undefined;
    },
    {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `pod ${ns}/${podName} ${opts.waitReady === false ? 'started' : 'Ready'}`,
    },
  );
}

export async function getExpressNode(env: E2E, ns: string, name: string): Promise<ExpressNode> {
  return (await env.custom.getNamespacedCustomObject({
    group: EXPRESS_GROUP,
    version: EXPRESS_VERSION,
    plural: EXPRESS_PLURAL,
    namespace: ns,
    name,
  })) as ExpressNode;
}

// ---- NodeBounces ------------------------------------------------------------------------------------------------

export async function createNodeBounce(
  env: E2E,
  ns: string,
  spec: NodeBounceSpec,
  name = uniqueName('nb'),
): Promise<NodeBounce> {
  return (await env.custom.createNamespacedCustomObject({
    group: NODEBOUNCE_GROUP,
    version: NODEBOUNCE_VERSION,
    plural: NODEBOUNCE_PLURAL,
    namespace: ns,
    body: {
      apiVersion: `${NODEBOUNCE_GROUP}/${NODEBOUNCE_VERSION}`,
      kind: 'NodeBounce',
      metadata: { name, namespace: ns },
      spec,
    },
  })) as NodeBounce;
}

export async function getNodeBounce(env: E2E, ns: string, name: string): Promise<NodeBounce> {
  return (await env.custom.getNamespacedCustomObject({
    group: NODEBOUNCE_GROUP,
    version: NODEBOUNCE_VERSION,
    plural: NODEBOUNCE_PLURAL,
    namespace: ns,
    name,
  })) as NodeBounce;
}

export interface TimelineEntry {
  /** ms since the timeline started */
  t: number;
  phase?: string;
  reason?: string;
}

/**
 * Watches the namespace's NodeBounces and records every (phase, reason) change of `name`, from the creation on.
 * Start it before creating the NodeBounce.
 */
export function watchNodeBounce(env: E2E, ns: string, name: string) {
  const t0 = Date.now();
  const entries: TimelineEntry[] = [];
  let last: NodeBounce | undefined;
  const waiters = new Set<() => void>();
  let aborted = false;
  let req: { abort(): void } | undefined;
  const start = async () => {
    const w = new Watch(env.kc);
    req = await w.watch(
      `/apis/${NODEBOUNCE_GROUP}/${NODEBOUNCE_VERSION}/namespaces/${ns}/${NODEBOUNCE_PLURAL}`,
      { fieldSelector: `metadata.name=${name}` },
      (_type: string, obj: NodeBounce) => {
        last = obj;
        const prev = entries[entries.length - 1];
        const phase = obj.status?.phase;
        const reason = obj.status?.reason;
        if (!prev || prev.phase !== phase || prev.reason !== reason)
          entries.push({ t: Date.now() - t0, phase, reason });
        waiters.forEach((f) => f());
      },
      () => {
        // Watches end (server timeout, connection reset): resume, the list replays the current state.
        if (!aborted) setTimeout(() => void start().catch(() => undefined), 200);
      },
    );
  };
  const ready = start();
  return {
    entries,
    get last() {
      return last;
    },
    /** Resolves with the NodeBounce once `pred` holds; bounded. */
    async until(pred: (nb: NodeBounce) => boolean, timeoutMs: number, what: string): Promise<NodeBounce> {
      await ready;
      return new Promise<NodeBounce>((resolve, reject) => {
        const check = () => {
          if (last && pred(last)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(last);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs / 1000}s waiting for NodeBounce ${ns}/${name} ${what}; timeline ${JSON.stringify(entries)}; status ${JSON.stringify(last?.status)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    finished(timeoutMs: number) {
      return this.until(
        (nb) => nb.status?.phase === 'Succeeded' || nb.status?.phase === 'Failed',
        timeoutMs,
        'to finish',
      );
    },
    stop() {
      aborted = true;
      req?.abort();
    },
    /** Phases in order of first appearance, consecutive duplicates removed. */
    phases(): string[] {
      // The first event is the object as created, before the operator wrote any status.
      return entries.flatMap((e) => (e.phase ? [e.phase] : [])).filter((p, i, a) => i === 0 || a[i - 1] !== p);
    },
  };
}

// ---- logs --------------------------------------------------------------------------------------------------------

/**
 * Follows a container's log from its start (`follow=true`): the text keeps growing until the container exits,
 * so a terminated pod's last lines (its drain log) are captured even though the pod object is gone afterwards.
 */
export async function followLog(kc: KubeConfig, ns: string, pod: string, container?: string) {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no cluster');
  const url = new URL(
    `/api/v1/namespaces/${ns}/pods/${pod}/log?follow=true${container ? `&container=${container}` : ''}`,
    cluster.server,
  );
  const opts: import('node:https').RequestOptions = { method: 'GET', agent: false, headers: {} };
  await kc.applyToHTTPSOptions(opts);
  let text = '';
  let ended = false;
  let resolveEnd: () => void = () => undefined;
  const endPromise = new Promise<void>((r) => (resolveEnd = r));
  const req = request(url, opts, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    res.on('end', () => {
      ended = true;
      resolveEnd();
    });
    res.on('error', () => resolveEnd());
  });
  req.on('error', () => resolveEnd());
  req.end();
  return {
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
    /** Waits until the log stream ends (the container exited), bounded. */
    async ended_(timeoutMs: number): Promise<string> {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([endPromise, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      return text;
    },
    stop: () => req.destroy(),
  };
}

export async function podLog(env: E2E, ns: string, pod: string, container?: string): Promise<string> {
  return env.core.readNamespacedPodLog({ namespace: ns, name: pod, container });
}

// ---- diagnostics --------------------------------------------------------------------------------------------------

/**
 * Registers an afterEach hook that, for a failed test, writes the operator pods' logs, the NodeBounces, pods and
 * events of the test's namespaces into the run's log directory (see global-setup.ts).
 */
export function collectOnFailure(env: () => E2E, namespaces: () => string[]): void {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const e = env();
    const dir = join(e.logDir, ctx.task.name.replace(/[^\w.-]+/g, '_').slice(0, 80));
    mkdirSync(dir, { recursive: true });
    const save = (file: string, data: unknown) =>
      writeFileSync(join(dir, file), typeof data === 'string' ? data : JSON.stringify(data, null, 2));
    for (const p of await operatorPods(e).catch(() => [])) {
      const name = p.metadata?.name ?? '';
      save(`operator-${name}.log`, await podLog(e, e.operatorNs, name).catch((err: unknown) => String(err)));
    }
    for (const ns of namespaces()) {
      save(
        `${ns}-nodebounces.json`,
        await e.custom
          .listNamespacedCustomObject({
            group: NODEBOUNCE_GROUP,
            version: NODEBOUNCE_VERSION,
            plural: NODEBOUNCE_PLURAL,
            namespace: ns,
          })
          .catch(String),
      );
      save(`${ns}-pods.json`, await e.core.listNamespacedPod({ namespace: ns }).catch(String));
      save(`${ns}-events.json`, await e.core.listNamespacedEvent({ namespace: ns }).catch(String));
    }
    console.log(`[e2e] diagnostics of the failed test written to ${dir}`);
  });
}

/** `GET url` from this host (pods and ClusterIPs are reachable through the node's bridge and kube-proxy). */
/**
 * GET on a connection of its own: through a Service, each call may reach another backend (fetch would keep one
 * connection alive and so always ask the same pod, e.g. a standby when the test wants the leader).
 */
export async function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { agent: false, headers: { connection: 'close' }, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An HTTPS GET with an optional bearer token, the server's certificate not verified (curl -k). */
export async function httpsGet(
  url: string,
  token?: string,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        rejectUnauthorized: false,
        headers: { connection: 'close', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function httpPost(url: string, timeoutMs = 3000): Promise<number> {
  const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
  await res.text();
  return res.status;
}

/** Seconds between two RFC 3339 timestamps of a status. */
export function secondsBetween(a?: string, b?: string): number | undefined {
  if (!a || !b) return undefined;
  return (Date.parse(b) - Date.parse(a)) / 1000;
}
