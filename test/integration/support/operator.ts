// Runs the operator as a real child process, authenticated as the ServiceAccount that deploy/ ships and
// authorised only by deploy/'s RBAC, so anything the operator needs that the RBAC lacks fails a test.
import { wrapCommand, type MemoryCgroup } from '../../harness/memlimit.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  REPO_ROOT,
  createNamespace,
  isConflict,
  kubeConfigForServiceAccount,
  kustomizeBuild,
  rbacObjects,
} from '../../harness/index.js';

export const OPERATOR_NAMESPACE = 'nodebounce-system';
export const OPERATOR_SA = 'nodebounce-operator';

export function loadManifests(path: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => !!o && typeof o === 'object');
}

/** Creates or replaces each object (a tiny `kubectl apply` for tests). */
export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[], namespace?: string): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    const o = structuredClone(obj);
    o.metadata ??= {};
    if (namespace && !o.metadata.namespace && !o.kind?.startsWith('Cluster')) o.metadata.namespace = namespace;
    try {
      await api.create(o);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const existing = await api.read({
        apiVersion: o.apiVersion!,
        kind: o.kind!,
        metadata: { name: o.metadata.name!, namespace: o.metadata.namespace },
      });
      o.metadata.resourceVersion = existing.metadata?.resourceVersion;
      await api.replace(o);
    }
  }
}

let renderedRbac: Promise<KubernetesObject[]> | undefined;

/**
 * The ServiceAccount and RBAC objects of `kustomize build deploy/base` (the real kustomize, built by
 * test/harness/tools.ts): exactly what an install applies, not the source files.
 */
export function operatorRbac(): Promise<KubernetesObject[]> {
  renderedRbac ??= kustomizeBuild('deploy/base').then((objs) => {
    const rbac = rbacObjects(objs);
    const sa = rbac.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === OPERATOR_SA);
    if (sa?.metadata.namespace !== OPERATOR_NAMESPACE) {
      throw new Error(`deploy/base renders no ServiceAccount ${OPERATOR_NAMESPACE}/${OPERATOR_SA}`);
    }
    return rbac;
  });
  return renderedRbac;
}

/** Installs deploy/base's rendered ServiceAccount and RBAC; returns a kubeconfig authenticating as that ServiceAccount. */
export async function installOperatorIdentity(adminKc: KubeConfig): Promise<KubeConfig> {
  await createNamespace(adminKc, OPERATOR_NAMESPACE);
  await applyObjects(adminKc, await operatorRbac());
  return kubeConfigForServiceAccount(adminKc, OPERATOR_NAMESPACE, OPERATOR_SA, {
    createServiceAccount: false,
    expirationSeconds: 7200,
  });
}

export interface OperatorProcessOptions {
  kubeConfig: KubeConfig;
  env?: Record<string, string>;
  /** Print the operator's log lines (NODEBOUNCE_TEST_VERBOSE=1 does it too). */
  verbose?: boolean;
  /**
   * 'tsx' (default): run src/main.ts through tsx. 'dist': run the compiled dist/main.js (`npm run build`), which
   * starts much faster. { script }: any other built entry point, e.g. the bundle that ships,
   * dist/nodebounce-operator.mjs (`npm run build`; the bench runs it, with nodeArgs ['--enable-source-maps'] as the
   * image does).
   */
  entry?: 'tsx' | 'dist' | { script: string };
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  /** Run inside this memory cgroup (test/harness/memlimit.ts), as in a pod with a memory limit. */
  memoryCgroup?: MemoryCgroup;
  /** Command-line flags for the operator, e.g. ['--metrics-bind-address=:0']. */
  args?: string[];
}

/** The operator under test, as a child process. */
export class OperatorProcess {
  readonly lines: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  private readonly dir: string;
  /** Milliseconds from spawn to the "caches synced" log line of the last start(). */
  readyMs?: number;

