// `kubectl nodebounce rollout`, `list` and `status` with RollingBounces: the built CLI against the real control
// plane, with the operator running.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RollingBounce } from '../../src/api/rollingbounce.js';
import { buildCli, runCli, type BuiltCli } from './support/cli.js';
import { useOperatorEnv } from './support/env.js';

describe('kubectl-nodebounce rollout', () => {
  const env = useOperatorEnv();
  let cli: BuiltCli;
  let admin: string;

  beforeAll(async () => {
    cli = await buildCli();
    admin = inject('kubeconfigPath');
  });
  afterAll(() => cli?.cleanup());

  it('rollout --wait follows to Succeeded and prints the member table; list and status show the RollingBounce', async () => {
    const ns = await env.namespace('cli-rollout');
    await Promise.all(
      ['r-a', 'r-b', 'r-c'].map((n) =>
        env.fx.readyExpressNode(ns, n, { labels: { app: 'ex', ...(n === 'r-a' ? { role: 'leader' } : {}) } }),
      ),
    );
    const dry = await runCli(
      cli,
      [
        'rollout',
        '-n',
        ns,
        '-l',
        'app=ex',
        '--last',
        'role=leader',
        '--stable',
        '0',
        '--dry-run',
        '--name',
        'dry',
        '--wait',
        '-o',
        'json',
      ],
      { kubeconfig: admin },
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as RollingBounce).status?.plan?.batches).toEqual([['r-b'], ['r-c'], ['r-a']]);

    const res = await runCli(
      cli,
      [
        'rollout',
        '-n',
        ns,
        '-l',
        'app=ex',
        '--last',
        'role=leader',
        '--stable',
        '0',
        '--reason',
        'cli test',
        '--name',
        'real',
        '--wait',
      ],
      { kubeconfig: admin },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('RollingBounce');
    expect(res.stdout).toMatch(/Succeeded\/AllMembersBounced 3\/3/);
    const table = res.stdout.trim().split('\n').slice(-4);
    expect(table[0]).toMatch(/^\s+#\s+POD\s+EXPRESS\s+PHASE\s+REASON\s+TOOK\s+NODEBOUNCE$/);
    expect(table.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 4))).toEqual([
      ['1', 'r-b', 'r-b', 'Succeeded'],
      ['2', 'r-c', 'r-c', 'Succeeded'],
      ['3', 'r-a', 'r-a', '(last)'],
    ]);

    const list = await runCli(cli, ['list', '-n', ns], { kubeconfig: admin });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ROLLINGBOUNCE\s+PROGRESS\s+PHASE/);
    expect(list.stdout).toMatch(/real\s+3\/3\s+Succeeded\s+AllMembersBounced/);
    const onlyRb = await runCli(cli, ['list', '-n', ns, '--kind', 'rb', '-o', 'json'], { kubeconfig: admin });
    expect((JSON.parse(onlyRb.stdout) as { items: RollingBounce[] }).items.map((i) => i.metadata.name).sort()).toEqual([
      'dry',
      'real',
    ]);

    const status = await runCli(cli, ['status', 'real', '-n', ns], { kubeconfig: admin });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Phase:\s+Succeeded \(AllMembersBounced\)/);
    expect(status.stdout).toMatch(/Progress:\s+3\/3/);
    expect(status.stdout).toMatch(/Events:[\s\S]*MemberStarted/);
    const rbStatus = await runCli(cli, ['status', 'rb/dry', '-n', ns], { kubeconfig: admin });
    expect(rbStatus.stdout).toMatch(/Plan \(dry run\): 3 batch\(es\)/);
  });

  it('members checked before anything is created; --dry-run --wait shows the plan; watch re-attaches; list --kind nb', async () => {
    const ns = await env.namespace('cli-rollout-checks');
    await env.fx.readyExpressNode(ns, 'k-a', { labels: { app: 'k' } });
    const ghost = await runCli(cli, ['rollout', 'ghost', 'k-a', '-n', ns, '--wait'], { kubeconfig: admin });
    expect(ghost.code).toBe(3);
    expect(ghost.stderr).toBe(`error: pod "ghost" not found in namespace ${ns}; nothing was created\n`);
    const none = await runCli(cli, ['list', '-n', ns, '--kind', 'rb', '-o', 'name'], { kubeconfig: admin });
    expect(none.stdout).toBe('');

    const dry = await runCli(cli, ['rollout', 'k-a', '-n', ns, '--dry-run', '--wait', '--name', 'plan'], {
      kubeconfig: admin,
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Plan \(dry run\): 1 batch\(es\)/);
    expect(dry.stdout).toMatch(/^\s+k-a\s+1\s+WouldBounce/m);

    // Re-attach to a finished one: it is shown and the exit code is its outcome.
    const watch = await runCli(cli, ['-n', ns, 'watch', 'rb/plan'], { kubeconfig: admin });
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(/Succeeded\/DryRunPlanned 0\/1/);

    // Only NodeBounces asked for, none there: says so about NodeBounces (not RollingBounces, which exist).
    const nbOnly = await runCli(cli, ['-n', ns, 'list', '--kind', 'nb'], { kubeconfig: admin });
    expect(nbOnly.code).toBe(0);
    expect(nbOnly.stderr).toBe(`No NodeBounces found in namespace ${ns}.\n`);
    const named = await runCli(cli, ['list', '-n', ns, '-o=name'], { kubeconfig: admin });
    expect(named.stdout).toBe('rollingbounce.bounce.express.dev/plan\n');
    const json = await runCli(cli, ['status', 'rb/plan', '-n', ns, '-o', 'json'], { kubeconfig: admin });
    expect(json.stdout).not.toContain('managedFields');
  });

  it('pause and resume; bad usage exits 2', async () => {
    const ns = await env.namespace('cli-pause');
    await env.fx.readyExpressNode(ns, 'q-a', { labels: { app: 'q' } });
    const created = await runCli(
      cli,
      ['rollout', 'q-a', '-n', ns, '--name', 'p', '--paused', '--stable', '0', '--no-wait'],
      { kubeconfig: admin },
    );
    expect(created.code, created.stderr).toBe(0);
    const rf = (await import('./support/rollout.js')).RolloutFixture;
    await new rf(env.kc).wait(ns, 'p', (rb) => rb.status?.phase === 'Paused', 30_000, 'Paused');
    const resumed = await runCli(cli, ['resume', 'p', '-n', ns], { kubeconfig: admin });
    expect(resumed.stdout).toContain('resumed');
    await new rf(env.kc).waitFinished(ns, 'p');
    const both = await runCli(cli, ['rollout', 'q-a', '-n', ns, '-l', 'app=q'], { kubeconfig: admin });
    expect(both.code).toBe(2);
  });
});
