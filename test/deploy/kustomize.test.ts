// deploy/base, deploy/namespaced and the NetworkPolicy component, rendered by the real kustomize (built from
// the Go module proxy by test/harness/tools.ts on first use).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  REPO_ROOT,
  ensureTool,
  find,
  get,
  kustomizeBuild,
  kustomizeOverlay,
  normalizeRules,
  parseObjects,
  wildcards,
  type K8sObject,
  type PolicyRule,
} from '../harness/index.js';
import { operatorConfigSchema } from '../../src/config/schema.js';
import { checkOperatorDeployment, mountedConfig } from './checks.js';

const NS = 'nodebounce-system';
let base: K8sObject[];
let namespaced: K8sObject[];

beforeAll(async () => {
  await ensureTool('kustomize');
  base = await kustomizeBuild('deploy/base');
  namespaced = await kustomizeBuild('deploy/namespaced');
}, 15 * 60_000);

const rulesOf = (o: K8sObject) => normalizeRules(o.rules as PolicyRule[]);

describe('deploy/base', () => {
  it('has every piece the operator needs, namespaced objects in nodebounce-system', () => {
    // Generated ConfigMaps carry a content hash suffix.
    const ids = base
      .map(
        (o) =>
          `${o.kind}/${o.kind === 'ConfigMap' ? (o.metadata.name ?? '').replace(/-[a-z0-9]{10}$/, '') : o.metadata.name}`,
      )
      .sort();
    expect(ids).toEqual(
      [
        'ClusterRole/nodebounce-editor',
        'ClusterRole/nodebounce-metrics-reader',
        'ClusterRole/nodebounce-operator',
        'ClusterRole/nodebounce-operator-metrics-auth',
        'ClusterRole/nodebounce-viewer',
        'ClusterRoleBinding/nodebounce-operator',
        'ClusterRoleBinding/nodebounce-operator-metrics-auth',
        'ConfigMap/nodebounce-operator-config',
        'CustomResourceDefinition/nodebounces.bounce.express.dev',
        'CustomResourceDefinition/rollingbounces.bounce.express.dev',
        'Deployment/nodebounce-operator',
        'Namespace/nodebounce-system',
        'Role/nodebounce-operator-leader-election',
        'RoleBinding/nodebounce-operator-leader-election',
        'Service/nodebounce-operator-metrics',
        'ServiceAccount/nodebounce-operator',
      ].sort(),
    );
    const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of base) {
      if (clusterScoped.has(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NS);
    }
    expect(get(base, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it.each(['nodebounces', 'rollingbounces'])('ships the %s CRD exactly as crds/ defines it', (plural) => {
    const crd = parse(readFileSync(join(REPO_ROOT, 'crds', `bounce.express.dev_${plural}.yaml`), 'utf8')) as K8sObject;
    expect(get(base, 'CustomResourceDefinition', `${plural}.bounce.express.dev`)).toEqual(crd);
  });

  it('grants no wildcard verbs, resources or API groups', () => {
    expect(wildcards(base)).toEqual([]);
    expect(wildcards(namespaced)).toEqual([]);
  });

  it('documents every rule of the operator ClusterRole with a comment', () => {
    const lines = readFileSync(join(REPO_ROOT, 'deploy', 'base', 'clusterrole.yaml'), 'utf8').split('\n');
    const ruleStarts = lines.flatMap((l, i) => (/^ {2}- apiGroups:/.test(l) ? [i] : []));
    expect(ruleStarts.length).toBe((get(base, 'ClusterRole', 'nodebounce-operator').rules as unknown[]).length);
    for (const i of ruleStarts) expect(lines[i - 1], `comment above line ${i + 1}`).toMatch(/^ {2}# \S/);
  });

  it('binds the operator ClusterRole and the leader-election Role to the operator ServiceAccount', () => {
    const sa = { kind: 'ServiceAccount', name: 'nodebounce-operator', namespace: NS };
    const crb = get(base, 'ClusterRoleBinding', 'nodebounce-operator');
    expect(crb.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'nodebounce-operator',
    });
    expect(crb.subjects).toEqual([sa]);
    const rb = get(base, 'RoleBinding', 'nodebounce-operator-leader-election');
    expect(rb.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'nodebounce-operator-leader-election',
    });
    expect(rb.subjects).toEqual([sa]);
    expect(rulesOf(get(base, 'Role', 'nodebounce-operator-leader-election'))).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] },
    ]);
  });

  it('aggregates nodebounce-editor into edit/admin and nodebounce-viewer into view', () => {
    const editor = get(base, 'ClusterRole', 'nodebounce-editor');
    expect(editor.metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(rulesOf(editor)).toEqual(
      normalizeRules([
        {
          apiGroups: ['bounce.express.dev'],
          resources: ['nodebounces'],
          verbs: ['create', 'delete', 'get', 'list', 'watch'],
        },
        { apiGroups: ['bounce.express.dev'], resources: ['nodebounces/status'], verbs: ['get'] },
        // Editors pause/resume a RollingBounce (and change maxUnavailable): update/patch; spec is otherwise immutable.
        {
          apiGroups: ['bounce.express.dev'],
          resources: ['rollingbounces'],
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        },
        { apiGroups: ['bounce.express.dev'], resources: ['rollingbounces/status'], verbs: ['get'] },
      ]),
    );
    const viewer = get(base, 'ClusterRole', 'nodebounce-viewer');
    expect(viewer.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-view': 'true' });
    expect(viewer.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit']).toBeUndefined();
    expect(rulesOf(viewer)).toEqual(
      normalizeRules([
        {
          apiGroups: ['bounce.express.dev'],
          resources: ['nodebounces', 'rollingbounces'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['bounce.express.dev'],
          resources: ['nodebounces/status', 'rollingbounces/status'],
          verbs: ['get'],
        },
      ]),
    );
  });

  it('runs the operator restricted, probed, with metrics exposed by the Service', () => {
    const env = checkOperatorDeployment(base, {
      deployment: 'nodebounce-operator',
      service: 'nodebounce-operator-metrics',
    });
    // Settings come from the config file only: no NODEBOUNCE_* variable overrides it.
    expect(Object.keys(env).filter((k) => k.startsWith('NODEBOUNCE_'))).toEqual(['NODEBOUNCE_CONFIG']);
  });

  it('mounts the config file from the generated ConfigMap; the operator accepts it: defaults plus leader election and every interface', () => {
    const { configMap, text } = mountedConfig(base, 'nodebounce-operator');
    expect(configMap.metadata.name).toMatch(/^nodebounce-operator-config-[a-z0-9]{10}$/);
    expect(text).toBe(readFileSync(join(REPO_ROOT, 'deploy', 'base', 'operator-config.yaml'), 'utf8'));
    const defaults = operatorConfigSchema.parse({});
    expect(operatorConfigSchema.parse(parse(text))).toEqual({
      ...defaults,
      leaderElection: { ...defaults.leaderElection, enabled: true },
      // The operator's own defaults are loopback (a laptop run); in the pod, every interface.
      metricsBindAddress: ':8443',
      healthProbeBindAddress: ':8081',
    });
  });
});

describe('deploy/namespaced', () => {
  it('gives the operator no cluster-wide access, a Role per watched namespace, and watches exactly those', () => {
    expect(find(namespaced, 'ClusterRole', 'nodebounce-operator')).toBeUndefined();
    expect(find(namespaced, 'ClusterRoleBinding', 'nodebounce-operator')).toBeUndefined();
    const roles = namespaced.filter((o) => o.kind === 'Role' && o.metadata.name === 'nodebounce-operator');
    const watched = roles.map((r) => r.metadata.namespace!).sort();
    expect(watched.length).toBeGreaterThan(0);
    const clusterRules = rulesOf(get(base, 'ClusterRole', 'nodebounce-operator'));
    for (const role of roles) {
      expect(rulesOf(role), `Role in ${role.metadata.namespace}`).toEqual(clusterRules);
      const rb = get(namespaced, 'RoleBinding', 'nodebounce-operator', role.metadata.namespace);
      expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'nodebounce-operator' });
      expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'nodebounce-operator', namespace: NS }]);
    }
    const env = checkOperatorDeployment(namespaced, {
      deployment: 'nodebounce-operator',
      service: 'nodebounce-operator-metrics',
    });
    expect(env.NODEBOUNCE_WATCH_NAMESPACES!.split(',').sort()).toEqual(watched);
    // Leader election still works (its Role lives in the operator's namespace).
    get(namespaced, 'Role', 'nodebounce-operator-leader-election', NS);
  });
});

