// The bench's CPU profile summary (bench/profile.ts) maps bundle positions back through the bundle's source map to
// package and module. Here on a small real bundle: esbuild bundles a "package" from node_modules/ and two files of
// ours into one file with a source map, and a profile whose samples sit in those functions (at their positions in
// the bundle, as V8 records them) is summarised.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  areaOf,
  moduleOf,
  readSourceMapOf,
  sourceMapMapper,
  summariseCpuProfile,
  type CpuProfile,
} from '../../bench/profile.js';

let dir: string;
let bundleFile: string;
let bundleText: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodebounce-profile-test-'));
  const write = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  write('node_modules/@acme/codec/package.json', '{"name":"@acme/codec","main":"lib/decode.js"}');
  write(
    'node_modules/@acme/codec/lib/decode.js',
    'exports.decodeThing = function decodeThing(s) {\n  return JSON.parse(s);\n};\n',
  );
  write(
    'src/kube/informer.ts',
    "import { decodeThing } from '@acme/codec';\n\nexport function onEvent(line: string): unknown {\n  return decodeThing(line);\n}\n",
  );
  write(
    'src/main.ts',
    "import { onEvent } from './kube/informer';\n\nexport function mainLoop(): unknown {\n  return onEvent('{}');\n}\nconsole.log(mainLoop());\n",
  );
  bundleFile = join(dir, 'dist', 'bundle.mjs');
  await build({
    absWorkingDir: dir,
    entryPoints: [join(dir, 'src', 'main.ts')],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
  });
  bundleText = readFileSync(bundleFile, 'utf8');
}, 30_000);
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

/** The 0-based line and column of `needle` in the bundle, as a V8 call frame gives a function's position. */
function positionOf(needle: string): { lineNumber: number; columnNumber: number } {
  const lines = bundleText.split('\n');
  const lineNumber = lines.findIndex((l) => l.includes(needle));
  expect(lineNumber, needle).toBeGreaterThanOrEqual(0);
  return { lineNumber, columnNumber: lines[lineNumber]!.indexOf(needle) };
}

describe('bench: CPU profile attribution through the source map', () => {
  it('names the package, our src/ folder and module of each bundle position, and Node core and GC apart', () => {
    const url = pathToFileURL(bundleFile).href;
    const frame = (id: number, functionName: string, at: { lineNumber: number; columnNumber: number }, u = url) => ({
      id,
      callFrame: { functionName, url: u, ...at },
    });
    // 10 samples of 1 ms each: 4 in the package, 2 in src/kube, 1 in src/main.ts, 1 in Node core, 1 GC, 1 idle.
    const nodes = [
      { ...frame(1, 'decodeThing', positionOf('function decodeThing')), hitCount: 4 },
      { ...frame(2, 'onEvent', positionOf('function onEvent')), hitCount: 2 },
      { ...frame(3, 'mainLoop', positionOf('function mainLoop')), hitCount: 1 },
      { ...frame(4, 'emit', { lineNumber: 10, columnNumber: 0 }, 'node:events'), hitCount: 1 },
      { ...frame(5, '(garbage collector)', { lineNumber: -1, columnNumber: -1 }, ''), hitCount: 1 },
      { ...frame(6, '(idle)', { lineNumber: -1, columnNumber: -1 }, ''), hitCount: 1 },
    ];
    const profile: CpuProfile = { nodes, startTime: 0, endTime: 10_000, samples: Array.from({ length: 10 }, () => 1) };

    const s = summariseCpuProfile(profile, 15, sourceMapMapper(readSourceMapOf));
    expect(s.totalMs).toBe(10);
    expect(s.idleMs).toBe(1);
    expect(Object.fromEntries(s.byArea.map((a) => [a.area, a.selfMs]))).toEqual({
      '@acme/codec': 4,
      'ours: src/kube': 2,
      'ours: src': 1,
      'node core': 1,
      GC: 1,
    });
    expect(s.byArea[0]).toEqual({ area: '@acme/codec', selfMs: 4, pct: 44.4 });
    expect(Object.fromEntries(s.byModule!.map((m) => [m.module, m.selfMs]))).toMatchObject({
      '@acme/codec/lib/decode.js': 4,
      'src/kube/informer.ts': 2,
      'src/main.ts': 1,
    });
    // Functions are named with their original file and line, not the bundle's.
    expect(s.top.map((t) => `${t.fn} ${t.where}`)).toEqual(
      expect.arrayContaining([
        'decodeThing @acme/codec/lib/decode.js:1',
        'onEvent src/kube/informer.ts:3',
        'mainLoop src/main.ts:3',
      ]),
    );
  });

  it('without a source map, positions stay the bundle file itself', () => {
    const nodes = [
      {
        id: 1,
        callFrame: { functionName: 'f', url: 'file:///x/dist/nodebounce-operator.mjs', lineNumber: 5 },
        hitCount: 1,
      },
    ];
    const s = summariseCpuProfile(
      { nodes, startTime: 0, endTime: 1000, samples: [1] },
      5,
      sourceMapMapper(readSourceMapOf),
    );
    expect(s.byArea).toEqual([{ area: 'ours: dist', selfMs: 1, pct: 100 }]);
  });

  it('areas and modules of source paths', () => {
    expect(areaOf('../node_modules/@kubernetes/client-node/dist/watch.js')).toBe('@kubernetes/client-node');
    expect(areaOf('../node_modules/pino/lib/proto.js')).toBe('pino');
    expect(areaOf('../src/controller/store.ts')).toBe('ours: src/controller');
    expect(areaOf('node:internal/streams/readable')).toBe('node core');
    expect(moduleOf('../node_modules/zod/lib/types.js')).toBe('zod/lib/types.js');
    expect(moduleOf('../src/kube/watch.ts')).toBe('src/kube/watch.ts');
  });
});
