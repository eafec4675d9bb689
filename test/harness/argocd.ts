/**
 * A real Argo CD on the local control plane, as host processes (no kubelet needed): the `argocd` binary
 * (test/harness/tools.ts, TOOL_VERSIONS.argocd) runs as repo-server, application-controller and API server
 * (ARGOCD_BINARY_NAME selects the component, as Argo CD's own Procfile does), with `redis-server` from Debian, and a
 * bare Git repository served on loopback by `git daemon` (git from Debian). Missing Debian packages are installed
 * with apt-get (hostdeps.ts).
 *
 * The components talk to the control plane with its admin kubeconfig (ARGOCD_FAKE_IN_CLUSTER: the in-cluster
 * destination https://kubernetes.default.svc is the kubeconfig's cluster). Argo CD's CRDs come from the argo-cd
 * module in the Go module cache (the same release as the binary); nothing of Argo CD is copied into this repo.
 * The API server runs with --disable-auth on loopback, for `argocd app actions run`.
 *
 * kube-controller-manager runs too, with only its garbage collector: Argo CD prunes with foreground deletion (a
 * `foregroundDeletion` finalizer that the garbage collector removes), so without it a pruned object never goes.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ensureNodeBinaries } from './build.js';
import { REPO_ROOT, freePort, installCrds } from './controlplane.js';
import { ensureHostPackages } from './hostdeps.js';
import { createNamespace, isConflict, waitUntil } from './kube.js';
import { ManagedProcess, trackDir, untrackDir } from './procs.js';
import { ensureTool } from './tools.js';
import { TOOL_VERSIONS } from './versions.js';

const exec = promisify(execFile);

/** Debian packages the Argo CD e2e needs on the host. */
export const ARGOCD_HOST_PACKAGES = ['git', 'redis-server'] as const;
export const ARGOCD_NAMESPACE = 'argocd';
const ARGOCD_MODULE = 'github.com/argoproj/argo-cd/v3';

/** Where the argo-cd module (of the pinned release) is in the Go module cache; downloads it when missing. */
async function argocdModuleDir(): Promise<string> {
  const { stdout } = await exec('go', ['mod', 'download', '-json', `${ARGOCD_MODULE}@${TOOL_VERSIONS.argocd}`], {
    cwd: tmpdir(),
    env: { ...process.env, GOTOOLCHAIN: TOOL_VERSIONS.argocdGoToolchain, GOFLAGS: '-mod=mod' },
    timeout: 10 * 60_000,
  });
  const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${ARGOCD_MODULE}@${TOOL_VERSIONS.argocd} gave no directory`);
  return dir;
}

async function waitPort(port: number, what: string, proc: ManagedProcess, timeoutMs = 120_000): Promise<void> {
  const { connect } = await import('node:net');
  await waitUntil(
    async () => {
      if (!proc.running) throw new Error(`${what} ${proc.describeExit()}:\n${proc.tail()}`);
      return new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    },
    { timeoutMs, intervalMs: 250, description: `${what} listening on 127.0.0.1:${port}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.tail()}`);
  });
}

export interface GitServer {
  /** git://127.0.0.1:<port>/repo.git */
  url: string;
  /** Writes (or, for null, removes) files in the repository and pushes one commit; returns its SHA. */
  commit(files: Record<string, string | null>, message: string): Promise<string>;
  stop(): Promise<void>;
}

/** A bare repository served read-only on loopback by `git daemon`; commits are pushed to it through the file system. */
export async function startGitServer(dir: string, log?: (l: string) => void): Promise<GitServer> {
  const base = join(dir, 'git');
  const bare = join(base, 'repo.git');
  const work = join(dir, 'git-work');
  mkdirSync(base, { recursive: true });
  const git = async (cwd: string, ...args: string[]) =>
    (
      await exec('git', args, {
        cwd,
        timeout: 60_000,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'nodebounce-e2e',
          GIT_AUTHOR_EMAIL: 'e2e@nodebounce.invalid',
          GIT_COMMITTER_NAME: 'nodebounce-e2e',
          GIT_COMMITTER_EMAIL: 'e2e@nodebounce.invalid',
        },
      })
    ).stdout.trim();
  await git(base, 'init', '--bare', '--initial-branch=main', bare);
  await git(dir, 'init', '--initial-branch=main', work);
  writeFileSync(join(work, 'README.md'), 'nodebounce-operator Argo CD e2e\n');
  await git(work, 'add', '-A');
  await git(work, 'commit', '-m', 'init');
  await git(work, 'push', bare, 'main');
  const port = await freePort();
  const daemon = ManagedProcess.spawn(
    'git-daemon',
    'git',
    ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base],
    { logFile: join(dir, 'git-daemon.log'), log },
  );
  await waitPort(port, 'git daemon', daemon);
  return {
    url: `git://127.0.0.1:${port}/repo.git`,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        const p = join(work, path);
        if (content === null) rmSync(p, { force: true });
        else {
          mkdirSync(dirname(p), { recursive: true });
          writeFileSync(p, content);
        }
      }
      await git(work, 'add', '-A');
      await git(work, 'commit', '--allow-empty', '-m', message);
      await git(work, 'push', bare, 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
    stop: () => daemon.stop(),
  };
}

