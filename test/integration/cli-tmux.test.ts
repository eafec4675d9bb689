// The live views in a real terminal (tmux): the rollout table at 80 and 160 columns and in a 60-column pane,
// through redraws, a resize and Ctrl-C; the single-bounce view at 60 columns; TERM=dumb. A row that is none of
// the view's own (a wrapped tail, a stale copy of the header, a half-cleared line) fails the test.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildCli, type BuiltCli } from './support/cli.js';
import { useOperatorEnv } from './support/env.js';
import { hasTmux, TmuxPane } from './support/tmux.js';

const HEADER = /^(Pending|Progressing|WaitingForHealth|WaitingForWindow|Paused|Succeeded|Failed)(\/\w+)? \d+\/\d+/;
const TABLE_HEADER = /^\s+#\s+POD\s+EXPRESS/;
const MEMBER = /^\s+\d+\s+[a-z0-9-]+\s/;
const MORE = /^… \d+ more lines$/;
/** The intro line, the frame's first (cut like the others, so maybe before "created"). */
const INTRO = /^(Watching )?RollingBounce \S/;

/**
 * Checks one frame of the live rollout view: only its own rows, the header and table header once, each row at most
 * `maxLen` long (the view cuts to width-1; right after a resize, before the view has redrawn, the terminal shows the
 * old frame clipped to the new width, so up to `width`).
 */
function checkFrame(screen: string[], width: number, pods: string[], maxLen = width - 1): void {
  const rows = screen.filter((r) => r !== '');
  for (const r of rows) {
    expect([...r].length, `row wider than ${maxLen}: ${r}`).toBeLessThanOrEqual(maxLen);
    expect(
      HEADER.test(r) || TABLE_HEADER.test(r) || MEMBER.test(r) || MORE.test(r) || INTRO.test(r),
      `garbled row: ${JSON.stringify(r)}\n${screen.join('\n')}`,
    ).toBe(true);
  }
  expect(
    rows.filter((r) => HEADER.test(r)),
    screen.join('\n'),
  ).toHaveLength(1);
  expect(rows.filter((r) => TABLE_HEADER.test(r)).length).toBeLessThanOrEqual(1);
  for (const p of pods)
    expect(rows.filter((r) => new RegExp(`^\\s+\\d+\\s+${p}\\s`).test(r)).length).toBeLessThanOrEqual(1);
}

