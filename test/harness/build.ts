/**
 * Builds the pinned control-plane binaries (kube-apiserver, etcd, kwok) from the Go module proxy
 * into a cache directory outside the repository, once; later calls reuse them.
 *
 *   cache: ${NODEBOUNCE_CONTROLPLANE_CACHE:-~/.cache/nodebounce-operator/controlplane}/<versions>/bin/
 *
 * Usage: `npm run cluster -- build`, `tsx test/harness/build.ts`, or `ensureControlPlaneBinaries()`.
 * Set NODEBOUNCE_CONTROLPLANE_BIN_DIR to a directory holding prebuilt kube-apiserver, etcd and kwok
 * to skip building altogether.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import lockfile from 'proper-lockfile';
import { kubeVersionVars, ldflags, parseGoMod, wrapperGoModFor } from './gomod.js';
import { VERSIONS, cacheKey } from './versions.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export type BinaryName = 'kube-apiserver' | 'etcd' | 'kwok';
/** Binaries of the real-node tier (test/harness/realcluster.ts): a real kubelet and the real controllers. */
export type NodeBinaryName = 'kubelet' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-proxy';
export const NODE_BINARY_NAMES: readonly NodeBinaryName[] = [
  'kubelet',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
];

export interface ControlPlaneBinaries {
  binDir: string;
  kubeApiserver: string;
  etcd: string;
  kwok: string;
  versions: typeof VERSIONS;
  /** True when this call had to build at least one binary. */
  built: boolean;
}

export interface BuildOptions {
  log?: (line: string) => void;
  /** Heartbeat interval while `go build` runs (ms). */
  heartbeatMs?: number;
}

interface BinarySpec {
  name: BinaryName | NodeBinaryName;
  /** Module whose package is built. */
  module: string;
  version: string;
  /** Main package to build. */
  pkg: string;
  /** Pin for modules the dependency replaces with local directories (k8s staging repos). */
  localReplaceVersion?: string;
  ldflagVars: Record<string, string>;
}

const SPECS: BinarySpec[] = [
  {
    name: 'etcd',
    module: 'go.etcd.io/etcd/server/v3',
    version: VERSIONS.etcd,
    pkg: 'go.etcd.io/etcd/server/v3',
    ldflagVars: {},
  },
  {
    name: 'kwok',
    module: 'sigs.k8s.io/kwok',
    version: VERSIONS.kwok,
    pkg: 'sigs.k8s.io/kwok/cmd/kwok',
    ldflagVars: { 'sigs.k8s.io/kwok/pkg/consts.Version': VERSIONS.kwok.replace(/^v/, '') },
  },
  {
    name: 'kube-apiserver',
    module: 'k8s.io/kubernetes',
    version: VERSIONS.kubernetes,
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    localReplaceVersion: VERSIONS.kubernetesStaging,
    ldflagVars: kubeVersionVars(VERSIONS.kubernetes),
  },
];

/**
 * The real-node tier's binaries come from the same k8s.io/kubernetes module as kube-apiserver (same generated
 * wrapper go.mod, same pinned go.sum, same Go build cache), so after kube-apiserver each is mostly a link step
 * plus its own packages. They live in the same versioned bin/ directory but are only built on demand
 * (ensureNodeBinaries); of them `npm test` needs only kube-controller-manager (its garbage collector, for the
 * running-Argo-CD file), which the real-node tier builds anyway.
 */
const NODE_SPECS: BinarySpec[] = NODE_BINARY_NAMES.map((name) => ({
  name,
  module: 'k8s.io/kubernetes',
  version: VERSIONS.kubernetes,
  pkg: `k8s.io/kubernetes/cmd/${name}`,
  localReplaceVersion: VERSIONS.kubernetesStaging,
  ldflagVars: kubeVersionVars(VERSIONS.kubernetes),
}));

/**
 * The repo's pinned go.sum of a binary's wrapper module: test/harness/go/<name>/<version>/go.sum. Every
 * k8s.io/kubernetes binary has the same requirements, so they share kube-apiserver's.
 */
export function pinnedGoSum(spec: { name: string; module: string; version: string }): string {
  const name = spec.module === 'k8s.io/kubernetes' ? 'kube-apiserver' : spec.name;
  return join(HERE, 'go', name, spec.version, 'go.sum');
}

export function cacheRoot(): string {
  return (
    process.env.NODEBOUNCE_CONTROLPLANE_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nodebounce-operator', 'controlplane')
  );
}

