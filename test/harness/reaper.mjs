// Watchdog for the local control plane (see test/harness/procs.ts). It runs in its own process
// group and reads commands on stdin:  "pg <pgid>", "unpg <pgid>", "dir <path>", "undir <path>".
// When stdin closes — the parent exited, crashed or was SIGKILLed — it SIGKILLs every registered
// process group and removes every registered directory, so nothing outlives the test run.
import { rmSync } from 'node:fs';

const groups = new Set();
const dirs = new Set();
let buffer = '';

function cleanup() {
  for (const pg of groups) {
    try {
      process.kill(-pg, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  process.exit(0);
}

process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', cleanup);
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  const lines = buffer.split('\n');
  buffer = lines.pop() ?? '';
  for (const line of lines) {
    const space = line.indexOf(' ');
    const cmd = line.slice(0, space);
    const arg = line.slice(space + 1);
    if (cmd === 'pg') groups.add(Number(arg));
    else if (cmd === 'unpg') groups.delete(Number(arg));
    else if (cmd === 'dir') dirs.add(arg);
    else if (cmd === 'undir') dirs.delete(arg);
  }
});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
