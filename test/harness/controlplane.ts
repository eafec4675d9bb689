/**
 * A real, local Kubernetes control plane for tests and the demo: etcd + kube-apiserver (RBAC, TLS,
 * service-account tokens) + kwok as kubelet simulator, on free loopback ports in a temp directory.
 * No kube-controller-manager or scheduler runs (see README "Local control plane").
 */
import { promises as fs, existsSync, readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ensureControlPlaneBinaries, type ControlPlaneBinaries } from './build.js';
import { generatePki, type ControlPlanePki } from './certs.js';
import { createKwokNodes, startKwok, waitForNodesReady } from './kwok.js';
import { ManagedProcess, findProcessesMentioning, trackDir, untrackDir } from './procs.js';
import { kubeRequest } from './raw.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..');
export const DEFAULT_CRD_DIRS = [join(REPO_ROOT, 'crds'), join(REPO_ROOT, 'test', 'fixtures', 'crds')];
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface StartControlPlaneOptions {
  /** Directories whose *.yaml / *.yml CustomResourceDefinitions are installed. Default: crds/ and test/fixtures/crds/. */
  crdDirs?: string[];
  /** true: audit every request at Metadata level into <dataDir>/audit.log; a string: path of a policy file. */
  auditPolicy?: boolean | string;
  /** Number of kwok-managed fake Nodes (kwok-node-0..N-1). Default 3; 0 disables kwok. */
  kwokNodes?: number;
  /** Receives progress messages and the children's log lines. */
  log?: (line: string) => void;
}

export interface ControlPlane {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Set when auditing is enabled: the JSON-lines audit log of kube-apiserver. */
  auditLogPath?: string;
  dataDir: string;
  /** Names of the kwok-managed Nodes. */
  nodeNames: string[];
  binaries: ControlPlaneBinaries;
  /** Time from the call to ready (ms). */
  startupMs: number;
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** SIGKILLs kube-apiserver (a crash, no graceful shutdown) and resolves once its exit has been seen. */
  killApiServer(): Promise<void>;
  restartApiServer(): Promise<void>;
  /** Kills every child, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Audit policy: every request at Metadata level (no bodies), no omitted stages except RequestReceived. */
export const METADATA_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: Metadata
`;

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

function get(url: string, tls?: { ca: string; cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', timeout: 2000, agent: false, ...(tls ?? {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(
  what: string,
  proc: ManagedProcess,
  timeoutMs: number,
  check: () => Promise<boolean>,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err instanceof Error ? err.message : String(err);
    }
    if (!proc.running) {
      throw new Error(`${proc.name} ${proc.describeExit()} while waiting for ${what}. Log tail:\n${proc.tail()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (${lastErr}). ${proc.name} log tail:\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function kubeconfigYaml(server: string, pki: ControlPlanePki, user = 'admin'): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: nodebounce-local
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(pki.ca.cert)}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(pki.admin.cert)}
    client-key-data: ${b64(pki.admin.key)}
contexts:
- name: nodebounce-local
  context:
    cluster: nodebounce-local
    user: ${user}
