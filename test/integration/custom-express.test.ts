// The worked example of docs/express-config.md, for real: deploy/examples/custom-express/cluster rendered by
// kustomize, its ConfigMap's config file handed to the operator the way the pod mounts it (NODEBOUNCE_CONFIG),
// its RBAC as the operator's only permissions, and bounces of pods that belong to ClusterMember resources
// (db.example.com, test/fixtures/crds/clustermember.yaml) instead of ExpressNodes. The Express operator for
// this CRD is played by the test: it creates the pods and, after a bounce, a differently named replacement.
import {
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  createNamespace,
  get,
  kubeConfigForServiceAccount,
  kustomizeBuild,
  readPod,
  uniqueName,
  waitUntil,
  type K8sObject,
} from '../harness/index.js';
import { mountedConfig } from '../deploy/checks.js';
import { BounceFixture } from './support/bounce.js';
import { OPERATOR_NAMESPACE, OperatorProcess, applyObjects } from './support/operator.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const MEMBERS = { group: 'db.example.com', version: 'v1', plural: 'clustermembers' };
// Its own ServiceAccount and RBAC object names, so the base's bindings (other test files) can't help.
const SA = 'nodebounce-operator-cmtest';
const SUFFIX = '-cmtest';

describe('deploy/examples/custom-express: the operator for ClusterMember.db.example.com', () => {
  const kc = new KubeConfig();
  let op: OperatorProcess | undefined;
  let dir: string | undefined;
  let ns: string;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    kc.loadFromFile(inject('kubeconfigPath'));
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    const rendered = await kustomizeBuild('deploy/examples/custom-express/cluster');

    // RBAC exactly as rendered, renamed and bound to SA.
    const rbac = rendered
      .filter(
        (o) =>
          ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind) &&
          (o.metadata.name ?? '').startsWith('nodebounce-operator'),
      )
      .map((o: K8sObject) => {
        const c = structuredClone(o) as any;
        c.metadata.name += SUFFIX;
        if (c.roleRef) {
          c.roleRef.name += SUFFIX;
          expect(c.subjects).toEqual([
            { kind: 'ServiceAccount', name: 'nodebounce-operator', namespace: OPERATOR_NAMESPACE },
          ]);
          c.subjects[0].name = SA;
        }
        return c as KubernetesObject;
      });
    await createNamespace(kc, OPERATOR_NAMESPACE);
    await applyObjects(kc, rbac);
    const saKc = await kubeConfigForServiceAccount(kc, OPERATOR_NAMESPACE, SA, { expirationSeconds: 3600 });

    // The config file where the pod would see it: the rendered ConfigMap's key under the mount directory.
    const { key, text } = mountedConfig(rendered, 'nodebounce-operator');
    dir = mkdtempSync(join(tmpdir(), 'nodebounce-cmtest-'));
    mkdirSync(join(dir, 'etc'));
    const config = parse(text);
    // A lease of its own: a leader killed by an earlier test file may still hold the default one.
    config.leaderElection.leaseName = 'nodebounce-operator-cmtest';
    writeFileSync(join(dir, 'etc', key), stringify(config));
    op = new OperatorProcess({
      kubeConfig: saKc,
      env: {
        NODEBOUNCE_CONFIG: join(dir, 'etc', key),
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        POD_NAME: 'nodebounce-operator-cmtest-0',
      },
    });
    await op.start(60_000);
    ns = await createNamespace(kc, uniqueName('members'));
  }, 120_000);

  afterAll(async () => {
    const code = await op?.stop();
    op?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  const createMember = (name: string, lifecycle: Record<string, unknown>, phase: string) =>
    custom.createNamespacedCustomObject({
      ...MEMBERS,
      namespace: ns,
      body: {
        apiVersion: 'db.example.com/v1',
        kind: 'ClusterMember',
        metadata: { name },
        spec: { lifecycle },
        status: { lifecycle: { phase } },
      },
    });
  const getMember = async (name: string) =>
    (await custom.getNamespacedCustomObject({ ...MEMBERS, namespace: ns, name })) as any;

  /** A pod of the member, mapped by the configured label only (no ownerReference), made Ready by kwok. */
  async function createMemberPod(member: string, name: string): Promise<V1Pod> {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name,
          labels: { 'db.example.com/member': member },
          annotations: { 'kwok.nodebounce.dev/startup-delay': '300ms', 'kwok.nodebounce.dev/shutdown-delay': '300ms' },
        },
        spec: {
          nodeName: inject('kwokNodeNames')[0],
          containers: [{ name: 'db', image: 'registry.invalid/db:simulated' }],
        },
      },
    });
    return new BounceFixture(kc).waitPodReady(ns, name);
  }

  it('grants ClusterMembers and nothing on ExpressNodes', async () => {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, group: string, resource: string) =>
      (
        await authz.createSubjectAccessReview({
          body: {
            spec: {
              user: `system:serviceaccount:${OPERATOR_NAMESPACE}:${SA}`,
              resourceAttributes: { namespace: ns, verb, group, resource },
            },
          },
        })
      ).status?.allowed;
    expect(await can('patch', 'db.example.com', 'clustermembers')).toBe(true);
    expect(await can('get', 'express.dev', 'expressnodes')).toBe(false);
  });

  it('bounces a member pod: drain guard off during the bounce, a differently named replacement, guard restored', async () => {
    await createMember('member-a', { desired: 'Online', drainGuard: true }, 'Serving');
    const old = await createMemberPod('member-a', 'member-a-0');
    const fx = new BounceFixture(kc);
    const nb = await fx.createNodeBounce(ns, { podName: 'member-a-0', reason: 'custom Express CRD' });

    // The Express operator's part: once the old pod is gone, start a new one under another name.
    await waitUntil(async () => (await readPod(kc, ns, 'member-a-0')) === undefined, {
      timeoutMs: 30_000,
      description: 'old pod gone',
    });
    const guardWhileDown = (await getMember('member-a')).spec.lifecycle.drainGuard;
    const replacement = await createMemberPod('member-a', 'member-a-1');

    const done = await fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({
      phase: 'Succeeded',
      reason: 'PodRestarted',
      expressResourceName: 'member-a',
      podUID: old.metadata!.uid,
      replacementPodName: 'member-a-1',
      replacementPodUID: replacement.metadata!.uid,
      shutdownProtection: { wasEnabled: true, disabledByOperator: true, restored: true },
    });
    expect(guardWhileDown).toBe(false);
    expect((await getMember('member-a')).spec.lifecycle.drainGuard).toBe(true);
  });

  it('reads the desired state at the configured path and refuses the configured down values', async () => {
    await createMember('member-b', { desired: 'Decommissioned' }, 'Serving');
    const pod = await createMemberPod('member-b', 'member-b-0');
    const fx = new BounceFixture(kc);
    const nb = await fx.createNodeBounce(ns, { podName: 'member-b-0' });
    const done = await fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'IntentionallyDown' });
    expect(done.status?.message).toContain('ClusterMember');
    expect((await readPod(kc, ns, 'member-b-0'))?.metadata?.uid).toBe(pod.metadata!.uid);
  });
});
