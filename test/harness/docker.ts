/**
 * Builds the operator's image from the repository's real Dockerfile, without a registry: a private docker daemon
 * (Debian's docker.io) is started for the build and stopped afterwards, the Dockerfile's base images are the
 * local equivalents from images.ts (passed as build args), and the result is exported as a `docker save`
 * archive that the real-node cluster imports into its containerd (RealCluster.loadImage).
 *
 * The daemon is isolated from any other docker on the machine: its own socket, exec root and data root, no bridge,
 * no iptables rules (build steps use the host network, which is how `npm ci` reaches the npm registry), containers
 * under its own cgroup parent. Its data root is kept as a cache (layer cache: a warm rebuild only reruns
 * `npm run build`); everything else goes away with stop().
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './controlplane.js';
import { ensureHostPackages } from './hostdeps.js';
import { imagesCacheRoot, mustRun, nodeBaseImages, runCmd } from './images.js';
import { dirname, join as pjoin } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireMachineLock } from './machine-lock.js';
import { ManagedProcess, trackCleanupCommand, untrackCleanupCommand } from './procs.js';

const CLEANUP_SCRIPT = pjoin(dirname(fileURLToPath(import.meta.url)), 'realcluster-cleanup.mjs');

export const OPERATOR_IMAGE = 'nodebounce-operator:e2e';
const RUN_DIR = '/run/nodebounce-dockerd';
const SOCKET = `unix://${RUN_DIR}/docker.sock`;
const CGROUP_PARENT = 'nodebounce-dockerd';

/**
 * The same host cleanup as the real-node cluster's, scoped to the daemon: its processes (dockerd, its containerd,
 * shims, build containers in our cgroup parent), its mounts (the data root stays: it is the layer cache), its
 * runtime dir; no network part (the daemon creates no bridge or iptables rules).
 */
function cleanupEnv(): Record<string, string> {
  return {
    NBRC_STATE_DIR: join(RUN_DIR, 'exec'),
    NBRC_RUN_DIR: RUN_DIR,
    NBRC_CGROUP: CGROUP_PARENT,
    NBRC_BRIDGE: 'none',
    NBRC_NETWORK: '0',
    NBRC_KEEP_MOUNTS_UNDER: dataRoot(),
  };
}

async function cleanupDocker(): Promise<string[]> {
  const res = await runCmd(process.execPath, [CLEANUP_SCRIPT], {
    env: { ...process.env, ...cleanupEnv() },
    timeoutMs: 120_000,
  });
  return res.stdout.split('\n').filter((l) => l.startsWith('leftovers: '));
}

function dataRoot(): string {
  return process.env.NODEBOUNCE_DOCKER_DATA_ROOT || '/var/lib/nodebounce-operator/docker';
}

