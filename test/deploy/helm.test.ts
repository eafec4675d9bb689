// The Helm chart deploy/helm/nodebounce-operator, rendered by the real helm (built from the Go module proxy by
// test/harness/tools.ts on first use), compared with the kustomize base and checked for several value sets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { operatorConfigSchema } from '../../src/config/schema.js';
import {
  CHART_DIR,
  HelmError,
  REPO_ROOT,
  ensureTool,
  find,
  get,
  helmLint,
  helmTemplate,
  kustomizeBuild,
  normalizeRules,
  wildcards,
  type K8sObject,
  type PolicyRule,
} from '../harness/index.js';
import { SUPPORTED_KUBERNETES } from '../harness/versions.js';
import { checkOperatorDeployment, mountedConfig } from './checks.js';

const NAME = 'nodebounce-operator';
let base: K8sObject[];
let chart: K8sObject[];

beforeAll(async () => {
  await ensureTool('kustomize');
  await ensureTool('helm');
  base = await kustomizeBuild('deploy/base');
  chart = await helmTemplate({ includeCrds: true });
}, 20 * 60_000);

const rulesOf = (o: K8sObject | undefined) => normalizeRules(o?.rules as PolicyRule[]);

function configOf(objs: K8sObject[]): Record<string, unknown> {
  const cm = get(objs, 'ConfigMap', `${NAME}-config`) as any;
  return parse(cm.data['config.yaml']) as Record<string, unknown>;
}

