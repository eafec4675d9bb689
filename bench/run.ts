// `npm run bench`: starts its own local control plane (kube-apiserver + etcd + kwok, audit log on), the Express
// simulator and the compiled operator (dist/, under deploy/'s RBAC), then measures
//   1. operator start-up time,
//   2. 50 sequential bounces per method (operator, kubectl-like, 2 s poller) with 2 s / 3 s and 0 / 0 delays,
//   3. 1,000 ExpressNodes + pods and 1,000 NodeBounces created at once,
// and writes a table to stdout, bench/results/latest.json, the SVG plots in docs/bench/ (bench/plots.ts) and the
// numbers section of docs/benchmarks.md.
//
// Options: --bounces N (50) --scale N (1000, 0 skips) --delays 2000/3000,0/0 --no-latency --cpu-prof --trace-gc
//          --node-args="..." (node options for the operator of the scale run; with "=", they start with a dash)
//          --out FILE (bench/results/latest.json) --no-docs (neither docs/benchmarks.md nor docs/bench/*.svg)
//          --plots DIR (with --no-docs: the SVG plots there)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startControlPlane, startExpressSimulator, VERSIONS } from '../test/harness/index.js';
import { OperatorProcess, installOperatorIdentity } from '../test/integration/support/operator.js';
import { summariseCpuProfile } from './profile.js';
import { reuseConnections } from '../src/kube/http.js';
import { writePlots } from './plots.js';
import { PLOT_DIR, renderTable, updateBenchDocs } from './report.js';
import {
  percentiles,
  runLatency,
  runScale,
  type BenchEnv,
  type Delays,
  type LatencyResult,
  type ScaleResult,
} from './scenarios.js';

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt?: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memGb: number;
    node: string;
    loadavgAtStart: number[];
    loadavgAtEnd?: number[];
  };
  versions: typeof VERSIONS;
  operatorReadyMs?: ReturnType<typeof percentiles>;
  /** The same, for dist/ bundled into one file with esbuild (when node_modules/.bin/esbuild is there). */
  operatorReadyBundledMs?: ReturnType<typeof percentiles>;
  /** Time to import the operator's modules alone (no cluster), dist/ vs bundled, 3 runs each. */
  importMs?: { dist?: ReturnType<typeof percentiles>; bundled?: ReturnType<typeof percentiles> };
  latency: LatencyResult[];
  scale?: ScaleResult;
  scaleProfile?: ReturnType<typeof summariseCpuProfile>;
  notes: string[];
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
# kwok's node heartbeats and health probes are noise here.
- level: None
  resources:
  - group: coordination.k8s.io
    resources: [leases]
- level: None
  nonResourceURLs: ['/readyz*', '/healthz*', '/livez*']
