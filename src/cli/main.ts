#!/usr/bin/env node
// kubectl-nodebounce: `kubectl nodebounce <pod>` when this is on PATH (a kubectl plugin).
// The Node.js version is checked before the CLI (and the API client in it) is loaded: an older Node gets one line
// naming the version needed instead of a stack trace from a dependency.
import { unsupportedNode } from './node-version.js';

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(3);
}
const { start } = await import('./start.js');
await start(process.argv.slice(2));