/** Directory of this version set: <cacheRoot>/<cacheKey>. */
export function versionDir(): string {
  return join(cacheRoot(), cacheKey());
}

function binPaths(binDir: string) {
  return {
    kubeApiserver: join(binDir, 'kube-apiserver'),
    etcd: join(binDir, 'etcd'),
    kwok: join(binDir, 'kwok'),
  };
}

function allPresent(binDir: string): boolean {
  return Object.values(binPaths(binDir)).every((p) => existsSync(p));
}

/** Returns the binaries if they are already built (or provided), without building. */
export function findControlPlaneBinaries(): ControlPlaneBinaries | undefined {
  const provided = process.env.NODEBOUNCE_CONTROLPLANE_BIN_DIR;
  const binDir = provided || join(versionDir(), 'bin');
  if (!allPresent(binDir)) return undefined;
  return { binDir, ...binPaths(binDir), versions: VERSIONS, built: false };
}

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class ControlPlaneBuildError extends Error {}

interface RunResult {
  code: number;
  stdout: string;
  stderrTail: string[];
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; onStderrLine?: (line: string) => void },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const tail: string[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 60) tail.shift();
        opts.onStderrLine?.(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial) {
        tail.push(partial);
        opts.onStderrLine?.(partial);
      }
      resolve({ code: code ?? 1, stdout, stderrTail: tail });
    });
  });
}

const NETWORK_ERROR =
  /dial tcp|no such host|connection refused|i\/o timeout|TLS handshake timeout|proxyconnect|network is unreachable|connection reset|unexpected EOF|Get "https?:\/\//i;

function goEnv(): NodeJS.ProcessEnv {
  // -mod=mod: the wrapper modules list only the top-level requirement; Go resolves (and verifies
  // against go.sum / the checksum database) the rest deterministically via minimal version selection.
  return { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false' };
}

async function checkGo(log: (l: string) => void): Promise<string> {
  let res: RunResult;
  try {
    res = await run('go', ['version'], { cwd: process.cwd() });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ControlPlaneBuildError(
        'Cannot build the local control plane: the Go toolchain (`go`, >= 1.24) is not on PATH. ' +
          'Install Go from https://go.dev/dl/ (or your distribution), or set NODEBOUNCE_CONTROLPLANE_BIN_DIR ' +
          'to a directory with prebuilt kube-apiserver, etcd and kwok binaries.',
      );
    }
    throw err;
  }
  if (res.code !== 0) throw new ControlPlaneBuildError(`\`go version\` failed:\n${res.stderrTail.join('\n')}`);
  const version = res.stdout.trim();
  log(`using ${version}`);
  return version;
}

async function goProxy(): Promise<string> {
  const res = await run('go', ['env', 'GOPROXY'], { cwd: process.cwd() });
  return res.stdout.trim() || '(unset)';
}

async function downloadGoMod(spec: BinarySpec, cwd: string): Promise<string> {
  const res = await run('go', ['mod', 'download', '-json', `${spec.module}@${spec.version}`], { cwd, env: goEnv() });
  let info: { GoMod?: string; Error?: string } = {};
  try {
    info = JSON.parse(res.stdout) as typeof info;
  } catch {
    /* fall through */
  }
  if (res.code !== 0 || info.Error || !info.GoMod) {
    const detail = [info.Error, ...res.stderrTail].filter(Boolean).join('\n');
    if (NETWORK_ERROR.test(detail)) {
      throw new ControlPlaneBuildError(
        `Cannot reach the Go module proxy (GOPROXY=${await goProxy()}) to download ${spec.module}@${spec.version}. ` +
          `Building the local control plane needs the Go module proxy (or a populated GOMODCACHE).\n${detail}`,
      );
    }
    throw new ControlPlaneBuildError(`go mod download ${spec.module}@${spec.version} failed:\n${detail}`);
  }
  return fs.readFile(info.GoMod, 'utf8');
}