describe('helm chart, default values', () => {
  it('passes helm lint --strict', async () => {
    expect(await helmLint()).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it.each(['nodebounces', 'rollingbounces'])(
    "ships crds/ byte for byte (Helm can only read files inside the chart, so it's a copy): %s",
    (plural) => {
      const file = `bounce.express.dev_${plural}.yaml`;
      expect(readFileSync(join(CHART_DIR, 'crds', file), 'utf8')).toBe(
        readFileSync(join(REPO_ROOT, 'crds', file), 'utf8'),
      );
      const name = `${plural}.bounce.express.dev`;
      expect(get(chart, 'CustomResourceDefinition', name)).toEqual(get(base, 'CustomResourceDefinition', name));
    },
  );

  it('grants exactly the RBAC of the kustomize base, and no wildcards', () => {
    expect(wildcards(chart)).toEqual([]);
    expect(rulesOf(get(chart, 'ClusterRole', NAME))).toEqual(rulesOf(get(base, 'ClusterRole', NAME)));
    expect(rulesOf(get(chart, 'Role', `${NAME}-leader-election`))).toEqual(
      rulesOf(get(base, 'Role', `${NAME}-leader-election`)),
    );
    for (const name of ['nodebounce-editor', 'nodebounce-viewer']) {
      const c = get(chart, 'ClusterRole', name);
      const b = get(base, 'ClusterRole', name);
      expect(rulesOf(c), name).toEqual(rulesOf(b));
      const aggregate = (o: K8sObject) =>
        Object.entries(o.metadata.labels ?? {}).filter(([k]) =>
          k.startsWith('rbac.authorization.k8s.io/aggregate-to-'),
        );
      expect(aggregate(c), name).toEqual(aggregate(b));
    }
    // The same set of RBAC objects, bound the same way.
    const shape = (objs: K8sObject[]) =>
      objs
        .filter((o) => ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount'].includes(o.kind))
        .map(
          (o: any) =>
            `${o.kind}/${o.metadata.name}${o.roleRef ? ` -> ${o.roleRef.kind}/${o.roleRef.name}` : ''}${o.subjects ? ` (${o.subjects.map((s: any) => `${s.kind}/${s.namespace}/${s.name}`).join()})` : ''}`,
        )
        .sort();
    expect(shape(chart)).toEqual(shape(base));
  });

  it('runs the operator like the kustomize base does', () => {
    const env = checkOperatorDeployment(chart, { deployment: NAME, service: `${NAME}-metrics` });
    expect(env.NODEBOUNCE_CONFIG).toBe('/etc/nodebounce-operator/config.yaml');
    const dep = get(chart, 'Deployment', NAME) as any;
    const b = get(base, 'Deployment', NAME) as any;
    expect(dep.spec.template.spec.securityContext).toEqual(b.spec.template.spec.securityContext);
    expect(dep.spec.template.spec.containers[0].securityContext).toEqual(
      b.spec.template.spec.containers[0].securityContext,
    );
    expect(dep.spec.template.spec.containers[0].image).toBe('nodebounce-operator:0.1.0');
    expect(dep.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(find(chart, 'ServiceMonitor')).toBeUndefined();
    expect(find(chart, 'NetworkPolicy')).toBeUndefined();
    expect(find(chart, 'ConfigMap', `${NAME}-dashboard`)).toBeUndefined();
  });

  it('mounts a config file the operator accepts, equal to its defaults plus leader election', () => {
    const config = configOf(chart);
    const parsed = operatorConfigSchema.parse(config);
    const defaults = operatorConfigSchema.parse({});
    expect(parsed).toEqual({
      ...defaults,
      leaderElection: { ...defaults.leaderElection, enabled: true },
      // Every interface in the pod; the operator's own defaults are loopback.
      metricsBindAddress: ':8443',
      healthProbeBindAddress: ':8081',
    });
  });

  it('mounts its config file like the kustomize base, with the same settings', () => {
    const helm = mountedConfig(chart, NAME);
    const kustomize = mountedConfig(base, NAME);
    expect(helm.key).toBe(kustomize.key);
    expect(operatorConfigSchema.parse(parse(helm.text))).toEqual(operatorConfigSchema.parse(parse(kustomize.text)));
  });
});

describe('helm chart, value combinations', () => {
  it('rbac.namespaced: a Role per watched namespace instead of the ClusterRole, and the config watches them', async () => {
    const objs = await helmTemplate({ values: { rbac: { namespaced: true }, watchNamespaces: ['team-a', 'team-b'] } });
    expect(wildcards(objs)).toEqual([]);
    expect(find(objs, 'ClusterRole', NAME)).toBeUndefined();
    expect(find(objs, 'ClusterRoleBinding', NAME)).toBeUndefined();
    for (const ns of ['team-a', 'team-b']) {
      expect(rulesOf(get(objs, 'Role', NAME, ns))).toEqual(rulesOf(get(base, 'ClusterRole', NAME)));
      const rb = get(objs, 'RoleBinding', NAME, ns) as any;
      expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME });
      expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: 'nodebounce-system' }]);
    }
    expect(operatorConfigSchema.parse(configOf(objs)).watchNamespaces).toEqual(['team-a', 'team-b']);
  });

  it('values.schema.json rejects typos and bad values', async () => {
    await expect(helmTemplate({ values: { watchNamespace: ['a'] } })).rejects.toThrow(/watchNamespace/);
    await expect(helmTemplate({ values: { logLevel: 'loud' } })).rejects.toThrow(/logLevel/);
    await expect(helmTemplate({ values: { watchNamespaces: ['Not_A_Namespace'] } })).rejects.toThrow(/watchNamespaces/);
  });

  it('kubeVersion: renders for every supported Kubernetes release, refuses the minor below the range', async () => {
    for (const r of SUPPORTED_KUBERNETES) {
      expect((await helmTemplate({ kubeVersion: r.kubernetes })).length, r.kubernetes).toBeGreaterThan(0);
    }
    const oldest = SUPPORTED_KUBERNETES[SUPPORTED_KUBERNETES.length - 1]!.kubernetes;
    const below = oldest.replace(/^v1\.(\d+)\.\d+$/, (_, m: string) => `v1.${Number(m) - 1}.99`);
    await expect(helmTemplate({ kubeVersion: below })).rejects.toThrow(/kubeVersion/);
  });

  it('rbac.namespaced without watchNamespaces fails with an explanation', async () => {
    await expect(helmTemplate({ values: { rbac: { namespaced: true } } })).rejects.toThrow(
      /rbac.namespaced=true needs watchNamespaces/,
    );
    await expect(helmTemplate({ values: { rbac: { namespaced: true } } })).rejects.toBeInstanceOf(HelmError);
  });

  it('another release name and namespace: names, bindings and the lease namespace follow', async () => {
    const objs = await helmTemplate({ release: 'bouncer', namespace: 'ops' });
    const full = 'bouncer-nodebounce-operator';
    const crb = get(objs, 'ClusterRoleBinding', full) as any;
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: full, namespace: 'ops' }]);
    get(objs, 'Role', `${full}-leader-election`, 'ops');
    checkOperatorDeployment(objs, { deployment: full, service: `${full}-metrics` });
  });

  it('disruptionBudget flows into the config file (unlimited by default); the schema refuses 0 and unknown keys', async () => {
    expect(operatorConfigSchema.parse(configOf(await helmTemplate({}))).disruptionBudget).toEqual({});
    const objs = await helmTemplate({ values: { disruptionBudget: { maxPerNamespace: 1, maxInCluster: 5 } } });
    expect(operatorConfigSchema.parse(configOf(objs)).disruptionBudget).toEqual({
      maxPerNamespace: 1,
      maxInCluster: 5,
    });
    await expect(helmTemplate({ values: { disruptionBudget: { maxPerNamespace: 0 } } })).rejects.toThrow(
      /maxPerNamespace/,
    );
    await expect(helmTemplate({ values: { disruptionBudget: { perNamespace: 1 } } })).rejects.toThrow(/perNamespace/);
  });

  it('Express resource settings flow into the config file and the RBAC rule for Express resources', async () => {
    const express = {
      group: 'nodes.example.com',
      version: 'v1',
      kind: 'Node',
      plural: 'nodes',
      podLabel: 'example.com/node',
    };
    const objs = await helmTemplate({ values: { express } });
    const cfg = operatorConfigSchema.parse(configOf(objs));
    expect(cfg.express).toMatchObject(express);
    const rules = (get(objs, 'ClusterRole', NAME).rules as PolicyRule[]).filter((r) =>
      r.apiGroups?.includes('nodes.example.com'),
    );
    expect(rules).toEqual([
      { apiGroups: ['nodes.example.com'], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch'] },
    ]);
  });

  it('serviceMonitor.enabled: a ServiceMonitor scraping the metrics Service', async () => {
    const objs = await helmTemplate({ values: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } } });
    const sm = get(objs, 'ServiceMonitor', NAME) as any;
    const svc = get(objs, 'Service', `${NAME}-metrics`) as any;
    expect(sm.metadata.labels.release).toBe('prom');
    expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    // HTTPS with Prometheus' ServiceAccount token (the operator checks it); the self-signed certificate unverified.
    expect(sm.spec.endpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        interval: '30s',
        scrapeTimeout: '10s',
        scheme: 'https',
        bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
        tlsConfig: { insecureSkipVerify: true },
      },
    ]);
  });

  it('metrics: readers bound to nodebounce-metrics-reader, a cert Secret mounted, or the plain-HTTP opt-out', async () => {
    const objs = await helmTemplate({
      values: {
        metrics: { certSecret: 'metrics-tls', readers: [{ name: 'prometheus-k8s', namespace: 'monitoring' }] },
        serviceMonitor: { enabled: true, tlsConfig: { ca: { secret: { name: 'metrics-tls', key: 'ca.crt' } } } },
      },
    });
    expect((get(objs, 'ClusterRoleBinding', `${NAME}-metrics-reader`) as any).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' },
    ]);
    const pod = (get(objs, 'Deployment', NAME) as any).spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === 'metrics-cert').secret).toEqual({ secretName: 'metrics-tls' });
    expect(configOf(objs).metricsCertPath).toBe(
      pod.containers[0].volumeMounts.find((m: any) => m.name === 'metrics-cert').mountPath,
    );
    expect((get(objs, 'ServiceMonitor', NAME) as any).spec.endpoints[0].tlsConfig).toEqual({
      ca: { secret: { name: 'metrics-tls', key: 'ca.crt' } },
    });

    const plain = await helmTemplate({ values: { metrics: { secure: false }, serviceMonitor: { enabled: true } } });
    expect(configOf(plain).metricsSecure).toBe(false);
    expect(find(plain, 'ClusterRole', `${NAME}-metrics-auth`)).toBeUndefined();
    expect((get(plain, 'ServiceMonitor', NAME) as any).spec.endpoints[0].scheme).toBeUndefined();
  });

  it('delegationPolicy.enabled: the policy of deploy/components/delegation-policy, the release ServiceAccount exempt', async () => {
    expect(find(chart, 'ValidatingAdmissionPolicy')).toBeUndefined();
    const objs = await helmTemplate({
      release: 'nb',
      namespace: 'ops',
      values: {
        delegationPolicy: { enabled: true, exemptServiceAccounts: ['ci/deployer'], exemptGroups: ['platform'] },
      },
    });
    const kustomized = parse(
      readFileSync(join(REPO_ROOT, 'deploy/components/delegation-policy/policy.yaml'), 'utf8').split('\n---\n')[0]!,
    );
    const policy = get(objs, 'ValidatingAdmissionPolicy', 'nb-nodebounce-operator-delegation') as any;
    expect(policy.spec).toEqual(kustomized.spec);
    const binding = get(objs, 'ValidatingAdmissionPolicyBinding', 'nb-nodebounce-operator-delegation') as any;
    expect(binding.spec).toMatchObject({
      policyName: 'nb-nodebounce-operator-delegation',
      validationActions: ['Deny'],
      paramRef: {
        name: 'nb-nodebounce-operator-delegation-exemptions',
        namespace: 'ops',
        parameterNotFoundAction: 'Deny',
      },
    });
    expect((get(objs, 'ConfigMap', 'nb-nodebounce-operator-delegation-exemptions') as any).data).toEqual({
      serviceAccounts: 'ops/nb-nodebounce-operator,ci/deployer',
      users: '',
      groups: 'platform',
    });
    await expect(
      helmTemplate({ values: { delegationPolicy: { exemptServiceAccounts: ['no-slash'] } } }),
    ).rejects.toThrow(HelmError);
  });

  it('notifications: webhook URL from the Secret as env, format in the config; a Secret is required', async () => {
    const objs = await helmTemplate({
      values: { notifications: { enabled: true, format: 'json', existingSecret: 'bounce-webhook', secretKey: 'url' } },
    });
    const c = (get(objs, 'Deployment', NAME) as any).spec.template.spec.containers[0];
    expect(c.env.find((e: any) => e.name === 'NODEBOUNCE_NOTIFY_WEBHOOK_URL').valueFrom).toEqual({
      secretKeyRef: { name: 'bounce-webhook', key: 'url' },
    });
    expect(configOf(objs).notifications).toEqual({ enabled: true, format: 'json' });
    // With the URL the Secret provides (env NODEBOUNCE_NOTIFY_WEBHOOK_URL), the operator accepts it.
    const withUrl = configOf(objs) as any;
    withUrl.notifications.url = 'https://hooks.example.com/bounces';
    expect(operatorConfigSchema.parse(withUrl).notifications).toMatchObject({ enabled: true, format: 'json' });
    const named = await helmTemplate({
      values: { notifications: { enabled: true, existingSecret: 's', clusterName: 'prod-eu' } },
    });
    expect(configOf(named).notifications).toEqual({ enabled: true, format: 'slack', clusterName: 'prod-eu' });
    await expect(helmTemplate({ values: { notifications: { enabled: true } } })).rejects.toThrow(/existingSecret/);
    await expect(helmTemplate({ values: { notifications: { format: 'xml' } } })).rejects.toThrow(/format/);
    const off = (get(chart, 'Deployment', NAME) as any).spec.template.spec.containers[0].env.map((e: any) => e.name);
    expect(off).not.toContain('NODEBOUNCE_NOTIFY_WEBHOOK_URL');
    expect(configOf(chart).notifications).toBeUndefined();
  });

  it('networkPolicy.enabled, leader election off, replicas, resources and image', async () => {
    const objs = await helmTemplate({
      values: {
        networkPolicy: { enabled: true },
        leaderElection: { enabled: false },
        replicaCount: 2,
        image: { repository: 'registry.example.com/nodebounce-operator', tag: '1.2.3' },
        resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } },
      },
    });
    const np = get(objs, 'NetworkPolicy', NAME) as any;
    const dep = get(objs, 'Deployment', NAME) as any;
    expect(dep.spec.template.metadata.labels).toMatchObject(np.spec.podSelector.matchLabels);
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.example.com/nodebounce-operator:1.2.3');
    expect(dep.spec.template.spec.containers[0].resources.limits.memory).toBe('400Mi');
    expect(find(objs, 'Role', `${NAME}-leader-election`)).toBeUndefined();
    expect(operatorConfigSchema.parse(configOf(objs)).leaderElection.enabled).toBe(false);
    expect(wildcards(objs)).toEqual([]);
  });
});

