// `npm run cluster -- up --express N` as a user runs it: the npm script in its own process group (a terminal's
// foreground job), its printed "ready" output read back, the playground checked through the API server it names,
// one of the printed commands run as printed (a bounce with the CLI through kubectl), then Ctrl-C (SIGINT to the
// whole group, as a terminal sends it) and no process of the run left behind. It starts a control plane of its own
// (the binaries come from the shared cache, so only the start is paid).
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, isPodReady, waitUntil } from '../harness/index.js';
import { buildCli, type BuiltCli } from './support/cli.js';

const EXPRESS = 2;
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** pid → start time (clock ticks since boot) of `root` and every process below it, from /proc. */
function processTree(root: number): Map<number, { start: string; cmd: string }> {
  const parent = new Map<number, number>();
  const info = new Map<number, { start: string; cmd: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(Number(entry), 'stat');
    if (!stat) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parent.set(Number(entry), Number(fields[1]));
    info.set(Number(entry), {
      start: fields[19] ?? '',
      cmd: (readProc(Number(entry), 'cmdline') ?? '').replace(/\0/g, ' ').trim(),
    });
  }
  const tree = new Map<number, { start: string; cmd: string }>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const i = info.get(pid);
    if (!i || tree.has(pid)) continue;
    tree.set(pid, i);
    for (const [child, ppid] of parent) if (ppid === pid) queue.push(child);
  }
  return tree;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the process that had this pid and start time still runs (a zombie counts as gone). */
function stillRunning(pid: number, start: string): boolean {
  const stat = readProc(pid, 'stat');
  if (!stat) return false;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] === start && fields[0] !== 'Z';
}

