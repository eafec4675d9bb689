// kubectl-nodebounce end to end: the built CLI as a child process, against the real control plane, with the
// operator running under deploy/'s RBAC. Output and exit codes, including failures and every error line.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import {
  REPO_ROOT,
  createNamespace,
  kubeConfigForServiceAccount,
  readPod,
  startControlPlane,
  type ControlPlane,
} from '../harness/index.js';
import { buildCli, runCli, startCli, type BuiltCli } from './support/cli.js';
import { useOperatorEnv } from './support/env.js';

const RESOURCE = 'nodebounces.bounce.express.dev';

function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0]!;
}

describe('kubectl-nodebounce', () => {
  const env = useOperatorEnv();
  let cli: BuiltCli;
  let admin: string;

  beforeAll(async () => {
    cli = await buildCli();
    admin = inject('kubeconfigPath');
  });
  afterAll(() => cli?.cleanup());

  it('is built as an executable script with a shebang (package.json bin)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ 'kubectl-nodebounce': 'dist/cli/main.js' });
    expect(readFileSync(cli.main, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const help = spawnSync(process.execPath, [cli.main, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('list');
    expect(help.stdout).toContain('status <name>');
  });

  it('works as a kubectl plugin: `kubectl nodebounce` runs the executable named kubectl-nodebounce on PATH', async () => {
    if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0) return; // no kubectl here
    const ns = await env.namespace('cli-plugin');
    const bin = join(cli.home, 'bin');
    mkdirSync(bin, { recursive: true });
    chmodSync(cli.main, 0o755); // what npm does to a package's bin on install
    symlinkSync(cli.main, join(bin, 'kubectl-nodebounce'));
    const child = spawn('kubectl', ['nodebounce', 'list', '-n', ns], {
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: cli.home, KUBECONFIG: admin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toBe(`No NodeBounces found in namespace ${ns}.\n`);
  });

  it('--wait without a terminal: one line per transition, exit 0, and the pod really restarted', async () => {
    const ns = await env.namespace('cli-wait');
    const pod = await env.fx.readyExpressNode(ns, 'w0');
    const r = await runCli(cli, ['w0', '-n', ns, '--wait', '--reason', 'kernel update'], { kubeconfig: admin });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${RESOURCE}/w0-[a-z0-9]{5} created$`));
    const steps = lines.slice(1).map((l) => l.split(' ').slice(1, 3).join(' '));
    // Accepted and started in one status write (ADR 0006): the first transition seen is the eviction's intent.
    expect(steps[0]).toBe('Terminating Evicting:');
    expect(steps.some((s) => s.startsWith('Starting'))).toBe(true);
    expect(steps[steps.length - 1]).toBe('Succeeded PodRestarted:');
    for (const l of lines.slice(1)) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [A-Z]/);
    expect(r.stdout).toContain('Reason given: "kernel update"');
    const now = await readPod(env.kc, ns, 'w0');
    expect(now?.metadata?.uid).not.toBe(pod.metadata?.uid);
  });

  it('without a terminal the default is --no-wait: prints the name and returns; every flag lands in the spec', async () => {
    const ns = await env.namespace('cli-nowait');
    await env.fx.readyExpressNode(ns, 'nw', { shutdownDelay: '2s' });
    const r = await runCli(
      cli,
      [
        'nw',
        '-n',
        ns,
        '--reason',
        'why not',
        '--mode',
        'delete',
        '--force',
        '--termination-timeout',
        '2m',
        '--ready-timeout',
        '90s',
        '--grace-period',
        '5',
        '--ttl',
        '1h',
      ],
      { kubeconfig: admin },
    );
    expect(r.code).toBe(0);
    const name = /^nodebounces\.bounce\.express\.dev\/(\S+) created\n$/.exec(r.stdout)?.[1];
    expect(name).toBeDefined();
    const nb = await env.fx.getNodeBounce(ns, name!);
    expect(nb?.status?.phase).not.toBe('Succeeded'); // it returned before the bounce finished
    expect(nb?.spec).toEqual({
      podName: 'nw',
      reason: 'why not',
      mode: 'Delete',
      force: true,
      terminationTimeoutSeconds: 120,
      readyTimeoutSeconds: 90,
      gracePeriodSeconds: 5,
      ttlSecondsAfterFinished: 3600,
      dryRun: false,
    });
    expect((await env.fx.waitFinished(ns, name!)).status?.reason).toBe('PodRestarted');
  });

  it('-o json|yaml: the final object on stdout; list and status too', async () => {
    const ns = await env.namespace('cli-out');
    await env.fx.readyExpressNode(ns, 'oj');
    const r = await runCli(cli, ['oj', '-n', ns, '--wait', '-o', 'json', '--dry-run'], { kubeconfig: admin });
    expect(r.code).toBe(0);
    const nb = JSON.parse(r.stdout) as NodeBounce;
    expect(nb.status).toMatchObject({ phase: 'Succeeded', reason: 'DryRunPassed' });
    expect(nb.spec.dryRun).toBe(true);

    const status = await runCli(cli, ['status', nb.metadata.name, '-n', ns, '-o', 'yaml'], { kubeconfig: admin });
    expect(status.code).toBe(0);
    expect((parseYaml(status.stdout) as NodeBounce).metadata.uid).toBe(nb.metadata.uid);

    const list = await runCli(cli, ['list', '-n', ns, '-o', 'json'], { kubeconfig: admin });
    expect(list.code).toBe(0);
    const parsed = JSON.parse(list.stdout) as { kind: string; items: NodeBounce[] };
    expect(parsed.kind).toBe('List');
    expect(parsed.items.map((i) => i.metadata.name)).toEqual([nb.metadata.name]);
  });

  it('a failed bounce (NodeRebuilding) exits 1 with the reason and message on stderr', async () => {
    const ns = await env.namespace('cli-fail');
    await env.fx.readyExpressNode(ns, 'rb', { runtimeState: 'rebuilding' });
    const r = await runCli(cli, ['rb', '-n', ns, '--wait'], { kubeconfig: admin });
    expect(r.code).toBe(1);
    const line = oneErrorLine(r.stderr);
    expect(line).toMatch(
      /^error: bounce of pod rb failed after \S+: NodeRebuilding: ExpressNode\.express\.dev rb is rebuilding its cache/,
    );
    // The operator's message names spec.force for a manifest's author; the CLI tells its user the flag instead.
    expect(line).toContain('bounce it again with --force');
    expect(line).not.toContain('spec.force');
    expect(r.stdout).toMatch(/ Failed NodeRebuilding: /);
  });

  it('warnings from events while waiting (BlockedByPDB), then TerminationTimeout: exit 1; the pod was never touched', async () => {
    const ns = await env.namespace('cli-pdb');
    const pod = await env.fx.readyExpressNode(ns, 'pd');
    await env.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'hold' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { 'express.dev/node': 'pd' } } },
      },
    });
    const r = await runCli(cli, ['pd', '-n', ns, '--wait', '--termination-timeout', '3s'], { kubeconfig: admin });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Z Warning BlockedByPDB: Eviction of pod pd refused/);
    expect(r.stdout).toMatch(/Z Terminating BlockedByPDB: /);
    expect(oneErrorLine(r.stderr)).toMatch(/failed after \S+: TerminationTimeout: /);
    expect((await readPod(env.kc, ns, 'pd'))?.metadata?.uid).toBe(pod.metadata?.uid);
  });

  it('Ctrl-C stops following, says the bounce goes on (exit 130), and the bounce does go on', async () => {
    const ns = await env.namespace('cli-sigint');
    await env.fx.readyExpressNode(ns, 'ci', { shutdownDelay: '3s' });
    const run = startCli(cli, ['ci', '-n', ns, '--wait'], { kubeconfig: admin });
    await run.waitForOutput(/Terminating /);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    const name = /\/(\S+) created/.exec(r.stdout)![1]!;
    expect(r.stderr).toContain(`Stopped following NodeBounce ${ns}/${name} (Terminating`);
    expect(r.stderr).toContain(`The bounce goes on; check it with: kubectl nodebounce status ${name} -n ${ns}`);
    expect((await env.fx.waitFinished(ns, name)).status?.reason).toBe('PodRestarted');
  });

  it('--timeout: exit 4, says it is still running and goes on', async () => {
    const ns = await env.namespace('cli-timeout');
    await env.fx.readyExpressNode(ns, 'to', { shutdownDelay: '4s' });
    const r = await runCli(cli, ['to', '-n', ns, '--wait', '--timeout', '1500ms'], { kubeconfig: admin });
    expect(r.code).toBe(4);
    expect(oneErrorLine(r.stderr)).toMatch(
      /^error: timed out after 1s waiting for NodeBounce \S+ \(still (Pending|Terminating)\/\w+\)\. The bounce goes on/,
    );
  });

  it('list (a table with durations) and status (the whole story)', async () => {
    const ns = await env.namespace('cli-story');
    await env.fx.readyExpressNode(ns, 'st', { shutdownProtection: true });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'st', reason: 'story time' });
    await env.fx.waitFinished(ns, nb.metadata.name);

    const list = await runCli(cli, ['list', '-n', ns], { kubeconfig: admin });
    expect(list.code).toBe(0);
    const [header, row, ...rest] = list.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'TARGET', 'PHASE', 'REASON', 'DURATION', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).toEqual([nb.metadata.name, 'st', 'Succeeded', 'PodRestarted']);
    expect(row!.split(/\s+/)[4]).toMatch(/^\d+(ms|s)$/);
    expect(rest).toEqual([]);

    const all = await runCli(cli, ['list', '-A'], { kubeconfig: admin });
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME/);
    expect(all.stdout).toContain(ns);

    const s = await runCli(cli, ['status', nb.metadata.name, '-n', ns], { kubeconfig: admin });
    expect(s.code).toBe(0);
    for (const text of [
      'Phase:                Succeeded (PodRestarted)',
      'Requested because:    story time',
      'Shutdown protection:  disabled by the operator, restored',
      'Timeline:',
      'replacement Ready',
      'Conditions:',
      'Events:',
    ]) {
      expect(s.stdout).toContain(text);
    }
    expect(s.stdout).toMatch(/Normal\s+ShutdownProtectionRestored/);
    expect(s.stdout).toMatch(/PodReady\s+True\s+ReplacementReady/);
  });

  it('on a terminal: a live progress line, then a success line', async () => {
    const hasScript = spawnSync('script', ['--version']).status === 0;
    if (!hasScript) return; // util-linux `script` provides the pseudo-terminal
    const ns = await env.namespace('cli-tty');
    await env.fx.readyExpressNode(ns, 'tt', { shutdownDelay: '1500ms' });
    const cmd = `${process.execPath} ${cli.main} tt -n ${ns}`; // no --wait: the terminal makes it the default
    // Asynchronously: the Express simulator runs in this process and must keep recreating pods meanwhile.
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: cli.home, KUBECONFIG: admin, TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const r = { status, stdout: out, stderr: '' };
    expect(r.status, r.stdout).toBe(0);
    // eslint-disable-next-line no-control-regex -- strips the terminal's escape sequences (ESC, \x1b) from the screen.
    const screen = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(screen).toContain(`created for pod tt. Following it; Ctrl-C stops following, the bounce goes on.`);
    expect(screen).toMatch(/Terminating · \d+s · waiting for pod tt to terminate, \S+ left of 600s/);
    expect(screen).toMatch(/✔ Pod tt restarted in \d+s \(NodeBounce /);
  });

  describe('errors: one clear line each', () => {
    it('pod not found: exit 3, and no NodeBounce is created', async () => {
      const ns = await env.namespace('cli-nopod');
      const r = await runCli(cli, ['ghost', '-n', ns, '--wait'], { kubeconfig: admin });
      expect(r.code).toBe(3);
      expect(oneErrorLine(r.stderr)).toBe(`error: pod "ghost" not found in namespace ${ns}`);
      expect((await runCli(cli, ['list', '-n', ns, '-o', 'json'], { kubeconfig: admin })).stdout).toContain(
        '"items": []',
      );
    });

    it('no kubeconfig', async () => {
      const none = await runCli(cli, ['list'], { kubeconfig: null });
      expect(none.code).toBe(3);
      expect(oneErrorLine(none.stderr)).toBe(
        'error: no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config',
      );
      const missing = await runCli(cli, ['list'], { kubeconfig: '/nonexistent/kubeconfig' });
      expect(oneErrorLine(missing.stderr)).toBe(
        'error: no kubeconfig: KUBECONFIG=/nonexistent/kubeconfig names no existing file',
      );
    });

    it('forbidden: a user whose RBAC allows nothing', async () => {
      const ns = await env.namespace('cli-forbid');
      await env.fx.readyExpressNode(ns, 'fb');
      const nobody = await kubeConfigForServiceAccount(env.kc, ns, 'nobody');
      const file = join(cli.home, `nobody-${ns}.kubeconfig`);
      writeFileSync(file, nobody.exportConfig(), { mode: 0o600 });
      // It may not read the pod either, so the pod check is skipped and the create is what is refused.
      const r = await runCli(cli, ['fb', '--wait'], { kubeconfig: file });
      expect(r.code).toBe(3);
      expect(oneErrorLine(r.stderr)).toBe(
        `error: forbidden: ${RESOURCE} is forbidden: User "system:serviceaccount:${ns}:nobody" cannot create resource "nodebounces" in API group "bounce.express.dev" in the namespace "${ns}"`,
      );
      const list = await runCli(cli, ['list'], { kubeconfig: file });
      expect(list.code).toBe(3);
      expect(oneErrorLine(list.stderr)).toMatch(/^error: forbidden: .*cannot list resource "nodebounces"/);
    });

    it('usage errors exit 2', async () => {
      const r = await runCli(cli, ['x', '--mode', 'Nuke'], { kubeconfig: admin });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("error: option '--mode <mode>' argument 'Nuke' is invalid. must be Evict or Delete.");
    });

    describe('CRD not installed (a second API server without it)', () => {
      let bare: ControlPlane;
      beforeAll(async () => {
        // One retry: without CRDs to install, startup races the `default` namespace's creation (a harness issue).
        bare = await startControlPlane({ crdDirs: [], kwokNodes: 0 }).catch(() =>
          startControlPlane({ crdDirs: [], kwokNodes: 0 }),
        );
        await createNamespace(bare.kubeConfig, 'app');
        await bare.kubeConfig.makeApiClient(CoreV1Api).createNamespacedPod({
          namespace: 'app',
          body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'registry.invalid/none' }] } },
        });
      });
      afterAll(async () => bare?.stop());

      it.each([
        ['list', ['list', '-n', 'app']],
        ['status', ['status', 'x', '-n', 'app']],
        ['bounce', ['p', '-n', 'app', '--wait']],
      ])('%s', async (_what, args) => {
        const r = await runCli(cli, args, { kubeconfig: bare.kubeconfigPath });
        expect(r.code).toBe(3);
        expect(oneErrorLine(r.stderr)).toBe(
          `error: the NodeBounce API (${RESOURCE}/v1alpha1) is not installed on ${bare.server}: install the CRD (crds/) and the nodebounce operator`,
        );
      });
    });
  });
});
