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

// Environment variables that override the YAML file, each mapped to one config key.
const ENV_KEYS: Record<string, { path: string[]; type: 'string' | 'list' | 'int' | 'bool' }> = {
  NODEBOUNCE_WATCH_NAMESPACES: { path: ['watchNamespaces'], type: 'list' },
  NODEBOUNCE_POD_LABEL_SELECTOR: { path: ['podLabelSelector'], type: 'string' },
  NODEBOUNCE_MAX_CONCURRENT_RECONCILES: { path: ['maxConcurrentReconciles'], type: 'int' },
  NODEBOUNCE_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  NODEBOUNCE_METRICS_PORT: { path: ['metricsPort'], type: 'int' },
  NODEBOUNCE_HEALTH_PORT: { path: ['healthPort'], type: 'int' },
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
 * NODEBOUNCE_* environment variables (which win). Throws ConfigError naming every bad key.
 */
export function loadConfig(env: Env = process.env, filePath = env.NODEBOUNCE_CONFIG): OperatorConfig {
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
  const result = operatorConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = formatIssues(result.error, envSources);
    const source = filePath ? ` (file ${filePath} and NODEBOUNCE_* environment)` : '';
    throw new ConfigError(`invalid operator configuration${source}:\n  - ${issues.join('\n  - ')}`, issues);
  }
  return result.data;
}