export interface ArgoCd {
  namespace: string;
  git: GitServer;
  /** 127.0.0.1:<port> of the API server (plaintext, --disable-auth). */
  server: string;
  /** Runs the argocd CLI against the API server. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  logFiles: Record<string, string>;
  stop(): Promise<void>;
}

export interface StartArgoCdOptions {
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  /** Extra argocd-cm data on top of deploy/argocd/argocd-cm.yaml. */
  argocdCm?: Record<string, string>;
  /** The controller's --app-resync (s): how often it compares with Git without being asked. */
  appResyncSeconds?: number;
  /**
   * Start kube-controller-manager with only its garbage collector (default true). False on a cluster that runs its
   * own garbage collector (the real-node tier).
   */
  garbageCollector?: boolean;
  log?: (line: string) => void;
}

function objectsApi(kc: KubeConfig) {
  return { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

async function createOrIgnore(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

/** Installs Argo CD's CRDs, its settings (argocd-cm from deploy/argocd) and the default AppProject. */
async function installArgoCd(opts: StartArgoCdOptions, mod: string): Promise<void> {
  const kc = opts.kubeConfig;
  const crds = ['application-crd.yaml', 'appproject-crd.yaml', 'applicationset-crd.yaml'].map(
    (f) => parse(readFileSync(join(mod, 'manifests', 'crds', f), 'utf8')) as V1CustomResourceDefinition,
  );
  await installCrds(kc, crds, 60_000);
  await createNamespace(kc, ARGOCD_NAMESPACE);
  const { core, custom } = objectsApi(kc);
  const labels = { 'app.kubernetes.io/part-of': 'argocd' };
  const cm = parse(readFileSync(join(REPO_ROOT, 'deploy', 'argocd', 'argocd-cm.yaml'), 'utf8'));
  cm.data = { ...cm.data, ...(opts.argocdCm ?? {}) };
  await createOrIgnore(() => core.createNamespacedConfigMap({ namespace: ARGOCD_NAMESPACE, body: cm }));
  for (const name of ['argocd-rbac-cm', 'argocd-cmd-params-cm', 'argocd-ssh-known-hosts-cm', 'argocd-tls-certs-cm']) {
    await createOrIgnore(() =>
      core.createNamespacedConfigMap({ namespace: ARGOCD_NAMESPACE, body: { metadata: { name, labels } } }),
    );
  }
  await createOrIgnore(() =>
    core.createNamespacedSecret({
      namespace: ARGOCD_NAMESPACE,
      body: {
        metadata: { name: 'argocd-secret', labels },
        stringData: { 'server.secretkey': randomBytes(32).toString('base64') },
      },
    }),
  );
  await createOrIgnore(() =>
    custom.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      plural: 'appprojects',
      namespace: ARGOCD_NAMESPACE,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        },
      },
    }),
  );
}

