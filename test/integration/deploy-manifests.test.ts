// The rendered deploy/ manifests against the real API server: every object passes a server-side-apply dry run
// (schema validation, defaulting, admission), the operator pod passes Pod Security "restricted" admission, and
// the operator's rendered RBAC allows what it documents and no more (deploy-namespaced.test.ts runs the operator
// under the namespaced variant).
// (The rest of the integration suite runs the operator under deploy/base's rendered RBAC: installOperatorIdentity.)
import {
  AuthorizationV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Pod,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createNamespace,
  ensureTool,
  get,
  helmTemplate,
  kustomizeBuild,
  kubeRequest,
  kustomizeOverlay,
  uniqueName,
  type K8sObject,
} from '../harness/index.js';
import { OPERATOR_NAMESPACE, applyObjects, operatorRbac } from './support/operator.js';

const kc = new KubeConfig();
// prometheus-operator's CRDs are not installed on the test control plane.
const NOT_SERVED = new Set(['monitoring.coreos.com/v1']);

beforeAll(async () => {
  kc.loadFromFile(inject('kubeconfigPath'));
  await ensureTool('kustomize');
  await ensureTool('helm');
}, 20 * 60_000);

/** Server-side apply with dryRun=All: what `kubectl apply --server-side --dry-run=server` does. */
async function dryRunApply(objs: K8sObject[]): Promise<string[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const failures: string[] = [];
  for (const o of objs) {
    if (NOT_SERVED.has(o.apiVersion)) continue;
    try {
      if (o.kind === 'CustomResourceDefinition') {
        // Raw: the typed client drops the schema's x-kubernetes-* keys (int-or-string, CEL rules, list types),
        // which would test a different CRD (and fail: an int-or-string field without a type is invalid).
        await kubeRequest(
          kc,
          'PATCH',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${o.metadata.name}?dryRun=All&fieldManager=nodebounce-deploy-test&force=true`,
          o,
          {
            contentType: 'application/apply-patch+yaml',
          },
        );
        continue;
      }
      await api.patch(o, undefined, 'All', 'nodebounce-deploy-test', true, PatchStrategy.ServerSideApply);
    } catch (err: any) {
      failures.push(
        `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}: ${typeof err?.body === 'object' ? JSON.stringify(err.body) : (err?.body ?? err?.message ?? err)}`,
      );
    }
  }
  return failures;
}

async function ensureNamespaces(objs: K8sObject[]): Promise<void> {
  const namespaces = new Set(objs.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
  for (const ns of namespaces) await createNamespace(kc, ns);
}

describe('rendered manifests pass the API server (server-side dry run)', () => {
  it('kustomize deploy/base', async () => {
    const objs = await kustomizeBuild('deploy/base');
    await ensureNamespaces(objs);
    expect(await dryRunApply(objs)).toEqual([]);
    // Control: the dry run does validate (a schema error is reported, and nothing was created).
    const broken = structuredClone(get(objs, 'Deployment', 'nodebounce-operator')) as any;
    broken.metadata.name = 'nodebounce-broken';
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect((await dryRunApply([broken])).join()).toMatch(/nodebounce-broken/);
  });

  it('kustomize deploy/namespaced, the NetworkPolicy and the Grafana dashboard components', async () => {
    const objs = [
      ...(await kustomizeBuild('deploy/namespaced')),
      ...(
        await kustomizeOverlay({ resources: ['deploy/base'], components: ['deploy/components/networkpolicy'] })
      ).filter((o) => o.kind === 'NetworkPolicy'),
      ...(
        await kustomizeOverlay({ resources: ['deploy/base'], components: ['deploy/components/grafana-dashboard'] })
      ).filter((o) => o.metadata.name === 'nodebounce-operator-dashboard'),
    ];
    expect(
      objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'nodebounce-operator-dashboard'),
    ).toHaveLength(1);
    await ensureNamespaces(objs);
    expect(await dryRunApply(objs)).toEqual([]);
  });

  it('helm chart with defaults and with every optional part on', async () => {
    const defaults = await helmTemplate({ includeCrds: true });
    const everything = await helmTemplate({
      release: 'nb-all',
      namespace: 'nb-helm',
      values: {
        rbac: { namespaced: true, aggregatedRoles: false },
        watchNamespaces: ['nb-helm-a', 'nb-helm-b'],
        serviceMonitor: { enabled: true },
        networkPolicy: { enabled: true },
        notifications: { enabled: true, existingSecret: 'webhook', format: 'json' },
        grafanaDashboard: { enabled: true },
        replicaCount: 2,
      },
    });
    expect(everything.some((o) => o.kind === 'ServiceMonitor')).toBe(true);
    expect(
      everything.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'nb-all-nodebounce-operator-dashboard'),
    ).toBe(true);
    await ensureNamespaces([...defaults, ...everything]);
    expect(await dryRunApply([...defaults, ...everything])).toEqual([]);
  });
});

describe('Pod Security admission', () => {
  async function createPodDryRun(ns: string, template: any): Promise<string | undefined> {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: uniqueName('psa'), namespace: ns, labels: template.metadata.labels },
      spec: template.spec,
    };
    try {
      await api.create(pod, undefined, 'All');
      return undefined;
    } catch (err: any) {
      const body = err?.body;
      try {
        return String(JSON.parse(body).message);
      } catch {
        return String(body ?? err?.message ?? err);
      }
    }
  }

  it('admits the operator pod of the kustomize base and of the chart under "restricted", rejects a non-compliant one', async () => {
    const ns = await createNamespace(kc, uniqueName('psa-restricted'), {
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    });
    const base = (get(await kustomizeBuild('deploy/base'), 'Deployment', 'nodebounce-operator') as any).spec.template;
    const chart = (get(await helmTemplate(), 'Deployment', 'nodebounce-operator') as any).spec.template;
    // The ServiceAccount admission plugin needs the pods' ServiceAccount to exist.
    await applyObjects(kc, [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nodebounce-operator', namespace: ns } },
    ]);
    expect(await createPodDryRun(ns, base)).toBeUndefined();
    expect(await createPodDryRun(ns, chart)).toBeUndefined();
    // Control: the same pod without the container security context is rejected, so the check is live.
    const weakened = structuredClone(base);
    delete weakened.spec.containers[0].securityContext;
    expect(await createPodDryRun(ns, weakened)).toMatch(
      /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
  });
});

describe("the operator's rendered RBAC", () => {
  async function can(
    user: string,
    attrs: { namespace?: string; verb: string; group?: string; resource: string; subresource?: string },
  ): Promise<boolean> {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const res = await authz.createSubjectAccessReview({ body: { spec: { user, resourceAttributes: attrs } } });
    return res.status?.allowed === true;
  }
  const sa = `system:serviceaccount:${OPERATOR_NAMESPACE}:nodebounce-operator`;

  it('is what installOperatorIdentity applies, and allows the operator its documented actions only', async () => {
    const rbac = await operatorRbac();
    expect(rbac.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual(
      [
        'ClusterRole/nodebounce-editor',
        'ClusterRole/nodebounce-metrics-reader',
        'ClusterRole/nodebounce-operator',
        'ClusterRole/nodebounce-operator-metrics-auth',
        'ClusterRole/nodebounce-viewer',
        'ClusterRoleBinding/nodebounce-operator',
        'ClusterRoleBinding/nodebounce-operator-metrics-auth',
        'Role/nodebounce-operator-leader-election',
        'RoleBinding/nodebounce-operator-leader-election',
        'ServiceAccount/nodebounce-operator',
      ].sort(),
    );
    await createNamespace(kc, OPERATOR_NAMESPACE);
    await applyObjects(kc, rbac);
    const ns = 'any-namespace';
    expect(await can(sa, { namespace: ns, verb: 'create', resource: 'pods', subresource: 'eviction' })).toBe(true);
    expect(await can(sa, { namespace: ns, verb: 'delete', resource: 'pods' })).toBe(true);
    expect(
      await can(sa, {
        namespace: ns,
        verb: 'update',
        group: 'bounce.express.dev',
        resource: 'nodebounces',
        subresource: 'status',
      }),
    ).toBe(true);
    expect(await can(sa, { namespace: ns, verb: 'patch', group: 'express.dev', resource: 'expressnodes' })).toBe(true);
    expect(
      await can(sa, {
        namespace: OPERATOR_NAMESPACE,
        verb: 'update',
        group: 'coordination.k8s.io',
        resource: 'leases',
      }),
    ).toBe(true);
    // RollingBounces: the operator creates their members' NodeBounces, patches their finalizer, writes their status.
    expect(await can(sa, { namespace: ns, verb: 'create', group: 'bounce.express.dev', resource: 'nodebounces' })).toBe(
      true,
    );
    expect(
      await can(sa, { namespace: ns, verb: 'patch', group: 'bounce.express.dev', resource: 'rollingbounces' }),
    ).toBe(true);
    expect(
      await can(sa, {
        namespace: ns,
        verb: 'update',
        group: 'bounce.express.dev',
        resource: 'rollingbounces',
        subresource: 'status',
      }),
    ).toBe(true);
    // Not granted: writing pods, creating/updating/deleting RollingBounces, deleting Express resources, secrets, leases elsewhere.
    expect(await can(sa, { namespace: ns, verb: 'create', resource: 'pods' })).toBe(false);
    expect(await can(sa, { namespace: ns, verb: 'update', resource: 'pods' })).toBe(false);
    expect(await can(sa, { namespace: ns, verb: 'update', group: 'bounce.express.dev', resource: 'nodebounces' })).toBe(
      false,
    );
    for (const verb of ['create', 'update', 'delete']) {
      expect(
        await can(sa, { namespace: ns, verb, group: 'bounce.express.dev', resource: 'rollingbounces' }),
        verb,
      ).toBe(false);
    }
    expect(await can(sa, { namespace: ns, verb: 'delete', group: 'express.dev', resource: 'expressnodes' })).toBe(
      false,
    );
    expect(await can(sa, { namespace: ns, verb: 'get', resource: 'secrets' })).toBe(false);
    expect(await can(sa, { namespace: ns, verb: 'update', group: 'coordination.k8s.io', resource: 'leases' })).toBe(
      false,
    );
    // Metrics authentication: the two reviews, create only.
    expect(await can(sa, { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' })).toBe(true);
    expect(await can(sa, { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' })).toBe(
      true,
    );
    expect(await can(sa, { verb: 'list', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' })).toBe(
      false,
    );
  });
});

describe('the delegation policy and ServiceMonitor components, and the chart with them', () => {
  it('pass the server-side dry run (CEL compiles against the real API server)', async () => {
    const policy = (
      await kustomizeOverlay({ resources: ['deploy/base'], components: ['deploy/components/delegation-policy'] })
    ).filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy') || o.metadata.name?.includes('delegation'));
    expect(policy.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    const monitor = (
      await kustomizeOverlay({ resources: ['deploy/base'], components: ['deploy/components/servicemonitor'] })
    ).filter((o) => o.kind === 'ServiceMonitor' || o.metadata.name === 'nodebounce-metrics-reader');
    expect(monitor.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ServiceMonitor']);
    const chart = (
      await helmTemplate({
        release: 'nb-vap',
        namespace: 'nb-vap',
        values: { delegationPolicy: { enabled: true }, metrics: { readers: [{ name: 'p', namespace: 'm' }] } },
      })
    ).filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy') || o.metadata.name?.includes('delegation'));
    expect(chart).toHaveLength(3);
    // A broken CEL expression is refused by the dry run (the check is live).
    const broken = structuredClone(policy.find((o) => o.kind === 'ValidatingAdmissionPolicy')!) as any;
    broken.metadata.name = 'nodebounce-delegation-broken';
    broken.spec.validations[0].expression = 'variables.nope ||';
    await ensureNamespaces([...policy, ...monitor, ...chart]);
    expect(await dryRunApply([...policy, ...monitor, ...chart])).toEqual([]);
    expect((await dryRunApply([broken])).join()).toMatch(/nodebounce-delegation-broken/);
  });
});