- level: Metadata
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bounces: { type: 'string', default: '50' },
      scale: { type: 'string', default: '1000' },
      delays: { type: 'string', default: '2000/3000,0/0' },
      'no-latency': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results', 'latest.json') },
      'no-docs': { type: 'boolean', default: false },
      /** With --no-docs: write the plots to this directory instead of docs/bench (default: none). */
      plots: { type: 'string' },
      /** maxConcurrentReconciles of the operator in the scale run (default: the operator's default, 16). */
      concurrency: { type: 'string' },
      /** Run the operator of the scale run with node --trace-gc and report its live heap after full GCs. */
      'trace-gc': { type: 'boolean', default: false },
      /** Extra node options for the operator of the scale run, space-separated (e.g. "--max-semi-space-size=2"). */
      'node-args': { type: 'string' },
    },
  });
  const bounces = Number(values.bounces);
  const scaleCount = Number(values.scale);
  const delaySets: Delays[] = values.delays.split(',').map((d) => {
    const [s, u] = d.split('/').map(Number);
    return { shutdownMs: s!, startupMs: u! };
  });
  const log = (l: string) => console.log(l);

  if (!existsSync(join(REPO_ROOT, 'dist', 'main.js'))) {
    log('building dist/ (npm run build) ...');
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }

  const results: BenchResults = {
    version: 1,
    startedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      memGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    versions: VERSIONS,
    latency: [],
    notes: [],
  };

  const policyFile = join(tmpdir(), `nodebounce-bench-audit-${process.pid}.yaml`);
  writeFileSync(policyFile, AUDIT_POLICY);
  log('starting the local control plane ...');
  const cp = await startControlPlane({ auditPolicy: policyFile, kwokNodes: 3 });
  log(`control plane ready in ${cp.startupMs} ms`);
  const operators: OperatorProcess[] = [];
  // The bench's own clients and the Express simulator keep connections alive, as a Go controller would (client-node
  // alone opens a new TLS connection per request, which loads the API server and slows the simulated floor).
  reuseConnections(cp.kubeConfig);
  const sim = await startExpressSimulator(cp.kubeConfig);
  try {
    const operatorKc = await installOperatorIdentity(cp.kubeConfig);
    const env: BenchEnv = {
      kc: cp.kubeConfig,
      auditLogPath: cp.auditLogPath!,
      log,
      async startOperator(
        opts: { cpuProfDir?: string; script?: string; concurrency?: number; nodeArgs?: string[] } = {},
      ) {
        const nodeArgs = [
          ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
          ...(opts.nodeArgs ?? []),
        ];
        const entry = opts.script ? { script: opts.script } : 'dist';
        const env: Record<string, string> = { NODEBOUNCE_LOG_LEVEL: 'info' };
        if (opts.concurrency) env.NODEBOUNCE_MAX_CONCURRENT_RECONCILES = String(opts.concurrency);
        const p = new OperatorProcess({ kubeConfig: operatorKc, entry, nodeArgs, env });
        operators.push(p);
        await p.start(120_000);
        return p;
      },
    };

    // 1. Start-up: spawn -> "caches synced", 5 times on an (almost) empty cluster.
    const readies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await env.startOperator();
      readies.push(p.readyMs!);
      await p.stop();
    }
    results.operatorReadyMs = percentiles(readies);
    log(`operator ready after start: p50 ${results.operatorReadyMs?.p50} ms, max ${results.operatorReadyMs?.max} ms`);
    let bundle: ReturnType<typeof bundleOperator>;
    try {
      bundle = bundleOperator();
    } catch (err) {
      results.notes.push(`bundling with esbuild failed, bundled start-up not measured: ${String(err).slice(0, 200)}`);
    }
    if (bundle) {
      const bundled: number[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await env.startOperator({ script: bundle.main });
        bundled.push(p.readyMs!);
        await p.stop();
      }
      results.operatorReadyBundledMs = percentiles(bundled);
      results.importMs = {
        dist: percentiles(importTimes(join(REPO_ROOT, 'dist', 'operator.js'))),
        bundled: percentiles(importTimes(bundle.operator)),
      };
      log(
        `bundled: ready p50 ${results.operatorReadyBundledMs?.p50} ms; module import p50 dist ${results.importMs.dist?.p50} ms vs bundled ${results.importMs.bundled?.p50} ms`,
      );
    }

    // 2. Latency, side by side.
    if (!values['no-latency'] && bounces > 0) {
      const op = await env.startOperator();
      for (const delays of delaySets) {
        log(
          `latency: ${bounces} bounces per method, shutdown ${delays.shutdownMs} ms / startup ${delays.startupMs} ms`,
        );
        results.latency.push(
          await runLatency(env, {
            namespace: `bench-lat-${delays.shutdownMs}-${delays.startupMs}`,
            bounces,
            delays,
            methods: ['operator', 'kubectl', 'poller'],
          }),
        );
      }
      await op.stop();
    }

    // 3. Scale.
    if (scaleCount > 0) {
      const profDir = values['cpu-prof'] ? join(tmpdir(), `nodebounce-bench-prof-${process.pid}`) : undefined;
      if (profDir) mkdirSync(profDir, { recursive: true });
      log(
        `scale: ${scaleCount} ExpressNodes + pods, then ${scaleCount} NodeBounces at once (shutdown 2000 ms / startup 3000 ms)`,
      );
      const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
      results.scale = await runScale(env, {
        namespace: 'bench-scale',
        count: scaleCount,
        delays: { shutdownMs: 2000, startupMs: 3000 },
        cpuProfDir: profDir,
        concurrency,
        traceGc: values['trace-gc'],
        nodeArgs: values['node-args']?.split(' ').filter(Boolean),
      });
      if (profDir) {
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        if (file) {
          results.scaleProfile = summariseCpuProfile(
            JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Parameters<typeof summariseCpuProfile>[0],
            15,
          );
          results.scale.cpuProfile = join(profDir, file);
        }
      }
    }
  } finally {
    for (const p of operators) {
      await p.kill();
      p.cleanup();
    }
    await sim.stop();
    await cp.stop();
  }
  results.finishedAt = new Date().toISOString();
  results.machine.loadavgAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  results.notes.push(
    `2 cores shared with other engineers' builds and tests: load average ${results.machine.loadavgAtStart.join('/')} at start, ${results.machine.loadavgAtEnd.join('/')} at the end. Figures are side by side in one run; absolute numbers move with the machine's load.`,
  );

  console.log('\n' + renderTable(results));
  mkdirSync(join(values.out, '..'), { recursive: true });
  writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${values.out}`);
  if (!values['no-docs']) {
    // The plots (bench/plots.ts, also `npm run bench:plots`) are linked from the numbers section.
    for (const p of await writePlots(results, join(REPO_ROOT, PLOT_DIR))) console.log(`wrote ${p}`);
    const docPath = join(REPO_ROOT, 'docs', 'benchmarks.md');
    if (updateBenchDocs(results, docPath)) console.log(`updated the numbers in ${docPath}`);
  } else if (values.plots) {
    for (const p of await writePlots(results, values.plots)) console.log(`wrote ${p}`);
  }
}

/** Bundles dist/main.js and dist/operator.js with esbuild (if present) into a temp dir. */
function bundleOperator(): { main: string; operator: string } | undefined {
  const esbuild = join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild)) return undefined;
  const dir = join(tmpdir(), `nodebounce-bench-bundle-${process.pid}`);
  const banner = "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);";
  const out: Record<string, string> = {};
  for (const name of ['main', 'operator']) {
    out[name] = join(dir, `${name}.mjs`);
    execFileSync(
      esbuild,
      [
        join(REPO_ROOT, 'dist', `${name}.js`),
        '--bundle',
        '--platform=node',
        '--format=esm',
        `--outfile=${out[name]}`,
        banner,
        '--log-level=error',
      ],
      { cwd: REPO_ROOT },
    );
  }
  return { main: out.main!, operator: out.operator! };
}

/** Wall time of importing a module in a fresh node process, 3 times. */
function importTimes(file: string): number[] {
  const code = `const t=performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now()-t); process.exit(0);`;
  return [0, 1, 2].map(() =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
    ),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
