/**
 * Child-process management for the local control plane: every child runs in its own process group,
 * is registered with a watchdog ("reaper") process that kills it if this process dies without
 * cleaning up (even on SIGKILL), and with exit/signal handlers for the ordinary cases.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REAPER = join(dirname(fileURLToPath(import.meta.url)), 'reaper.mjs');

const liveProcesses = new Set<ManagedProcess>();
const liveDirs = new Set<string>();
const liveCmds = new Map<string, { id: string; argv: string[]; env: Record<string, string> }>();
let reaper: ChildProcess | undefined;
let handlersInstalled = false;

function reaperSend(line: string): void {
  if (!reaper || reaper.exitCode !== null || reaper.signalCode !== null || !reaper.stdin?.writable) {
    reaper = spawn(process.execPath, [REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.on('error', () => undefined);
    reaper.stdin?.on('error', () => undefined);
    reaper.unref();
    (reaper.stdin as Socket | null)?.unref();
    for (const p of liveProcesses) if (p.pid) reaper.stdin?.write(`pg ${p.pid}\n`);
    for (const d of liveDirs) reaper.stdin?.write(`dir ${d}\n`);
    for (const c of liveCmds.values()) reaper.stdin?.write(`cmd ${JSON.stringify(c)}\n`);
  }
  reaper.stdin?.write(line + '\n');
}

function killAllSync(): void {
  for (const p of liveProcesses) p.killSync();
  for (const c of liveCmds.values()) {
    try {
      spawnSync(c.argv[0] as string, c.argv.slice(1), {
        env: { ...process.env, ...c.env },
        stdio: 'inherit',
        timeout: 180_000,
      });
    } catch {
      /* best effort */
    }
  }
  liveCmds.clear();
  for (const d of liveDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  liveDirs.clear();
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const [sig, num] of Object.entries(SIGNALS)) {
    const handler = () => {
      killAllSync();
      // If nobody else handles the signal, behave like the default action would.
      if (process.listenerCount(sig) <= 1) process.exit(128 + num);
    };
    process.on(sig as NodeJS.Signals, handler);
  }
}

/** Registers a directory to be removed when the process exits or dies. */
export function trackDir(dir: string): void {
  installHandlers();
  liveDirs.add(dir);
  reaperSend(`dir ${dir}`);
}

/**
 * Registers a cleanup command that the reaper runs (synchronously, after killing the registered process groups)
 * if this process dies without calling untrackCleanupCommand — e.g. when it is SIGKILLed. Used by the real-node
 * cluster, whose containers, mounts, iptables chains and cgroups outlive any process group.
 */
export function trackCleanupCommand(id: string, argv: string[], env: Record<string, string>): void {
  installHandlers();
  const c = { id, argv, env };
  liveCmds.set(id, c);
  reaperSend(`cmd ${JSON.stringify(c)}`);
}

export function untrackCleanupCommand(id: string): void {
  liveCmds.delete(id);
  if (reaper) reaperSend(`uncmd ${id}`);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
  if (reaper) reaperSend(`undir ${dir}`);
}

export interface SpawnOptions {
  logFile: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly out: WriteStream;
  /** Recent output lines, kept in memory so error messages don't depend on the log file being flushed. */
  private readonly recent: string[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
    log?: (line: string) => void,
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
    let partial = '';
    const onData = (d: Buffer) => {
      this.out.write(d);
      partial += d.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        this.recent.push(line);
        if (this.recent.length > 200) this.recent.shift();
        log?.(`[${name}] ${line}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.on('error', (err) => {
        this.out.write(`spawn error: ${err.message}\n`);
        this.exitInfo = { code: null, signal: null };
        this.finish();
        resolve(null);
      });
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.finish();
        resolve(code);
      });
    });
  }

  private finish(): void {
    liveProcesses.delete(this);
    if (this.child.pid) reaperSend(`unpg ${this.child.pid}`);
    this.out.end();
  }

  static spawn(name: string, cmd: string, args: string[], opts: SpawnOptions): ManagedProcess {
    installHandlers();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true, // own process group: stop() kills the whole group
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new ManagedProcess(name, child, opts.logFile, opts.log);
    if (child.pid) {
      liveProcesses.add(p);
      reaperSend(`pg ${child.pid}`);
    }
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined && this.child.pid !== undefined;
  }

  describeExit(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `killed by ${this.exitInfo.signal}` : `exited with code ${this.exitInfo.code}`;
  }

  /** Last lines of the process log, for error messages. */
  tail(lines = 30): string {
    return this.recent.slice(-lines).join('\n');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (!this.child.pid) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        /* gone */
      }
    }
  }

  killSync(): void {
    if (this.running) this.signalGroup('SIGKILL');
  }

  /** SIGTERM the process group, SIGKILL it after `timeoutMs`; resolves once the process is gone. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const res = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (res === 'timeout') {
      this.signalGroup('SIGKILL');
      await this.exited;
    }
    // Kill anything the process left behind in its group.
    this.signalGroup('SIGKILL');
  }
}

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

/** Processes (other than this one) whose command line mentions `needle` (Linux /proc only). */
export function findProcessesMentioning(needle: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmdline.includes(needle)) found.push({ pid, cmdline });
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}