  constructor(private readonly opts: OperatorProcessOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'nodebounce-operator-test-'));
    writeFileSync(join(this.dir, 'kubeconfig'), opts.kubeConfig.exportConfig(), { mode: 0o600 });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts and waits until its caches are synced. */
  async start(timeoutMs = 90_000, readyLine = 'caches synced'): Promise<void> {
    const verbose = this.opts.verbose ?? !!process.env.NODEBOUNCE_TEST_VERBOSE;
    const entry = this.opts.entry ?? 'tsx';
    const entryArgs =
      entry === 'tsx'
        ? ['--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts')]
        : [entry === 'dist' ? join(REPO_ROOT, 'dist', 'main.js') : entry.script];
    const spawnedAt = performance.now();
    this.readyMs = undefined;
    const nodeArgv = [...(this.opts.nodeArgs ?? []), ...entryArgs, ...(this.opts.args ?? [])];
    const [command, args] = this.opts.memoryCgroup
      ? wrapCommand(this.opts.memoryCgroup, process.execPath, nodeArgv)
      : [process.execPath, nodeArgv];
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        KUBECONFIG: join(this.dir, 'kubeconfig'),
        NODEBOUNCE_LOG_LEVEL: 'debug',
        NODEBOUNCE_METRICS_PORT: '0',
        NODEBOUNCE_HEALTH_PORT: '0',
        // The explicit opt-out of authenticated HTTPS metrics (the default), so most tests read /metrics plainly;
        // metrics-auth.test.ts and metrics-dashboard.test.ts run with it on.
        NODEBOUNCE_METRICS_SECURE: 'false',
        ...this.opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        if (this.readyMs === undefined && line.includes('caches synced')) this.readyMs = performance.now() - spawnedAt;
        this.lines.push(line);
        if (verbose) console.log(`[operator ${child.pid}] ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    await this.waitForLog((l) => l.includes(readyLine), timeoutMs);
  }

  /** The child process (for resource usage, e.g. reading /proc/<pid>). */
  get process(): ChildProcess | undefined {
    return this.child;
  }

  async waitForLog(pred: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`operator exited with ${this.child.exitCode}:\n${this.lines.slice(-30).join('\n')}`);
      }
      if (Date.now() > deadline)
        throw new Error(`operator log line not seen in ${timeoutMs}ms:\n${this.lines.slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The port a log line reported (e.g. 'metrics listening'), for servers started on port 0. */
  async portOf(message: string): Promise<number> {
    const line = await this.waitForLog((l) => l.includes(message));
    return (JSON.parse(line) as { port: number }).port;
  }

  /** GET http://127.0.0.1:<port of `message`><path>. */
  async get(message: string, path: string): Promise<{ status: number; body: string }> {
    const port = await this.portOf(message);
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  }

  metrics(): Promise<{ status: number; body: string }> {
    return this.get('metrics listening', '/metrics');
  }

  /**
   * GET https://127.0.0.1:<metrics port>/metrics with this bearer token (none: no Authorization header), as curl -k
   * would (the certificate is self-signed unless the test mounted one; pass `ca` to verify it).
   */
  async secureMetrics(token?: string, ca?: string): Promise<{ status: number; body: string }> {
    const port = await this.portOf('metrics listening');
    return httpsGet(port, '/metrics', token, ca);
  }

  /** Parsed JSON log records. */
  records(): Array<Record<string, unknown>> {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** SIGKILL: the operator dies mid-whatever, like a node crash. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait; returns the exit code. */
  async stop(): Promise<number | null> {
    if (!this.child) return null;
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const code = await this.exited!;
    return code;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An HTTPS GET on 127.0.0.1 with an optional bearer token; without `ca` the certificate is not verified (curl -k). */
export function httpsGet(
  port: number,
  path: string,
  token?: string,
  ca?: string,
  timeoutMs = 15_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(ca ? { ca, servername: 'localhost' } : { rejectUnauthorized: false }),
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET https://127.0.0.1:${port}${path}: no answer in ${timeoutMs}ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}
