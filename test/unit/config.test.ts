import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { defaultExpressConfig, defaultOperatorConfig } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'nodebounce-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const p = join(dir, `config-${n++}.yaml`);
  writeFileSync(p, text);
  return p;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('the Express defaults match the sample ExpressNode CRD', () => {
    expect(defaultExpressConfig).toEqual({
      group: 'express.dev',
      version: 'v1alpha1',
      kind: 'ExpressNode',
      plural: 'expressnodes',
      podLabel: 'express.dev/node',
      desiredState: { path: 'spec.state', downValues: ['down', 'stopped'] },
      runtimeState: {
        path: 'status.state',
        rebuildingValues: ['rebuilding'],
        catchupValues: ['catchup', 'efficient-catchup'],
      },
      shutdownProtection: { path: 'spec.shutdownProtection' },
    });
  });

  it('the operator defaults', () => {
    expect(defaultOperatorConfig).toEqual({
      watchNamespaces: [],
      express: defaultExpressConfig,
      maxConcurrentReconciles: 64,
      logLevel: 'info',
      metricsBindAddress: '127.0.0.1:8443',
      healthProbeBindAddress: '127.0.0.1:8081',
      metricsSecure: true,
      metricsCertName: 'tls.crt',
      metricsCertKey: 'tls.key',
      metricsAuthCacheSeconds: 30,
      metricsAuthCacheSize: 1024,
      leaderElection: {
        enabled: false,
        leaseName: 'nodebounce-operator',
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      },
      notifications: {
        enabled: false,
        format: 'slack',
        timeoutMs: 5000,
        maxRetries: 5,
        minBackoffMs: 500,
        maxBackoffMs: 30_000,
        queueSize: 100,
        drainTimeoutMs: 3000,
      },
      api: {
        requestTimeoutSeconds: 10,
        listTimeoutSeconds: 60,
        watchTimeoutMinSeconds: 300,
        watchTimeoutMaxSeconds: 600,
        watchIdleTimeoutSeconds: 90,
        reconcileStuckSeconds: 120,
      },
      argocd: { trackingMethod: 'annotation', instanceLabelKey: 'app.kubernetes.io/instance' },
      protectionRestore: { maxAttempts: 10, maxDurationSeconds: 900 },
      prometheus: { endpoints: {} },
      disruptionBudget: {},
    });
  });

  it('api: a watch timeout range whose minimum exceeds its maximum is refused, naming the key', () => {
    expect(() => loadConfig({}, file('api:\n  watchTimeoutMinSeconds: 700\n'))).toThrow(/api\.watchTimeoutMinSeconds/);
  });

  it('no file and no env gives the defaults', () => {
    expect(loadConfig({})).toEqual(defaultOperatorConfig);
  });

  it('an empty YAML file gives the defaults', () => {
    expect(loadConfig({}, file(''))).toEqual(defaultOperatorConfig);
    expect(loadConfig({}, file('# only a comment\n'))).toEqual(defaultOperatorConfig);
  });
});

