#!/usr/bin/env node
// kubectl-nodebounce: `kubectl nodebounce <pod>` when this is on PATH (a kubectl plugin).
import { run } from './app.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
});
// Flush, then exit: open keep-alive sockets or an aborted watch must not keep the process alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
