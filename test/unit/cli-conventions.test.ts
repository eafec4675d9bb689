// kubectl habits on the command line, the live screen's geometry, -o name / managedFields, completion.
import { EventEmitter } from 'node:events';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { RollingBounce } from '../../src/api/rollingbounce.js';
import { forCli, run } from '../../src/cli/app.js';
import { normalizeArgv, suggest } from '../../src/cli/argv.js';
import { staticCandidates } from '../../src/cli/complete.js';
import { relativeTimes, render, rolloutFrame } from '../../src/cli/format.js';
import { canDrawLive, cut, fit, LiveScreen } from '../../src/cli/screen.js';

const COMMANDS = ['bounce', 'list', 'ls', 'status', 'watch', 'rollout', 'pause', 'resume'];
const VALUE = new Set(['-n', '--namespace', '-o', '--output', '--reason', '--context', '--kubeconfig']);

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { HOME: '/nonexistent-home', KUBECONFIG: '/nonexistent-kubeconfig' },
    signals: new EventEmitter(),
  });
  return { code, out, err };
}

describe('argv the kubectl way', () => {
  it('a subcommand after the global flags moves to the front', () => {
    expect(normalizeArgv(['-n', 'ns', 'list'], COMMANDS, VALUE)).toEqual(['list', '-n', 'ns']);
    expect(normalizeArgv(['--context', 'c', '-n', 'ns', 'status', 'x'], COMMANDS, VALUE)).toEqual([
      'status',
      '--context',
      'c',
      '-n',
      'ns',
      'x',
    ]);
    // A flag's value is no subcommand; a pod named like one after a flag value stays a pod.
    expect(normalizeArgv(['pod-a', '--reason', 'list'], COMMANDS, VALUE)).toEqual(['pod-a', '--reason', 'list']);
  });

  it('-o=json is -o json', () => {
    expect(normalizeArgv(['list', '-o=json'], COMMANDS, VALUE)).toEqual(['list', '-o', 'json']);
  });

  it('a mistyped subcommand is named, with the closest one', () => {
    expect(() => normalizeArgv(['statsu', 'x'], COMMANDS, VALUE)).toThrow(
      /^unknown command "statsu"; did you mean "status"\?/,
    );
    expect(() => normalizeArgv(['-n', 'ns', 'rolout', 'a', 'b'], COMMANDS, VALUE)).toThrow(/did you mean "rollout"/);
    expect(() => normalizeArgv(['zzzzzz', 'x'], COMMANDS, VALUE)).toThrow(/^unknown command "zzzzzz" \(/);
    expect(suggest('wach', COMMANDS)).toBe('watch');
  });

  it('through run(): exit 2 and one line; `-n ns list` reaches list (then fails on the missing kubeconfig, exit 3)', async () => {
    const typo = await cli(['statsu', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.err).toBe(
      'error: unknown command "statsu"; did you mean "status"? (a bounce takes one pod name; run with --help for the commands)\n',
    );
    const list = await cli(['-n', 'ns', 'list', '-o=json']);
    expect(list.code).toBe(3);
    expect(list.err).toMatch(/^error: no kubeconfig/);
  });
});

describe('output', () => {
  const obj = {
    apiVersion: 'bounce.express.dev/v1alpha1',
    kind: 'NodeBounce',
    metadata: { name: 'a', namespace: 'ns', managedFields: [{ manager: 'x' }] },
    spec: { podName: 'p' },
  };

  it('-o json|yaml hide managedFields, also in lists', () => {
    expect(render(obj, 'json')).not.toContain('managedFields');
    expect(render(obj, 'yaml')).not.toContain('managedFields');
    expect(render({ kind: 'List', items: [obj] }, 'json')).not.toContain('managedFields');
    expect(JSON.parse(render(obj, 'json'))).toMatchObject({ metadata: { name: 'a', namespace: 'ns' } });
  });

  it('-o name is kind.group/name, one per line', () => {
    expect(render(obj, 'name')).toBe('nodebounce.bounce.express.dev/a\n');
    expect(
      render({ kind: 'List', items: [obj, { ...obj, kind: 'RollingBounce', metadata: { name: 'b' } }] }, 'name'),
    ).toBe('nodebounce.bounce.express.dev/a\nrollingbounce.bounce.express.dev/b\n');
  });

  it('failure messages for CLI users say --force', () => {
    expect(
      forCli('Bouncing it now restarts the rebuild. If you must, create a new NodeBounce with spec.force: true.'),
    ).toBe('Bouncing it now restarts the rebuild. If you must, bounce it again with --force.');
  });
});

describe('the live rollout screen', () => {
  it('cuts lines with … to the width, never wraps, and cuts the frame to the height', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
    const lines = fit(['x'.repeat(200), 'short', ...Array.from({ length: 50 }, (_, i) => `row ${i}`)], 80, 10);
    expect(lines).toHaveLength(9);
    expect(lines.every((l) => [...l].length <= 79)).toBe(true);
    expect(lines[0]!.endsWith('…')).toBe(true);
    expect(lines.at(-1)).toBe('… 44 more lines');
  });

  it('each frame starts top-left and clears below; close leaves the alternate screen and prints the frame once', () => {
    let written = '';
    const out = { write: (s: string) => (written += s), columns: 40, rows: 10 };
    const screen = new LiveScreen(out);
    screen.draw(['header that is much longer than forty columns, surely', 'b']);
    screen.draw(['header 2', 'c']);
    screen.close();
    expect(written.startsWith('\x1b[?1049h\x1b[?25l\x1b[H')).toBe(true);
    expect(written.split('\x1b[H')).toHaveLength(4); // two frames, and the blanking before leaving
    expect(written).toContain('header that is much longer than forty …');
    expect(written.endsWith('\x1b[H\x1b[2J\x1b[?25h\x1b[?1049lheader 2\nc\n')).toBe(true);
  });

  it('TERM=dumb and pipes get no escape codes', () => {
    expect(canDrawLive({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(canDrawLive({ isTTY: false }, { TERM: 'xterm' })).toBe(false);
    expect(canDrawLive({ isTTY: true }, { TERM: 'xterm-256color' })).toBe(true);
  });

  it('the stable wait shows a countdown, and timestamps in the message read as relative times', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const rb: RollingBounce = {
      metadata: { name: 'r', namespace: 'ns' },
      spec: { members: { podNames: ['a'] } },
      status: {
        phase: 'WaitingForHealth',
        reason: 'HealthStabilizing',
        progress: '1/3',
        waitingUntil: '2026-01-01T00:00:23.400Z',
        message: 'healthy since 2025-12-31T23:59:53.000Z; stable at 2026-01-01T00:00:23.400Z',
      },
    };
    const [header] = rolloutFrame(rb, now);
    expect(header).toBe(
      'WaitingForHealth/HealthStabilizing 1/3 · next step in 24s · healthy since 7s ago; stable in 24s',
    );
    expect(relativeTimes('at 2026-01-01T00:00:00.000Z', now)).toBe('now');
  });
});

describe('completion (kubectl_complete-nodebounce)', () => {
  const program = new Command('kubectl-nodebounce');
  program.command('bounce <pod>', { isDefault: true }).option('-n, --namespace <ns>').option('--force');
  program.command('list').alias('ls').option('-o, --output <format>').option('-A, --all-namespaces');
  program.command('status <name>');
  program.command('rollout [pods...]');

  it('flags of the subcommand, names where a name goes, pods for a bounce', () => {
    expect(staticCandidates(program, ['list', '--a'])).toEqual(['--all-namespaces']);
    expect(staticCandidates(program, ['status', ''])).toBe('names');
    expect(staticCandidates(program, [''])).toBe('pods');
    expect(staticCandidates(program, ['rollout', 'a', ''])).toBe('pods');
    expect(staticCandidates(program, ['--fo'])).toEqual(['--force']);
    // A flag's value is not the pod: `kubectl nodebounce -n ns p<TAB>` completes pods.
    expect(staticCandidates(program, ['-n', 'team-a', 'p'])).toBe('pods');
    expect(staticCandidates(program, ['--namespace=team-a', ''])).toBe('pods');
    expect(staticCandidates(program, ['node-a', ''])).toEqual([]);
  });

  it('__complete through run(): candidates then :4; subcommands offered when the cluster cannot be asked', async () => {
    const r = await cli(['__complete', 'li']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('list\n:4\n');
    const flags = await cli(['__complete', 'list', '--all']);
    expect(flags.out).toBe('--all-namespaces\n:4\n');
  });
});
