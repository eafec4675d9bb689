/**
 * Renders deploy/ with the real tools (kustomize, helm; built by tools.ts) and helpers to inspect the result.
 * Used by the deploy unit tests and by the integration suite, which runs the operator under the rendered RBAC.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './controlplane.js';
import { ensureTool } from './tools.js';
import { TOOL_VERSIONS } from './versions.js';

const exec = promisify(execFile);

export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const CHART_DIR = join(DEPLOY_DIR, 'helm', 'nodebounce-operator');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => {
      if (d.errors.length) throw new Error(`invalid YAML: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && typeof o.kind === 'string');
}

/** `kustomize build <dir>` (dir relative to the repository, or absolute). */
export async function kustomizeBuild(dir: string): Promise<K8sObject[]> {
  const kustomize = await ensureTool('kustomize');
  const { stdout } = await exec(kustomize, ['build', dir.startsWith('/') ? dir : join(REPO_ROOT, dir)], {
    maxBuffer: 32 * 1024 * 1024,
  });
  return parseObjects(stdout);
}

/** Builds a throw-away overlay (a kustomization.yaml with these contents, paths relative to the repo root). */
export async function kustomizeOverlay(kustomization: {
  resources?: string[];
  components?: string[];
}): Promise<K8sObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-overlay-'));
  try {
    // kustomize accepts only relative paths to other kustomizations.
    const rel = (p: string) => relative(dir, join(REPO_ROOT, p));
    const doc = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: (kustomization.resources ?? []).map(rel),
      components: (kustomization.components ?? []).map(rel),
    };
    writeFileSync(join(dir, 'kustomization.yaml'), JSON.stringify(doc));
    return await kustomizeBuild(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface HelmTemplateOptions {
  release?: string;
  namespace?: string;
  /** --set-json style values, merged over values.yaml. */
  values?: Record<string, unknown>;
  includeCrds?: boolean;
  /** --kube-version (default TOOL_VERSIONS.helmKubeVersion: the control plane's Kubernetes version). */
  kubeVersion?: string;
}

export class HelmError extends Error {}

/** `helm template` of the chart; rejects with HelmError (stderr) when the chart fails. */
export async function helmTemplate(opts: HelmTemplateOptions = {}): Promise<K8sObject[]> {
  const helm = await ensureTool('helm');
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-helm-'));
  try {
    const valuesFile = join(dir, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(opts.values ?? {}));
    const args = [
      'template',
      opts.release ?? 'nodebounce-operator',
      CHART_DIR,
      '--namespace',
      opts.namespace ?? 'nodebounce-system',
      '--kube-version',
      opts.kubeVersion ?? TOOL_VERSIONS.helmKubeVersion,
      '--values',
      valuesFile,
      ...(opts.includeCrds ? ['--include-crds'] : []),
    ];
    try {
      const { stdout } = await exec(helm, args, { maxBuffer: 32 * 1024 * 1024, env: helmEnv(dir) });
      return parseObjects(stdout);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new HelmError(e.stderr?.trim() || e.message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm lint --strict`; returns its output. */
export async function helmLint(values: Record<string, unknown> = {}): Promise<string> {
  const helm = await ensureTool('helm');
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-helm-'));
  try {
    const valuesFile = join(dir, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const { stdout } = await exec(helm, ['lint', '--strict', CHART_DIR, '--values', valuesFile], { env: helmEnv(dir) });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keeps helm away from the user's own helm config, cache and repositories. */
function helmEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    HELM_CACHE_HOME: join(dir, 'cache'),
    HELM_CONFIG_HOME: join(dir, 'config'),
    HELM_DATA_HOME: join(dir, 'data'),
  };
}

export function find(objs: K8sObject[], kind: string, name?: string, namespace?: string): K8sObject | undefined {
  return objs.find(
    (o) =>
      o.kind === kind &&
      (name === undefined || o.metadata.name === name) &&
      (namespace === undefined || o.metadata.namespace === namespace),
  );
}

export function get(objs: K8sObject[], kind: string, name?: string, namespace?: string): K8sObject {
  const o = find(objs, kind, name, namespace);
  if (!o)
    throw new Error(
      `no ${kind}${name ? ` ${name}` : ''}${namespace ? ` in ${namespace}` : ''} among: ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`,
    );
  return o;
}

/** Rules in a canonical form (sorted lists, sorted rules), so two renderings compare as sets. */
export function normalizeRules(rules: PolicyRule[] | undefined): PolicyRule[] {
  return (rules ?? [])
    .map((r) => {
      const out: PolicyRule = { verbs: [...r.verbs].sort() };
      for (const k of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const) {
        if (r[k]?.length) out[k] = [...r[k]].sort();
      }
      return out;
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** The operator's RBAC objects of a rendering (what installOperatorIdentity applies). */
export function rbacObjects(objs: K8sObject[]): K8sObject[] {
  const kinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  return objs.filter((o) => kinds.has(o.kind));
}

/** Every wildcard (`*`) in verbs, resources, apiGroups of any Role/ClusterRole. */
export function wildcards(objs: K8sObject[]): string[] {
  const found: string[] = [];
  for (const o of objs) {
    if (o.kind !== 'Role' && o.kind !== 'ClusterRole') continue;
    for (const r of (o.rules as PolicyRule[] | undefined) ?? []) {
      for (const k of ['verbs', 'resources', 'apiGroups', 'nonResourceURLs'] as const) {
        if (r[k]?.some((v) => v.includes('*')))
          found.push(`${o.kind}/${o.metadata.name}: ${k} ${JSON.stringify(r[k])}`);
      }
    }
  }
  return found;
}