describe.skipIf(!hasTmux && !process.env.CI)('live views in tmux', () => {
  const env = useOperatorEnv();
  let cli: BuiltCli;
  const panes: TmuxPane[] = [];

  beforeAll(async () => {
    cli = await buildCli();
  });
  afterAll(() => {
    for (const p of panes) p.kill();
    cli?.cleanup();
  });

  const pane = (name: string, args: string[], width: number, opts: { term?: string } = {}) => {
    const p = new TmuxPane(
      name,
      [process.execPath, cli.main, ...args].map((a) => `'${a}'`).join(' '),
      { width, height: 24 },
      { PATH: process.env.PATH ?? '', HOME: cli.home, KUBECONFIG: inject('kubeconfigPath') },
      opts,
    );
    panes.push(p);
    return p;
  };

  async function nodes(prefix: string, n: number): Promise<{ ns: string; pods: string[] }> {
    const ns = await env.namespace(prefix);
    const pods = Array.from({ length: n }, (_, i) => `${prefix}-${String.fromCharCode(97 + i)}`);
    await Promise.all(pods.map((p) => env.fx.readyExpressNode(ns, p)));
    return { ns, pods };
  }

  it('rollout at 80 columns: cut lines, clean redraws, a resize to 60 and 160, then Ctrl-C leaves a clean screen', async () => {
    const { ns, pods } = await nodes('tmux-a', 3);
    const name = 'a-rollout-with-a-rather-long-name-to-make-the-header-line-wide';
    const p = pane('a', ['rollout', ...pods, '-n', ns, '--name', name, '--stable', '15s'], 80);
    let width = 80;
    let redrawn = true; // false from a resize until the view's frame at the new width is seen
    const every = (s: string[]) => {
      if (s.some((r) => r.startsWith('EXIT=') || r.startsWith('Stopped following'))) return; // not the live frame
      if (s.some((r) => HEADER.test(r))) checkFrame(s, width, pods, redrawn ? width - 1 : width);
    };
    // Mid-run: a member done and the stable wait counting down, the header cut with "…".
    const mid = await p.waitFor(
      'a member done and a countdown',
      (s) =>
        s.some((r) => / · next step in \d+s/.test(r) && r.endsWith('…')) && s.some((r) => /\sSucceeded\s/.test(r))
          ? s
          : undefined,
      { every, timeoutMs: 150_000 },
    );
    console.log(`rollout at 80 columns, mid-run:\n${mid.join('\n')}`);
    // Redraws for a few seconds, every capture checked.
    const until = Date.now() + 3000;
    await p.waitFor('redraws', () => (Date.now() > until ? true : undefined), { every });
    width = 60;
    redrawn = false;
    p.resize(60, 24);
    await p.waitFor(
      'a 60-column frame',
      (s) => (s.some((r) => HEADER.test(r) && [...r].length === 59) ? true : undefined),
      {
        every,
      },
    );
    redrawn = true;
    width = 160;
    p.resize(160, 24);
    await p.waitFor(
      'a 160-column frame',
      (s) => (s.some((r) => HEADER.test(r) && [...r].length > 80) ? true : undefined),
      {
        every,
      },
    );
    p.ctrlC();
    await p.waitFor('exit', (s) => (s.some((r) => r === 'EXIT=130') ? s : undefined));
    // The normal screen again, its whole scrollback: the last frame (the intro line first), the hint to re-attach,
    // the exit code, and nothing above or between. (tmux 3.3a reflows the alternate screen back to the width the
    // normal screen was saved at when the view leaves it; the frame's rows that no longer fit used to stay above
    // the restored screen as a stale row, until the view blanked the alternate screen before leaving it.)
    const rows = p.lines();
    while (rows.at(-1) === '') rows.pop();
    const summary = rows.join('\n');
    expect(rows, summary).toHaveLength(3 + pods.length + 2);
    expect(rows[0], summary).toMatch(new RegExp(`^RollingBounce ${ns}/${name} created\\. Following it`));
    expect(rows[1], summary).toMatch(HEADER);
    expect(rows[2], summary).toMatch(TABLE_HEADER);
    pods.forEach((pod, i) => expect(rows[3 + i], summary).toMatch(new RegExp(`^\\s+${i + 1}\\s+${pod}\\s`)));
    expect(rows.at(-2), summary).toMatch(
      new RegExp(`^Stopped following RollingBounce ${ns}/${name}; .*watch rb/${name}`),
    );
    expect(rows.at(-1), summary).toBe('EXIT=130');
    for (const r of rows.slice(0, -2)) expect([...r].length, r).toBeLessThanOrEqual(159);
  });

  it('rollout at 160 columns to the end, then `watch` re-attaches to it; exit 0 and the final table once', async () => {
    const { ns, pods } = await nodes('tmux-b', 2);
    const p = pane('b', ['rollout', ...pods, '-n', ns, '--name', 'wide', '--stable', '1s'], 160);
    const every = (s: string[]) => {
      if (s.some((r) => r.startsWith('EXIT='))) return; // not the live frame
      if (s.some((r) => HEADER.test(r))) checkFrame(s, 160, pods);
    };
    const done = await p.waitFor('exit', (s) => (s.some((r) => r.startsWith('EXIT=')) ? s : undefined), {
      every,
      timeoutMs: 180_000,
    });
    const rows = done.filter((r) => r !== '');
    expect(rows.at(-1)).toBe('EXIT=0');
    checkFrame(rows.slice(1, -1), 160, pods);
    expect(rows.find((r) => HEADER.test(r))).toMatch(/^Succeeded\/AllMembersBounced 2\/2/);

    const w = pane('b2', ['watch', 'wide', '-n', ns], 160);
    const watched = await w.waitFor('exit', (s) => (s.some((r) => r.startsWith('EXIT=')) ? s : undefined));
    expect(watched.filter((r) => r !== '').at(-1)).toBe('EXIT=0');
    expect(watched.filter((r) => HEADER.test(r))).toHaveLength(1);
  });

  it('the single-bounce view in a 60-column pane: cut lines, no leftover status line', async () => {
    const { ns } = await nodes('tmux-c', 1);
    const p = pane(
      'c',
      ['tmux-c-a', '-n', ns, '--reason', 'a reason long enough to need cutting at sixty columns'],
      60,
    );
    const done = await p.waitFor('exit', (s) => (s.some((r) => r.startsWith('EXIT=')) ? s : undefined), {
      timeoutMs: 120_000,
    });
    const rows = done.filter((r) => r !== '');
    expect(rows.at(-1)).toBe('EXIT=0');
    for (const r of rows) expect([...r].length).toBeLessThanOrEqual(60);
    expect(rows.filter((r) => r.startsWith('✔ Pod tmux-c-a restarted'))).toHaveLength(1);
    // The spinner line was cleared, not left behind.
    expect(rows.some((r) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /.test(r))).toBe(false);
  });

  it('TERM=dumb gets no escape codes', async () => {
    const { ns, pods } = await nodes('tmux-d', 1);
    const p = pane('d', ['rollout', ...pods, '-n', ns, '--stable', '0'], 80, { term: 'dumb' });
    await p.waitFor('exit', (s) => (s.some((r) => r.startsWith('EXIT=')) ? true : undefined), { timeoutMs: 120_000 });
    await p.waitFor('raw output', () => (p.raw().includes('EXIT=') ? true : undefined));
    expect(p.raw()).toContain('Succeeded');
    expect(p.raw()).not.toContain('\x1b');
  });
});
