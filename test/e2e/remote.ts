/**
 * Remote mode of the e2e tier (docs/e2e.md, "Running against your own cluster"): the same specs against an
 * existing cluster named by a kubeconfig (and context), the operator image and the Express test app image pulled
 * from registries the user names, everything created in namespaces of the run (`nodebounce-e2e-<id>` for the
 * operator, `nodebounce-e2e-<id>-express` for the Express test objects) and removed afterwards, also on failure.
 *
 * Cluster-scoped objects a run needs: the NodeBounce CRD (crds/) and the ExpressNode CRD (test/fixtures/crds). They
 * are checked; only with NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED=true are missing ones installed (and then removed
 * at the end). The operator is installed with namespaced RBAC only (Role/RoleBinding in the two namespaces, no
 * ClusterRole, no aggregated roles), so a run never creates any other cluster-scoped object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../harness/controlplane.js';
import { waitUntil } from '../harness/kube.js';
import { kubeRequest } from '../harness/raw.js';

export const RUN_LABEL = 'nodebounce.dev/e2e-run';

export interface RemoteConfig {
  kubeconfig: string;
  context?: string;
  image: string;
  appImage: string;
  pullPolicy: string;
  installClusterScoped: boolean;
}

/** The remote configuration from the environment, or undefined for the default local (real-node) mode. */
export function remoteConfig(env: NodeJS.ProcessEnv = process.env): RemoteConfig | undefined {
  const kubeconfig = env.NODEBOUNCE_E2E_KUBECONFIG;
  if (!kubeconfig) return undefined;
  const missing = ['NODEBOUNCE_E2E_IMAGE', 'NODEBOUNCE_E2E_APP_IMAGE'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(
      `e2e remote mode (NODEBOUNCE_E2E_KUBECONFIG is set) needs ${missing.join(' and ')}: the operator image and the Express ` +
        'test app image, as registry/repository:tag the cluster can pull (nothing is built or loaded into remote nodes; docs/e2e.md)',
    );
  }
  for (const k of ['NODEBOUNCE_E2E_IMAGE', 'NODEBOUNCE_E2E_APP_IMAGE']) {
    if (!/^[^\s]+:[\w][\w.-]*$/.test(env[k] ?? ''))
      throw new Error(`${k} must be registry/repository:tag, got ${JSON.stringify(env[k])}`);
  }
  return {
    kubeconfig,
    context: env.NODEBOUNCE_E2E_CONTEXT || undefined,
    image: env.NODEBOUNCE_E2E_IMAGE as string,
    appImage: env.NODEBOUNCE_E2E_APP_IMAGE as string,
    pullPolicy: env.NODEBOUNCE_E2E_IMAGE_PULL_POLICY || 'IfNotPresent',
    installClusterScoped: env.NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED === 'true',
  };
}

/** The cluster-scoped objects a remote run needs (all CRDs; the operator gets namespaced RBAC only). */
export const REQUIRED_CRDS = [
  { name: 'nodebounces.bounce.express.dev', file: join(REPO_ROOT, 'crds', 'bounce.express.dev_nodebounces.yaml') },
  { name: 'expressnodes.express.dev', file: join(REPO_ROOT, 'test', 'fixtures', 'crds', 'expressnode.yaml') },
];

export interface RemoteRun {
  id: string;
  kc: KubeConfig;
  /** A kubeconfig file with the chosen context as current (for helm and the CLI). */
  kubeconfigPath: string;
  operatorNs: string;
  expressNs: string;
  /** CRDs this run installed (removed by cleanup). */
  installedCrds: string[];
  before: ClusterSnapshot;
  cleanup(log: (l: string) => void): Promise<void>;
}

export interface ClusterSnapshot {
  namespaces: string[];
  crds: string[];
  clusterRoles: string[];
  clusterRoleBindings: string[];
}

