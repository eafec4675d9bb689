// Follows one NodeBounce with watches (no polling) until it finishes, --timeout expires or Ctrl-C,
// and shows progress: a live line on a TTY, one plain line per transition otherwise.
import type { CoreV1Event } from '@kubernetes/client-node';
import { isTerminal, type NodeBounce } from '../api/nodebounce.js';
import { humanDuration } from './format.js';
import type { NodeBounceClient, WatchHandle } from './kube.js';

export type FollowResult =
  | { kind: 'Finished'; nb: NodeBounce }
  | { kind: 'Interrupted'; nb: NodeBounce }
  | { kind: 'TimedOut'; nb: NodeBounce }
  | { kind: 'Deleted'; nb: NodeBounce };

export interface Display {
  /** A new version of the NodeBounce (called for every change; shows transitions). */
  update(nb: NodeBounce): void;
  /** A Warning event about the NodeBounce. */
  warning(ev: CoreV1Event): void;
  /** The watch broke and is being re-established. */
  reconnecting(why: string): void;
  /** Stop drawing (clears the live line). */
  close(): void;
}

export interface FollowOptions {
  client: NodeBounceClient;
  initial: NodeBounce;
  display: Display;
  timeoutMs?: number;
  /** Where Ctrl-C comes from (tests pass their own emitter). */
  signals?: NodeJS.EventEmitter;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

export function follow(opts: FollowOptions): Promise<FollowResult> {
  const { client, display } = opts;
  const { namespace, name, uid } = opts.initial.metadata;
  const signals = opts.signals ?? process;
  let latest = opts.initial;
  let nbWatch: WatchHandle | undefined;
  let evWatch: WatchHandle | undefined;
  let done = false;
  const timers = new Set<NodeJS.Timeout>();
  const seenEvents = new Set<string>();

  return new Promise<FollowResult>((resolve) => {
    const finish = (result: FollowResult) => {
      if (done) return;
      done = true;
      nbWatch?.stop();
      evWatch?.stop();
      for (const t of timers) clearTimeout(t);
      signals.removeListener('SIGINT', onSigint);
      display.close();
      resolve(result);
    };
    const later = (fn: () => void, ms: number) => {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!done) fn();
      }, ms);
      timers.add(t);
    };
    const onSigint = () => finish({ kind: 'Interrupted', nb: latest });
    signals.on('SIGINT', onSigint);
    if (opts.timeoutMs !== undefined) later(() => finish({ kind: 'TimedOut', nb: latest }), opts.timeoutMs);

    const seen = (nb: NodeBounce) => {
      if (nb.metadata.uid !== uid) return;
      latest = nb;
      display.update(nb);
      if (isTerminal(nb.status?.phase)) finish({ kind: 'Finished', nb });
    };

    // NodeBounce watch: from the version we have, so no change is missed; re-get and re-watch when it breaks.
    let nbFailures = 0;
    const startNbWatch = async (resourceVersion: string | undefined) => {
      try {
        const handle = await client.watchNodeBounce(
          namespace,
          name,
          resourceVersion,
          (type, obj) => {
            nbFailures = 0;
            if (type === 'BOOKMARK') return;
            if (type === 'ERROR') {
              // Usually 410 Gone (our resourceVersion is too old): re-get and watch from there.
              restartNbWatch('watch expired');
              return;
            }
            if (type === 'DELETED') {
              if (obj.metadata?.uid === uid) finish({ kind: 'Deleted', nb: latest });
              return;
            }
            seen(obj);
          },
          (err) => restartNbWatch(err ? describe(err) : undefined),
        );
        if (done) handle.stop();
        else nbWatch = handle;
      } catch (err) {
        restartNbWatch(describe(err));
      }
    };
    const restartNbWatch = (why: string | undefined) => {
      if (done) return;
      nbWatch?.stop();
      nbWatch = undefined;
      // A server-side close (why undefined) is routine: re-watch right away. Errors back off.
      if (why) {
        nbFailures++;
        display.reconnecting(why);
      }
      const delay = why ? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (nbFailures - 1)) : 0;
      later(async () => {
        try {
          const fresh = await client.get(namespace, name);
          if (fresh.metadata.uid !== uid) return finish({ kind: 'Deleted', nb: latest });
          seen(fresh);
          if (!done) await startNbWatch(fresh.metadata.resourceVersion);
        } catch (err) {
          if (/not found in namespace/.test(String((err as Error).message)))
            return finish({ kind: 'Deleted', nb: latest });
          restartNbWatch(describe(err));
        }
      }, delay);
    };

    // Events watch: shows Warning events (BlockedByPDB, ShutdownProtectionNotDisabled, ...) as they happen.
    let evFailures = 0;
    const startEvWatch = async () => {
      try {
        const handle = await client.watchEvents(
          namespace,
          name,
          undefined,
          (type, ev) => {
            evFailures = 0;
            if (type !== 'ADDED' && type !== 'MODIFIED') return;
            if (ev.involvedObject?.uid && ev.involvedObject.uid !== uid) return;
            const key = `${ev.metadata?.name}/${ev.count ?? 1}`;
            if (seenEvents.has(key)) return;
            seenEvents.add(key);
            if (ev.type === 'Warning') display.warning(ev);
          },
          (err) => restartEvWatch(!!err),
        );
        if (done) handle.stop();
        else evWatch = handle;
      } catch {
        restartEvWatch(true);
      }
    };
    const restartEvWatch = (failed: boolean) => {
      if (done) return;
      evWatch?.stop();
      evWatch = undefined;
      if (failed) evFailures++;
      // Events are optional (we may not be allowed to watch them): give up quietly after a few failures.
      if (evFailures > 3) return;
      later(() => void startEvWatch(), failed ? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** evFailures) : 0);
    };

    display.update(latest);
    if (isTerminal(latest.status?.phase)) return finish({ kind: 'Finished', nb: latest });
    void startNbWatch(latest.metadata.resourceVersion);
    void startEvWatch();
  });
}