async function buildOne(spec: BinarySpec, dir: string, opts: Required<BuildOptions>): Promise<number> {
  const log = opts.log;
  const started = Date.now();
  const workDir = join(dir, 'src', spec.name);
  const binDir = join(dir, 'bin');
  await fs.mkdir(workDir, { recursive: true });
  await fs.mkdir(binDir, { recursive: true });

  log(`${spec.name}: resolving ${spec.module}@${spec.version}`);
  const depGoMod = parseGoMod(await downloadGoMod(spec, dir));
  const goMod = wrapperGoModFor({
    wrapperModule: `nodebounce.local/controlplane/${spec.name}`,
    dep: spec.module,
    version: spec.version,
    depGoMod,
    localReplaceVersion: spec.localReplaceVersion,
  });
  await fs.writeFile(join(workDir, 'go.mod'), goMod);
  const pinnedSum = pinnedGoSum(spec);
  if (existsSync(pinnedSum)) await fs.copyFile(pinnedSum, join(workDir, 'go.sum'));
  else await fs.rm(join(workDir, 'go.sum'), { force: true });

  const out = join(binDir, `${spec.name}.tmp-${process.pid}`);
  const args = ['build', '-v', '-trimpath', '-ldflags', ldflags(spec.ldflagVars), '-o', out, spec.pkg];
  log(`${spec.name}: go ${args.join(' ')}`);
  let compiled = 0;
  let downloaded = 0;
  let last = '';
  const heartbeat = setInterval(() => {
    log(
      `${spec.name}: still building after ${fmtDuration(Date.now() - started)} ` +
        `(${compiled} packages compiled, ${downloaded} modules downloaded${last ? `, last: ${last}` : ''})`,
    );
  }, opts.heartbeatMs);
  let res: RunResult;
  try {
    res = await run('go', args, {
      cwd: workDir,
      env: goEnv(),
      onStderrLine: (line) => {
        if (line.startsWith('go: downloading ')) {
          downloaded++;
          last = line.slice('go: downloading '.length);
        } else if (/^[\w.\-~/]+$/.test(line)) {
          compiled++;
          last = line;
        } else if (line.trim()) {
          log(`${spec.name}: ${line}`);
        }
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
  if (res.code !== 0) {
    await fs.rm(out, { force: true });
    const detail = res.stderrTail.join('\n');
    if (NETWORK_ERROR.test(detail)) {
      throw new ControlPlaneBuildError(
        `Building ${spec.name} failed: cannot reach the Go module proxy (GOPROXY=${await goProxy()}).\n${detail}`,
      );
    }
    throw new ControlPlaneBuildError(`Building ${spec.name} failed (go build exit ${res.code}):\n${detail}`);
  }
  await fs.chmod(out, 0o755);
  await fs.rename(out, join(binDir, spec.name));
  const took = Date.now() - started;
  log(`${spec.name}: built in ${fmtDuration(took)} (${compiled} packages compiled)`);
  if (!existsSync(pinnedSum)) {
    log(`${spec.name}: no pinned go.sum in the repo; to pin, copy ${join(workDir, 'go.sum')} to ${pinnedSum}`);
  }
  return took;
}

async function acquireLock(dir: string, log: (l: string) => void): Promise<() => Promise<void>> {
  const lockOpts = { lockfilePath: join(dir, 'build.lock'), stale: 60_000, update: 10_000, realpath: false };
  let lastMsg = 0;
  const deadline = Date.now() + 3 * 60 * 60 * 1000;
  for (;;) {
    try {
      return await lockfile.lock(dir, {
        ...lockOpts,
        onCompromised: (err: Error) => log(`build lock compromised: ${err.message}`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) throw err;
      if (Date.now() - lastMsg > 15_000) {
        log(`waiting for another process building the control plane (lock ${lockOpts.lockfilePath})`);
        lastMsg = Date.now();
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Builds whatever is missing (under a cross-process lock) and returns the binary paths. */
export async function ensureControlPlaneBinaries(options: BuildOptions = {}): Promise<ControlPlaneBinaries> {
  const log = options.log ?? ((l: string) => console.log(`[controlplane build] ${l}`));
  const opts: Required<BuildOptions> = { log, heartbeatMs: options.heartbeatMs ?? 15_000 };
  const found = findControlPlaneBinaries();
  if (found) return found;
  if (process.env.NODEBOUNCE_CONTROLPLANE_BIN_DIR) {
    throw new ControlPlaneBuildError(
      `NODEBOUNCE_CONTROLPLANE_BIN_DIR=${process.env.NODEBOUNCE_CONTROLPLANE_BIN_DIR} lacks kube-apiserver, etcd or kwok`,
    );
  }
  const dir = versionDir();
  await fs.mkdir(dir, { recursive: true });
  const release = await acquireLock(dir, log);
  try {
    const binDir = join(dir, 'bin');
    if (allPresent(binDir)) {
      log(`binaries were built by another process in ${binDir}`);
      return { binDir, ...binPaths(binDir), versions: VERSIONS, built: false };
    }
    log(
      `building kube-apiserver ${VERSIONS.kubernetes}, etcd ${VERSIONS.etcd}, kwok ${VERSIONS.kwok} into ${binDir} ` +
        '(first time only: about 8-15 minutes on 2 cores with empty Go caches, mostly kube-apiserver)',
    );
    const goVersion = await checkGo(log);
    const started = Date.now();
    const timings: Record<string, number> = {};
    for (const spec of SPECS) {
      if (existsSync(join(binDir, spec.name))) {
        log(`${spec.name}: already built`);
        continue;
      }
      timings[spec.name] = await buildOne(spec, dir, opts);
    }
    const manifest = { versions: VERSIONS, goVersion, builtAt: new Date().toISOString(), buildMs: timings };
    await fs.writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    log(`all binaries ready in ${binDir} after ${fmtDuration(Date.now() - started)}`);
    return { binDir, ...binPaths(binDir), versions: VERSIONS, built: true };
  } finally {
    await release().catch(() => undefined);
  }
}

export interface NodeBinaries {
  binDir: string;
  paths: Record<NodeBinaryName, string>;
  built: boolean;
  /** Build time of each binary built by this call (ms). */
  buildMs: Partial<Record<NodeBinaryName, number>>;
}

/**
 * kubelet, kube-controller-manager, kube-scheduler and kube-proxy (k8s ${VERSIONS.kubernetes}), built once into
 * the control plane's versioned bin/ directory under the same lock. NODEBOUNCE_CONTROLPLANE_BIN_DIR may hold them
 * prebuilt.
 */
export async function ensureNodeBinaries(
  options: BuildOptions & { only?: readonly NodeBinaryName[] } = {},
): Promise<NodeBinaries> {
  const log = options.log ?? ((l: string) => console.log(`[realcluster build] ${l}`));
  const opts: Required<BuildOptions> = { log, heartbeatMs: options.heartbeatMs ?? 30_000 };
  const provided = process.env.NODEBOUNCE_CONTROLPLANE_BIN_DIR;
  const binDir = provided || join(versionDir(), 'bin');
  const paths = Object.fromEntries(NODE_BINARY_NAMES.map((n) => [n, join(binDir, n)])) as Record<
    NodeBinaryName,
    string
  >;
  const wanted = options.only ?? NODE_BINARY_NAMES;
  const missing = () => wanted.filter((n) => !existsSync(paths[n]));
  if (missing().length === 0) return { binDir, paths, built: false, buildMs: {} };
  if (provided)
    throw new ControlPlaneBuildError(`NODEBOUNCE_CONTROLPLANE_BIN_DIR=${provided} lacks ${missing().join(', ')}`);
  const dir = versionDir();
  await fs.mkdir(dir, { recursive: true });
  const release = await acquireLock(dir, log);
  const buildMs: Partial<Record<NodeBinaryName, number>> = {};
  try {
    const todo = missing();
    if (todo.length === 0) return { binDir, paths, built: false, buildMs };
    log(
      `building ${todo.join(', ')} ${VERSIONS.kubernetes} into ${binDir} (first time only: several minutes on 2 cores; ` +
        'most packages are shared with kube-apiserver and come from the Go build cache when it is warm)',
    );
    await checkGo(log);
    for (const spec of NODE_SPECS) {
      if (!todo.includes(spec.name as NodeBinaryName)) continue;
      buildMs[spec.name as NodeBinaryName] = await buildOne(spec, dir, opts);
    }
    return { binDir, paths, built: true, buildMs };
  } finally {
    await release().catch(() => undefined);
  }
}

/** Runs each binary's --version (sanity check used by `npm run cluster -- build`). */
export async function binaryVersions(bins: ControlPlaneBinaries): Promise<Record<BinaryName, string>> {
  const first = async (cmd: string) => {
    const res = await run(cmd, ['--version'], { cwd: process.cwd() });
    return (res.stdout.trim() || res.stderrTail.join(' ')).split('\n')[0] ?? '';
  };
  return {
    'kube-apiserver': await first(bins.kubeApiserver),
    etcd: await first(bins.etcd),
    kwok: await first(bins.kwok),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureControlPlaneBinaries()
    .then(async (bins) => {
      console.log(`control-plane binaries in ${bins.binDir}`);
      for (const [k, v] of Object.entries(await binaryVersions(bins))) console.log(`  ${k}: ${v}`);
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
