// A real terminal for the CLI's live views: a tmux server of its own (its own socket), one session per run, the
// pane read back with capture-pane. tmux is a Debian package (/usr/bin/tmux).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

export class TmuxPane {
  private readonly dir = mkdtempSync(join(tmpdir(), 'nodebounce-tmux-'));
  private readonly socket = join(this.dir, 'sock');
  readonly rawFile = join(this.dir, 'raw');

  constructor(
    private readonly session: string,
    /** Command line run in the pane (through sh); the pane stays open after it exits. */
    command: string,
    size: { width: number; height: number },
    env: Record<string, string>,
    opts: { term?: string } = {},
  ) {
    const exports = Object.entries(env)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    this.tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      String(size.width),
      '-y',
      String(size.height),
      // The shell traps SIGINT (Ctrl-C goes to the whole foreground group) so it lives to print the exit code; the
      // trap is reset in the command it runs, which gets Ctrl-C as usual.
      `env -i ${exports} TERM=${opts.term ?? 'xterm-256color'} sh -c ${shellQuote(`trap true INT; ${command}; echo "EXIT=$?"; exec sleep 3600`)}`,
    );
    this.tmux('set-option', '-t', session, 'remain-on-exit', 'on');
    this.tmux('set-option', '-t', session, 'window-size', 'manual');
    // Every byte the program writes, escapes included (for TERM=dumb: none).
    this.tmux('pipe-pane', '-t', session, '-o', `cat >> ${shellQuote(this.rawFile)}`);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  /** The visible screen, one string per row, trailing spaces removed. */
  screen(): string[] {
    return this.tmux('capture-pane', '-p', '-t', this.session)
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => l.trimEnd());
  }

  /**
   * The normal screen's scrollback and screen as logical lines: rows the terminal wrapped are joined (a line cut by
   * the CLI stays one row).
   */
  lines(): string[] {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.session)
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => l.trimEnd());
  }

  /** The whole pane history (scrollback and screen) of the normal screen. */
  history(): string[] {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', this.session)
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => l.trimEnd());
  }

  raw(): string {
    try {
      return readFileSync(this.rawFile, 'utf8');
    } catch {
      return '';
    }
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', this.session, '-x', String(width), '-y', String(height));
  }

  ctrlC(): void {
    this.tmux('send-keys', '-t', this.session, 'C-c');
  }

  /**
   * Polls the screen until `check` returns a value (not undefined), `every` runs on each capture (to assert what
   * must hold on every frame); fails with the last screen after `timeoutMs`.
   */
  async waitFor<T>(
    what: string,
    check: (screen: string[]) => T | undefined,
    opts: { timeoutMs?: number; every?: (screen: string[]) => void } = {},
  ): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
    let last: string[];
    for (;;) {
      last = this.screen();
      opts.every?.(last);
      const v = check(last);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`tmux: no ${what} within the deadline; screen:\n${last.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