describe('YAML file and environment', () => {
  const yaml = `
watchNamespaces: [team-a, team-b]
logLevel: debug
metricsPort: 9090
express:
  kind: CacheNode
  plural: cachenodes
  desiredState:
    downValues: [off]
leaderElection:
  enabled: true
  namespace: ops
`;

  it('reads the file and keeps the defaults for everything else', () => {
    const c = loadConfig({}, file(yaml));
    expect(c.watchNamespaces).toEqual(['team-a', 'team-b']);
    expect(c.logLevel).toBe('debug');
    expect(c.metricsPort).toBe(9090);
    expect(c.healthPort).toBeUndefined();
    expect(c.healthProbeBindAddress).toBe('127.0.0.1:8081');
    expect(c.express).toEqual({
      ...defaultExpressConfig,
      kind: 'CacheNode',
      plural: 'cachenodes',
      desiredState: { path: 'spec.state', downValues: ['off'] },
    });
    expect(c.leaderElection).toMatchObject({ enabled: true, namespace: 'ops', leaseName: 'nodebounce-operator' });
  });

  it('the file path may come from NODEBOUNCE_CONFIG', () => {
    expect(loadConfig({ NODEBOUNCE_CONFIG: file('logLevel: warn\n') }).logLevel).toBe('warn');
  });

  it('argocd: tracking method and instance label key are validated', () => {
    expect(
      loadConfig({}, file('argocd:\n  trackingMethod: label\n  instanceLabelKey: argocd.argoproj.io/instance\n'))
        .argocd,
    ).toEqual({
      trackingMethod: 'label',
      instanceLabelKey: 'argocd.argoproj.io/instance',
    });
    expect(() => loadConfig({ NODEBOUNCE_ARGOCD_TRACKING_METHOD: 'labels' })).toThrow(
      /argocd\.trackingMethod \(from NODEBOUNCE_ARGOCD_TRACKING_METHOD\)/,
    );
  });

  it('podLabelSelector: unset by default, from the file or NODEBOUNCE_POD_LABEL_SELECTOR, never empty', () => {
    expect(loadConfig({}).podLabelSelector).toBeUndefined();
    expect(loadConfig({}, file('podLabelSelector: "express.dev/node"\n')).podLabelSelector).toBe('express.dev/node');
    expect(
      loadConfig({ NODEBOUNCE_POD_LABEL_SELECTOR: ' app in (express) ' }, file('podLabelSelector: a=b\n'))
        .podLabelSelector,
    ).toBe('app in (express)');
    expect(() => loadConfig({}, file('podLabelSelector: ""\n'))).toThrow(/podLabelSelector/);
  });

  it('podLabelSelector the API server would refuse stops start-up naming the key and the requirement', () => {
    expect(() => loadConfig({ NODEBOUNCE_POD_LABEL_SELECTOR: 'app in (a,-b)' })).toThrow(
      /podLabelSelector \(from NODEBOUNCE_POD_LABEL_SELECTOR\).*"app in \(a,-b\)": value "-b"/s,
    );
    expect(() => loadConfig({}, file('podLabelSelector: "app=express,,tier=x"\n'))).toThrow(/podLabelSelector.*empty/s);
  });

  it('environment variables override the file, key by key', () => {
    const c = loadConfig(
      {
        NODEBOUNCE_WATCH_NAMESPACES: ' ns-1, ns-2 ,,',
        NODEBOUNCE_MAX_CONCURRENT_RECONCILES: '4',
        NODEBOUNCE_LOG_LEVEL: 'error',
        NODEBOUNCE_METRICS_PORT: ' 9191 ',
        NODEBOUNCE_HEALTH_PORT: '0',
        NODEBOUNCE_LEADER_ELECT: 'no',
        NODEBOUNCE_LEADER_ELECTION_NAMESPACE: 'ops-2',
        NODEBOUNCE_EXPRESS_GROUP: 'cache.example.com',
        NODEBOUNCE_EXPRESS_VERSION: 'v2',
        NODEBOUNCE_EXPRESS_KIND: 'Cache',
        NODEBOUNCE_EXPRESS_PLURAL: 'caches',
        NODEBOUNCE_EXPRESS_POD_LABEL: 'cache.example.com/name',
        NODEBOUNCE_ARGOCD_TRACKING_METHOD: 'label',
        NODEBOUNCE_PROTECTION_RESTORE_MAX_ATTEMPTS: '3',
      },
      file(yaml),
    );
    expect(c).toEqual({
      watchNamespaces: ['ns-1', 'ns-2'],
      maxConcurrentReconciles: 4,
      logLevel: 'error',
      metricsPort: 9191,
      healthPort: 0,
      metricsBindAddress: '127.0.0.1:8443',
      healthProbeBindAddress: '127.0.0.1:8081',
      metricsSecure: true,
      metricsCertName: 'tls.crt',
      metricsCertKey: 'tls.key',
      metricsAuthCacheSeconds: 30,
      metricsAuthCacheSize: 1024,
      leaderElection: {
        enabled: false,
        namespace: 'ops-2',
        leaseName: 'nodebounce-operator',
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      },
      notifications: defaultOperatorConfig.notifications,
      api: defaultOperatorConfig.api,
      argocd: { trackingMethod: 'label', instanceLabelKey: 'app.kubernetes.io/instance' },
      protectionRestore: { maxAttempts: 3, maxDurationSeconds: 900 },
      prometheus: { endpoints: {} },
      disruptionBudget: {},
      express: {
        ...defaultExpressConfig,
        group: 'cache.example.com',
        version: 'v2',
        kind: 'Cache',
        plural: 'caches',
        podLabel: 'cache.example.com/name',
        // nested values from the file survive an env override of a sibling key
        desiredState: { path: 'spec.state', downValues: ['off'] },
      },
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['No', false],
  ])('NODEBOUNCE_LEADER_ELECT=%s -> %s', (raw, expected) => {
    expect(loadConfig({ NODEBOUNCE_LEADER_ELECT: raw }).leaderElection.enabled).toBe(expected);
  });

  it('an empty env var is ignored', () => {
    expect(
      loadConfig({ NODEBOUNCE_LOG_LEVEL: '', NODEBOUNCE_METRICS_PORT: '' }, file('metricsPort: 1234\n')),
    ).toMatchObject({ logLevel: 'info', metricsPort: 1234 });
  });
});

describe('bad configuration: ConfigError names each bad key', () => {
  const cases: Array<[string, string | undefined, Record<string, string>, string[]]> = [
    ['unknown top-level key', 'metricPort: 9090\n', {}, ['metricPort: unknown key']],
    ['two unknown top-level keys', 'foo: 1\nbar: 2\n', {}, ['foo, bar: unknown keys']],
    ['unknown nested key', 'express:\n  knd: X\n', {}, ['express.knd: unknown key']],
    [
      'unknown deeply nested key',
      'express:\n  desiredState:\n    values: [x]\n',
      {},
      ['express.desiredState.values: unknown key'],
    ],
    ['wrong type', 'metricsPort: "9090"\n', {}, ['metricsPort: Expected number, received string']],
    [
      'wrong type nested',
      'leaderElection:\n  enabled: "yes"\n',
      {},
      ['leaderElection.enabled: Expected boolean, received string'],
    ],
    ['port out of range', 'healthPort: 70000\n', {}, ['healthPort:']],
    ['bad enum', 'logLevel: verbose\n', {}, ['logLevel:']],
    ['bad namespace', 'watchNamespaces: [Team_A]\n', {}, ['watchNamespaces.0: must be a DNS label']],
    [
      'bad field path',
      'express:\n  desiredState:\n    path: "spec..state"\n',
      {},
      ['express.desiredState.path: must be a dot-separated field path such as spec.state'],
    ],
    ['empty down values', 'express:\n  desiredState:\n    downValues: []\n', {}, ['express.desiredState.downValues:']],
    ['bad kind', 'express:\n  kind: expressNode\n', {}, ['express.kind: must be a CamelCase kind']],
    [
      'bad env int',
      undefined,
      { NODEBOUNCE_METRICS_PORT: 'eighty' },
      ['metricsPort (from NODEBOUNCE_METRICS_PORT): Expected number, received string'],
    ],
    [
      'fractional env int',
      undefined,
      { NODEBOUNCE_MAX_CONCURRENT_RECONCILES: '2.5' },
      ['maxConcurrentReconciles (from NODEBOUNCE_MAX_CONCURRENT_RECONCILES): Expected number, received string'],
    ],
    [
      'env int out of range',
      undefined,
      { NODEBOUNCE_MAX_CONCURRENT_RECONCILES: '0' },
      ['maxConcurrentReconciles (from NODEBOUNCE_MAX_CONCURRENT_RECONCILES):'],
    ],
    [
      'bad env bool',
      undefined,
      { NODEBOUNCE_LEADER_ELECT: 'maybe' },
      ['leaderElection.enabled (from NODEBOUNCE_LEADER_ELECT): Expected boolean, received string'],
    ],
    ['bad env enum', undefined, { NODEBOUNCE_LOG_LEVEL: 'loud' }, ['logLevel (from NODEBOUNCE_LOG_LEVEL):']],
    [
      'bad env label key',
      undefined,
      { NODEBOUNCE_EXPRESS_POD_LABEL: 'bad key!' },
      ['express.podLabel (from NODEBOUNCE_EXPRESS_POD_LABEL): must be a label key'],
    ],
    [
      'disruption budget of zero and a fraction',
      'disruptionBudget:\n  maxPerNamespace: 0\n  maxInCluster: 2.5\n',
      {},
      ['disruptionBudget.maxPerNamespace: Number must be greater than or equal to 1', 'disruptionBudget.maxInCluster:'],
    ],
    [
      'disruption budget unknown key',
      'disruptionBudget:\n  perNamespace: 1\n',
      {},
      ['disruptionBudget.perNamespace: unknown key'],
    ],
    [
      'bad env disruption budget',
      undefined,
      { NODEBOUNCE_DISRUPTION_BUDGET_CLUSTER: '-1' },
      ['disruptionBudget.maxInCluster (from NODEBOUNCE_DISRUPTION_BUDGET_CLUSTER):'],
    ],
    [
      'file and env problems together',
      'foo: 1\nhealthPort: "x"\nexpress:\n  plural: Expressnodes\n',
      { NODEBOUNCE_METRICS_PORT: 'abc' },
      [
        'foo: unknown key',
        'healthPort: Expected number',
        'express.plural: must be a DNS label',
        'metricsPort (from NODEBOUNCE_METRICS_PORT)',
      ],
    ],
  ];
  it.each(cases)('%s', (_, yaml, env, expected) => {
    const path = yaml === undefined ? undefined : file(yaml);
    const err = configError(() => loadConfig(env, path));
    expect(err.name).toBe('ConfigError');
    expect(err.message).toMatch(/^invalid operator configuration/);
    if (path) expect(err.message).toContain(path);
    for (const e of expected) {
      expect(err.message).toContain(e);
      expect(err.issues.some((i) => i.includes(e))).toBe(true);
    }
    expect(err.issues).toHaveLength(expected.length);
  });

  it('a missing file', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    const err = configError(() => loadConfig({}, missing));
    expect(err.message).toContain(`cannot read config file ${missing}`);
    expect(err.issues).toEqual([missing]);
  });

  it('a file that is not YAML', () => {
    const p = file('a: [1, 2\n');
    expect(configError(() => loadConfig({}, p)).message).toContain(`config file ${p} is not valid YAML`);
  });

  it.each([['- a\n- b\n'], ['just a string\n'], ['42\n']])('a file that is not a mapping: %j', (text) => {
    const p = file(text);
    expect(configError(() => loadConfig({}, p)).message).toBe(`config file ${p} must hold a YAML mapping`);
  });
});
