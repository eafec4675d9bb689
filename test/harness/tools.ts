/**
 * Builds the pinned rendering/check tools that the deploy tests use, from the Go module proxy, into a cache
 * directory outside the repository, once; later calls reuse them (same approach as build.ts for the
 * control plane):
 *
 *   kustomize   sigs.k8s.io/kustomize/kustomize/v5     renders deploy/base, deploy/namespaced
 *   helm        helm.sh/helm/v3/cmd/helm               renders deploy/helm/nodebounce-operator
 *   prometheus  github.com/prometheus/prometheus/cmd/prometheus   the RollingBounce alert gate's and the dashboard's
 *               test server, built with -tags remove_all_sd (static scrape configs only; no cloud SDKs); built
 *               only on demand (ensureTool('prometheus'), not by ensureTools())
 *   argocd      github.com/argoproj/argo-cd/v3/cmd (Argo CD itself): one binary that is the CLI, the
 *               application-controller, the repo-server and the API server by the name it is started under
 *               (argv[0], or ARGOCD_BINARY_NAME as test/harness/argocd.ts sets it). Built on demand (ensureTool('argocd')) from a wrapper
 *               module generated here: it requires argo-cd at TOOL_VERSIONS.argocd and repeats the replace directives
 *               of argo-cd's go.mod (read from the module cache after `go mod download`), with
 *               GOTOOLCHAIN=TOOL_VERSIONS.argocdGoToolchain. Cold: ~10-25 min on 2 shared cores.
 *
 *   cache: ${NODEBOUNCE_TOOLS_CACHE:-~/.cache/nodebounce-operator/tools}/<tool>-<version>/<tool>
 *
 * NODEBOUNCE_KUSTOMIZE, NODEBOUNCE_HELM, NODEBOUNCE_PROMETHEUS, NODEBOUNCE_ARGOCD: paths of
 * prebuilt binaries to use instead.
 * Usage: `ensureTool('helm')`, or `npm run cluster -- build` (builds the control plane and these tools).
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { ldflags, parseGoMod, wrapperGoModFor } from './gomod.js';
import { TOOL_VERSIONS } from './versions.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');

export type ToolName = 'kustomize' | 'helm' | 'prometheus' | 'argocd';
/** The tools ensureTools() builds (prometheus and argocd only on demand). */
export const TOOL_NAMES: readonly ToolName[] = ['kustomize', 'helm'];

/** Bump when a build recipe changes (ldflags, ...) so cached tools are rebuilt. */
const TOOLS_RECIPE = 1;

const ENV_OVERRIDE: Record<ToolName, string> = {
  kustomize: 'NODEBOUNCE_KUSTOMIZE',
  helm: 'NODEBOUNCE_HELM',
  prometheus: 'NODEBOUNCE_PROMETHEUS',
  argocd: 'NODEBOUNCE_ARGOCD',
};
const ARGOCD_MODULE = 'github.com/argoproj/argo-cd/v3';
/** Build tags of the Prometheus binary: no service discovery but file_sd and http_sd (see spec('prometheus')). */
export const PROMETHEUS_BUILD_TAGS = 'remove_all_sd';

interface ToolSpec {
  /** Cache directory name: changes whenever what is built changes. */
  key: string;
  /** `go` arguments; `{out}` is replaced by the output path. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Runs before `go` (in the cache directory, under the lock): e.g. writes a wrapper module into `cwd`. */
  prepare?: (dir: string) => Promise<void>;
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
        // `nosd`: built with -tags remove_all_sd, Prometheus's own switch (the //go:build lines of its plugins/
        // directory) that leaves out every service-discovery plugin except file and http; our tests scrape
        // static_configs only (test/harness/prometheus.ts). The plugins' SDKs (EC2, OCI, OpenStack, Envoy xDS,
        // k8s.io/api, ...: 1,517 -> 1,043 packages) were the biggest part of the build.
        key: `prometheus-${TOOL_VERSIONS.prometheus}-nosd-r${TOOLS_RECIPE}`,
        args: [
          'install',
          '-trimpath',
          '-tags',
          PROMETHEUS_BUILD_TAGS,
          '-ldflags',
          '-s -w',
          `github.com/prometheus/prometheus/cmd/prometheus@${TOOL_VERSIONS.prometheus}`,
        ],
        cwd: REPO,
        env: base,
      };
    case 'argocd': {
      const key = `argocd-${TOOL_VERSIONS.argocd}-${TOOL_VERSIONS.argocdGoToolchain}-r${TOOLS_RECIPE}`;
      const cwd = join(toolsCacheRoot(), key, 'src');
      // -mod=mod: the wrapper lists only argo-cd and its replaces; Go resolves the rest by minimal version selection
      // (verified against the pinned go.sum, when there is one, and the checksum database).
      const env = {
        ...base,
        GOTOOLCHAIN: TOOL_VERSIONS.argocdGoToolchain,
        GOFLAGS: '-mod=mod -buildvcs=false',
      };
      const common = `${ARGOCD_MODULE}/common`;
      return {
        key,
        args: [
          'build',
          '-trimpath',
          '-ldflags',
          // What argo-cd's Makefile sets, so `argocd version` reports the release.
          ldflags({
            [`${common}.version`]: TOOL_VERSIONS.argocd.replace(/^v/, ''),
            [`${common}.gitTag`]: TOOL_VERSIONS.argocd,
            [`${common}.gitTreeState`]: 'clean',
          }),
          '-o',
          '{out}',
          `${ARGOCD_MODULE}/cmd`,
        ],
        cwd,
        env,
        prepare: async () => {
          await fs.mkdir(cwd, { recursive: true });
          const res = await runGoCapture(
            ['mod', 'download', '-json', `${ARGOCD_MODULE}@${TOOL_VERSIONS.argocd}`],
            cwd,
            env,
          );
          let goModPath: string | undefined;
          try {
            goModPath = (JSON.parse(res.stdout) as { GoMod?: string }).GoMod;
          } catch {
            /* reported below */
          }
          if (res.code !== 0 || !goModPath) {
            throw new ToolBuildError(
              `go mod download ${ARGOCD_MODULE}@${TOOL_VERSIONS.argocd} failed (needs the Go module proxy, which also ` +
                `serves the ${TOOL_VERSIONS.argocdGoToolchain} toolchain):\n${res.stdout}\n${res.tail}`,
            );
          }
          const goMod = wrapperGoModFor({
            wrapperModule: 'nodebounce.local/tools/argocd',
            dep: ARGOCD_MODULE,
            version: TOOL_VERSIONS.argocd,
            depGoMod: parseGoMod(readFileSync(goModPath, 'utf8')),
            repeatModuleReplaces: true,
          });
          await fs.writeFile(join(cwd, 'go.mod'), goMod);
          const pinnedSum = join(HERE, 'go', 'argocd', 'go.sum');
          if (existsSync(pinnedSum)) await fs.copyFile(pinnedSum, join(cwd, 'go.sum'));
          else await fs.rm(join(cwd, 'go.sum'), { force: true });
        },
      };
    }
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
  return runGoCapture(args, cwd, env);
}

function runGoCapture(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; tail: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      tail.push(...d.split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 40));
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new ToolBuildError(
              'Cannot build the test tools (kustomize, helm, prometheus, argocd): the Go toolchain (`go`, >= 1.24) is not on PATH. ' +
                `Install Go, or point ${Object.values(ENV_OVERRIDE).join(', ')} at prebuilt binaries.`,
            )
          : err,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, tail: tail.join('\n'), stdout }));
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
      await s.prepare?.(dir);
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
