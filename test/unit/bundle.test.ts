// The operator bundle (scripts/bundle.ts) is what `npm start` and the image run: built here into a temporary
// directory, it must start with every dependency inside it, report a bad config like src/config does, and with
// --enable-source-maps (as the image runs it) name src/*.ts lines in stack traces. No cluster: these are the
// paths that stop before the first API request. Building takes a few seconds (esbuild).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/index.js';
import { OPERATOR_BUNDLE, bundle, thirdPartyLicenses } from '../../scripts/bundle.js';
import type { Metafile } from 'esbuild';

/** The 1-based line of the first line of `file` (relative to the repository) containing `needle`. */
function lineOf(file: string, needle: string): number {
  const i = readFileSync(join(REPO_ROOT, file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle));
  expect(i, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return i + 1;
}

describe('the operator bundle (dist/nodebounce-operator.mjs)', () => {
  let dir: string;
  let file: string;
  let meta: Metafile;

  beforeAll(async () => {
    // Anywhere: the map's source paths are relative to where it is written.
    dir = mkdtempSync(join(tmpdir(), 'nodebounce-bundle-test-'));
    file = join(dir, 'nodebounce-operator.mjs');
    meta = await bundle({ outfile: file });
  }, 60_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  const run = (env: Record<string, string>, nodeArgs = ['--enable-source-maps']) =>
    spawnSync(process.execPath, [...nodeArgs, file], {
      cwd: tmpdir(), // nothing from the repository's node_modules: the bundle must carry its dependencies
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('is one file with its source map, the entry src/main.ts and no dependency left outside', () => {
    expect(OPERATOR_BUNDLE).toBe('dist/nodebounce-operator.mjs');
    expect(existsSync(`${file}.map`)).toBe(true);
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sourcesContent).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toMatch(/\n\/\/# sourceMappingURL=nodebounce-operator\.mjs\.map\n?$/);
    const out = Object.values(meta.outputs).find((o) => o.entryPoint);
    expect(out?.entryPoint).toBe('src/main.ts');
    // Only Node built-ins stay imports, and three optional packages that ws and debug require() inside try/catch
    // (not installed here, nor in the image: all work without them).
    const external = out!.imports.filter((i) => i.external).map((i) => i.path);
    expect(external.filter((p) => !isBuiltin(p)).sort()).toEqual(['bufferutil', 'supports-color', 'utf-8-validate']);
    for (const pkg of ['@kubernetes/client-node', 'pino', 'prom-client', 'yaml', 'zod', 'p-retry']) {
      expect(
        Object.keys(meta.inputs).some((i) => i.startsWith(`node_modules/${pkg}/`)),
        pkg,
      ).toBe(true);
    }
    expect(thirdPartyLicenses(meta)).toMatch(/^pino@\d+\.\d+\.\d+ \(MIT\)$/m);
  });

  it('exits 2 on a bad config, naming every bad key', () => {
    const res = run({ NODEBOUNCE_METRICS_PORT: 'eighty', NODEBOUNCE_LOG_LEVEL: 'loud' });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toContain('nodebounce-operator: invalid operator configuration');
    expect(res.stderr).toContain('metricsPort (from NODEBOUNCE_METRICS_PORT)');
    expect(res.stderr).toContain('logLevel (from NODEBOUNCE_LOG_LEVEL)');
  });

  it('with --enable-source-maps, a stack trace names the src/*.ts lines', () => {
    // No kubeconfig: loadKubeConfig throws, main() prints the stack and exits 1.
    const env = { KUBECONFIG: join(dir, 'missing-kubeconfig') };
    const res = run(env);
    expect(res.status, res.stderr).toBe(1);
    expect(res.stderr).toContain('missing-kubeconfig');
    expect(res.stderr).toContain(`src/kube/config.ts:${lineOf('src/kube/config.ts', 'loadFromDefault()')}:`);
    expect(res.stderr).toContain(`src/main.ts:${lineOf('src/main.ts', '= loadKubeConfig()')}:`);
    // The check is live: without the flag the frames are the bundle's own lines.
    const plain = run(env, []);
    expect(plain.status).toBe(1);
    expect(plain.stderr).not.toContain('src/kube/config.ts');
    expect(plain.stderr).toContain('nodebounce-operator.mjs:');
  });
});