export async function snapshot(kc: KubeConfig): Promise<ClusterSnapshot> {
  const core = kc.makeApiClient(CoreV1Api);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const names = (l: { items: Array<{ metadata?: { name?: string } }> }) =>
    l.items.map((i) => i.metadata?.name ?? '').sort();
  // ClusterRoles/bindings may not be listable with a namespaced user's rights: then say so instead of failing.
  const orNone = <T>(p: Promise<T>, f: (v: T) => string[]) =>
    p.then(f, (e: { code?: number; message?: string }) => [`<not listable: ${e.code ?? e.message ?? 'error'}>`]);
  return {
    namespaces: names(await core.listNamespace()),
    crds: await orNone(ext.listCustomResourceDefinition(), names),
    clusterRoles: await orNone(rbac.listClusterRole(), names),
    clusterRoleBindings: await orNone(rbac.listClusterRoleBinding(), names),
  };
}

/** Added and removed names per kind between two snapshots (empty object: identical). */
export function diffSnapshots(
  a: ClusterSnapshot,
  b: ClusterSnapshot,
): Record<string, { added: string[]; removed: string[] }> {
  const out: Record<string, { added: string[]; removed: string[] }> = {};
  for (const k of Object.keys(a) as Array<keyof ClusterSnapshot>) {
    const added = b[k].filter((n) => !a[k].includes(n));
    const removed = a[k].filter((n) => !b[k].includes(n));
    if (added.length || removed.length) out[k] = { added, removed };
  }
  return out;
}