describe('helm chart, grafanaDashboard', () => {
  const dashboard = readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'nodebounce-operator.json'), 'utf8');

  it('enabled: a ConfigMap with the dashboard, labelled for the kube-prometheus-stack Grafana sidecar', async () => {
    const objs = await helmTemplate({ values: { grafanaDashboard: { enabled: true } } });
    const cms = objs.filter((o) => o.kind === 'ConfigMap');
    expect(cms.map((c) => c.metadata.name).sort()).toEqual([`${NAME}-config`, `${NAME}-dashboard`]);
    const cm = get(objs, 'ConfigMap', `${NAME}-dashboard`, 'nodebounce-system') as any;
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm.metadata.labels['app.kubernetes.io/name']).toBe(NAME);
    expect(cm.metadata.annotations).toBeUndefined();
    expect(Object.keys(cm.data)).toEqual(['nodebounce-operator.json']);
    expect(cm.data['nodebounce-operator.json']).toBe(dashboard);
    expect(JSON.parse(cm.data['nodebounce-operator.json']).uid).toBe('nodebounce-operator');
    // The rest of the release is unchanged.
    expect(objs.filter((o) => !(o.kind === 'ConfigMap' && o.metadata.name === `${NAME}-dashboard`))).toEqual(
      (await helmTemplate()).filter((o) => o.kind !== 'CustomResourceDefinition'),
    );
  });

  it('label, value, namespace, extra labels and annotations are configurable', async () => {
    const objs = await helmTemplate({
      values: {
        grafanaDashboard: {
          enabled: true,
          label: 'example.com/dashboard',
          labelValue: 'nodebounce',
          namespace: 'monitoring',
          labels: { team: 'platform' },
          annotations: { grafana_folder: 'NodeBounce' },
        },
      },
    });
    const cm = get(objs, 'ConfigMap', `${NAME}-dashboard`, 'monitoring') as any;
    expect(cm.metadata.labels).toMatchObject({ 'example.com/dashboard': 'nodebounce', team: 'platform' });
    expect(cm.metadata.labels.grafana_dashboard).toBeUndefined();
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'NodeBounce' });
    expect(cm.data['nodebounce-operator.json']).toBe(dashboard);
  });

  it('values.schema.json rejects typos and invalid labels', async () => {
    await expect(helmTemplate({ values: { grafanaDashboard: { enable: true } } })).rejects.toThrow(/enable/);
    await expect(
      helmTemplate({ values: { grafanaDashboard: { enabled: true, label: 'not a label' } } }),
    ).rejects.toThrow(/label/);
    await expect(helmTemplate({ values: { grafanaDashboard: { enabled: true, labelValue: 1 } } })).rejects.toThrow(
      /labelValue/,
    );
    await expect(
      helmTemplate({ values: { grafanaDashboard: { enabled: true, namespace: 'Monitoring' } } }),
    ).rejects.toThrow(/namespace/);
  });

  it('passes helm lint --strict when enabled', async () => {
    expect(await helmLint({ grafanaDashboard: { enabled: true } })).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});
