// `npm run build` (after tsc): bundles the operator, src/main.ts and every dependency it imports, into one ES
// module, dist/nodebounce-operator.mjs, with its source map next to it. That file is what ships: `npm start` and
// the image (Dockerfile; the Helm chart and kustomize base run the image's CMD) run it with
// `node --enable-source-maps`, and stack traces point at src/*.ts lines. The operator is ready in about half the
// time: Node loads one file instead of dist/'s ~50 modules and the ~1,000 files they import from node_modules
// (docs/benchmarks.md, start-up), and the image needs no node_modules.
// dist/THIRD-PARTY-LICENSES.txt carries the licence texts of the packages inside the bundle.
//
// Checked to work bundled: @kubernetes/client-node, pino, prom-client, yaml, zod, p-retry (commander is the CLI's
// only). pino's transports would need worker files from node_modules, but the operator logs to stdout without one,
// so that code never runs. Some dependencies are CommonJS and require() Node built-ins, which an ES module bundle
// cannot do by itself: the banner gives the bundle a real `require` (and __filename/__dirname for code that reads
// them).
//
//   tsx scripts/bundle.ts [--entry src/operator.ts --outfile /tmp/x.mjs]   (bench/run.ts bundles other entries)
import { build, type Metafile } from 'esbuild';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The operator bundle, relative to the repository (the Dockerfile and package.json name it too). */
export const OPERATOR_BUNDLE = 'dist/nodebounce-operator.mjs';
export const LICENSES_FILE = 'dist/THIRD-PARTY-LICENSES.txt';
/** The CLI as tsc builds it (package.json's bin). */
export const CLI_MAIN = 'dist/cli/main.js';

const BANNER = [
  "import { createRequire as __nbCreateRequire } from 'node:module';",
  "import { fileURLToPath as __nbFileURLToPath } from 'node:url';",
  'const require = __nbCreateRequire(import.meta.url);',
  'const __filename = __nbFileURLToPath(import.meta.url);',
  "const __dirname = __nbFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

export interface BundleOptions {
  /** Entry point (default src/main.ts). */
  entry?: string;
  /** Output file (default dist/nodebounce-operator.mjs); its .map is written next to it. */
  outfile?: string;
}

export async function bundle(opts: BundleOptions = {}): Promise<Metafile> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [opts.entry ?? join(root, 'src', 'main.ts')],
    outfile: opts.outfile ?? join(root, OPERATOR_BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Stack traces need the mappings only: without the sources' text the map is a fraction of the size. Node reads
    // the map when the bundle loads and decodes it the first time a stack trace is formatted.
    sourcemap: 'linked',
    sourcesContent: false,
    banner: { js: BANNER },
    // Nothing is external: the image holds the bundle and nothing from node_modules.
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

/** name@version, licence and licence text of every package with code in the bundle. */
export function thirdPartyLicenses(meta: Metafile): string {
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]!);
  }
  const sections = [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const file = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file
      ? readFileSync(join(root, dir, file), 'utf8').trim()
      : `(no licence file in the package; package.json says ${pkg.license ?? 'nothing'})`;
    return `${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}\n`;
  });
  return (
    `Third-party packages bundled into ${OPERATOR_BUNDLE.replace('dist/', '')} (${sections.length}):\n\n` +
    sections.join(`\n${'-'.repeat(78)}\n\n`)
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { entry: { type: 'string' }, outfile: { type: 'string' } } });
  const t0 = performance.now();
  const meta = await bundle({ entry: values.entry, outfile: values.outfile });
  if (!values.outfile) writeFileSync(join(root, LICENSES_FILE), thirdPartyLicenses(meta));
  // tsc writes dist/cli/main.js (package.json's bin) without the executable bit; a user running it directly, or a
  // symlink on PATH made without npm, needs it.
  if (!values.outfile && existsSync(join(root, CLI_MAIN))) chmodSync(join(root, CLI_MAIN), 0o755);
  for (const [file, out] of Object.entries(meta.outputs)) {
    console.log(`${relative(root, join(root, file))}: ${(out.bytes / 1024).toFixed(0)} KiB`);
  }
  console.log(`bundled in ${Math.round(performance.now() - t0)} ms`);
}