describe('deploy/components/networkpolicy', () => {
  it('admits traffic to the metrics and health ports of the operator pods only', async () => {
    const objs = await kustomizeOverlay({
      resources: ['deploy/base'],
      components: ['deploy/components/networkpolicy'],
    });
    const np = get(objs, 'NetworkPolicy', 'nodebounce-operator', NS);
    const dep = get(objs, 'Deployment', 'nodebounce-operator') as any;
    expect(dep.spec.template.metadata.labels).toMatchObject(np.spec && (np.spec as any).podSelector.matchLabels);
    const ports = (np.spec as any).ingress.flatMap((i: any) => i.ports.map((p: any) => p.port)).sort();
    expect(ports).toEqual(['health', 'metrics']);
    const containerPorts = dep.spec.template.spec.containers[0].ports.map((p: any) => p.name).sort();
    expect(containerPorts).toEqual(['health', 'metrics']);
  });
});

describe('deploy/components/grafana-dashboard', () => {
  it('adds only the dashboard ConfigMap, labelled for the Grafana sidecar, with deploy/grafana/nodebounce-operator.json', async () => {
    const objs = await kustomizeOverlay({
      resources: ['deploy/base'],
      components: ['deploy/components/grafana-dashboard'],
    });
    const cm = get(objs, 'ConfigMap', 'nodebounce-operator-dashboard', NS) as any;
    expect(cm.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'nodebounce-operator',
      'app.kubernetes.io/component': 'dashboard',
      grafana_dashboard: '1',
    });
    expect(cm.data).toEqual({
      'nodebounce-operator.json': readFileSync(
        join(REPO_ROOT, 'deploy', 'grafana', 'nodebounce-operator.json'),
        'utf8',
      ),
    });
    expect(objs.filter((o) => o !== cm)).toEqual(base);
  });

  it('is opt-in: neither deploy/base nor deploy/namespaced ships it', () => {
    expect(find(base, 'ConfigMap', 'nodebounce-operator-dashboard')).toBeUndefined();
    expect(find(namespaced, 'ConfigMap', 'nodebounce-operator-dashboard')).toBeUndefined();
    expect(base.filter((o) => o.metadata.labels?.grafana_dashboard !== undefined)).toEqual([]);
  });
});

// Most users run `kubectl apply -k`, i.e. the kustomize built into kubectl. When this machine has kubectl
// (not guaranteed), its rendering must equal ours.
const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
describe.skipIf(!kubectl)("kubectl's built-in kustomize", () => {
  it.each(['deploy/base', 'deploy/namespaced'])('renders %s the same', (dir) => {
    const out = execFileSync(kubectl!, ['kustomize', join(REPO_ROOT, dir)], {
      encoding: 'utf8',
      maxBuffer: 32 * 1024 * 1024,
    });
    expect(parseObjects(out)).toEqual(dir === 'deploy/base' ? base : namespaced);
  });
});
