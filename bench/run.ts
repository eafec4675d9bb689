// `npm run bench`: starts its own local control plane (kube-apiserver + etcd + kwok, audit log on), the Express
// simulator and the operator as it ships (`node --enable-source-maps dist/nodebounce-operator.mjs`, the esbuild
// bundle of `npm run build`, under deploy/'s RBAC), then measures
//   1. operator start-up time, the bundle side by side with dist/ (tsc output, what the image ran before),
//   2. 50 sequential bounces per method (operator, kubectl-like, 2 s poller) with 2 s / 3 s and 0 / 0 delays,
//   3. 100 pods bounced at once, side by side: 100 NodeBounces, then 100 parallel kubectl-like pipelines (2 s / 3 s),
//   4. 1,000 ExpressNodes + pods and 1,000 NodeBounces created at once,
// and writes a table to stdout, bench/results/latest.json, the SVG plots in docs/bench/ (bench/plots.ts) and the
// numbers section of docs/benchmarks.md.
//
// Options: --bounces N (50) --scale N (1000, 0 skips) --delays 2000/3000,0/0 --no-latency --cpu-prof --trace-gc
//          --burst N (100, 0 skips) --burst-delays 2000/3000 --concurrency N (maxConcurrentReconciles, burst and scale)
//          --node-args="..." (node options for the operator of the scale run; with "=", they start with a dash)
//          --memory-limit MB (the scale run's operator in a memory cgroup with that limit: 256 like the chart, 0 none)
//          --out FILE (bench/results/latest.json) --no-docs (neither docs/benchmarks.md nor docs/bench/*.svg)
//          --plots DIR (with --no-docs: the SVG plots there)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startControlPlane, startExpressSimulator, VERSIONS } from '../test/harness/index.js';
import { OperatorProcess, installOperatorIdentity } from '../test/integration/support/operator.js';
import { readSourceMapOf, sourceMapMapper, summariseCpuProfile, type CpuProfile } from './profile.js';
import { reuseConnections } from '../src/kube/http.js';
import { writePlots } from './plots.js';
import { DEFAULT_MAX_CONCURRENT_RECONCILES } from '../src/config/schema.js';
import { memoryCgroupUnsupported, type MemoryCgroup } from '../test/harness/memlimit.js';
import { PLOT_DIR, allFailures, renderTable, updateBenchDocs } from './report.js';
import { AUDIT_POLICY } from './audit.js';
import { OPERATOR_BUNDLE, bundle } from '../scripts/bundle.js';
import {
  percentiles,
  runLatency,
  runScale,
  runBurst,
  type BenchEnv,
  type BurstResult,
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
  /** Spawn -> "caches synced" of `node --enable-source-maps dist/main.js` (tsc output), 5 starts. */
  operatorReadyMs?: ReturnType<typeof percentiles>;
  /** The same for the shipped bundle, dist/nodebounce-operator.mjs (scripts/bundle.ts), interleaved with dist/. */
  operatorReadyBundledMs?: ReturnType<typeof percentiles>;
  /** What the latency and scale runs start (since issue 11 item 4 the bundle; dist/main.js before). */
  operatorEntry?: string;
  /** Time to import the operator's modules alone (no cluster), dist/ vs bundled, 3 runs each. */
  importMs?: { dist?: ReturnType<typeof percentiles>; bundled?: ReturnType<typeof percentiles> };
  latency: LatencyResult[];
  /** N bounces at once, the operator and the kubectl-like baseline side by side. */
  burst?: BurstResult;
  scale?: ScaleResult;
  scaleProfile?: ReturnType<typeof summariseCpuProfile>;
  /** --ab: the scale run once per operator script, in the order given, each in a namespace of its own. */
  ab?: Array<{
    script: string;
    scale: Omit<ScaleResult, 'timeline'>;
    profile?: ReturnType<typeof summariseCpuProfile>;
  }>;
  notes: string[];
}

