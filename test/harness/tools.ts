/**
 * Builds the pinned rendering/check tools that the deploy tests use, from the Go module proxy, into a cache
 * directory outside the repository, once; later calls reuse them (same approach as build.ts for the
 * control plane):
 *
 *   kustomize   sigs.k8s.io/kustomize/kustomize/v5     renders deploy/base, deploy/namespaced
 *   helm        helm.sh/helm/v3/cmd/helm               renders deploy/helm/nodebounce-operator
 *   argocd-lua  test/tools/argocd-lua (gopher-lua)     runs deploy/argocd/health.lua as Argo CD does
 *   prometheus  github.com/prometheus/prometheus/cmd/prometheus   the RollingBounce alert gate's test server; built
 *               only on demand (ensureTool('prometheus'), not by ensureTools()): it is by far the largest build
 *
 *   cache: ${NODEBOUNCE_TOOLS_CACHE:-~/.cache/nodebounce-operator/tools}/<tool>-<version>/<tool>
 *
 * NODEBOUNCE_KUSTOMIZE, NODEBOUNCE_HELM, NODEBOUNCE_ARGOCD_LUA: paths of prebuilt binaries to use instead.
 * Usage: `ensureTool('helm')`, or `npm run cluster -- build` (builds the control plane and these tools).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { TOOL_VERSIONS } from './versions.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
/** Sources of the argocd-lua runner (its cache directory is keyed by their hash). */
const ARGOCD_LUA_SRC = join(REPO, 'test', 'tools', 'argocd-lua');

export type ToolName = 'kustomize' | 'helm' | 'argocd-lua' | 'prometheus';
/** The tools ensureTools() builds (prometheus only on demand). */
export const TOOL_NAMES: readonly ToolName[] = ['kustomize', 'helm', 'argocd-lua'];

/** Bump when a build recipe changes (ldflags, ...) so cached tools are rebuilt. */
const TOOLS_RECIPE = 1;

const ENV_OVERRIDE: Record<ToolName, string> = {
  kustomize: 'NODEBOUNCE_KUSTOMIZE',
  helm: 'NODEBOUNCE_HELM',
  'argocd-lua': 'NODEBOUNCE_ARGOCD_LUA',
  prometheus: 'NODEBOUNCE_PROMETHEUS',
};

