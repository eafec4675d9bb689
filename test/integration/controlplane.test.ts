/**
 * The local control plane itself (issue 2): real kube-apiserver + etcd + kwok, the Express simulator
 * and RBAC, exercised on real API objects.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EXPRESS_API_VERSION,
  EXPRESS_GROUP,
  EXPRESS_KIND,
  EXPRESS_NODE_LABEL,
  EXPRESS_PLURAL,
  EXPRESS_VERSION,
  type ExpressNode,
  type ExpressSimulator,
  SHUTDOWN_DELAY_ANNOTATION,
  STARTUP_DELAY_ANNOTATION,
  VERSIONS,
  createNamespace,
  deleteNamespace,
  isPodReady,
  kubeConfigForServiceAccount,
  kwokDelayAnnotations,
  readPod,
  startExpressSimulator,
  uniqueName,
  waitUntil,
  createExpressNode,
} from '../harness/index.js';

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfigPath'));
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const nodeNames = inject('kwokNodeNames');

let ns = '';
let sim: ExpressSimulator | undefined;

beforeAll(async () => {
  ns = await createNamespace(kc, uniqueName('it-controlplane'));
  sim = await startExpressSimulator(kc, { namespaces: [ns] });
});

afterAll(async () => {
  await sim?.stop();
  if (ns) await deleteNamespace(kc, ns);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plainPod(name: string, annotations: Record<string, string>): V1Pod {
  return {
    metadata: { name, annotations },
    spec: {
      nodeName: nodeNames[0],
      containers: [{ name: 'c', image: 'registry.invalid/none:latest' }],
    },
  };
}

async function readExpressNode(name: string): Promise<ExpressNode> {
  return (await custom.getNamespacedCustomObject({
    group: EXPRESS_GROUP,
    version: EXPRESS_VERSION,
    namespace: ns,
    plural: EXPRESS_PLURAL,
    name,
  })) as ExpressNode;
}

describe('local control plane', () => {
  it(`serves /version ${VERSIONS.kubernetes}`, async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe(VERSIONS.kubernetes);
  });

  it('has kwok nodes that are Ready', async () => {
    expect(nodeNames.length).toBeGreaterThan(0);
    for (const name of nodeNames) {
      const node = await core.readNode({ name });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('ExpressNode -> pod Ready -> graceful delete stays Terminating for the shutdown delay -> recreated with a new UID -> Ready', async () => {
    const name = 'express-a';
    const shutdownMs = 3000;
    const created = await createExpressNode(kc, ns, name, {
      annotations: kwokDelayAnnotations({ startup: 1000, shutdown: shutdownMs }),
      spec: { shutdownProtection: false },
    });
    expect(created.metadata?.uid).toBeTruthy(); // no spec.state: the simulator treats it as "up"

    // The simulator creates the pod; kwok makes it Ready.
    const pod1 = await waitUntil(
      async () => {
        const p = await readPod(kc, ns, name);
        return isPodReady(p) ? p : undefined;
      },
      { timeoutMs: 30_000, description: 'first pod Ready' },
    );
    const uid1 = pod1.metadata?.uid;
    expect(uid1).toBeTruthy();
    expect(pod1.metadata?.labels?.[EXPRESS_NODE_LABEL]).toBe(name);
    expect(pod1.metadata?.annotations?.[SHUTDOWN_DELAY_ANNOTATION]).toBe(`${shutdownMs}ms`);
    expect(pod1.metadata?.annotations?.[STARTUP_DELAY_ANNOTATION]).toBe('1000ms');
    const owner = pod1.metadata?.ownerReferences?.[0];
    expect(owner).toMatchObject({ apiVersion: EXPRESS_API_VERSION, kind: EXPRESS_KIND, name, controller: true });
    expect(owner?.uid).toBe(created.metadata?.uid);
    expect(nodeNames).toContain(pod1.spec?.nodeName);
    expect(pod1.spec?.containers[0]?.startupProbe).toBeTruthy();
    expect(pod1.status?.phase).toBe('Running');
    await waitUntil(async () => (await readExpressNode(name)).status?.state === 'running', {
      description: 'status.state=running',
    });

    // Graceful delete: Terminating for ~shutdownMs, then removed by kwok (grace 0).
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ namespace: ns, name });
    await sleep(shutdownMs / 2);
    const terminating = await readPod(kc, ns, name);
    expect(terminating?.metadata?.uid).toBe(uid1);
    expect(terminating?.metadata?.deletionTimestamp).toBeTruthy();

    await waitUntil(async () => (await readPod(kc, ns, name))?.metadata?.uid !== uid1, {
      timeoutMs: 20_000,
      intervalMs: 50,
      description: 'old pod gone',
    });
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(shutdownMs - 300);

    // Recreated by the simulator with the same name, a new UID, and Ready again.
    const pod2 = await waitUntil(
      async () => {
        const p = await readPod(kc, ns, name);
        return p && p.metadata?.uid !== uid1 && isPodReady(p) ? p : undefined;
      },
      { timeoutMs: 30_000, description: 'recreated pod Ready' },
    );
    expect(pod2.metadata?.name).toBe(name);
    expect(pod2.metadata?.deletionTimestamp).toBeFalsy();
  });

  it('spec.state=down removes the pod and reports status down; up brings it back', async () => {
    const name = 'express-b';
    await createExpressNode(kc, ns, name, { annotations: kwokDelayAnnotations({ startup: 0, shutdown: 0 }) });
    await waitUntil(async () => isPodReady(await readPod(kc, ns, name)), { description: 'pod Ready' });
    const patch = async (state: string) =>
      custom.patchNamespacedCustomObject({
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        namespace: ns,
        plural: EXPRESS_PLURAL,
        name,
        body: [{ op: 'replace', path: '/spec/state', value: state }],
      });
    await patch('down');
    await waitUntil(async () => (await readPod(kc, ns, name)) === undefined, { description: 'pod removed' });
    await waitUntil(async () => (await readExpressNode(name)).status?.state === 'down', { description: 'status down' });
    await sleep(500);
    expect(await readPod(kc, ns, name)).toBeUndefined();
    await patch('up');
    await waitUntil(async () => isPodReady(await readPod(kc, ns, name)), { description: 'pod back' });
    await waitUntil(async () => (await readExpressNode(name)).status?.state === 'running', { description: 'running' });
  });

  it('simulator knobs: label-only mapping, generated pod names; deleting the ExpressNode deletes its pod', async () => {
    const name = 'express-c';
    await createExpressNode(kc, ns, name, {
      annotations: {
        'sim.express.dev/mapping': 'label',
        'sim.express.dev/pod-naming': 'generate',
        ...kwokDelayAnnotations({ startup: 0, shutdown: 0 }),
      },
    });
    const listPods = async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: `${EXPRESS_NODE_LABEL}=${name}` })).items;
    const pod = await waitUntil(async () => (await listPods()).find((p) => isPodReady(p)), {
      description: 'pod Ready',
    });
    expect(pod.metadata?.name).toMatch(new RegExp(`^${name}-[a-z0-9]{5}$`));
    expect(pod.metadata?.ownerReferences ?? []).toEqual([]);
    await custom.deleteNamespacedCustomObject({
      group: EXPRESS_GROUP,
      version: EXPRESS_VERSION,
      namespace: ns,
      plural: EXPRESS_PLURAL,
      name,
    });
    await waitUntil(async () => (await listPods()).length === 0, { description: 'pod deleted with its ExpressNode' });
  });

  it('enforces RBAC: a ServiceAccount token without permissions gets 403, with a Role it is allowed', async () => {
    const saKc = await kubeConfigForServiceAccount(kc, ns, 'no-permissions');
    expect(saKc.getCurrentUser()?.token).toBeTruthy();
    expect(saKc.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
    const saCore = saKc.makeApiClient(CoreV1Api);
    await expect(saCore.listNamespacedPod({ namespace: ns })).rejects.toMatchObject({ code: 403 });
    await expect(saCore.listNode()).rejects.toMatchObject({ code: 403 });

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'pod-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'no-permissions', namespace: ns }],
      },
    });
    await waitUntil(async () => (await saCore.listNamespacedPod({ namespace: ns })).items !== undefined, {
      description: 'RoleBinding effective',
    });
    await expect(saCore.listNode()).rejects.toMatchObject({ code: 403 });
  });

  it('never-ready pods stay not Ready; never-terminating pods stay Terminating', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: plainPod('never-ready', kwokDelayAnnotations({ startup: 'never' })),
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: plainPod('never-terminating', kwokDelayAnnotations({ startup: 0, shutdown: 'never' })),
    });
    await waitUntil(async () => (await readPod(kc, ns, 'never-ready'))?.status?.phase === 'Running', {
      description: 'never-ready pod Running',
    });
    await waitUntil(async () => isPodReady(await readPod(kc, ns, 'never-terminating')), {
      description: 'never-terminating pod Ready',
    });
    await core.deleteNamespacedPod({ namespace: ns, name: 'never-terminating' });
    await sleep(3000);
    const nr = await readPod(kc, ns, 'never-ready');
    expect(nr?.status?.phase).toBe('Running');
    expect(isPodReady(nr)).toBe(false);
    const nt = await readPod(kc, ns, 'never-terminating');
    expect(nt?.metadata?.deletionTimestamp).toBeTruthy();

    // Force deletion (grace 0) still works, as on a real cluster.
    await core.deleteNamespacedPod({ namespace: ns, name: 'never-terminating', gracePeriodSeconds: 0 });
    await core.deleteNamespacedPod({ namespace: ns, name: 'never-ready', gracePeriodSeconds: 0 });
    await waitUntil(async () => (await readPod(kc, ns, 'never-terminating')) === undefined, {
      description: 'force-deleted',
    });
  });
});