const HELP = `npm run bench -- [options]
  --bounces N          sequential bounces per method and delay set (50; 0 skips)
  --delays S/U,...     shutdown/startup delays (ms) of the sequential runs (2000/3000,0/0)
  --no-latency         skip the sequential runs
  --burst N            N pods bounced at once: N NodeBounces, then N parallel kubectl-like pipelines (100; 0 skips)
  --burst-delays S/U   shutdown/startup delays (ms) of the burst (2000/3000)
  --scale N            N NodeBounces at once (1000; 0 skips)
  --concurrency N      the operator's maxConcurrentReconciles in the burst and scale runs (its default)
  --cpu-prof           profile the operator during the scale run
  --trace-gc           the scale run's operator with --trace-gc: its live heap after full GCs
  --node-args="..."    more node options for the scale run's operator
  --memory-limit MB    the scale run's operator in a memory cgroup with that limit (256, the chart's; 0: none)
  --ab A.mjs,B.mjs,... A/B: instead of the scale run, the scale run once per operator bundle, in that order (e.g.
                       A,B,B,A), each on --scale fresh pods in a namespace of its own; with --cpu-prof each profiled
  --out FILE           results JSON (bench/results/latest.json)
  --no-docs            write neither docs/benchmarks.md nor docs/bench/*.svg
  --plots DIR          with --no-docs: write the SVG plots to DIR`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bounces: { type: 'string', default: '50' },
      scale: { type: 'string', default: '1000' },
      delays: { type: 'string', default: '2000/3000,0/0' },
      burst: { type: 'string', default: '100' },
      'burst-delays': { type: 'string', default: '2000/3000' },
      help: { type: 'boolean', short: 'h', default: false },
      'no-latency': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results', 'latest.json') },
      'no-docs': { type: 'boolean', default: false },
      /** With --no-docs: write the plots to this directory instead of docs/bench (default: none). */
      plots: { type: 'string' },
      /** maxConcurrentReconciles of the operator in the burst and scale runs (default: the operator's default). */
      concurrency: { type: 'string' },
      /** Run the operator of the scale run with node --trace-gc and report its live heap after full GCs. */
      'trace-gc': { type: 'boolean', default: false },
      /** Extra node options for the operator of the scale run, space-separated (e.g. "--max-semi-space-size=2"). */
      'node-args': { type: 'string' },
      /** Run the operator of the scale run in a memory cgroup with this limit (MB): the chart's is 256. */
      'memory-limit': { type: 'string' },
      /** Comma-separated operator bundles: the scale run once per bundle, in that order (A/B of two builds). */
      ab: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const bounces = Number(values.bounces);
  const scaleCount = Number(values.scale);
  const burstCount = Number(values.burst);
  const parseDelays = (d: string): Delays => {
    const [s, u] = d.split('/').map(Number);
    if (!Number.isFinite(s) || !Number.isFinite(u)) throw new Error(`delays must look like 2000/3000, got ${d}`);
    return { shutdownMs: s!, startupMs: u! };
  };
  const delaySets: Delays[] = values.delays.split(',').map(parseDelays);
  const burstDelays = parseDelays(values['burst-delays']);
  const log = (l: string) => console.log(l);

  if (!existsSync(join(REPO_ROOT, 'dist', 'main.js')) || !existsSync(join(REPO_ROOT, OPERATOR_BUNDLE))) {
    log('building dist/ and the bundle (npm run build) ...');
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
    operatorEntry: OPERATOR_BUNDLE,
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
        opts: {
          cpuProfDir?: string;
          script?: string;
          concurrency?: number;
          nodeArgs?: string[];
          memoryCgroup?: MemoryCgroup;
        } = {},
      ) {
        // As the image runs it: node --enable-source-maps <bundle>.
        const nodeArgs = [
          '--enable-source-maps',
          ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
          ...(opts.nodeArgs ?? []),
        ];
        const entry = { script: opts.script ?? join(REPO_ROOT, OPERATOR_BUNDLE) };
        const env: Record<string, string> = { NODEBOUNCE_LOG_LEVEL: 'info' };
        if (opts.concurrency) env.NODEBOUNCE_MAX_CONCURRENT_RECONCILES = String(opts.concurrency);
        const p = new OperatorProcess({
          kubeConfig: operatorKc,
          entry,
          nodeArgs,
          env,
          memoryCgroup: opts.memoryCgroup,
        });
        operators.push(p);
        await p.start(120_000);
        return p;
      },
    };

    // 1. Start-up: spawn -> "caches synced", 5 times each on an (almost) empty cluster, the shipped bundle and
    //    dist/ interleaved so a change in the machine's load hits both alike.
    const startups = await measureStartups((o) => env.startOperator(o), 5);
    results.operatorReadyBundledMs = percentiles(startups.bundle);
    results.operatorReadyMs = percentiles(startups.dist);
    log(
      `operator ready after start (p50 / max): bundle ${results.operatorReadyBundledMs?.p50} / ${results.operatorReadyBundledMs?.max} ms, dist/ ${results.operatorReadyMs?.p50} / ${results.operatorReadyMs?.max} ms`,
    );
    try {
      const operatorBundle = join(tmpdir(), `nodebounce-bench-bundle-${process.pid}`, 'operator.mjs');
      await bundle({ entry: join(REPO_ROOT, 'src', 'operator.ts'), outfile: operatorBundle });
      results.importMs = {
        dist: percentiles(importTimes(join(REPO_ROOT, 'dist', 'operator.js'))),
        bundled: percentiles(importTimes(operatorBundle)),
      };
      log(`module import p50: dist/ ${results.importMs.dist?.p50} ms vs bundled ${results.importMs.bundled?.p50} ms`);
    } catch (err) {
      results.notes.push(`bundling src/operator.ts failed, import times not measured: ${String(err).slice(0, 200)}`);
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

    // 3. N at once, side by side (the operator is started inside, once the pods exist).
    if (burstCount > 0) {
      log(
        `burst: ${burstCount} pods at once, ${burstCount} NodeBounces then ${burstCount} parallel kubectl-like pipelines (shutdown ${burstDelays.shutdownMs} ms / startup ${burstDelays.startupMs} ms)`,
      );
      results.burst = await runBurst(env, {
        namespace: `bench-burst-${burstCount}`,
        count: burstCount,
        delays: burstDelays,
        concurrency: values.concurrency ? Number(values.concurrency) : DEFAULT_MAX_CONCURRENT_RECONCILES,
      });
    }

    // 4. Scale (or, with --ab, once per bundle).
    const abScripts = values.ab?.split(',').filter(Boolean) ?? [];
    if (scaleCount > 0 && abScripts.length > 0) {
      results.ab = [];
      const why = memoryCgroupUnsupported();
      const memoryLimitMb =
        values['memory-limit'] !== undefined ? Number(values['memory-limit']) || undefined : why ? undefined : 256;
      for (const [i, script] of abScripts.entries()) {
        const profDir = values['cpu-prof'] ? join(tmpdir(), `nodebounce-bench-prof-${process.pid}-ab${i}`) : undefined;
        if (profDir) mkdirSync(profDir, { recursive: true });
        log(`A/B ${i + 1}/${abScripts.length}: ${script}, ${scaleCount} NodeBounces at once`);
        const { timeline: _timeline, ...scale } = await runScale(env, {
          namespace: `bench-ab-${i}`,
          count: scaleCount,
          delays: { shutdownMs: 2000, startupMs: 3000 },
          cpuProfDir: profDir,
          concurrency: values.concurrency ? Number(values.concurrency) : DEFAULT_MAX_CONCURRENT_RECONCILES,
          nodeArgs: values['node-args']?.split(' ').filter(Boolean),
          memoryLimitMb,
          script,
        });
        const file = profDir && readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        if (file) scale.cpuProfile = join(profDir, file);
        const profile = file
          ? summariseCpuProfile(
              JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile,
              15,
              sourceMapMapper(readSourceMapOf),
            )
          : undefined;
        results.ab.push({ script, scale, profile });
        log(
          `  CPU ${scale.operatorCpuMsPerBounce} ms per bounce (net of idle ${scale.operatorCpuMsPerBounceNetOfIdle}), peak RSS ${scale.operatorPeakRssMb} MB, ${scale.failed} failed (${scale.failedByEnvironment ?? 0} kwok/simulator)`,
        );
      }
    } else if (scaleCount > 0) {
      const profDir = values['cpu-prof'] ? join(tmpdir(), `nodebounce-bench-prof-${process.pid}`) : undefined;
      if (profDir) mkdirSync(profDir, { recursive: true });
      log(
        `scale: ${scaleCount} ExpressNodes + pods, then ${scaleCount} NodeBounces at once (shutdown 2000 ms / startup 3000 ms)`,
      );
      const concurrency = values.concurrency ? Number(values.concurrency) : DEFAULT_MAX_CONCURRENT_RECONCILES;
      // As deployed: the chart and kustomize base limit the operator's memory to 256 Mi, and Node sizes V8's heap from
      // that limit. Where no memory cgroup can be made (not root), the run says so and goes on without one.
      const why = memoryCgroupUnsupported();
      const memoryLimitMb =
        values['memory-limit'] !== undefined ? Number(values['memory-limit']) || undefined : why ? undefined : 256;
      if (!memoryLimitMb && values['memory-limit'] === undefined)
        log(`  (the operator runs without a memory limit: ${why})`);
      results.scale = await runScale(env, {
        namespace: 'bench-scale',
        count: scaleCount,
        delays: { shutdownMs: 2000, startupMs: 3000 },
        cpuProfDir: profDir,
        concurrency,
        traceGc: values['trace-gc'],
        nodeArgs: values['node-args']?.split(' ').filter(Boolean),
        memoryLimitMb,
      });
      if (profDir) {
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        if (file) {
          // Bundle positions mapped back through the bundle's source map to package and module.
          results.scaleProfile = summariseCpuProfile(
            JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile,
            15,
            sourceMapMapper(readSourceMapOf),
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

  const failures = allFailures(results);
  if (failures.length > 0) {
    log(`\n${failures.length} failed bounces:`);
    for (const x of failures)
      log(`  ${x.scenario}, ${x.method} ${x.nodeBounce ?? x.pod}: ${x.reason ?? '?'}: ${x.message ?? ''}`);
  }
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

/**
 * Spawn -> "caches synced" of the shipped bundle and of dist/main.js, `n` starts each, alternating; both with
 * --enable-source-maps, as the image runs them (dist/main.js until issue 11 item 4).
 */
async function measureStartups(
  start: BenchEnv['startOperator'],
  n: number,
): Promise<{ bundle: number[]; dist: number[] }> {
  const out = { bundle: [] as number[], dist: [] as number[] };
  for (let i = 0; i < n; i++) {
    for (const [key, script] of [
      ['bundle', join(REPO_ROOT, OPERATOR_BUNDLE)],
      ['dist', join(REPO_ROOT, 'dist', 'main.js')],
    ] as const) {
      const p = await start({ script });
      out[key].push(Math.round(p.readyMs!));
      await p.stop();
    }
  }
  return out;
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
