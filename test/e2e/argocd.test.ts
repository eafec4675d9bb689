/**
 * The operator installed by a real Argo CD (TOOL_VERSIONS.argocd, host processes: test/harness/argocd.ts) from the
 * Helm chart deploy/helm/nodebounce-operator in a Git repository, on the real node: the Application syncs and turns
 * Healthy (the operator pod really runs, from the image built for this run, pulled from nowhere), that operator
 * bounces an Express pod (the eviction in the kube-apiserver audit log is its ServiceAccount's), and deleting the
 * Application removes everything the chart installed except the CRDs, so the cluster's NodeBounces survive: Helm
 * never deletes a chart's crds/, and Argo CD never deletes a CRD when an Application is deleted (its controller's
 * shouldBeDeleted), whatever the CRD's annotations.
 *
 * Local node only: Argo CD's CRDs and namespace are cluster-wide, not for a remote run's shared cluster.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../bench/audit.js';
import { type ArgoCd, startArgoCd } from '../harness/argocd.js';
import { CHART_DIR } from '../harness/deploy.js';
import { SIM_DRAIN_SECONDS_ANNOTATION } from '../harness/express-simulator.js';
import { isNotFound, readPod, waitUntil } from '../harness/kube.js';
import { kubeRequest } from '../harness/raw.js';
import {
  type E2E,
  OPERATOR_LABEL,
  collectOnFailure,
  createNamespace,
  createNodeBounce,
  deleteNamespace,
  e2e,
  expressNode,
  getNodeBounce,
  isRemote,
  operatorPods,
  podLog,
  skipReason,
  watchNodeBounce,
} from './support.js';

const APP = 'nodebounce-operator';
const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', namespace: 'argocd' };
/** Not nodebounce-system: the evicting ServiceAccount's name then says which installation acted. */
const OPERATOR_NS = 'nodebounce-argocd';
const SA_USER = `system:serviceaccount:${OPERATOR_NS}:nodebounce-operator`;
const CRDS = ['nodebounces.bounce.express.dev', 'rollingbounces.bounce.express.dev'];
const MIN = 60_000;

interface Application {
  metadata: { finalizers?: string[] };
  status?: {
    health?: { status?: string; message?: string };
    sync?: { status?: string; revision?: string };
    operationState?: { phase?: string; message?: string };
    resources?: Array<{ group?: string; kind?: string; namespace?: string; name?: string; status?: string }>;
  };
}

/** Every file of the chart, keyed by its path in the Git repository (charts/nodebounce-operator/...). */
function chartFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[join('charts', 'nodebounce-operator', relative(CHART_DIR, p))] = readFileSync(p, 'utf8');
    }
  };
  walk(CHART_DIR);
  return out;
}

/**
 * Successful evictions and deletions of pod `ns/name`, by user, from the real node's audit log. Not the kubelet's
 * (system:node:*) final delete of a pod whose graceful deletion has finished: that one follows every eviction.
 */
function podDisruptionsBy(ns: string, name: string): Record<string, number> {
  const by: Record<string, number> = {};
  for (const line of readFileSync(inject('e2eAuditLogPath'), 'utf8').split('\n')) {
    if (!line.includes(`"${name}"`)) continue;
    const e = JSON.parse(line) as Partial<AuditEvent>;
    const o = e.objectRef;
    if (e.stage !== 'ResponseComplete' || o?.resource !== 'pods' || o.namespace !== ns || o.name !== name) continue;
    const eviction = o.subresource === 'eviction' && e.verb === 'create';
    const deletion = !o.subresource && e.verb === 'delete';
    const code = e.responseStatus?.code ?? 0;
    if (e.user?.username?.startsWith('system:node:')) continue;
    if ((eviction || deletion) && code >= 200 && code < 300) {
      const who = `${eviction ? 'evict' : 'delete'} by ${e.user?.username ?? '?'}`;
      by[who] = (by[who] ?? 0) + 1;
    }
  }
  return by;
}

