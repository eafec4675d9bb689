/**
 * The real-node tier: a single-node Kubernetes cluster on this host with a REAL kubelet running real containers
 * (Debian's containerd 1.6 + runc, cgroupfs driver), the real kube-controller-manager (StatefulSet, disruption,
 * endpoints, garbage collector, service-account controllers...), kube-scheduler and kube-proxy (iptables mode),
 * next to the same etcd + kube-apiserver as the local control plane. Same shape as startControlPlane(), plus
 * loadImage() (there is no registry: images are imported into the node's containerd, like `kind load`).
 *
 * Host footprint (all removed by stop(), by the reaper if this process is killed, and by the next start if the
 * machine crashed — see realcluster-cleanup.mjs):
 *   /var/lib/nodebounce-realcluster/state   PKI, etcd, containerd root, kubelet root, logs
 *   /run/nodebounce-realcluster             containerd state and sockets
 *   bridge nbrc0 with 10.213.0.1/24          pods get 10.213.0.x; the node IP (where kube-apiserver and the
 *                                            kubelet listen) is the bridge address, so no traffic leaves the host
 *   cgroup nodebounce-realcluster            in every hierarchy: every pod container runs below it
 *   iptables KUBE-* / CNI-* chains           kube-proxy, kubelet, CNI portmap/firewall
 *   Services: 10.213.1.0/24 (kubernetes = 10.213.1.1)
 * Ports: etcd, kube-apiserver, the kubelet, kube-controller-manager, kube-scheduler and kube-proxy all listen on
 * free ports picked at start. Only one such cluster runs per machine (machine-wide lock: bridge, cgroups,
 * iptables chains are global), a second caller waits for the first.
 *
 * Machine quirks handled (see docs/e2e.md): the capability bounding set lacks CAP_SYS_RESOURCE, so nothing may
 * lower an oom_score_adj (kubelet oomScoreAdj 0, kube-proxy oomScoreAdj 0, containerd restrict_oom_score_adj);
 * docker may have set the FORWARD policy to DROP (the CNI firewall plugin accepts pod traffic); the host is cgroup
 * v1 (kubelets from 1.35 refuse it by default: failCgroupV1 false); containerd 1.6 lacks the RuntimeConfig RPC (the
 * kubelet logs it and uses cgroupDriver from its config).
 */
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import {
  ensureControlPlaneBinaries,
  ensureNodeBinaries,
  type ControlPlaneBinaries,
  type NodeBinaries,
} from './build.js';
import { generatePki, type ControlPlanePki, type Pem } from './certs.js';
import { DEFAULT_CRD_DIRS, apiserverArgs, etcdArgs, freePort, installCrds, readCrds } from './controlplane.js';
import { CLUSTER_PACKAGES, ensureHostPackages, realNodeUnsupportedReason } from './hostdeps.js';
import { pauseImageArchive, PAUSE_IMAGE, runCmd, mustRun } from './images.js';
import { ManagedProcess, trackCleanupCommand, untrackCleanupCommand } from './procs.js';
import { acquireMachineLock } from './machine-lock.js';
import { kubeRequest } from './raw.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLEANUP_SCRIPT = join(HERE, 'realcluster-cleanup.mjs');

export const REAL_CLUSTER = {
  root: '/var/lib/nodebounce-realcluster',
  stateDir: '/var/lib/nodebounce-realcluster/state',
  runDir: '/run/nodebounce-realcluster',
  cgroup: 'nodebounce-realcluster',
  bridge: 'nbrc0',
  nodeName: 'nbrc-node-0',
  nodeIP: '10.213.0.1',
  podCIDR: '10.213.0.0/24',
  serviceCIDR: '10.213.1.0/24',
  kubernetesServiceIP: '10.213.1.1',
} as const;