/** The Debian docker CLI (matches the daemon's API version); falls back to whatever `docker` is on PATH. */
function dockerCli(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export interface PrivateDocker {
  host: string;
  docker(args: string[], opts?: { timeoutMs?: number; onLine?: (l: string) => void }): Promise<string>;
  stop(): Promise<void>;
}

export async function startPrivateDocker(log: (l: string) => void): Promise<PrivateDocker> {
  await ensureHostPackages(['docker.io'], log);
  await fs.mkdir(RUN_DIR, { recursive: true });
  await fs.mkdir(dataRoot(), { recursive: true });
  // One daemon per machine (one socket, one data root): a second run waits for the first's build instead of
  // cleaning its daemon away below. The lock lives next to the data root, which outlives /run.
  const release = await acquireMachineLock({
    path: `${dataRoot()}.lock`,
    what: 'private docker daemon',
    howToStop: 'let the other image build finish, or stop its test run, and retry',
    timeoutMs: 15 * 60_000,
    log,
  });
  try {
    return await startLockedDocker(log, release);
  } catch (err) {
    await release();
    throw err;
  }
}

async function startLockedDocker(log: (l: string) => void, release: () => Promise<void>): Promise<PrivateDocker> {
  // A daemon of ours left by a killed run would hold the pid file and socket.
  await cleanupDocker();
  await fs.mkdir(RUN_DIR, { recursive: true });
  // If this process dies (even SIGKILL), the reaper stops the daemon, its shims and build containers.
  const cleanupId = `dockerd-${process.pid}-${Date.now()}`;
  trackCleanupCommand(cleanupId, [process.execPath, CLEANUP_SCRIPT], cleanupEnv());
  await fs.rm(join(RUN_DIR, 'docker.sock'), { force: true });
  const proc = ManagedProcess.spawn(
    'dockerd',
    'dockerd',
    [
      `--host=${SOCKET}`,
      `--data-root=${dataRoot()}`,
      `--exec-root=${join(RUN_DIR, 'exec')}`,
      `--pidfile=${join(RUN_DIR, 'docker.pid')}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      `--cgroup-parent=/${CGROUP_PARENT}`,
      '--log-level=warn',
    ],
    { logFile: join(RUN_DIR, 'dockerd.log') },
  );
  const env = { ...process.env, DOCKER_HOST: SOCKET, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(RUN_DIR, 'cli') };
  const docker = async (args: string[], opts: { timeoutMs?: number; onLine?: (l: string) => void } = {}) =>
    mustRun(dockerCli(), args, { env, timeoutMs: opts.timeoutMs ?? 120_000, onLine: opts.onLine });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await runCmd(dockerCli(), ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 5_000 });
    if (res.code === 0) {
      log(`private dockerd ${res.stdout.trim()} up (${SOCKET}, data root ${dataRoot()})`);
      break;
    }
    if (!proc.running) throw new Error(`dockerd ${proc.describeExit()} during start-up:\n${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`dockerd not answering on ${SOCKET} after 60s:\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    host: SOCKET,
    docker,
    stop: async () => {
      try {
        await proc.stop(15_000);
        const left = await cleanupDocker();
        untrackCleanupCommand(cleanupId);
        if (left.length) throw new Error(`the private docker daemon left things behind:\n${left.join('\n')}`);
      } finally {
        await release();
      }
    },
  };
}

export interface OperatorImage {
  tag: string;
  /** `docker save` archive, for RealCluster.loadImage. */
  archive: string;
  /** Uncompressed size as docker reports it (bytes). */
  sizeBytes: number;
  buildMs: number;
  nodeVersion: string;
}

/**
 * `docker build` of the repository's Dockerfile with the local base images as BUILD_IMAGE / RUNTIME_IMAGE build
 * args (the legacy builder: BuildKit would try to pull its dockerfile frontend from a registry).
 */
export async function buildOperatorImage(log: (l: string) => void = () => undefined): Promise<OperatorImage> {
  const t0 = Date.now();
  const bases = await nodeBaseImages(log);
  const d = await startPrivateDocker(log);
  try {
    // Always (re)load: the tag may point at an older build of the base (a few seconds; unchanged layers are kept).
    for (const base of [bases.buildBase, bases.runtimeBase])
      await d.docker(['load', '-q', '-i', base.archive], { timeoutMs: 300_000 });
    const t = Date.now();
    await d.docker(
      [
        'build',
        '--network=host',
        '--build-arg',
        `BUILD_IMAGE=${bases.buildBase.tag}`,
        '--build-arg',
        `RUNTIME_IMAGE=${bases.runtimeBase.tag}`,
        '-t',
        OPERATOR_IMAGE,
        REPO_ROOT,
      ],
      { timeoutMs: 20 * 60_000, onLine: (l) => (/^Step \d+\/\d+/.test(l) ? log(`docker build: ${l}`) : undefined) },
    );
    log(`docker build ${OPERATOR_IMAGE} took ${Math.round((Date.now() - t) / 1000)}s`);
    const sizeBytes = Number((await d.docker(['image', 'inspect', '--format', '{{.Size}}', OPERATOR_IMAGE])).trim());
    const archive = join(imagesCacheRoot(), 'operator-e2e.tar');
    await d.docker(['save', '-o', `${archive}.tmp`, OPERATOR_IMAGE], { timeoutMs: 300_000 });
    await fs.rename(`${archive}.tmp`, archive);
    // No `image prune`: the untagged intermediate images of the build stages ARE the layer cache (npm ci is only
    // rerun when package*.json change). Delete NODEBOUNCE_DOCKER_DATA_ROOT (default below) to reclaim the space.
    return { tag: OPERATOR_IMAGE, archive, sizeBytes, buildMs: Date.now() - t0, nodeVersion: bases.nodeVersion };
  } finally {
    await d.stop();
  }
}
