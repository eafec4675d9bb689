// `npm run dashboard`: writes the Grafana dashboard (scripts/grafana-dashboard.ts) to deploy/grafana/ and to
// its copies in the Helm chart and the kustomize component. `-- --check` only reports stale files (exit 1).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_FILES, renderDashboard } from './grafana-dashboard.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const text = renderDashboard();
let stale = 0;
for (const file of DASHBOARD_FILES) {
  const path = join(root, file);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
  stale++;
  if (check) {
    console.error(`${file} is out of date with scripts/grafana-dashboard.ts`);
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${file}`);
}
if (check && stale > 0) {
  console.error('run: npm run dashboard');
  process.exit(1);
}