/** Kernel settings the kubelet (setupKernelTunables) or the CNI bridge (ip_forward) may change; restored at stop. */
const SYSCTLS = [
  '/proc/sys/vm/overcommit_memory',
  '/proc/sys/vm/panic_on_oom',
  '/proc/sys/kernel/panic',
  '/proc/sys/kernel/panic_on_oops',
  '/proc/sys/kernel/keys/root_maxkeys',
  '/proc/sys/kernel/keys/root_maxbytes',
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/ipv4/conf/all/route_localnet',
];

export class RealClusterUnsupported extends Error {}

/** Audits pod evictions and deletions only (Metadata level: who, which pod, the answer); nothing else. */
export const REAL_NODE_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, delete]
    resources:
      - group: ""
        resources: [pods, pods/eviction]
  - level: None
`;

export interface StartRealClusterOptions {
  crdDirs?: string[];
  log?: (line: string) => void;
  /** How long to wait for another real-node cluster on this machine to go away (ms). Default 15 min. */
  lockTimeoutMs?: number;
}

export interface RealCluster {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** https://10.213.0.1:<port> */
  server: string;
  dataDir: string;
  nodeName: string;
  nodeIP: string;
  binaries: ControlPlaneBinaries & { node: NodeBinaries };
  /** Time from the call to node Ready (ms), excluding building binaries. */
  startupMs: number;
  /** Log file of each component (etcd, kube-apiserver, containerd, kubelet, ...). */
  logFiles: Record<string, string>;
  /**
   * kube-apiserver's audit log (JSON lines, REAL_NODE_AUDIT_POLICY: only pod evictions and deletions, so who
   * disrupted a pod can be told; everything else is not audited).
   */
  auditLogPath: string;
  /** Imports a `docker save` / OCI archive into the node's containerd (k8s.io namespace); returns ms taken. */
  loadImage(archive: string): Promise<number>;
  /** Runs `ctr` against the node's containerd (k8s.io namespace), e.g. ['images', 'ls', '-q']. */
  ctr(args: string[]): Promise<string>;
  /** Copies every component log into `dir` (for failed runs). */
  collectLogs(dir: string): Promise<void>;
  /** Stops everything and removes every host leftover; rejects if something could not be removed. Idempotent. */
  stop(): Promise<void>;
}

function cleanupEnv(): Record<string, string> {
  return {
    NBRC_STATE_DIR: REAL_CLUSTER.stateDir,
    NBRC_RUN_DIR: REAL_CLUSTER.runDir,
    NBRC_CGROUP: REAL_CLUSTER.cgroup,
    NBRC_BRIDGE: REAL_CLUSTER.bridge,
    NBRC_SYSCTLS: join(REAL_CLUSTER.root, 'sysctls.json'),
  };
}

/** Runs realcluster-cleanup.mjs; returns its leftover lines (empty when the host is clean). */
export async function cleanupRealClusterHost(log: (l: string) => void = () => undefined): Promise<string[]> {
  const res = await runCmd(process.execPath, [CLEANUP_SCRIPT], {
    env: { ...process.env, ...cleanupEnv() },
    timeoutMs: 180_000,
  });
  const lines = (res.stdout + res.stderr).split('\n').filter(Boolean);
  for (const l of lines) if (!l.startsWith('leftovers: ')) log(l);
  return lines.filter((l) => l.startsWith('leftovers: ')).map((l) => l.slice('leftovers: '.length));
}

function kubeconfigFor(server: string, caFile: string, pem: Pem, user: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: nodebounce-real
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(pem.cert)}
    client-key-data: ${b64(pem.key)}
contexts:
- name: nodebounce-real
  context:
    cluster: nodebounce-real
    user: ${user}
current-context: nodebounce-real
`;
}

