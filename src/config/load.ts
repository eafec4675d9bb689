import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { operatorConfigSchema, type OperatorConfig } from './schema.js';

/** A bad configuration; the message names every bad key. Startup stops on it. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Command-line flags (kubebuilder's names), each mapped to one config key; they win over the environment and the
 * file. `--flag=value` or `--flag value`; a boolean flag alone means true.
 */
const FLAGS: Record<string, { path: string[]; type: 'string' | 'bool' }> = {
  '--metrics-bind-address': { path: ['metricsBindAddress'], type: 'string' },
  '--health-probe-bind-address': { path: ['healthProbeBindAddress'], type: 'string' },
  '--metrics-secure': { path: ['metricsSecure'], type: 'bool' },
  '--metrics-cert-path': { path: ['metricsCertPath'], type: 'string' },
  '--metrics-cert-name': { path: ['metricsCertName'], type: 'string' },
  '--metrics-cert-key': { path: ['metricsCertKey'], type: 'string' },
};

function parseFlags(argv: string[]): Array<{ flag: string; path: string[]; value: unknown }> {
  const out: Array<{ flag: string; path: string[]; value: unknown }> = [];
  const bad: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[flag];
    if (!spec) {
      bad.push(`${flag}: unknown flag (known: ${Object.keys(FLAGS).join(', ')})`);
      continue;
    }
    let raw = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (raw === undefined && spec.type === 'string') {
      raw = argv[++i];
      if (raw === undefined) {
        bad.push(`${flag}: needs a value`);
        continue;
      }
    }
    out.push({ flag, path: spec.path, value: spec.type === 'bool' ? convert(flag, raw ?? 'true', 'bool') : raw });
  }
  if (bad.length) throw new ConfigError(`invalid command line:\n  - ${bad.join('\n  - ')}`, bad);
  return out;
}

// Environment variables that override the YAML file, each mapped to one config key.
const ENV_KEYS: Record<string, { path: string[]; type: 'string' | 'list' | 'int' | 'bool' }> = {
  NODEBOUNCE_WATCH_NAMESPACES: { path: ['watchNamespaces'], type: 'list' },
  NODEBOUNCE_POD_LABEL_SELECTOR: { path: ['podLabelSelector'], type: 'string' },
  NODEBOUNCE_MAX_CONCURRENT_RECONCILES: { path: ['maxConcurrentReconciles'], type: 'int' },
  NODEBOUNCE_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  NODEBOUNCE_METRICS_PORT: { path: ['metricsPort'], type: 'int' },
  NODEBOUNCE_HEALTH_PORT: { path: ['healthPort'], type: 'int' },
  NODEBOUNCE_METRICS_BIND_ADDRESS: { path: ['metricsBindAddress'], type: 'string' },
  NODEBOUNCE_HEALTH_PROBE_BIND_ADDRESS: { path: ['healthProbeBindAddress'], type: 'string' },
  NODEBOUNCE_METRICS_SECURE: { path: ['metricsSecure'], type: 'bool' },
  NODEBOUNCE_METRICS_CERT_PATH: { path: ['metricsCertPath'], type: 'string' },
  NODEBOUNCE_LEADER_ELECT: { path: ['leaderElection', 'enabled'], type: 'bool' },
  NODEBOUNCE_LEADER_ELECTION_NAMESPACE: { path: ['leaderElection', 'namespace'], type: 'string' },
  NODEBOUNCE_EXPRESS_GROUP: { path: ['express', 'group'], type: 'string' },
  NODEBOUNCE_EXPRESS_VERSION: { path: ['express', 'version'], type: 'string' },
  NODEBOUNCE_EXPRESS_KIND: { path: ['express', 'kind'], type: 'string' },
  NODEBOUNCE_EXPRESS_PLURAL: { path: ['express', 'plural'], type: 'string' },
  NODEBOUNCE_EXPRESS_POD_LABEL: { path: ['express', 'podLabel'], type: 'string' },
  NODEBOUNCE_ARGOCD_TRACKING_METHOD: { path: ['argocd', 'trackingMethod'], type: 'string' },
  NODEBOUNCE_ARGOCD_INSTANCE_LABEL_KEY: { path: ['argocd', 'instanceLabelKey'], type: 'string' },
  NODEBOUNCE_PROTECTION_RESTORE_MAX_ATTEMPTS: { path: ['protectionRestore', 'maxAttempts'], type: 'int' },
  NODEBOUNCE_PROTECTION_RESTORE_MAX_DURATION_SECONDS: {
    path: ['protectionRestore', 'maxDurationSeconds'],
    type: 'int',
  },
  // A secret: mount it from a Secret. Never logged (the config holds it as a Secret).
  NODEBOUNCE_DISRUPTION_BUDGET_PER_NAMESPACE: { path: ['disruptionBudget', 'maxPerNamespace'], type: 'int' },
  NODEBOUNCE_DISRUPTION_BUDGET_CLUSTER: { path: ['disruptionBudget', 'maxInCluster'], type: 'int' },
  NODEBOUNCE_NOTIFY_WEBHOOK_URL: { path: ['notifications', 'url'], type: 'string' },
  NODEBOUNCE_NOTIFY_ENABLED: { path: ['notifications', 'enabled'], type: 'bool' },
  NODEBOUNCE_NOTIFY_FORMAT: { path: ['notifications', 'format'], type: 'string' },
  NODEBOUNCE_NOTIFY_CLUSTER_NAME: { path: ['notifications', 'clusterName'], type: 'string' },
};