interface ToolSpec {
  /** Cache directory name: changes whenever what is built changes. */
  key: string;
  /** `go` arguments; `{out}` is replaced by the output path. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function helmLdflags(): string {
  const v = TOOL_VERSIONS.helm;
  // What helm's Makefile sets: its own version, and the Kubernetes version `helm template` assumes by
  // default (client-go v0.34 -> 1.34); the tests pass --kube-version explicitly.
  const minor = TOOL_VERSIONS.helmDefaultKubeMinor;
  return [
    '-s -w',
    `-X helm.sh/helm/v3/internal/version.version=${v}`,
    '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
    '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor}`,
    '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1',
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}`,
  ].join(' ');
}

function argocdLuaHash(): string {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) h.update(readFileSync(join(ARGOCD_LUA_SRC, f)));
  return h.digest('hex').slice(0, 12);
}

function spec(name: ToolName): ToolSpec {
  // go install pkg@version ignores any go.mod around it and verifies modules against the tool's own go.sum
  // and the checksum database. GOFLAGS is cleared so a caller's -mod=... does not interfere.
  const base = { ...process.env, GOFLAGS: '', CGO_ENABLED: '0' };
  switch (name) {
    case 'kustomize':
      return {
        key: `kustomize-${TOOL_VERSIONS.kustomize}-r${TOOLS_RECIPE}`,
        args: [
          'install',
          '-trimpath',
          '-ldflags',
          '-s -w',
          `sigs.k8s.io/kustomize/kustomize/v5@${TOOL_VERSIONS.kustomize}`,
        ],
        cwd: REPO,
        env: base,
      };
    case 'helm':
      return {
        key: `helm-${TOOL_VERSIONS.helm}-r${TOOLS_RECIPE}`,
        args: ['install', '-trimpath', '-ldflags', helmLdflags(), `helm.sh/helm/v3/cmd/helm@${TOOL_VERSIONS.helm}`],
        cwd: REPO,
        env: base,
      };
    case 'prometheus':
      return {
        key: `prometheus-${TOOL_VERSIONS.prometheus}-r${TOOLS_RECIPE}`,
        args: [
          'install',
          '-trimpath',
          '-ldflags',
          '-s -w',
          `github.com/prometheus/prometheus/cmd/prometheus@${TOOL_VERSIONS.prometheus}`,
        ],
        cwd: REPO,
        env: base,
      };
    case 'argocd-lua':
      return {
        key: `argocd-lua-${TOOL_VERSIONS.gopherLua}-${argocdLuaHash()}-r${TOOLS_RECIPE}`,
        // -mod=readonly: go.mod/go.sum in test/tools/argocd-lua are the pins; never rewritten.
        args: ['build', '-trimpath', '-mod=readonly', '-o', '{out}', '.'],
        cwd: ARGOCD_LUA_SRC,
        env: base,
      };
  }
}

export function toolsCacheRoot(): string {
  return (
    process.env.NODEBOUNCE_TOOLS_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nodebounce-operator', 'tools')
  );
}

/** Where the tool is (or would be) cached. */
export function toolPath(name: ToolName): string {
  return join(toolsCacheRoot(), spec(name).key, name);
}

/** The tool's path if it is already built (or provided via its environment variable), without building. */
export function findTool(name: ToolName): string | undefined {
  const provided = process.env[ENV_OVERRIDE[name]];
  if (provided) return provided;
  const p = toolPath(name);
  return existsSync(p) ? p : undefined;
}

export class ToolBuildError extends Error {}

function fmt(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function runGo(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const tail: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      tail.push(...d.split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 40));
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new ToolBuildError(
              'Cannot build the deploy tools (kustomize, helm, argocd-lua): the Go toolchain (`go`, >= 1.24) is not on PATH. ' +
                `Install Go, or point ${Object.values(ENV_OVERRIDE).join(', ')} at prebuilt binaries.`,
            )
          : err,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, tail: tail.join('\n') }));
  });
}

/** Builds the tool if needed (under a cross-process lock) and returns its path. */
export async function ensureTool(
  name: ToolName,
  log: (line: string) => void = (l) => console.log(`[tools] ${l}`),
): Promise<string> {
  const found = findTool(name);
  if (found) return found;
  const s = spec(name);
  const dir = join(toolsCacheRoot(), s.key);
  const out = join(dir, name);
  await fs.mkdir(dir, { recursive: true });
  const release = await lockfile.lock(dir, {
    lockfilePath: join(dir, 'build.lock'),
    stale: 60_000,
    update: 10_000,
    realpath: false,
    retries: { retries: 1000, minTimeout: 1000, maxTimeout: 2000 },
  });
  try {
    if (existsSync(out)) return out;
    const started = Date.now();
    log(`${name}: building ${s.key} (first time only) into ${dir}`);
    const heartbeat = setInterval(() => log(`${name}: still building after ${fmt(Date.now() - started)}`), 15_000);
    const tmp = join(dir, `tmp-${process.pid}`);
    await fs.mkdir(tmp, { recursive: true });
    let res: { code: number; tail: string };
    try {
      const args = s.args.map((a) => (a === '{out}' ? join(tmp, name) : a));
      res = await runGo(args, s.cwd, { ...s.env, GOBIN: tmp });
    } finally {
      clearInterval(heartbeat);
    }
    if (res.code !== 0) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw new ToolBuildError(
        `building ${name} failed (go exit ${res.code}; needs the Go module proxy):\n${res.tail}`,
      );
    }
    await fs.rename(join(tmp, name), out);
    await fs.rm(tmp, { recursive: true, force: true });
    const took = Date.now() - started;
    await fs.writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ tool: name, key: s.key, builtAt: new Date().toISOString(), buildMs: took }, null, 2) + '\n',
    );
    log(`${name}: built in ${fmt(took)}`);
    return out;
  } finally {
    await release().catch(() => undefined);
  }
}

/** Builds every tool that is missing; returns their paths. */
export async function ensureTools(log?: (line: string) => void): Promise<Record<ToolName, string>> {
  const paths = {} as Record<ToolName, string>;
  for (const name of TOOL_NAMES) paths[name] = await ensureTool(name, log);
  return paths;
}
