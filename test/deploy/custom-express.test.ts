// deploy/examples/custom-express (docs/express-config.md): the operator configured for a differently named
// Express CRD, ClusterMember.db.example.com, with kustomize (cluster-wide and namespaced) and with Helm. The
// integration test test/integration/custom-express.test.ts runs the operator with the rendered result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { operatorConfigSchema } from '../../src/config/schema.js';
import {
  REPO_ROOT,
  ensureTool,
  get,
  helmTemplate,
  kustomizeBuild,
  normalizeRules,
  wildcards,
  type K8sObject,
  type PolicyRule,
} from '../harness/index.js';
import { mountedConfig } from './checks.js';

const EXAMPLE = 'deploy/examples/custom-express';
const NAME = 'nodebounce-operator';
const EXPRESS_RULE = {
  apiGroups: ['db.example.com'],
  resources: ['clustermembers'],
  verbs: ['get', 'list', 'patch', 'watch'],
};
let base: K8sObject[];
let cluster: K8sObject[];
let namespaced: K8sObject[];

beforeAll(async () => {
  await ensureTool('kustomize');
  await ensureTool('helm');
  [base, cluster, namespaced] = await Promise.all([
    kustomizeBuild('deploy/base'),
    kustomizeBuild(`${EXAMPLE}/cluster`),
    kustomizeBuild(`${EXAMPLE}/namespaced`),
  ]);
}, 20 * 60_000);

const rulesOf = (o: K8sObject) => normalizeRules(o.rules as PolicyRule[]);
const configOf = (objs: K8sObject[]) => operatorConfigSchema.parse(parse(mountedConfig(objs, NAME).text));
/** The base's rules with the Express rule swapped for ClusterMember's. */
const expectedRules = () =>
  normalizeRules([
    ...(get(base, 'ClusterRole', NAME).rules as PolicyRule[]).filter((r) => !r.apiGroups?.includes('express.dev')),
    EXPRESS_RULE,
  ]);

describe(`${EXAMPLE}`, () => {
  it('cluster: the config file names ClusterMember with its own field paths and values', () => {
    const cfg = configOf(cluster);
    expect(cfg.express).toEqual({
      group: 'db.example.com',
      version: 'v1',
      kind: 'ClusterMember',
      plural: 'clustermembers',
      podLabel: 'db.example.com/member',
      desiredState: { path: 'spec.lifecycle.desired', downValues: ['Offline', 'Decommissioned'] },
      runtimeState: { path: 'status.lifecycle.phase', rebuildingValues: ['Resyncing'], catchupValues: ['CatchingUp'] },
      shutdownProtection: { path: 'spec.lifecycle.drainGuard' },
    });
    // Only the Express part differs from the base's config.
    expect({ ...cfg, express: undefined }).toEqual({ ...configOf(base), express: undefined });
    // The replaced ConfigMap is the only one, and the Deployment mounts it.
    expect(cluster.filter((o) => o.kind === 'ConfigMap')).toHaveLength(1);
  });

  it('cluster: the ClusterRole grants ClusterMembers instead of ExpressNodes, nothing else changes', () => {
    expect(wildcards(cluster)).toEqual([]);
    expect(rulesOf(get(cluster, 'ClusterRole', NAME))).toEqual(expectedRules());
  });

  it('namespaced: every watched namespace gets the same rules; the same config file', () => {
    expect(wildcards(namespaced)).toEqual([]);
    const roles = namespaced.filter((o) => o.kind === 'Role' && o.metadata.name === NAME);
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(rulesOf(role), `Role in ${role.metadata.namespace}`).toEqual(expectedRules());
    expect(mountedConfig(namespaced, NAME).text).toBe(mountedConfig(cluster, NAME).text);
  });

  it('helm-values.yaml: the same express config and the same rules, cluster-wide and namespaced', async () => {
    const values = parse(readFileSync(join(REPO_ROOT, EXAMPLE, 'helm-values.yaml'), 'utf8')) as Record<string, unknown>;
    const chart = await helmTemplate({ values });
    expect(configOf(chart).express).toEqual(configOf(cluster).express);
    expect(rulesOf(get(chart, 'ClusterRole', NAME))).toEqual(expectedRules());
    const ns = await helmTemplate({ values: { ...values, rbac: { namespaced: true }, watchNamespaces: ['team-a'] } });
    expect(rulesOf(get(ns, 'Role', NAME, 'team-a'))).toEqual(expectedRules());
  });
});