function describe(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.code === 'string' ? e.code : undefined;
  const msg = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  return code && !msg?.includes(code) ? `${msg} (${code})` : (msg ?? 'error');
}

// ---- what the bounce is waiting for, in a few words ----

function msOf(t: string | undefined): number {
  return t ? new Date(t).getTime() : Number.NaN;
}

function left(startIso: string | undefined, seconds: number | undefined, now: number): string {
  const start = msOf(startIso);
  if (Number.isNaN(start) || seconds === undefined) return '';
  const remaining = start + seconds * 1000 - now;
  return remaining > 0 ? `, ${humanDuration(remaining)} left of ${seconds}s` : `, ${seconds}s deadline reached`;
}

export function waitingFor(nb: NodeBounce, now: number, sinceCreateMs: number): string {
  const st = nb.status;
  const pod = nb.spec.podName;
  if (!st?.phase) {
    return sinceCreateMs > 10_000
      ? 'waiting for the operator to pick it up (is it running, and watching this namespace?)'
      : 'waiting for the operator to pick it up';
  }
  const t = st.effectiveTimeouts;
  switch (st.reason) {
    case 'WaitingForOtherBounce': {
      const other = /NodeBounce (\S+) \(/.exec(st.message ?? '')?.[1];
      return `queued behind ${other ? `NodeBounce ${other}` : 'another bounce of this pod'} (one bounce per pod at a time)`;
    }
    case 'DisablingShutdownProtection':
      return 'disabling shutdown protection';
    case 'RestoringShutdownProtection':
      return 'restoring shutdown protection';
    case 'BlockedByPDB':
      return `eviction blocked by a PodDisruptionBudget, retrying${left(st.terminatingTime, t?.terminationSeconds, now)}`;
    case 'EvictionThrottled':
      return `eviction throttled by the API server (not a PodDisruptionBudget), retrying${left(st.terminatingTime, t?.terminationSeconds, now)}`;
  }
  switch (st.phase) {
    case 'Pending':
      return 'running preflight checks';
    case 'Terminating':
      return `waiting for pod ${pod} to terminate${left(st.terminatingTime, t?.terminationSeconds, now)}`;
    case 'Starting':
      return `waiting for the replacement of ${pod} to be Ready${left(st.terminatedTime, t?.readySeconds, now)}`;
    default:
      return st.reason ?? st.phase;
  }
}

// ---- displays ----

interface Out {
  write(s: string): unknown;
  columns?: number;
}

const color = (on: boolean) => ({
  red: (s: string) => (on ? `\x1b[31m${s}\x1b[0m` : s),
  green: (s: string) => (on ? `\x1b[32m${s}\x1b[0m` : s),
  yellow: (s: string) => (on ? `\x1b[33m${s}\x1b[0m` : s),
  dim: (s: string) => (on ? `\x1b[2m${s}\x1b[0m` : s),
  bold: (s: string) => (on ? `\x1b[1m${s}\x1b[0m` : s),
});

const ANSI = /\x1b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** The first `n` visible characters of `s`, keeping colour codes. */
function cutVisible(s: string, n: number): string {
  let out = '';
  let seen = 0;
  for (let i = 0; i < s.length && seen < n;) {
    const m = /^\x1b\[[0-9;]*m/.exec(s.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
    } else {
      out += s[i++];
      seen++;
    }
  }
  return out;
}

function stepOf(nb: NodeBounce): string {
  return `${nb.status?.phase ?? ''}/${nb.status?.reason ?? ''}`;
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/** Live progress on a terminal: transitions and warnings scroll, one status line is redrawn in place. */
export class TtyDisplay implements Display {
  private readonly c: ReturnType<typeof color>;
  private readonly started = Date.now();
  private last?: NodeBounce;
  private lastStep?: string;
  private frame = 0;
  private readonly ticker: NodeJS.Timeout;
  private note?: string;

  constructor(
    private readonly out: Out,
    opts: { color: boolean; now?: () => number },
  ) {
    this.c = color(opts.color);
    this.ticker = setInterval(() => this.draw(), 120);
    this.ticker.unref();
  }

  private elapsed(): string {
    return humanDuration(Math.floor((Date.now() - this.started) / 1000) * 1000).replace(/^\d+ms$/, '0s');
  }

  /** A permanent line, cut to the terminal's width (the whole story is in `status`). */
  private print(line: string): void {
    const width = this.out.columns || 100;
    if (visibleLength(line) > width)
      line = cutVisible(line, width - 1) + '…' + (this.c.dim('x') === 'x' ? '' : '\x1b[0m');
    this.out.write(`\r\x1b[2K${line}\n`);
    this.draw();
  }

  private draw(): void {
    if (!this.last) return;
    const spinner = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[this.frame++ % 10];
    const phase = this.last.status?.phase ?? 'Pending';
    const what = this.note ?? waitingFor(this.last, Date.now(), Date.now() - this.started);
    let line = `${spinner} ${phase} · ${this.elapsed()} · ${what}`;
    const width = this.out.columns || 100;
    if (line.length > width - 1) line = `${line.slice(0, Math.max(10, width - 2))}…`;
    this.out.write(`\r\x1b[2K${this.c.bold(line)}`);
  }

  update(nb: NodeBounce): void {
    this.last = nb;
    this.note = undefined;
    const step = stepOf(nb);
    if (step !== this.lastStep && nb.status?.phase) {
      this.lastStep = step;
      const phase = nb.status.phase.padEnd(11);
      const paint =
        nb.status.phase === 'Failed' ? this.c.red : nb.status.phase === 'Succeeded' ? this.c.green : (s: string) => s;
      this.print(
        `  ${this.c.dim(this.elapsed().padStart(5))}  ${paint(phase)} ${nb.status.reason ?? ''}${nb.status.message ? this.c.dim(`: ${oneLine(nb.status.message)}`) : ''}`,
      );
    } else this.draw();
  }

  warning(ev: CoreV1Event): void {
    this.print(
      `  ${this.c.dim(this.elapsed().padStart(5))}  ${this.c.yellow(`⚠ ${ev.reason ?? 'Warning'}`)}: ${oneLine(ev.message)}`,
    );
  }

  reconnecting(why: string): void {
    this.note = `connection lost (${why}); reconnecting`;
    this.draw();
  }

  close(): void {
    clearInterval(this.ticker);
    this.out.write('\r\x1b[2K');
  }
}

/** One line per transition and per warning, with a timestamp: for logs and pipes. */
export class PlainDisplay implements Display {
  private lastStep?: string;
  constructor(private readonly out: Out) {}

  private line(s: string): void {
    this.out.write(`${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')} ${s}\n`);
  }

  update(nb: NodeBounce): void {
    const step = stepOf(nb);
    if (step === this.lastStep || !nb.status?.phase) return;
    this.lastStep = step;
    this.line(
      `${nb.status.phase} ${nb.status.reason ?? ''}${nb.status.message ? `: ${oneLine(nb.status.message)}` : ''}`,
    );
  }

  warning(ev: CoreV1Event): void {
    this.line(`Warning ${ev.reason ?? ''}: ${oneLine(ev.message)}`);
  }

  reconnecting(why: string): void {
    this.line(`(watch interrupted: ${why}; reconnecting)`);
  }

  close(): void {}
}

/** Shows nothing (for -o json|yaml without a terminal on stderr). */
export class SilentDisplay implements Display {
  update(): void {}
  warning(): void {}
  reconnecting(): void {}
  close(): void {}
}