/** Starts redis, a Git server and Argo CD's repo-server, application-controller and API server. */
export async function startArgoCd(opts: StartArgoCdOptions): Promise<ArgoCd> {
  const log = opts.log;
  await ensureHostPackages(ARGOCD_HOST_PACKAGES, (l) => (log ?? console.log)(`[argocd] ${l}`));
  const argocd = await ensureTool('argocd');
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-argocd-'));
  trackDir(dir);
  const procs: ManagedProcess[] = [];
  let git: GitServer | undefined;
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
    await git?.stop();
    untrackDir(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const withGc = opts.garbageCollector ?? true;
    // helm: the repo-server renders Helm sources with the `helm` on its PATH (the pinned one, cached beside argocd).
    const [mod, nodeBins, helm] = await Promise.all([
      argocdModuleDir(),
      withGc
        ? ensureNodeBinaries({ only: ['kube-controller-manager'], log: (l) => (log ?? console.log)(`[argocd] ${l}`) })
        : undefined,
      ensureTool('helm'),
    ]);
    await installArgoCd(opts, mod);
    if (nodeBins) {
      const gcPort = await freePort();
      const gc = ManagedProcess.spawn(
        'kube-controller-manager',
        nodeBins.paths['kube-controller-manager'],
        [
          `--kubeconfig=${opts.kubeconfigPath}`,
          '--controllers=garbagecollector',
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${gcPort}`,
          `--cert-dir=${join(dir, 'kcm')}`,
        ],
        { logFile: join(dir, 'kube-controller-manager.log'), log },
      );
      procs.push(gc);
      await waitPort(gcPort, 'kube-controller-manager', gc);
    }
    // The repo-server runs `git-verify-wrapper.sh` (from argo-cd's hack/, on PATH in Argo CD's image) for every
    // revision; the module cache keeps it without its executable bit, so a one-line launcher runs it with sh.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'git-verify-wrapper.sh'),
      `#!/bin/sh\nexec sh ${join(mod, 'hack', 'git-verify-wrapper.sh')} "$@"\n`,
      { mode: 0o755 },
    );
    git = await startGitServer(dir, log);

    const redisPort = await freePort();
    const redis = ManagedProcess.spawn(
      'redis',
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { logFile: join(dir, 'redis.log'), log },
    );
    procs.push(redis);
    await waitPort(redisPort, 'redis-server', redis);

    const repoPort = await freePort();
    const repoMetrics = await freePort();
    const ctrlMetrics = await freePort();
    const serverPort = await freePort();
    const serverMetrics = await freePort();
    for (const sub of ['tls', 'ssh', 'gpg', 'home']) mkdirSync(join(dir, sub), { recursive: true });
    const env = (component: string): NodeJS.ProcessEnv => ({
      ...process.env,
      ARGOCD_BINARY_NAME: component,
      PATH: `${join(dir, 'bin')}:${dirname(helm)}:${process.env.PATH ?? ''}`,
      ARGOCD_FAKE_IN_CLUSTER: 'true',
      KUBECONFIG: opts.kubeconfigPath,
      HOME: join(dir, 'home'),
      ARGOCD_TLS_DATA_PATH: join(dir, 'tls'),
      ARGOCD_SSH_DATA_PATH: join(dir, 'ssh'),
      ARGOCD_GNUPGHOME: join(dir, 'gpg'),
      ARGOCD_GPG_ENABLED: 'false',
    });
    const redisAddr = `127.0.0.1:${redisPort}`;
    const repoAddr = `127.0.0.1:${repoPort}`;
    const start = (name: string, args: string[]) => {
      const p = ManagedProcess.spawn(name, argocd, [...args, '--loglevel', 'info'], {
        logFile: join(dir, `${name}.log`),
        env: env(name),
        log,
      });
      procs.push(p);
      return p;
    };
    const repo = start('argocd-repo-server', [
      '--address',
      '127.0.0.1',
      '--port',
      String(repoPort),
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      String(repoMetrics),
      '--redis',
      redisAddr,
    ]);
    await waitPort(repoPort, 'argocd-repo-server', repo);
    const controller = start('argocd-application-controller', [
      '--namespace',
      ARGOCD_NAMESPACE,
      '--redis',
      redisAddr,
      '--repo-server',
      repoAddr,
      '--metrics-port',
      String(ctrlMetrics),
      '--app-resync',
      String(opts.appResyncSeconds ?? 10),
      '--self-heal-timeout-seconds',
      '2',
      '--status-processors',
      '2',
      '--operation-processors',
      '2',
    ]);
    await waitPort(ctrlMetrics, 'argocd-application-controller', controller);
    const server = start('argocd-server', [
      '--namespace',
      ARGOCD_NAMESPACE,
      '--insecure',
      '--disable-auth',
      '--address',
      '127.0.0.1',
      '--port',
      String(serverPort),
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      String(serverMetrics),
      '--redis',
      redisAddr,
      '--repo-server',
      repoAddr,
      '--dex-server',
      'http://127.0.0.1:1',
      '--staticassets',
      join(dir, 'no-ui'),
    ]);
    await waitPort(serverPort, 'argocd-server', server);
    const serverAddr = `127.0.0.1:${serverPort}`;
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(argocd, [...args, '--server', serverAddr, '--plaintext', '--auth-token', 'disabled'], {
          env: { ...env('argocd'), ARGOCD_BINARY_NAME: 'argocd' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? 1, stdout, stderr });
        });
      });
    return {
      namespace: ARGOCD_NAMESPACE,
      git,
      server: serverAddr,
      cli,
      logFiles: Object.fromEntries(procs.map((p) => [p.name, p.logFile])),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