describe.skipIf(!hasKubectl && !process.env.CI)('npm run cluster -- up --express N, as a user runs it', () => {
  let up: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let stdout = '';
  let stderr = '';
  let cli: BuiltCli | undefined;

  beforeAll(async () => {
    const built = buildCli();
    up = spawn('npm', ['run', 'cluster', '--', 'up', '--express', String(EXPRESS)], {
      cwd: REPO_ROOT,
      // A user's shell environment: no vitest or npm variables of this run.
      env: Object.fromEntries<string | undefined>(
        Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$)/i.test(k)),
      ),
      detached: true, // its own process group, like a job a shell runs in the foreground
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => up!.on('exit', (code, signal) => resolve({ code, signal })));
    up.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    up.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    cli = await built;
  }, 180_000);

  afterAll(async () => {
    // Only when the test failed before its own Ctrl-C: stop the run the same way, then for sure.
    if (up?.pid && up.exitCode === null && up.signalCode === null) {
      try {
        process.kill(-up.pid, 'SIGINT');
      } catch {
        /* gone */
      }
      const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (done === 'timeout') process.kill(-up.pid, 'SIGKILL');
    }
    cli?.cleanup();
  }, 90_000);

  it('prints ready with N Ready Express nodes and the operator; a printed bounce works; Ctrl-C leaves nothing', async () => {
    const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
    await waitUntil(() => /^Press Ctrl-C to stop\.$/m.test(stdout) || up!.exitCode !== null || undefined, {
      timeoutMs: 300_000,
      intervalMs: 250,
      description: '"Press Ctrl-C to stop." from npm run cluster -- up',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
    expect(up!.exitCode, output()).toBeNull();

    // What it printed: where the API server is, the operator, the playground and the commands to try.
    const kubeconfig = /^export KUBECONFIG=(\S+)$/m.exec(stdout)?.[1];
    expect(kubeconfig, output()).toBeDefined();
    const operatorPid = Number(/^operator: running \(pid (\d+), under deploy\/'s RBAC\)$/m.exec(stdout)?.[1]);
    expect(operatorPid, output()).toBeGreaterThan(0);
    const nodes = Array.from({ length: EXPRESS }, (_, i) => `express-${i}`);
    expect(stdout).toContain(`Playground: namespace playground, Express nodes ${nodes.join(', ')} (all Ready). Try:`);
    const tryLines = stdout
      .slice(stdout.indexOf('Try:') + 'Try:'.length)
      .split('\n')
      .map((l) => l.trim());
    const commands = tryLines.slice(1, tryLines.indexOf('', 1));
    const bounce = commands.find((c) => c.startsWith('kubectl nodebounce express-0 -n playground'));
    expect(bounce, commands.join('\n')).toBeDefined();

    // The namespace through the API server it printed: N ExpressNodes with Ready pods, the operator running.
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig!);
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'playground' });
    expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual(nodes);
    for (const p of pods.items) expect(isPodReady(p), p.metadata?.name).toBe(true);
    const ens = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'express.dev',
      version: 'v1alpha1',
      namespace: 'playground',
      plural: 'expressnodes',
    })) as { items: { metadata: { name: string } }[] };
    expect(ens.items.map((e) => e.metadata.name).sort()).toEqual(nodes);
    const tree = processTree(up!.pid!);
    expect(tree.has(operatorPid), `operator pid ${operatorPid} is not a process of this run`).toBe(true);
    expect(tree.get(operatorPid)!.cmd).toMatch(/src\/main\.ts/);

    // A printed command, run as printed by a shell (its "# …" is a comment there), kubectl finding the plugin on
    // PATH: a bounce of express-0, which only the running operator carries out.
    const bin = join(cli!.home, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'kubectl-nodebounce'), `#!/bin/sh\nexec '${process.execPath}' '${cli!.main}' "$@"\n`);
    chmodSync(join(bin, 'kubectl-nodebounce'), 0o755);
    const before = (await core.readNamespacedPod({ namespace: 'playground', name: 'express-0' })).metadata?.uid;
    const userEnv = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: cli!.home,
      KUBECONFIG: kubeconfig!,
    };
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('sh', ['-c', bounce!], { env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    expect(run.code, `${bounce}\n${run.out}`).toBe(0);
    // Without a terminal the CLI prints what it created and returns (like kubectl); the bounce goes on.
    const nb = /^nodebounces\.bounce\.express\.dev\/(\S+) created$/m.exec(run.out)?.[1];
    expect(nb, run.out).toBeDefined();
    const phase = await waitUntil(
      async () => {
        const o = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
          group: 'bounce.express.dev',
          version: 'v1alpha1',
          namespace: 'playground',
          plural: 'nodebounces',
          name: nb!,
        })) as { status?: { phase?: string } };
        return o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed' ? o.status.phase : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: `NodeBounce playground/${nb} finished` },
    );
    expect(phase).toBe('Succeeded');
    const after = (await core.readNamespacedPod({ namespace: 'playground', name: 'express-0' })).metadata?.uid;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    // Ctrl-C: SIGINT to the whole foreground group. Everything the run started (npm, tsx, the control plane, the
    // operator, the watchdog) ends, the control plane's files go, and the script says it stopped.
    const started = processTree(up!.pid!);
    expect(started.size).toBeGreaterThanOrEqual(5);
    process.kill(-up!.pid!, 'SIGINT');
    const end = await Promise.race([
      exited!,
      new Promise<string>((r) => setTimeout(() => r('no exit within 90 s'), 90_000)),
    ]);
    expect(stdout, output()).toMatch(/^SIGINT: stopping the control plane\.\.\.$/m);
    expect(stdout, output()).toMatch(/^stopped\.$/m);
    // The script exits 0 after "stopped."; npm itself, which got the same Ctrl-C, ends by that signal (a shell
    // reports 130), as any npm script's foreground job does.
    expect(
      [
        { code: 0, signal: null },
        { code: null, signal: 'SIGINT' },
      ],
      output(),
    ).toContainEqual(end);
    const left = await waitUntil(
      () => {
        const running = [...started].filter(([pid, p]) => stillRunning(pid, p.start));
        return running.length === 0 ? [] : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'every process of the run gone' },
    ).catch(() => [...started].filter(([pid, p]) => stillRunning(pid, p.start)).map(([pid, p]) => `${pid} ${p.cmd}`));
    expect(left, `left running after Ctrl-C:\n${left.join('\n')}`).toEqual([]);
    expect(existsSync(dirname(kubeconfig!)), `${dirname(kubeconfig!)} left behind`).toBe(false);
  }, 600_000);
});
