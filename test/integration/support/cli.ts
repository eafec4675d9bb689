// Builds the CLI the way `npm run build` does (tsc, tsconfig.build.json) and runs the built file as a child
// process, the way a user or kubectl runs it.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../harness/index.js';

export interface BuiltCli {
  /** dist/cli/main.js of the build. */
  main: string;
  /** An empty HOME (no ~/.kube/config), so only what a test passes is used. */
  home: string;
  cleanup(): void;
}

/**
 * Compiles src/cli/main.ts (and what it imports) with tsconfig.build.json's settings into a directory under
 * node_modules/.cache, so the built file resolves the project's dependencies exactly like dist/ does.
 */
export async function buildCli(): Promise<BuiltCli> {
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(cacheDir, 'nodebounce-cli-test-'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(REPO_ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        rootDir: join(REPO_ROOT, 'src'),
        outDir: join(dir, 'dist'),
        sourceMap: false,
        incremental: false,
      },
      files: [join(REPO_ROOT, 'src', 'cli', 'main.ts')],
      include: [],
    }),
  );
  await promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')],
    { cwd: REPO_ROOT },
  );
  const home = join(dir, 'home');
  mkdirSync(home);
  return {
    main: join(dir, 'dist', 'cli', 'main.js'),
    home,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliRun {
  child: ReturnType<typeof spawn>;
  /** Resolves when stdout has shown a line matching `re`. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the built CLI. `kubeconfig: null` runs it with no KUBECONFIG at all. */
export function startCli(
  cli: BuiltCli,
  args: string[],
  opts: { kubeconfig: string | null; env?: Record<string, string> },
): CliRun {
  const t0 = Date.now();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: cli.home, ...opts.env };
  if (opts.kubeconfig) env.KUBECONFIG = opts.kubeconfig;
  const child = spawn(process.execPath, [cli.main, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    listeners.forEach((l) => l());
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 })),
  );
  return {
    child,
    done,
    waitForOutput: (re, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(stdout)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`CLI output did not match ${re} in ${timeoutMs}ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        void done.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`CLI exited before its output matched ${re}:\n${stdout}\n${stderr}`));
          }
        });
        check();
      }),
  };
}

export function runCli(
  cli: BuiltCli,
  args: string[],
  opts: { kubeconfig: string | null; env?: Record<string, string> },
): Promise<CliResult> {
  return startCli(cli, args, opts).done;
}
