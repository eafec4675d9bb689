// Runs the CLI in this process: main.ts (through Node) and sea.ts (the standalone executable) both end here.
import { run } from './app.js';

export async function start(argv: string[]): Promise<void> {
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
  });
  // Flush, then exit: open keep-alive sockets or an aborted watch must not keep the process alive.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
