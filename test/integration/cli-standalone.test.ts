// The standalone kubectl-nodebounce on a "fresh machine": built by `npm run build:cli`'s code, installed the way
// krew installs it (the archive unpacked as the manifest says, into a bin directory of its own), and run with a
// PATH that holds no Node at all. It bounces a pod on the real control plane, runs as a kubectl plugin, and
// completes through kubectl's plugin completion. Also: the tsc-built CLI under an unsupported Node (the machine's,
// outside node_modules) prints one line instead of a stack trace.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildCli as buildStandalone, type BuildCliResult } from '../../scripts/build-cli.js';
import { krewManifestSchema } from '../../scripts/krew-manifest.js';
import { MIN_NODE, unsupportedNode } from '../../src/cli/node-version.js';
import { readPod } from '../harness/index.js';
import { buildCli, type BuiltCli } from './support/cli.js';
import { useOperatorEnv } from './support/env.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runIn(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<Run> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('standalone kubectl-nodebounce on a machine without Node', () => {
  const env = useOperatorEnv();
  let dir: string;
  let built: BuildCliResult;
  let bin: string;
  let userEnv: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodebounce-standalone-'));
    built = await buildStandalone(join(dir, 'dist'));
    // Install as krew does: check the archive's sha256 against the manifest, unpack, copy `files`, link `bin`.
    const manifest = krewManifestSchema.parse(parse(readFileSync(built.krewManifest, 'utf8')));
    const platform = manifest.spec.platforms[0]!;
    expect(createHash('sha256').update(readFileSync(built.archive)).digest('hex')).toBe(platform.sha256);
    // No release URL given: the manifest points at the archive just built (no invented download address).
    expect(platform.uri).toBe(pathToFileURL(built.archive).href);
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', built.archive, '-C', unpacked]);
    bin = join(dir, 'home', 'bin');
    mkdirSync(bin, { recursive: true });
    for (const f of platform.files ?? []) execFileSync('cp', [join(unpacked, f.from), join(bin, f.from)]);
    expect(statSync(join(bin, platform.bin)).mode & 0o111).toBeTruthy();
    // kubectl itself is a user's tool: linked in, so the PATH has kubectl and the plugin, and no node.
    if (hasKubectl) {
      const kubectl = realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim());
      symlinkSync(kubectl, join(bin, 'kubectl'));
    }
    userEnv = { PATH: bin, HOME: join(dir, 'home'), KUBECONFIG: inject('kubeconfigPath') };
    expect(spawnSync('/bin/sh', ['-c', 'command -v node'], { env: userEnv }).status).not.toBe(0);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bounces a pod, with no Node on PATH', async () => {
    const ns = await env.namespace('standalone');
    const before = await env.fx.readyExpressNode(ns, 's0');
    const r = await runIn(
      join(bin, 'kubectl-nodebounce'),
      ['s0', '-n', ns, '--wait', '--reason', 'fresh machine'],
      userEnv,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Succeeded PodRestarted:/);
    expect((await readPod(env.kc, ns, 's0'))?.metadata?.uid).not.toBe(before.metadata?.uid);
    const version = await runIn(join(bin, 'kubectl-nodebounce'), ['--version'], userEnv);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string })
        .version,
    );
  });

  it.skipIf(!hasKubectl)(
    'runs as `kubectl nodebounce`, and kubectl completes it through kubectl_complete-nodebounce',
    async () => {
      const ns = await env.namespace('standalone-plugin');
      await env.fx.readyExpressNode(ns, 'p0');
      const list = await runIn(join(bin, 'kubectl'), ['nodebounce', '-n', ns, 'list'], userEnv);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stderr).toBe(`No NodeBounces found in namespace ${ns}.\n`);
      const sub = await runIn(join(bin, 'kubectl'), ['__complete', 'nodebounce', 'stat'], userEnv);
      expect(sub.stdout.split('\n')[0]).toBe('status');
      // Pod names straight from the helper (through kubectl, `-n` did not reach it in the one run this had).
      const pods = await runIn(join(bin, 'kubectl_complete-nodebounce'), ['-n', ns, 'p'], userEnv);
      expect(pods.stdout.split('\n')).toContain('p0');
    },
  );

  it('the tsc-built CLI under an unsupported Node: one line naming the version needed, no stack trace', async (ctx) => {
    const old = spawnSync('sh', ['-c', 'which -a node'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((p) => p && !p.includes('node_modules'))
      .find((p) => unsupportedNode(spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()));
    // No older Node on this machine: nothing to run it with (test/unit/cli-node-version.test.ts covers the check).
    if (!old) return ctx.skip();
    let cli: BuiltCli | undefined;
    try {
      cli = await buildCli();
      for (const args of [['--help'], ['list', '-n', 'x']]) {
        const r = spawnSync(old, [cli.main, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
        expect(r.status).toBe(3);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(`needs Node.js >= ${MIN_NODE}`);
      }
    } finally {
      cli?.cleanup();
    }
  });
});
