// The delegation policy (deploy/components/delegation-policy, issue 22) on the real kube-apiserver with RBAC: who
// may have the operator evict or delete pods. Without it, a subject that may only create NodeBounces gets a pod
// evicted that it may not evict itself (the confused deputy); with it, that subject is refused with a message
// naming the missing permission, an editor is admitted, and a RollingBounce runs to the end (the operator's own
// member NodeBounces pass). The policy under test is the component as kustomize renders it, with its binding
// limited to this file's namespaces (the control plane is shared by the test files).
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeConfigForServiceAccount, kustomizeOverlay, uniqueName, waitUntil } from '../harness/index.js';
import { waitUntilRefused } from './support/admission.js';
import { useOperatorEnv } from './support/env.js';
import { OPERATOR_NAMESPACE, applyObjects } from './support/operator.js';
import { RolloutFixture } from './support/rollout.js';

const NB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'nodebounces' };
const RB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'rollingbounces' };

/** The API server's refusal message (client-node puts the Status body in err.body). */
function refusal(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    return String((typeof body === 'string' ? JSON.parse(body) : body)?.message ?? body);
  } catch {
    return String(body ?? err);
  }
}

async function attempt(p: Promise<unknown>): Promise<{ ok: true } | { ok: false; code?: number; message: string }> {
  try {
    await p;
    return { ok: true };
  } catch (err) {
    return { ok: false, code: (err as { code?: number }).code, message: refusal(err) };
  }
}

