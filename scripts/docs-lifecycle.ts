// `npm run docs:lifecycle`: rewrites the generated lifecycle blocks in README.md and docs/api.md.
// `-- --check` only reports files that are out of date (exit 1).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES, FIX_COMMAND, renderLifecycleBlocks } from './lifecycle-docs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const file of FILES) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const next = renderLifecycleBlocks(text, file);
  if (next === text) continue;
  stale++;
  if (check) console.error(`${file} is out of date with src/bounce/lifecycle.ts`);
  else writeFileSync(path, next);
  if (!check) console.log(`updated ${file}`);
}
if (check && stale > 0) {
  console.error(`run: ${FIX_COMMAND}`);
  process.exit(1);
}