function convert(name: string, raw: string, type: 'string' | 'list' | 'int' | 'bool'): unknown {
  switch (type) {
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'int':
      // Left as the raw string when not a number, so zod reports the key with a clear message.
      return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw.trim())) return true;
      if (/^(false|0|no)$/i.test(raw.trim())) return false;
      return `${name}=${raw}`;
  }
}

/** Sets a nested key; a non-mapping already in the way is left alone so validation reports it. */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) return;
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function formatIssues(err: ZodError, envSources: Map<string, string>): string[] {
  return err.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const fromEnv = [...envSources].find(([k]) => key === k || key.startsWith(`${k}.`))?.[1];
    const where = fromEnv ? `${key} (from ${fromEnv})` : key;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (issue.path.length ? `${key}.${k}` : k));
      return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
    }
    return `${where}: ${issue.message}`;
  });
}

/**
 * Builds the operator config from an optional YAML file (NODEBOUNCE_CONFIG or the explicit path) and
 * NODEBOUNCE_* environment variables (which win), then command-line flags (which win over both). Throws ConfigError
 * naming every bad key.
 */
export function loadConfig(
  env: Env = process.env,
  filePath = env.NODEBOUNCE_CONFIG,
  argv: string[] = [],
): OperatorConfig {
  const flags = parseFlags(argv);
  let raw: Record<string, unknown> = {};
  if (filePath) {
    let text: string;
    try {
      text = readFileSync(filePath, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${filePath}: ${(e as Error).message}`, [filePath]);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`config file ${filePath} is not valid YAML: ${(e as Error).message}`, [filePath]);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new ConfigError(`config file ${filePath} must hold a YAML mapping`, [filePath]);
      }
      raw = doc as Record<string, unknown>;
    }
  }
  const envSources = new Map<string, string>();
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, spec.path, convert(name, value, spec.type));
    envSources.set(spec.path.join('.'), name);
  }
  for (const { flag, path, value } of flags) {
    setPath(raw, path, value);
    envSources.set(path.join('.'), flag);
  }
  const result = operatorConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = formatIssues(result.error, envSources);
    const source = filePath ? ` (file ${filePath} and NODEBOUNCE_* environment)` : '';
    throw new ConfigError(`invalid operator configuration${source}:\n  - ${issues.join('\n  - ')}`, issues);
  }
  return result.data;
}
