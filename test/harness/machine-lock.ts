/**
 * Machine-wide locks for what only one run at a time may own (the real-node cluster's bridge, iptables and cgroups;
 * the private docker daemon's socket and data root). A SIGKILLed holder stops refreshing its lock, and after 20 s
 * the next run takes over (and cleans up what the dead one left).
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';

export interface MachineLockOptions {
  /** The lock (a directory proper-lockfile creates); its parent is created when missing. */
  path: string;
  /** What holds it, for the messages ("real-node cluster", "private docker daemon"). */
  what: string;
  /** How to stop the other holder, said when the wait gives up. */
  howToStop: string;
  timeoutMs: number;
  log: (line: string) => void;
}

/** Waits for the lock (saying so every 15 s); returns its release. */
export async function acquireMachineLock(opts: MachineLockOptions): Promise<() => Promise<void>> {
  await fs.mkdir(dirname(opts.path), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  let lastMsg = 0;
  for (;;) {
    try {
      return await lockfile.lock(opts.path, {
        lockfilePath: opts.path,
        stale: 20_000,
        update: 5_000,
        realpath: false,
        onCompromised: (err: Error) => opts.log(`${opts.what} lock compromised: ${err.message}`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (Date.now() > deadline) {
        throw new Error(
          `another ${opts.what} has been running on this machine for over ${Math.round(opts.timeoutMs / 1000)}s ` +
            `(lock ${opts.path}); ${opts.howToStop}`,
          { cause: err },
        );
      }
      if (Date.now() - lastMsg > 15_000) {
        opts.log(`waiting for another ${opts.what} on this machine to stop (lock ${opts.path})`);
        lastMsg = Date.now();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