current-context: nodebounce-local
`;
}

/** Reads every CustomResourceDefinition from *.yaml/*.yml files in the given directories. */
export function readCrds(dirs: string[]): V1CustomResourceDefinition[] {
  const crds: V1CustomResourceDefinition[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!/\.ya?ml$/.test(file)) continue;
      const text = readFileSync(join(dir, file), 'utf8');
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new Error(`${join(dir, file)}: ${doc.errors[0]?.message}`);
        const obj = doc.toJS() as V1CustomResourceDefinition | null;
        if (obj && obj.kind === 'CustomResourceDefinition') crds.push(obj);
      }
    }
  }
  return crds;
}

/**
 * Retries `fn` while the API server is still coming up: connection errors, 429 ("storage is
 * initializing"), 5xx, and 404 when `retryNotFound` (e.g. the `default` namespace not created yet).
 */
export async function retryWhileStarting<T>(
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; retryNotFound?: boolean } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const transient =
        typeof code !== 'number' || code === 429 || code >= 500 || (opts.retryNotFound === true && code === 404);
      if (!transient || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/**
 * Creates or updates the CRDs (sent as raw JSON, so no field is lost) and waits until all are
 * Established.
 */
export async function installCrds(
  kc: KubeConfig,
  crds: V1CustomResourceDefinition[],
  timeoutMs = 30_000,
): Promise<void> {
  await Promise.all(
    crds.map(async (crd) => {
      const name = crd.metadata?.name ?? '';
      try {
        await retryWhileStarting(() => kubeRequest(kc, 'POST', CRD_PATH, crd), { timeoutMs });
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
        await retryWhileStarting(
          async () => {
            const existing = await kubeRequest<V1CustomResourceDefinition>(kc, 'GET', `${CRD_PATH}/${name}`);
            await kubeRequest(kc, 'PUT', `${CRD_PATH}/${name}`, {
              ...crd,
              metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion },
            });
          },
          { timeoutMs },
        );
      }
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (;;) {
      const cur = await retryWhileStarting(
        () => kubeRequest<V1CustomResourceDefinition>(kc, 'GET', `${CRD_PATH}/${name}`),
        { timeoutMs },
      );
      const established = cur.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // Established is not quite "usable": right after it, lists can still answer 429 "storage is
  // (re)initializing" until the watch cache of the new resource is ready. Wait for a list to work.
  await Promise.all(
    crds.map(async (crd) => {
      const version = crd.spec.versions.find((v) => v.served)?.name ?? crd.spec.versions[0]?.name;
      const path = `/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}?limit=1`;
      for (;;) {
        try {
          await kubeRequest(kc, 'GET', path);
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }),
  );
}

let instances = 0;

function portClash(proc: ManagedProcess): boolean {
  return /address already in use/i.test(proc.tail(60));
}

/**
 * kube-apiserver finishes its graceful shutdown steps within milliseconds but then lingers (open
 * watches) until killed; its state is in etcd, so don't wait long before SIGKILL.
 */
const APISERVER_STOP_GRACE_MS = 1_500;

/** etcd as both harnesses run it: one member, no fsync, short raft timings (it elects itself in ~50 ms, not ~600). */
export function etcdArgs(dataDir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=default',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--heartbeat-interval=10',
    '--election-timeout=100',
    '--log-level=warn',
  ];
}

/** The kube-apiserver flags both harnesses share: storage, serving, client and service-account keys. */
export function apiserverArgs(o: {
  etcdUrl: string;
  address: string;
  port: number;
  certDir: string;
  caCert: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
  serviceCIDR: string;
  authorizationMode: string;
}): string[] {
  return [
    `--etcd-servers=${o.etcdUrl}`,
    `--bind-address=${o.address}`,
    `--advertise-address=${o.address}`,
    `--secure-port=${o.port}`,
    `--cert-dir=${o.certDir}`,
    `--tls-cert-file=${o.servingCert}`,
    `--tls-private-key-file=${o.servingKey}`,
    `--client-ca-file=${o.caCert}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${o.saPub}`,
    `--service-account-signing-key-file=${o.saKey}`,
    `--service-cluster-ip-range=${o.serviceCIDR}`,
    `--authorization-mode=${o.authorizationMode}`,
    '--allow-privileged=true',
    '--profiling=false',
    '--v=0',
  ];
}

export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const binaries = await ensureControlPlaneBinaries({ log: (l) => log(`[build] ${l}`) });
  const dataDir = await fs.mkdtemp(join(tmpdir(), 'nodebounce-cp-'));
  trackDir(dataDir);
  const procs: { etcd?: ManagedProcess; apiserver?: ManagedProcess; kwok?: ManagedProcess } = {};
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // kwok first (it talks to the apiserver), then the apiserver, then etcd.
    await procs.kwok?.stop(2_000);
    await procs.apiserver?.stop(APISERVER_STOP_GRACE_MS);
    await procs.etcd?.stop(5_000);
    const leftovers = findProcessesMentioning(dataDir);
    for (const p of leftovers) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await fs.rm(dataDir, { recursive: true, force: true });
    untrackDir(dataDir);
    instances--;
  };
  instances++;

  try {
    let [pki, etcdPort, etcdPeerPort, apiPort] = await Promise.all([generatePki(), freePort(), freePort(), freePort()]);
    const pkiDir = join(dataDir, 'pki');
    await fs.mkdir(pkiDir, { recursive: true });
    const files = {
      caCert: join(pkiDir, 'ca.crt'),
      servingCert: join(pkiDir, 'apiserver.crt'),
      servingKey: join(pkiDir, 'apiserver.key'),
      saKey: join(pkiDir, 'sa.key'),
      saPub: join(pkiDir, 'sa.pub'),
    };
    await Promise.all([
      fs.writeFile(files.caCert, pki.ca.cert),
      fs.writeFile(files.servingCert, pki.serving.cert),
      fs.writeFile(files.servingKey, pki.serving.key, { mode: 0o600 }),
      fs.writeFile(files.saKey, pki.serviceAccount.privateKey, { mode: 0o600 }),
      fs.writeFile(files.saPub, pki.serviceAccount.publicKey),
    ]);

    // etcd (free ports are picked up front; if another process grabs one meanwhile, retry with new ones)
    let etcdUrl = '';
    for (let attempt = 1; ; attempt++) {
      etcdUrl = `http://127.0.0.1:${etcdPort}`;
      const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
      await fs.rm(join(dataDir, 'etcd'), { recursive: true, force: true });
      procs.etcd = ManagedProcess.spawn(
        'etcd',
        binaries.etcd,
        [...etcdArgs(join(dataDir, 'etcd'), etcdUrl, peerUrl), '--quota-backend-bytes=4294967296'],
        { logFile: join(dataDir, 'etcd.log'), log },
      );
      try {
        await waitFor(
          'etcd /health',
          procs.etcd,
          30_000,
          async () => {
            const res = await get(`${etcdUrl}/health`);
            return res.status === 200 && res.body.includes('true');
          },
          20,
        );
        break;
      } catch (err) {
        if (attempt >= 3 || !portClash(procs.etcd)) throw err;
        await procs.etcd.stop(1_000);
        [etcdPort, etcdPeerPort] = await Promise.all([freePort(), freePort()]);
        log(`etcd: port in use, retrying on ${etcdPort}/${etcdPeerPort}`);
      }
    }
    log(`etcd ready on ${etcdUrl} after ${Date.now() - t0}ms`);

    // kube-apiserver
    let server = `https://127.0.0.1:${apiPort}`;
    let auditLogPath: string | undefined;
    const apiArgs = () => [
      ...apiserverArgs({
        etcdUrl,
        address: '127.0.0.1',
        port: apiPort,
        certDir: join(dataDir, 'apiserver-certs'),
        caCert: files.caCert,
        servingCert: files.servingCert,
        servingKey: files.servingKey,
        saKey: files.saKey,
        saPub: files.saPub,
        serviceCIDR: '10.0.0.0/24',
        authorizationMode: 'RBAC',
      }),
      '--endpoint-reconciler-type=none',
      ...auditArgs,
    ];
    const auditArgs: string[] = [];
    if (opts.auditPolicy) {
      const policyPath =
        typeof opts.auditPolicy === 'string' ? resolve(opts.auditPolicy) : join(dataDir, 'audit-policy.yaml');
      if (opts.auditPolicy === true) await fs.writeFile(policyPath, METADATA_AUDIT_POLICY);
      auditLogPath = join(dataDir, 'audit.log');
      auditArgs.push(
        `--audit-policy-file=${policyPath}`,
        `--audit-log-path=${auditLogPath}`,
        '--audit-log-format=json',
        '--audit-log-mode=blocking',
        '--audit-log-maxsize=0',
      );
    }
    const tls = { ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key };
    /** Spawns kube-apiserver and waits until it answers HTTP at all (it is not ready yet). */
    const spawnApiServer = async () => {
      if (stopped) throw new Error('control plane is stopped');
      procs.apiserver = ManagedProcess.spawn('kube-apiserver', binaries.kubeApiserver, apiArgs(), {
        logFile: join(dataDir, 'kube-apiserver.log'),
        log,
        // Startup is CPU-bound and allocation-heavy; less frequent GC makes it ~20% faster on 2 cores
        // (measured) at the cost of a larger heap.
        env: { ...process.env, GOGC: process.env.GOGC ?? '400' },
      });
      const proc = procs.apiserver;
      await waitFor(
        'kube-apiserver to serve',
        proc,
        120_000,
        async () => (await get(`${server}/livez`, tls)).status > 0,
      );
    };
    const waitApiServerReady = async (since: number) => {
      const proc = procs.apiserver;
      if (!proc) throw new Error('kube-apiserver not started');
      await waitFor(
        'kube-apiserver /readyz',
        proc,
        120_000,
        async () => (await get(`${server}/readyz`, tls)).status === 200,
      );
      log(`kube-apiserver ready on ${server} after ${Date.now() - since}ms`);
    };
    const startApiServer = async () => {
      if (procs.apiserver?.running) return;
      const t = Date.now();
      await spawnApiServer();
      await waitApiServerReady(t);
    };
    const stopApiServer = async () => {
      await procs.apiserver?.stop(APISERVER_STOP_GRACE_MS);
    };
    const apiStarted = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await spawnApiServer();
        break;
      } catch (err) {
        if (attempt >= 3 || !procs.apiserver || !portClash(procs.apiserver)) throw err;
        await procs.apiserver.stop(1_000);
        apiPort = await freePort();
        server = `https://127.0.0.1:${apiPort}`;
        log(`kube-apiserver: port in use, retrying on ${apiPort}`);
      }
    }

    const kubeconfigPath = join(dataDir, 'kubeconfig');
    await fs.writeFile(kubeconfigPath, kubeconfigYaml(server, pki), { mode: 0o600 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);

    // While kube-apiserver runs its post-start hooks (until /readyz), already install the CRDs, the
    // default ServiceAccount (no controller-manager creates it) and start kwok: the admin identity is
    // in system:masters, so nothing here depends on RBAC being bootstrapped.
    const crds = readCrds(opts.crdDirs ?? DEFAULT_CRD_DIRS);
    const nodeCount = opts.kwokNodes ?? 3;
    let nodeNames: string[] = [];
    await Promise.all([
      waitApiServerReady(apiStarted),
      installCrds(kubeConfig, crds).then(() => log(`installed ${crds.length} CRD(s) after ${Date.now() - t0}ms`)),
      // The `default` namespace itself is created by a post-start hook.
      ensureDefaultServiceAccount(kubeConfig, 'default', { waitForNamespace: true }),
      (async () => {
        if (nodeCount <= 0) return;
        procs.kwok = startKwok({
          bin: binaries.kwok,
          kubeconfigPath,
          logFile: join(dataDir, 'kwok.log'),
          log,
        });
        nodeNames = await retryWhileStarting(() => createKwokNodes(kubeConfig, nodeCount));
        await waitForNodesReady(kubeConfig, nodeNames, { proc: procs.kwok, timeoutMs: 60_000 });
        log(`kwok nodes Ready after ${Date.now() - t0}ms`);
      })(),
    ]);

    const startupMs = Date.now() - t0;
    log(`control plane ready in ${startupMs}ms (kubeconfig ${kubeconfigPath})`);
    return {
      kubeconfigPath,
      kubeConfig,
      server,
      auditLogPath,
      dataDir,
      nodeNames,
      binaries,
      startupMs,
      stopApiServer,
      startApiServer,
      killApiServer: async () => {
        const proc = procs.apiserver;
        if (!proc?.running) return;
        proc.killSync();
        // startApiServer() does nothing while the old process still counts as running.
        await proc.exited;
      },
      // Same port, certs and etcd: clients keep their kubeconfig. Resolves once /readyz answers again.
      restartApiServer: async () => {
        await stopApiServer();
        await startApiServer();
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** Number of control planes started by this process and not yet stopped. */
export function runningControlPlanes(): number {
  return instances;
}

/** Creates the `default` ServiceAccount of a namespace (normally done by kube-controller-manager). */
export async function ensureDefaultServiceAccount(
  kc: KubeConfig,
  namespace: string,
  opts: { waitForNamespace?: boolean } = {},
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await retryWhileStarting(
      () => core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }),
      { timeoutMs: 30_000, retryNotFound: opts.waitForNamespace },
    );
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}
