// deploy/namespaced for real: the operator runs with ONLY the rendered namespaced RBAC (a Role + RoleBinding
// per watched namespace, the leader-election Role) and the watch list the overlay sets, with leader election
// on, and bounces a pod. Anything it needs cluster-wide would fail here.
import { AuthorizationV1Api, CoordinationV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createNamespace,
  get,
  kubeConfigForServiceAccount,
  kustomizeBuild,
  startExpressSimulator,
  uniqueName,
  type ExpressSimulator,
  type K8sObject,
} from '../harness/index.js';
import { BounceFixture } from './support/bounce.js';
import { OPERATOR_NAMESPACE, OperatorProcess, applyObjects } from './support/operator.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

// A ServiceAccount of its own, so the base's ClusterRoleBinding (used by the other test files) can't help.
const SA = 'nodebounce-operator-nstest';
const SUFFIX = '-nstest';
const LEASE = 'nodebounce-operator-nstest';

describe('deploy/namespaced: the operator with Roles in its watched namespaces only', () => {
  const kc = new KubeConfig();
  let watched: string[] = [];
  let sim: ExpressSimulator | undefined;
  let op: OperatorProcess | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    kc.loadFromFile(inject('kubeconfigPath'));
    const rendered = await kustomizeBuild('deploy/namespaced');
    const env = (get(rendered, 'Deployment', 'nodebounce-operator') as any).spec.template.spec.containers[0]
      .env as Array<{ name: string; value?: string }>;
    watched = env.find((e) => e.name === 'NODEBOUNCE_WATCH_NAMESPACES')!.value!.split(',');
    // Every Role/RoleBinding of the variant, renamed and bound to SA.
    const rbac = rendered
      .filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')
      .map((o: K8sObject) => {
        const c = structuredClone(o) as any;
        c.metadata.name += SUFFIX;
        if (c.kind === 'RoleBinding') {
          c.roleRef.name += SUFFIX;
          expect(c.subjects).toEqual([
            { kind: 'ServiceAccount', name: 'nodebounce-operator', namespace: OPERATOR_NAMESPACE },
          ]);
          c.subjects[0].name = SA;
        }
        return c as KubernetesObject;
      });
    expect(rendered.some((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'nodebounce-operator')).toBe(
      false,
    );
    for (const ns of [OPERATOR_NAMESPACE, ...watched]) await createNamespace(kc, ns);
    await applyObjects(kc, rbac);
    const saKc = await kubeConfigForServiceAccount(kc, OPERATOR_NAMESPACE, SA, { expirationSeconds: 3600 });

    sim = await startExpressSimulator(kc, { namespaces: watched });
    dir = mkdtempSync(join(tmpdir(), 'nodebounce-nstest-'));
    // The lease settings through the config file (as the Helm chart does), the rest through env (as kustomize does).
    writeFileSync(join(dir, 'config.yaml'), `leaderElection:\n  leaseName: ${LEASE}\n`);
    op = new OperatorProcess({
      kubeConfig: saKc,
      env: {
        NODEBOUNCE_CONFIG: join(dir, 'config.yaml'),
        NODEBOUNCE_WATCH_NAMESPACES: watched.join(','),
        NODEBOUNCE_LEADER_ELECT: 'true',
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        POD_NAME: 'nodebounce-operator-nstest-0',
      },
    });
    await op.start(60_000);
  }, 120_000);

  afterAll(async () => {
    const code = await op?.stop();
    op?.cleanup();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('has no cluster-wide access', async () => {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const can = async (namespace: string | undefined, verb: string, resource: string, subresource?: string) =>
      (
        await authz.createSubjectAccessReview({
          body: {
            spec: {
              user: `system:serviceaccount:${OPERATOR_NAMESPACE}:${SA}`,
              resourceAttributes: { namespace, verb, resource, subresource },
            },
          },
        })
      ).status?.allowed;
    expect(await can(watched[0], 'create', 'pods', 'eviction')).toBe(true);
    expect(await can('somewhere-else', 'create', 'pods', 'eviction')).toBe(false);
    expect(await can(undefined, 'list', 'pods')).toBe(false);
  });

  it('takes the lease and bounces a pod in a watched namespace; ignores NodeBounces elsewhere', async () => {
    const fx = new BounceFixture(kc);
    const ns = watched[0]!;
    const pod = await fx.readyExpressNode(ns, uniqueName('nsnode'), { startupDelay: '500ms', shutdownDelay: '500ms' });
    const nb = await fx.createNodeBounce(ns, { podName: pod.metadata!.name!, reason: 'namespaced variant' });
    const done = await fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });

    const elsewhere = await createNamespace(kc, uniqueName('unwatched'));
    const ignored = await fx.createNodeBounce(elsewhere, { podName: 'whatever' });
    await new Promise((r) => setTimeout(r, 2000));
    expect((await fx.getNodeBounce(elsewhere, ignored.metadata.name))?.status).toBeUndefined();

    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: LEASE, namespace: OPERATOR_NAMESPACE });
    expect(lease.spec?.holderIdentity).toMatch(/^nodebounce-operator-nstest-0_/);
    expect(op!.lines.filter((l) => /forbidden/i.test(l))).toEqual([]);
  });
});
