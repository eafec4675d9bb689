// Entry point of the standalone kubectl-nodebounce (a Node.js single executable application, built by
// `npm run build:cli`; docs/adr/0008-standalone-cli.md). Bundled to one CommonJS file, so no top-level await.
// Its Node is the one it was built with, so there is no version to check. In a single executable, argv[0] and
// argv[1] are both the executable.
import { start } from './start.js';

void start(process.argv.slice(2));