async function waitUntil(
  what: string,
  timeoutMs: number,
  procs: ManagedProcess[],
  check: () => Promise<boolean>,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err instanceof Error ? err.message : String(err);
    }
    const dead = procs.find((p) => !p.running);
    if (dead)
      throw new Error(`${dead.name} ${dead.describeExit()} while waiting for ${what}. Log tail:\n${dead.tail(40)}`);
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${lastErr ? ` (${lastErr})` : ''}. ` +
          procs.map((p) => `\n--- ${p.name} log tail:\n${p.tail(15)}`).join(''),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Prepares our cgroup in every hierarchy (the kubelet refuses a cgroupRoot that does not exist). */
async function createCgroups(): Promise<void> {
  const base = '/sys/fs/cgroup';
  if (existsSync(join(base, 'cgroup.controllers'))) {
    await fs.mkdir(join(base, REAL_CLUSTER.cgroup), { recursive: true });
    return;
  }
  for (const h of await fs.readdir(base)) {
    const hdir = join(base, h);
    if (!existsSync(join(hdir, 'cgroup.procs'))) continue; // not a hierarchy (e.g. a symlink like cpu,cpuacct)
    const dir = join(hdir, REAL_CLUSTER.cgroup);
    await fs.mkdir(dir, { recursive: true });
    // cgroup v1 cpuset: a new cgroup starts with empty cpus/mems and accepts no task until they are set.
    if (existsSync(join(dir, 'cpuset.cpus'))) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (!(await fs.readFile(join(dir, f), 'utf8')).trim())
          await fs.writeFile(join(dir, f), await fs.readFile(join(hdir, f), 'utf8'));
      }
    }
  }
}

export async function startRealCluster(opts: StartRealClusterOptions = {}): Promise<RealCluster> {
  const log = opts.log ?? (() => undefined);
  const unsupported = realNodeUnsupportedReason();
  if (unsupported) throw new RealClusterUnsupported(`the real-node cluster cannot run on this machine: ${unsupported}`);

  const [cpBins, nodeBins] = await Promise.all([
    ensureControlPlaneBinaries({ log: (l) => log(`[build] ${l}`) }),
    ensureNodeBinaries({ log: (l) => log(`[build] ${l}`) }),
  ]);
  await ensureHostPackages(CLUSTER_PACKAGES, log);
  const pauseArchive = await pauseImageArchive(log);

  const release = await acquireMachineLock({
    path: join(REAL_CLUSTER.root, 'cluster.lock'),
    what: 'real-node cluster',
    howToStop: 'stop it (npm run cluster -- up --real is Ctrl-C) and retry',
    timeoutMs: opts.lockTimeoutMs ?? 15 * 60_000,
    log,
  });
  const t0 = Date.now();
  const S = REAL_CLUSTER.stateDir;
  const RUN = REAL_CLUSTER.runDir;
  const procs: Record<string, ManagedProcess> = {};
  const logFiles: Record<string, string> = {};
  const cleanupId = `realcluster-${process.pid}-${t0}`;
  let stopped = false;
  let kubeConfig: KubeConfig | undefined;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const t = Date.now();
    // 1. Nothing recreates pods any more; 2. the kubelet tears every pod down (CNI DEL, netns, mounts, cgroups)
    //    while it and the API server still run; 3. stop the rest; 4. remove whatever is left on the host.
    await procs['kube-controller-manager']?.stop(5_000);
    await procs['kube-scheduler']?.stop(5_000);
    if (kubeConfig && procs.kubelet?.running && procs['kube-apiserver']?.running) {
      try {
        const core = kubeConfig.makeApiClient(CoreV1Api);
        const pods = await core.listPodForAllNamespaces();
        await Promise.all(
          pods.items.map((p) =>
            core
              .deleteNamespacedPod({
                name: p.metadata?.name ?? '',
                namespace: p.metadata?.namespace ?? '',
                gracePeriodSeconds: 0,
              })
              .catch(() => undefined),
          ),
        );
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          // No running task left = every container and sandbox stopped (the kubelet ran CNI DEL for each); exited
          // containers are only garbage-collected later, the cleanup removes them with containerd's state.
          const tasks = await runCmd('ctr', [
            '--address',
            `${RUN}/containerd/containerd.sock`,
            '-n',
            'k8s.io',
            'tasks',
            'ls',
            '-q',
          ]);
          if (tasks.code !== 0 || !tasks.stdout.trim()) break;
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (err) {
        log(
          `real-node cluster: graceful pod teardown failed (${err instanceof Error ? err.message : String(err)}); forcing`,
        );
      }
    }
    for (const name of ['kubelet', 'kube-proxy', 'kube-apiserver', 'etcd', 'containerd'])
      await procs[name]?.stop(name === 'kube-apiserver' ? 1_500 : 5_000);
    const leftovers = await cleanupRealClusterHost(log);
    untrackCleanupCommand(cleanupId);
    await release().catch(() => undefined);
    log(`real-node cluster stopped in ${Date.now() - t}ms`);
    if (leftovers.length) throw new Error(`the real-node cluster left things behind:\n  ${leftovers.join('\n  ')}`);
  };

  try {
    // Whatever a crashed earlier run left (the lock is ours now, so nothing else owns these).
    const stale = await cleanupRealClusterHost((l) => log(`(stale) ${l}`));
    if (stale.length) throw new Error(`cannot clean up after an earlier real-node cluster:\n  ${stale.join('\n  ')}`);
    // From here on, if this process dies in any way, the reaper runs the same cleanup.
    trackCleanupCommand(cleanupId, [process.execPath, CLEANUP_SCRIPT], cleanupEnv());

    const sysctls: Record<string, string> = {};
    for (const p of SYSCTLS) if (existsSync(p)) sysctls[p] = readFileSync(p, 'utf8').trim();
    await fs.writeFile(join(REAL_CLUSTER.root, 'sysctls.json'), JSON.stringify(sysctls));

    for (const d of ['pki', 'log', 'etcd', 'containerd', 'kubelet', 'cni/net.d', 'cni/ipam'])
      await fs.mkdir(join(S, d), { recursive: true });
    await fs.mkdir(join(RUN, 'containerd'), { recursive: true });
    await createCgroups();
    // The bridge exists (with the node IP) before anything starts, so kube-apiserver and the kubelet can bind to
    // it; the CNI bridge plugin adopts it.
    await mustRun('ip', ['link', 'add', REAL_CLUSTER.bridge, 'type', 'bridge']);
    await mustRun('ip', ['addr', 'add', `${REAL_CLUSTER.nodeIP}/24`, 'dev', REAL_CLUSTER.bridge]);
    await mustRun('ip', ['link', 'set', REAL_CLUSTER.bridge, 'up']);

    const node = REAL_CLUSTER.nodeName;
    const ip = REAL_CLUSTER.nodeIP;
    const [
      pki,
      etcdPort,
      etcdPeerPort,
      apiPort,
      kubeletPort,
      kubeletHealthz,
      kcmPort,
      schedPort,
      proxyMetrics,
      proxyHealthz,
    ] = await Promise.all([
      generatePki({
        hosts: ['kubernetes.default.svc.cluster.local', node],
        ips: [ip, REAL_CLUSTER.kubernetesServiceIP],
        leaves: {
          kubelet: { subject: `CN=system:node:${node}, O=system:nodes`, usage: 'client' },
          kubeletServing: {
            subject: `CN=system:node:${node}, O=system:nodes`,
            usage: 'server',
            hosts: [node, 'localhost'],
            ips: [ip, '127.0.0.1'],
          },
          apiserverKubeletClient: { subject: 'CN=kube-apiserver-kubelet-client, O=system:masters', usage: 'client' },
          controllerManager: { subject: 'CN=system:kube-controller-manager', usage: 'client' },
          scheduler: { subject: 'CN=system:kube-scheduler', usage: 'client' },
          kubeProxy: { subject: 'CN=system:kube-proxy', usage: 'client' },
        },
      }),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const P = join(S, 'pki');
    const pem = (name: string) => pki.extra[name] as Pem;
    const files = {
      ca: join(P, 'ca.crt'),
      apiCert: join(P, 'apiserver.crt'),
      apiKey: join(P, 'apiserver.key'),
      saKey: join(P, 'sa.key'),
      saPub: join(P, 'sa.pub'),
      kubeletServingCert: join(P, 'kubelet-serving.crt'),
      kubeletServingKey: join(P, 'kubelet-serving.key'),
      akcCert: join(P, 'apiserver-kubelet-client.crt'),
      akcKey: join(P, 'apiserver-kubelet-client.key'),
    };
    await writePki(pki, files, pem);
    const server = `https://${ip}:${apiPort}`;
    const kc = (name: string, p: Pem, user: string) => {
      const f = join(P, `${name}.kubeconfig`);
      return fs.writeFile(f, kubeconfigFor(server, files.ca, p, user), { mode: 0o600 }).then(() => f);
    };
    const kubeconfigPath = await kc('admin', pki.admin, 'admin');
    const kubeletKc = await kc('kubelet', pem('kubelet'), `system:node:${node}`);
    const kcmKc = await kc('controller-manager', pem('controllerManager'), 'system:kube-controller-manager');
    const schedKc = await kc('scheduler', pem('scheduler'), 'system:kube-scheduler');
    const proxyKc = await kc('kube-proxy', pem('kubeProxy'), 'system:kube-proxy');

    const auditPolicy = join(S, 'audit-policy.yaml');
    const auditLogPath = join(S, 'log', 'audit.log');
    await fs.writeFile(auditPolicy, REAL_NODE_AUDIT_POLICY);
    const spawn = (name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv) => {
      logFiles[name] = join(S, 'log', `${name}.log`);
      procs[name] = ManagedProcess.spawn(name, bin, args, { logFile: logFiles[name], env: env ?? process.env });
      return procs[name];
    };

    // containerd (Debian 1.6) with its own root, state and socket: never touches another containerd (docker's).
    const sock = `${RUN}/containerd/containerd.sock`;
    await fs.writeFile(join(S, 'containerd', 'config.toml'), containerdConfig(sock));
    await fs.writeFile(join(S, 'cni', 'net.d', '10-nbrc.conflist'), cniConfig());
    const containerd = spawn('containerd', 'containerd', ['--config', join(S, 'containerd', 'config.toml')]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = spawn('etcd', cpBins.etcd, etcdArgs(join(S, 'etcd'), etcdUrl, peerUrl));
    const apiserver = spawn(
      'kube-apiserver',
      cpBins.kubeApiserver,
      [
        ...apiserverArgs({
          etcdUrl,
          // The bridge address: reachable from the host and, through the `kubernetes` Service, from pods.
          address: ip,
          port: apiPort,
          certDir: join(S, 'apiserver-certs'),
          caCert: files.ca,
          servingCert: files.apiCert,
          servingKey: files.apiKey,
          saKey: files.saKey,
          saPub: files.saPub,
          serviceCIDR: REAL_CLUSTER.serviceCIDR,
          authorizationMode: 'Node,RBAC',
        }),
        '--enable-admission-plugins=NodeRestriction',
        `--kubelet-client-certificate=${files.akcCert}`,
        `--kubelet-client-key=${files.akcKey}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--audit-policy-file=${auditPolicy}`,
        `--audit-log-path=${auditLogPath}`,
        '--audit-log-format=json',
        '--audit-log-mode=blocking',
      ],
      { ...process.env, GOGC: process.env.GOGC ?? '400' },
    );
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const kcfg = kubeConfig;
    const core = kcfg.makeApiClient(CoreV1Api);
    await Promise.all([
      waitUntil(
        'containerd',
        60_000,
        [containerd],
        async () => (await runCmd('ctr', ['--address', sock, 'version'])).code === 0,
      ),
      // /readyz, not just "answers": the RBAC bootstrap (the controllers' and the kubelet's ClusterRoleBindings) and
      // the kube-system ConfigMaps the controllers read at start are only in place then.
      waitUntil('kube-apiserver /readyz', 120_000, [etcd, apiserver], async () => {
        await kubeRequest(kcfg, 'GET', '/readyz');
        return true;
      }),
    ]);
    log(`containerd and kube-apiserver (${server}) up after ${Date.now() - t0}ms`);
    const loadImage = async (archive: string) => {
      const t = Date.now();
      await mustRun('ctr', ['--address', sock, '-n', 'k8s.io', 'images', 'import', '--no-unpack=false', archive], {
        timeoutMs: 300_000,
      });
      return Date.now() - t;
    };
    const crdsReady = installCrds(kcfg, readCrds(opts.crdDirs ?? DEFAULT_CRD_DIRS));
    await loadImage(pauseArchive);

    spawn('kube-controller-manager', nodeBins.paths['kube-controller-manager'], [
      `--kubeconfig=${kcmKc}`,
      `--authentication-kubeconfig=${kcmKc}`,
      `--authorization-kubeconfig=${kcmKc}`,
      `--service-account-private-key-file=${files.saKey}`,
      `--root-ca-file=${files.ca}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--service-cluster-ip-range=${REAL_CLUSTER.serviceCIDR}`,
      '--cluster-cidr=10.213.0.0/16',
      // Faster reaction than the defaults; these are what the e2e timings depend on.
      '--node-monitor-grace-period=40s',
      '--concurrent-statefulset-syncs=5',
    ]);
    spawn('kube-scheduler', nodeBins.paths['kube-scheduler'], [
      `--kubeconfig=${schedKc}`,
      `--authentication-kubeconfig=${schedKc}`,
      `--authorization-kubeconfig=${schedKc}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
    ]);
    await fs.writeFile(join(S, 'kubelet', 'config.yaml'), kubeletConfig({ sock, files, kubeletPort, kubeletHealthz }));
    spawn('kubelet', nodeBins.paths.kubelet, [
      `--config=${join(S, 'kubelet', 'config.yaml')}`,
      `--kubeconfig=${kubeletKc}`,
      `--root-dir=${join(S, 'kubelet', 'root')}`,
      `--hostname-override=${node}`,
      `--node-ip=${ip}`,
      '--v=1',
    ]);
    await fs.writeFile(join(S, 'kube-proxy.yaml'), kubeProxyConfig({ proxyKc, proxyMetrics, proxyHealthz }));
    spawn('kube-proxy', nodeBins.paths['kube-proxy'], [`--config=${join(S, 'kube-proxy.yaml')}`, '--v=1']);

    await crdsReady;
    await waitUntil(`node ${node} Ready`, 180_000, Object.values(procs), async () => {
      const n: V1Node = await core.readNode({ name: node });
      return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    });
    // The `default` ServiceAccount of `default` comes from kube-controller-manager: proof it works.
    await waitUntil(
      'kube-controller-manager (default ServiceAccount)',
      60_000,
      [procs['kube-controller-manager'] as ManagedProcess],
      async () => {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return true;
      },
    );
    const startupMs = Date.now() - t0;
    log(`real-node cluster ready in ${startupMs}ms (node ${node}, kubeconfig ${kubeconfigPath})`);
    return {
      kubeconfigPath,
      kubeConfig: kcfg,
      server,
      dataDir: S,
      nodeName: node,
      nodeIP: ip,
      binaries: { ...cpBins, node: nodeBins },
      startupMs,
      logFiles,
      auditLogPath,
      loadImage,
      ctr: (args) => mustRun('ctr', ['--address', sock, '-n', 'k8s.io', ...args]),
      collectLogs: async (dir) => {
        await fs.mkdir(dir, { recursive: true });
        for (const [name, f] of Object.entries(logFiles))
          await fs.copyFile(f, join(dir, `${name}.log`)).catch(() => undefined);
      },
      stop,
    };
  } catch (err) {
    await stop().catch((e: unknown) => log(String(e)));
    throw err;
  }
}

async function writePki(pki: ControlPlanePki, f: Record<string, string>, pem: (n: string) => Pem): Promise<void> {
  const w = (p: string, data: string, secret = false) => fs.writeFile(p, data, { mode: secret ? 0o600 : 0o644 });
  await Promise.all([
    w(f.ca as string, pki.ca.cert),
    w(f.apiCert as string, pki.serving.cert),
    w(f.apiKey as string, pki.serving.key, true),
    w(f.saKey as string, pki.serviceAccount.privateKey, true),
    w(f.saPub as string, pki.serviceAccount.publicKey),
    w(f.kubeletServingCert as string, pem('kubeletServing').cert),
    w(f.kubeletServingKey as string, pem('kubeletServing').key, true),
    w(f.akcCert as string, pem('apiserverKubeletClient').cert),
    w(f.akcKey as string, pem('apiserverKubeletClient').key, true),
  ]);
}

function containerdConfig(sock: string): string {
  const S = REAL_CLUSTER.stateDir;
  return `version = 2
root = "${S}/containerd/root"
state = "${REAL_CLUSTER.runDir}/containerd/state"
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${S}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # No CAP_SYS_RESOURCE in this VM's bounding set: nobody may lower oom_score_adj, so never ask runc to.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${S}/cni/net.d"
`;
}

function cniConfig(): string {
  // No ipMasq: pods only talk to this host and each other. firewall: docker may have set FORWARD to DROP.
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'nbrc',
    plugins: [
      {
        type: 'bridge',
        bridge: REAL_CLUSTER.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: REAL_CLUSTER.podCIDR, gateway: REAL_CLUSTER.nodeIP }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(REAL_CLUSTER.stateDir, 'cni', 'ipam'),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'firewall' },
    ],
  });
}

function kubeletConfig(o: {
  sock: string;
  files: Record<string, string>;
  kubeletPort: number;
  kubeletHealthz: number;
}): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The host is cgroup v1 (hybrid) without systemd as PID 1.
failCgroupV1: false
cgroupDriver: cgroupfs
# Every pod below our own cgroup: the cleanup finds (and kills) container processes there even after a SIGKILL.
cgroupRoot: /${REAL_CLUSTER.cgroup}
containerRuntimeEndpoint: unix://${o.sock}
address: ${REAL_CLUSTER.nodeIP}
port: ${o.kubeletPort}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${o.kubeletHealthz}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${o.files.ca}}
authorization: {mode: Webhook}
tlsCertFile: ${o.files.kubeletServingCert}
tlsPrivateKeyFile: ${o.files.kubeletServingKey}
clusterDomain: cluster.local
failSwapOn: false
# The default -999 needs CAP_SYS_RESOURCE, which this VM's bounding set lacks.
oomScoreAdj: 0
serializeImagePulls: false
# Never garbage-collect or evict the images we imported: there is no registry to pull them again from.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
# Faster status updates than the defaults: the e2e tests wait on pod phases.
nodeStatusUpdateFrequency: 4s
syncFrequency: 10s
podCIDR: ${REAL_CLUSTER.podCIDR}
`;
}

function kubeProxyConfig(o: { proxyKc: string; proxyMetrics: number; proxyHealthz: number }): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${o.proxyKc}
hostnameOverride: ${REAL_CLUSTER.nodeName}
mode: iptables
clusterCIDR: ${REAL_CLUSTER.podCIDR}
bindAddress: 127.0.0.1
metricsBindAddress: 127.0.0.1:${o.proxyMetrics}
healthzBindAddress: 127.0.0.1:${o.proxyHealthz}
# See kubeletConfig: no negative oom_score_adj possible.
oomScoreAdj: 0
# Leave host-global settings alone: no NodePorts on 127.0.0.1 (would set route_localnet), no conntrack sysctls.
iptables:
  localhostNodePorts: false
nodePortAddresses: ["${REAL_CLUSTER.nodeIP}/32"]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}