describe('delegation policy (ValidatingAdmissionPolicy with the CEL authorizer)', () => {
  const env = useOperatorEnv();
  const suffix = uniqueName('deleg');
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  /** A ServiceAccount in `ns` bound to these rules (a Role) and cluster roles; a kubeconfig that is it. */
  async function subject(
    ns: string,
    name: string,
    rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>,
    clusterRoles: string[] = [],
  ): Promise<KubeConfig> {
    const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
    const kc = await kubeConfigForServiceAccount(env.kc, ns, name);
    const sa = { kind: 'ServiceAccount', name, namespace: ns };
    if (rules.length) {
      await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name }, rules } });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
          subjects: [sa],
        },
      });
    }
    for (const role of clusterRoles) {
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: `${name}-${role}` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
          subjects: [sa],
        },
      });
    }
    return kc;
  }

  const createNb = (kc: KubeConfig, ns: string, spec: Record<string, unknown>, dryRun = false) =>
    kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...NB,
      namespace: ns,
      ...(dryRun ? { dryRun: 'All' } : {}),
      body: { apiVersion: 'bounce.express.dev/v1alpha1', kind: 'NodeBounce', metadata: { generateName: 'd-' }, spec },
    }) as Promise<{ metadata: { name: string } }>;
  const createRb = (kc: KubeConfig, ns: string, name: string, spec: Record<string, unknown>) =>
    kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...RB,
      namespace: ns,
      body: { apiVersion: 'bounce.express.dev/v1alpha1', kind: 'RollingBounce', metadata: { name }, spec },
    });

  const BOUNCES = {
    apiGroups: ['bounce.express.dev'],
    resources: ['nodebounces', 'rollingbounces'],
    verbs: ['create', 'get'],
  };
  const EVICT = { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] };

  it('without the policy a narrow subject borrows the eviction right; with it, refused; editors and rollouts pass', async () => {
    const ns = await env.namespace('deleg');
    const nsOther = await env.namespace('deleg-evict');
    for (const n of ['victim', 'm1', 'm2']) await env.fx.readyExpressNode(ns, n, { labels: { team: 'a' } });
    await env.fx.readyExpressNode(nsOther, 'x');

    // Subjects: may only create NodeBounces/RollingBounces; may also evict (not delete); an editor (what the built-in
    // edit role aggregates: system:aggregate-to-edit, which evicts and deletes pods, and nodebounce-editor; this
    // control plane runs no controller-manager to fill `edit` itself).
    const narrow = await subject(ns, 'narrow', [BOUNCES]);
    const evictor = await subject(nsOther, 'evictor', [BOUNCES, EVICT]);
    const editor = await subject(ns, 'editor', [], ['system:aggregate-to-edit', 'nodebounce-editor']);

    // 1. No policy: the narrow subject may not evict the pod itself...
    const ownEviction = await attempt(
      narrow.makeApiClient(CoreV1Api).createNamespacedPodEviction({
        name: 'victim',
        namespace: ns,
        body: { metadata: { name: 'victim', namespace: ns } },
      }),
    );
    expect(ownEviction).toMatchObject({ ok: false, code: 403 });
    // ... but the operator does it for it.
    const borrowed = await createNb(narrow, ns, { podName: 'victim', reason: 'borrowed rights' });
    const done = await env.fx.waitFinished(ns, borrowed.metadata.name);
    expect(done.status?.phase).toBe('Succeeded');

    // 2. The policy as shipped, bound to this test's namespaces only, exemptions in a ConfigMap of its own.
    const rendered = await kustomizeOverlay({
      resources: ['deploy/base'],
      components: ['deploy/components/delegation-policy'],
    });
    const policy = structuredClone(rendered.find((o) => o.kind === 'ValidatingAdmissionPolicy')!) as any;
    const binding = structuredClone(rendered.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding')!) as any;
    const params = structuredClone(
      rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'nodebounce-delegation-exemptions')!,
    ) as any;
    expect(params.metadata.namespace).toBe(OPERATOR_NAMESPACE);
    expect(params.data.serviceAccounts).toBe('nodebounce-system/nodebounce-operator');
    policy.metadata.name = binding.metadata.name = binding.spec.policyName = params.metadata.name = suffix;
    binding.spec.paramRef.name = suffix;
    binding.spec.matchResources = {
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns, nsOther] }],
      },
    };
    const adm = env.kc.makeApiClient(AdmissionregistrationV1Api);
    cleanup.push(
      () => env.kc.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name: suffix, namespace: OPERATOR_NAMESPACE }),
      () => adm.deleteValidatingAdmissionPolicy({ name: suffix }),
      () => adm.deleteValidatingAdmissionPolicyBinding({ name: suffix }),
    );
    await applyObjects(env.kc, [params, policy, binding]);
    await waitUntilRefused(
      () => createNb(narrow, ns, { podName: 'victim' }, true),
      'the delegation policy took effect',
      (err) => refusal(err).includes('nodebounce-delegation'),
      60_000,
    );

    // 3. The narrow subject: refused, for a NodeBounce and a RollingBounce, naming the missing permission.
    const refusedNb = await attempt(createNb(narrow, ns, { podName: 'victim' }));
    expect(refusedNb).toMatchObject({ ok: false, code: 403 });
    expect((refusedNb as { message: string }).message).toContain(
      `system:serviceaccount:${ns}:narrow may not create pods/eviction in namespace ${ns}`,
    );
    const refusedRb = await attempt(createRb(narrow, ns, 'narrow-rb', { members: { podNames: ['m1'] } }));
    expect(refusedRb).toMatchObject({ ok: false, code: 403 });
    expect((refusedRb as { message: string }).message).toMatch(/may not create pods\/eviction .* with a RollingBounce/);

    // 4. May evict but not delete: Evict admitted, mode Delete refused (naming delete).
    expect(await attempt(createNb(evictor, nsOther, { podName: 'x' }, true))).toEqual({ ok: true });
    const refusedDelete = await attempt(createNb(evictor, nsOther, { podName: 'x', mode: 'Delete' }, true));
    expect(refusedDelete).toMatchObject({ ok: false, code: 403 });
    expect((refusedDelete as { message: string }).message).toContain(
      `may not delete pods in namespace ${nsOther}, so it may not have the operator delete pods there with a NodeBounce in mode Delete`,
    );

    // 5. An editor: admitted, mode Delete too; its RollingBounce runs under the policy to the end, so the
    // operator's own member NodeBounces were admitted.
    const editorNb = await createNb(editor, ns, { podName: 'victim', mode: 'Delete', reason: 'editor' });
    expect((await env.fx.waitFinished(ns, editorNb.metadata.name)).status?.phase).toBe('Succeeded');
    await createRb(editor, ns, 'editor-rb', {
      members: { podNames: ['m1', 'm2'] },
      healthGate: { stableSeconds: 0 },
    });
    const rf = new RolloutFixture(env.kc);
    const rb = await rf.waitFinished(ns, 'editor-rb');
    expect(rb.status?.phase).toBe('Succeeded');
    expect(rb.status?.members?.map((m) => m.phase)).toEqual(['Succeeded', 'Succeeded']);
    const members = await rf.nodeBounces(ns);
    expect(members.filter((m) => m.metadata?.ownerReferences?.[0]?.name === 'editor-rb')).toHaveLength(2);

    // 6. Exemptions are configuration: the narrow subject's group exempted, it is admitted.
    await env.kc.makeApiClient(CoreV1Api).patchNamespacedConfigMap(
      {
        name: suffix,
        namespace: OPERATOR_NAMESPACE,
        body: { data: { groups: ` other, system:serviceaccounts:${ns}` } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitUntil(async () => (await attempt(createNb(narrow, ns, { podName: 'victim' }, true))).ok, {
      timeoutMs: 60_000,
      intervalMs: 300,
      description: 'the exemption took effect',
    });
  });
});