describe.skipIf(!!skipReason() || isRemote())('operator installed by Argo CD from deploy/helm on a real node', () => {
  let env: E2E;
  let argo: ArgoCd | undefined;
  const namespaces: string[] = [];
  collectOnFailure(
    () => env,
    () => namespaces,
  );

  const readApp = async (): Promise<Application | undefined> => {
    try {
      return (await env.custom.getNamespacedCustomObject({ ...APPS, name: APP })) as Application;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const exists = (path: string) =>
    kubeRequest(env.kc, 'GET', path).then(
      () => true,
      (e: { code?: number }) => {
        if (e.code === 404) return false;
        throw e;
      },
    );
  /** What the chart installs (cluster-scoped ones included), by API path. */
  const installed = [
    `/apis/apps/v1/namespaces/${OPERATOR_NS}/deployments/nodebounce-operator`,
    `/api/v1/namespaces/${OPERATOR_NS}/serviceaccounts/nodebounce-operator`,
    `/api/v1/namespaces/${OPERATOR_NS}/configmaps/nodebounce-operator-config`,
    `/api/v1/namespaces/${OPERATOR_NS}/services/nodebounce-operator-metrics`,
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/nodebounce-operator`,
    `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/nodebounce-operator`,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${OPERATOR_NS}/roles/nodebounce-operator-leader-election`,
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/nodebounce-editor`,
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/nodebounce-viewer`,
  ];

  beforeAll(async () => {
    env = { ...e2e(), operatorNs: OPERATOR_NS };
    const t = Date.now();
    // The real cluster runs its own garbage collector (Argo CD deletes with foreground propagation).
    argo = await startArgoCd({
      kubeConfig: env.kc,
      kubeconfigPath: env.kubeconfigPath,
      garbageCollector: false,
      log: (l) => console.log(`[e2e] ${l}`),
    });
    console.log(`[e2e] Argo CD up after ${Date.now() - t}ms`);
  }, 20 * MIN);

  afterAll(async () => {
    // After a failed test the Application may still be there: delete it through Argo CD while it runs (its
    // finalizer needs the controller), then stop Argo CD.
    if (argo && (await readApp().catch(() => undefined))) {
      const r = await argo.cli(['app', 'delete', APP, '--cascade', '--yes', '--wait']);
      if (r.code !== 0) console.log(`[e2e] argocd app delete: ${r.stdout}${r.stderr}`);
    }
    await argo?.stop();
    await Promise.all(
      [...namespaces, OPERATOR_NS].map((n) =>
        deleteNamespace(env, n).catch((e: unknown) => console.log(`[e2e] ${String(e)}`)),
      ),
    );
  });

  it(
    'an Application with the chart from Git syncs and turns Healthy; the operator pod runs from the local image',
    async () => {
      const a = argo as ArgoCd;
      const t0 = Date.now();
      const rev = await a.git.commit(chartFiles(), 'the nodebounce-operator chart');
      const i = env.image.lastIndexOf(':');
      await env.custom.createNamespacedCustomObject({
        ...APPS,
        body: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: APP, namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
          spec: {
            project: 'default',
            source: {
              repoURL: a.git.url,
              targetRevision: 'main',
              path: 'charts/nodebounce-operator',
              helm: {
                releaseName: 'nodebounce-operator',
                // The image exists only in the node's containerd: never pulled.
                valuesObject: {
                  image: { repository: env.image.slice(0, i), tag: env.image.slice(i + 1), pullPolicy: 'Never' },
                },
              },
            },
            destination: { server: 'https://kubernetes.default.svc', namespace: OPERATOR_NS },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              // What docs/argocd.md tells users: server-side apply for the large CRD; the namespace as the kustomize
              // base makes it (Pod Security restricted enforced).
              syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
              managedNamespaceMetadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
            },
          },
        },
      });
      // Argo CD's own wait (through its API server): synced at the commit and Healthy, i.e. the Deployment available.
      const w = await a.cli(['app', 'wait', APP, '--sync', '--health', '--operation', '--timeout', '240']);
      const app = await readApp();
      expect(w.code, `argocd app wait: ${w.stdout}${w.stderr}\nstatus: ${JSON.stringify(app?.status)}`).toBe(0);
      expect(app?.status?.sync).toMatchObject({ status: 'Synced', revision: rev });
      expect(app?.status?.health?.status).toBe('Healthy');
      console.log(`[e2e] Argo CD: Application ${APP} Synced and Healthy after ${Date.now() - t0}ms`);

      // Argo CD manages the chart's objects, the CRDs from its crds/ included.
      const kinds = (app?.status?.resources ?? []).map((r) => `${r.kind}/${r.name}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'Deployment/nodebounce-operator',
          'ClusterRole/nodebounce-operator',
          ...CRDS.map((c) => `CustomResourceDefinition/${c}`),
        ]),
      );
      const dep = await env.apps.readNamespacedDeployment({ namespace: OPERATOR_NS, name: 'nodebounce-operator' });
      expect(dep.metadata?.annotations?.['argocd.argoproj.io/tracking-id']).toBe(
        `${APP}:apps/Deployment:${OPERATOR_NS}/nodebounce-operator`,
      );
      const pods = (await operatorPods(env)).filter((p) => !p.metadata?.deletionTimestamp);
      expect(pods).toHaveLength(1);
      const pod = pods[0];
      expect(pod?.spec?.containers[0]?.image).toBe(env.image);
      expect(pod?.spec?.containers[0]?.imagePullPolicy).toBe('Never');
      expect(pod?.spec?.serviceAccountName).toBe('nodebounce-operator');
      expect(pod?.status?.containerStatuses?.[0]?.ready).toBe(true);
      const ns = await env.core.readNamespace({ name: OPERATOR_NS });
      expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    },
    6 * MIN,
  );

  it(
    'the operator Argo CD installed bounces an Express pod (the eviction is its ServiceAccount’s)',
    async () => {
      const n = await createNamespace(env, 'e2e-argo');
      namespaces.push(n);
      const old = await expressNode(env, n, 'ag', { annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: '2' } });
      const w = watchNodeBounce(env, n, 'ag-bounce');
      try {
        await createNodeBounce(env, n, { podName: 'ag-0', reason: 'e2e: operator installed by Argo CD' }, 'ag-bounce');
        const done = await w.finished(2 * MIN);
        expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
        expect(w.phases()).toEqual(['Pending', 'Terminating', 'Starting', 'Succeeded']);
      } finally {
        w.stop();
      }
      const fresh = await readPod(env.kc, n, 'ag-0');
      expect(fresh?.metadata?.uid).not.toBe(old.metadata?.uid);
      // Exactly one disruption of the pod, an eviction by the ServiceAccount of the Argo CD-installed operator.
      expect(podDisruptionsBy(n, 'ag-0')).toEqual({ [`evict by ${SA_USER}`]: 1 });
      // And its pod logged the bounce.
      const [pod] = await operatorPods(env);
      const text = await podLog(env, OPERATOR_NS, pod?.metadata?.name ?? '');
      expect(text).toContain('ag-bounce');
    },
    4 * MIN,
  );

  it(
    'deleting the Application removes what the chart installed, but keeps the CRDs and so the NodeBounces',
    async () => {
      const a = argo as ArgoCd;
      const t0 = Date.now();
      const before = await Promise.all(installed.map(exists));
      expect(before).toEqual(installed.map(() => true));
      // `argocd app delete --cascade` (foreground): Argo CD deletes the managed objects, then the Application.
      const r = await a.cli(['app', 'delete', APP, '--cascade', '--yes', '--wait']);
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
      await waitUntil(async () => (await readApp()) === undefined, {
        timeoutMs: 2 * MIN,
        intervalMs: 500,
        description: `Application ${APP} deleted`,
      });
      const left = async () => {
        const still = (await Promise.all(installed.map(async (p) => ((await exists(p)) ? p : '')))).filter(Boolean);
        const pods = await env.core.listNamespacedPod({ namespace: OPERATOR_NS, labelSelector: OPERATOR_LABEL });
        return [...still, ...pods.items.map((p) => `pod ${p.metadata?.name}`)];
      };
      await waitUntil(async () => (await left()).length === 0, {
        timeoutMs: 2 * MIN,
        intervalMs: 500,
        description: 'the chart’s objects and the operator pod gone',
      }).catch(async (err: Error) => {
        throw new Error(`${err.message}; left: ${JSON.stringify(await left())}`);
      });
      console.log(`[e2e] Argo CD: Application deleted, chart objects gone after ${Date.now() - t0}ms`);
      for (const c of CRDS)
        expect(await exists(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${c}`)).toBe(true);
      const n = namespaces[0] as string;
      expect((await getNodeBounce(env, n, 'ag-bounce')).status?.phase).toBe('Succeeded');
    },
    5 * MIN,
  );
});