function loadKubeConfig(cfg: RemoteConfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cfg.kubeconfig);
  if (cfg.context) {
    if (!kc.getContexts().some((c) => c.name === cfg.context)) {
      throw new Error(
        `NODEBOUNCE_E2E_CONTEXT ${cfg.context} is not a context of ${cfg.kubeconfig} (contexts: ${kc
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    }
    kc.setCurrentContext(cfg.context);
  }
  return kc;
}

/**
 * Prepares a remote run: checks the cluster answers and the CRDs exist (installs missing ones only when allowed),
 * creates the run's two namespaces. On any failure, whatever was created is removed again before it throws.
 */
export async function prepareRemoteRun(cfg: RemoteConfig, log: (l: string) => void): Promise<RemoteRun> {
  const kc = loadKubeConfig(cfg);
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-e2e-remote-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
  const id = randomBytes(3).toString('hex');
  const operatorNs = `nodebounce-e2e-${id}`;
  const expressNs = `${operatorNs}-express`;
  const core = kc.makeApiClient(CoreV1Api);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const installedCrds: string[] = [];
  const createdNs: string[] = [];

  const cleanup = async (l: (x: string) => void) => {
    const errors: string[] = [];
    for (const ns of createdNs) {
      // NodeBounces carry the operator's finalizer; once the operator is gone nothing would remove it.
      try {
        const list = (await custom.listNamespacedCustomObject({
          group: 'bounce.express.dev',
          version: 'v1alpha1',
          plural: 'nodebounces',
          namespace: ns,
        })) as {
          items: Array<{ metadata: { name: string; finalizers?: string[] } }>;
        };
        for (const nb of list.items.filter((i) => i.metadata.finalizers?.length)) {
          await custom
            .patchNamespacedCustomObject({
              group: 'bounce.express.dev',
              version: 'v1alpha1',
              plural: 'nodebounces',
              namespace: ns,
              name: nb.metadata.name,
              body: [{ op: 'remove', path: '/metadata/finalizers' }],
            })
            .catch(() => undefined);
        }
      } catch {
        /* CRD absent or namespace gone */
      }
    }
    await Promise.all(
      createdNs.map(async (ns) => {
        try {
          await core.deleteNamespace({ name: ns }).catch((e: { code?: number }) => {
            if (e.code !== 404) throw e;
          });
          await waitUntil(
            () =>
              core.readNamespace({ name: ns }).then(
                () => false,
                (e: { code?: number }) => e.code === 404,
              ),
            {
              timeoutMs: 180_000,
              intervalMs: 1000,
              description: `namespace ${ns} to be deleted`,
            },
          );
          l(`remote: namespace ${ns} deleted`);
        } catch (err) {
          errors.push(String(err));
        }
      }),
    );
    for (const name of installedCrds) {
      try {
        await ext.deleteCustomResourceDefinition({ name }).catch((e: { code?: number }) => {
          if (e.code !== 404) throw e;
        });
        await waitUntil(
          () =>
            ext.readCustomResourceDefinition({ name }).then(
              () => false,
              (e: { code?: number }) => e.code === 404,
            ),
          {
            timeoutMs: 120_000,
            intervalMs: 500,
            description: `CRD ${name} to be deleted`,
          },
        );
        l(`remote: CRD ${name} (installed by this run) deleted`);
      } catch (err) {
        errors.push(String(err));
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`e2e remote cleanup incomplete: ${errors.join('; ')}`);
  };

  try {
    const server = kc.getCurrentCluster()?.server;
    const before = await snapshot(kc).catch((err: unknown) => {
      throw new Error(
        `e2e remote: cannot reach/list the cluster of ${cfg.kubeconfig}${cfg.context ? ` context ${cfg.context}` : ''} (${server}): ${String(err)}`,
      );
    });
    const missing: typeof REQUIRED_CRDS = [];
    for (const c of REQUIRED_CRDS) {
      const found = await ext.readCustomResourceDefinition({ name: c.name }).then(
        () => true,
        (e: { code?: number; message?: string }) => {
          if (e.code === 404) return false;
          throw new Error(`e2e remote: cannot read CRD ${c.name}: ${e.code ?? ''} ${e.message ?? ''}`, { cause: e });
        },
      );
      if (!found) missing.push(c);
    }
    if (missing.length && !cfg.installClusterScoped) {
      throw new Error(
        `e2e remote: the cluster lacks the cluster-scoped CRD(s) ${missing.map((c) => c.name).join(', ')}. A remote run installs ` +
          'cluster-scoped objects only when allowed: install them yourself (kubectl apply -f ' +
          missing.map((c) => c.file.replace(`${REPO_ROOT}/`, '')).join(' -f ') +
          ') or set NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED=true (the run then installs and afterwards deletes them)',
      );
    }
    for (const c of missing) {
      const crd = parseYaml(readFileSync(c.file, 'utf8')) as V1CustomResourceDefinition;
      crd.metadata = { ...crd.metadata, labels: { ...crd.metadata?.labels, [RUN_LABEL]: id } };
      // Raw: the typed client would drop x-kubernetes-preserve-unknown-fields of the ExpressNode schema (raw.ts).
      await kubeRequest(kc, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      installedCrds.push(c.name);
      await waitUntil(
        async () =>
          (await ext.readCustomResourceDefinition({ name: c.name })).status?.conditions?.some(
            (x) => x.type === 'Established' && x.status === 'True',
          ),
        { timeoutMs: 60_000, description: `CRD ${c.name} Established` },
      );
      log(`remote: installed CRD ${c.name} (NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED=true; deleted at the end)`);
    }
    for (const ns of [operatorNs, expressNs]) {
      await core.createNamespace({
        body: { metadata: { name: ns, labels: { 'nodebounce.dev/e2e': 'true', [RUN_LABEL]: id } } },
      });
      createdNs.push(ns);
      await waitUntil(() => core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }).then(() => true), {
        timeoutMs: 60_000,
        description: `ServiceAccount default in ${ns}`,
      });
    }
    log(
      `remote: cluster ${server}${cfg.context ? ` (context ${cfg.context})` : ''}; namespaces ${operatorNs} (operator), ${expressNs} (Express test objects)`,
    );
    return { id, kc, kubeconfigPath, operatorNs, expressNs, installedCrds, before, cleanup };
  } catch (err) {
    await cleanup(log).catch((e: unknown) => log(`remote: cleanup after failed preparation: ${String(e)}`));
    throw err;
  }
}
