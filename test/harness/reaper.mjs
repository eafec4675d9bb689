// Watchdog for the local control plane (see test/harness/procs.ts). It runs in its own process
// group and reads commands on stdin:  "pg <pgid>", "unpg <pgid>", "dir <path>", "undir <path>",
// "cmd <json {id, argv, env}>", "uncmd <id>".
// When stdin closes — the parent exited, crashed or was SIGKILLed — it SIGKILLs every registered
// process group, runs every registered cleanup command (the real-node cluster registers its host cleanup:
// containers, mounts, iptables chains, bridge, cgroups) and removes every registered directory, so nothing
// outlives the test run.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const groups = new Set();
const dirs = new Set();
const cmds = new Map();
let buffer = '';

function cleanup() {
  for (const pg of groups) {
    try {
      process.kill(-pg, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const { argv, env } of cmds.values()) {
    try {
      spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 180_000 });
    } catch {
      /* best effort */
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
    else if (cmd === 'cmd') {
      try {
        const c = JSON.parse(arg);
        cmds.set(c.id, c);
      } catch {
        /* malformed */
      }
    } else if (cmd === 'uncmd') cmds.delete(arg);
  }
});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
