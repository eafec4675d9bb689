import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A memory cgroup with a limit, for running the operator the way a pod with `resources.limits.memory` runs it:
// Node reads the limit at start (process.constrainedMemory()) and sizes V8's heap from it, so a process started
// inside the cgroup behaves as in the container, and the kernel OOM-kills it past the limit. cgroup v1 (the memory
// controller's own hierarchy) and v2 (unified) both work. Needs root.

export interface MemoryCgroup {
  /** The directory whose cgroup.procs a process joins (see wrapCommand). */
  readonly path: string;
  readonly limitBytes: number;
  /** The highest memory use the kernel recorded for the cgroup (RSS plus page cache it charged), in bytes. */
  peakBytes(): number | undefined;
  /** How many processes of the cgroup the OOM killer killed. */
  oomKills(): number;
  remove(): void;
}

const V1 = '/sys/fs/cgroup/memory';
const V2 = '/sys/fs/cgroup';

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function keyed(file: string, key: string): number {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key} `));
    return Number(line?.split(' ')[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Why a memory cgroup can't be made here, or undefined when it can. */
export function memoryCgroupUnsupported(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a memory cgroup';
  if (existsSync(join(V1, 'memory.limit_in_bytes'))) return undefined;
  if (
    existsSync(join(V2, 'cgroup.controllers')) &&
    readFileSync(join(V2, 'cgroup.controllers'), 'utf8').includes('memory')
  )
    return undefined;
  return 'no cgroup memory controller';
}

export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const why = memoryCgroupUnsupported();
  if (why) throw new Error(`cannot limit the operator's memory: ${why}`);
  const v1 = existsSync(join(V1, 'memory.limit_in_bytes'));
  const path = join(v1 ? V1 : V2, name);
  mkdirSync(path, { recursive: true });
  if (v1) {
    writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
    // Without swap limits a v1 cgroup could swap instead of being OOM-killed; this machine has no swap, but say it.
    if (existsSync(join(path, 'memory.memsw.limit_in_bytes')))
      writeFileSync(join(path, 'memory.memsw.limit_in_bytes'), String(limitBytes));
  } else {
    writeFileSync(join(path, 'memory.max'), String(limitBytes));
    writeFileSync(join(path, 'memory.swap.max'), '0');
  }
  return {
    path,
    limitBytes,
    peakBytes: () => readNumber(join(path, v1 ? 'memory.max_usage_in_bytes' : 'memory.peak')),
    oomKills: () =>
      v1 ? keyed(join(path, 'memory.oom_control'), 'oom_kill') : keyed(join(path, 'memory.events'), 'oom_kill'),
    remove: () => {
      try {
        rmdirSync(path);
      } catch {
        // still has a process (it is gone soon) or already removed
      }
    },
  };
}

/** [command, args] that run `command args` inside the cgroup: a shell joins it, then execs (same pid). */
export function wrapCommand(cgroup: MemoryCgroup, command: string, args: string[]): [string, string[]] {
  return ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup.path, command, ...args]];
}
