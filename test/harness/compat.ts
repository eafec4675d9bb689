/**
 * `npm run test:compat -- --kubernetes 1.35.4 [--all] [--json FILE]`: the integration tier (by default the subset
 * below, which covers every API the operator uses) against another Kubernetes release's kube-apiserver. The release
 * is selected through NODEBOUNCE_KUBERNETES_VERSION (test/harness/versions.ts); its binaries build into their own
 * cache directory (cacheKey() includes the versions), so the default tier's cache is never touched.
 *
 * Prints one line per run for the README's "Supported Kubernetes versions" table: version, result, build and test
 * times. `--kubernetes` accepts an exact version, a supported minor ("1.35" = its pinned patch) or `oldest` (the
 * oldest supported release: what CI runs next to the default).
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KUBERNETES_VERSION_ENV, SUPPORTED_KUBERNETES, resolveKubernetesRelease } from './versions.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The integration files run by default, with the API each one exercises on the real kube-apiserver. Together: the
 * CRDs (structural schemas, defaults, CEL validation and transition rules, selectable fields, status subresource),
 * the Eviction API (allowed, PodDisruptionBudget refusal with its DisruptionBudget cause, refusal by an admission
 * policy), graceful deletion and how a terminating pod is reported, coordination.k8s.io Leases, core/v1 Events
 * (series), watches with bookmarks, ValidatingAdmissionPolicy, RBAC as deploy/ ships it, Pod Security admission and
 * server-side dry run of every rendered manifest.
 */
export const COMPAT_SUBSET: ReadonlyArray<{ file: string; covers: string }> = [
  {
    file: 'test/integration/kube-compat.test.ts',
    covers: 'watch bookmarks at the operator defaults, eviction answers (200, 429 DisruptionBudget, 404), CEL rules',
  },
  {
    file: 'test/integration/controlplane.test.ts',
    covers: '/version, kwok nodes, graceful delete reported as Terminating, RBAC',
  },
  { file: 'test/integration/rollout-crd.test.ts', covers: 'CRD defaults, CEL transition rules (immutable fields)' },
  {
    file: 'test/integration/bounce-preflight.test.ts',
    covers: 'NodeBounce CEL immutability (the API rejects spec updates), preflight failures',
  },
  { file: 'test/integration/bounce-happy.test.ts', covers: 'eviction, status subresource, NodeBounce watch' },
  {
    file: 'test/integration/bounce-scenarios.test.ts',
    covers: 'finalizers, patches, delete, selectable-field lists, Events, ttl deletes',
  },
  { file: 'test/integration/bounce-timeouts.test.ts', covers: 'PodDisruptionBudget refusal (429 DisruptionBudget)' },
  {
    file: 'test/integration/events-series.test.ts',
    covers: 'ValidatingAdmissionPolicy refusing evictions, Event series',
  },
  { file: 'test/integration/operations.test.ts', covers: 'Lease leader election and hand-over, metrics, SIGTERM' },
  {
    file: 'test/integration/deploy-manifests.test.ts',
    covers: 'server-side dry run of deploy/ and the chart, Pod Security admission, shipped RBAC',
  },
  { file: 'test/integration/rollout-order.test.ts', covers: 'RollingBounce: ordered evictions, status' },
];

interface Args {
  kubernetes?: string;
  all: boolean;
  json?: string;
  rest: string[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { all: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--kubernetes') out.kubernetes = argv[++i];
    else if (a.startsWith('--kubernetes=')) out.kubernetes = a.slice('--kubernetes='.length);
    else if (a === '--all') out.all = true;
    else if (a === '--json') out.json = argv[++i];
    else out.rest.push(a);
  }
  return out;
}

function fmt(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.kubernetes) {
    console.error(
      'usage: npm run test:compat -- --kubernetes <version|oldest> [--all] [--json FILE] [vitest args]\n' +
        `supported: ${SUPPORTED_KUBERNETES.map((r) => r.kubernetes).join(', ')} (the first is the default of every tier)`,
    );
    return 2;
  }
  const release =
    args.kubernetes === 'oldest'
      ? (SUPPORTED_KUBERNETES[SUPPORTED_KUBERNETES.length - 1] as (typeof SUPPORTED_KUBERNETES)[number])
      : resolveKubernetesRelease(args.kubernetes);
  // versions.js fixes VERSIONS when it is first loaded, and this script loaded it (above) before knowing the
  // release: run again with the release in the environment, so the build, the versions printed and vitest all agree.
  if (process.env[KUBERNETES_VERSION_ENV] !== release.kubernetes) {
    const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, [KUBERNETES_VERSION_ENV]: release.kubernetes },
    });
    return again.status ?? 1;
  }
  const { ensureControlPlaneBinaries, binaryVersions, versionDir } = await import('./build.js');

  const t0 = Date.now();
  const bins = await ensureControlPlaneBinaries({ log: (l) => console.log(`[compat build] ${l}`) });
  const buildMs = Date.now() - t0;
  const versions = await binaryVersions(bins);
  console.log(`[compat] ${bins.built ? `built in ${fmt(buildMs)}` : 'cached'}: ${versionDir()}`);
  for (const [k, v] of Object.entries(versions)) console.log(`[compat]   ${k.padEnd(15)} ${v}`);

  const files = args.all ? [] : COMPAT_SUBSET.map((s) => s.file);
  const vitestArgs = ['vitest', 'run', '--project', 'integration', ...files, ...args.rest];
  console.log(`[compat] npx ${vitestArgs.join(' ')}  (${KUBERNETES_VERSION_ENV}=${release.kubernetes})`);
  const t1 = Date.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('npx', vitestArgs, { cwd: REPO, stdio: 'inherit', env: process.env });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const testMs = Date.now() - t1;
  const result = {
    kubernetes: release.kubernetes,
    etcd: release.etcd,
    kwok: release.kwok,
    scope: args.all ? 'integration tier (all files)' : `subset (${files.length} files)`,
    passed: code === 0,
    date: new Date().toISOString().slice(0, 10),
    buildMs: bins.built ? buildMs : 0,
    testMs,
  };
  if (args.json) await fs.writeFile(args.json, JSON.stringify(result, null, 2) + '\n');
  console.log(
    `[compat] | ${release.kubernetes} | ${result.passed ? 'pass' : `FAIL (vitest exit ${code})`} | ${result.scope} | ` +
      `${result.date} | build ${bins.built ? fmt(buildMs) : 'cached'}, tests ${fmt(testMs)} |`,
  );
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
