// Renders bench results as a plain-text table (stdout) and as Markdown (docs/benchmarks.md), with the SVG plots of
// bench/plots.ts next to the tables they illustrate.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from './run.js';
import { operatorShareP99, type FailedBounce, type Percentiles } from './scenarios.js';

/** Where bench/plots.ts writes the plots, relative to the repository (docs/benchmarks.md links them as bench/...). */
export const PLOT_DIR = 'docs/bench';

export interface PlotFiles {
  /** Per entry of results.latency: wall − floor per method, and the operator's decision latencies. */
  latency: { overhead?: string; decisions?: string }[];
  /** The scale run's bounces per phase over time (results recorded since issue 14 only). */
  timeline?: string;
  /** N at once, operator vs kubectl-like: wall − floor per bounce, and bounces finished over time. */
  burst?: { overhead?: string; completions?: string };
}

/** The plot files a results file has data for (names inside PLOT_DIR). */
export function plotFiles(r: BenchResults): PlotFiles {
  return {
    latency: r.latency.map((l) => {
      const tag = `${l.delays.shutdownMs}-${l.delays.startupMs}`;
      const op = l.runs.filter((x) => x.method === 'operator');
      return {
        overhead: l.runs.some((x) => typeof x.overheadMs === 'number')
          ? `latency-wall-minus-floor-${tag}.svg`
          : undefined,
        decisions: op.some((x) => typeof x.createdToEvictMs === 'number' || typeof x.readyToSucceededMs === 'number')
          ? `decision-latency-${tag}.svg`
          : undefined,
      };
    }),
    timeline: r.scale?.timeline?.bounces.length ? `scale-timeline-${r.scale.count}.svg` : undefined,
    burst: r.burst?.runs.length
      ? {
          overhead: r.burst.runs.some((x) => typeof x.overheadMs === 'number')
            ? `burst-${r.burst.count}-wall-minus-floor.svg`
            : undefined,
          completions: `burst-${r.burst.count}-completions.svg`,
        }
      : undefined,
  };
}

const f = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const p3 = (p: Percentiles | undefined) => (p ? `${f(p.p50)} / ${f(p.p95)} / ${f(p.p99)}` : '-');

interface Table {
  head: string[];
  body: string[][];
  /** Markdown only: a plot shown under the table (path relative to docs/), or a note where it would be. */
  image?: { alt: string; file?: string; missing?: string };
}

type Met = 'yes' | 'no' | '-';
const met = (ok: boolean | undefined): Met => (ok === undefined ? '-' : ok ? 'yes' : 'no');
const p2 = (p: Percentiles | undefined) => (p ? `${f(p.p50)} / ${f(p.p99)}` : '-');

/**
 * Issue 11's targets, each beside the figure it applies to and whether it is met, computed from the results
 * ('-': this run has no figure for it).
 */
export function targetRows(r: BenchResults): { figure: string; value: string; target: string; met: Met }[] {
  const out: { figure: string; value: string; target: string; met: Met }[] = [];
  const seq = r.latency.find((l) => l.delays.shutdownMs === 2000 && l.delays.startupMs === 3000) ?? r.latency[0];
  const tag = seq ? `${seq.delays.shutdownMs / 1000} s/${seq.delays.startupMs / 1000} s` : '2 s/3 s';
  const op = seq?.summary.find((x) => x.method === 'operator');
  const kc = seq?.summary.find((x) => x.method === 'kubectl');
  const o = op?.overheadMs;
  const k = kc?.overheadMs;
  out.push({
    figure: `wall − floor p50 / p99, ${tag}, sequential (ms)`,
    value: o || k ? `operator ${p2(o)}; kubectl-like ${p2(k)}` : '-',
    target: '≤ kubectl-like + 20 ms at p50 and p99',
    met: met(o && k ? o.p50 <= k.p50 + 20 && o.p99 <= k.p99 + 20 : undefined),
  });
  out.push({
    figure: `created → eviction request p99, ${tag}, sequential`,
    value: op?.createdToEvictMs ? `${f(op.createdToEvictMs.p99, 1)} ms` : '-',
    target: '< 40 ms',
    met: met(op?.createdToEvictMs ? op.createdToEvictMs.p99 < 40 : undefined),
  });
  out.push({
    figure: `Ready → Succeeded p99, ${tag}, sequential`,
    value: op?.readyToSucceededMs ? `${f(op.readyToSucceededMs.p99, 1)} ms` : '-',
    target: '< 25 ms',
    met: met(op?.readyToSucceededMs ? op.readyToSucceededMs.p99 < 25 : undefined),
  });
  const perBounce: [string, number | undefined][] = [
    [`${tag} sequential`, op?.operatorRequestsPerBounce],
    ...(r.burst
      ? [
          [
            `${r.burst.count} at once`,
            r.burst.batches.find((b) => b.method === 'operator')?.operatorRequests?.perBounce,
          ],
        ]
      : []),
    ...(r.scale ? [[`${r.scale.count} at once`, r.scale.requests.perBounce]] : []),
  ] as [string, number | undefined][];
  const known = perBounce.filter((x): x is [string, number] => x[1] !== undefined);
  out.push({
    figure: 'API requests per bounce (audit log, Events included)',
    value: known.length ? known.map(([w, n]) => `${f(n, 2)} (${w})`).join('; ') : '-',
    target: '≤ 8',
    met: met(known.length ? known.every(([, n]) => n <= 8) : undefined),
  });
  const bo = r.burst?.batches.find((b) => b.method === 'operator');
  const bk = r.burst?.batches.find((b) => b.method === 'kubectl');
  out.push({
    figure: `${r.burst?.count ?? 100} at once: total − largest floor`,
    value: r.burst
      ? `operator ${f(bo?.totalMinusMaxFloorMs)} ms; ${r.burst.count} parallel kubectl-like ${f(bk?.totalMinusMaxFloorMs)} ms`
      : '-',
    target: `< 2 s, and not slower than ${r.burst?.count ?? 100} parallel kubectl-like pipelines`,
    met: met(
      bo?.totalMinusMaxFloorMs !== undefined && bk?.totalMinusMaxFloorMs !== undefined
        ? bo.totalMinusMaxFloorMs < 2000 && bo.totalMinusMaxFloorMs <= bk.totalMinusMaxFloorMs
        : undefined,
    ),
  });
  const share = r.scale
    ? (r.scale.operatorShareP99Ms ?? operatorShareP99(r.scale.createdToEvictMs, r.scale.readyToSucceededMs))
    : undefined;
  out.push({
    figure: `${r.scale?.count ?? '1,000'} at once: operator share p99 (created→evict + Ready→Succeeded)`,
    value:
      share !== undefined
        ? `${f(share)} ms (${f(r.scale!.createdToEvictMs?.p99)} + ${f(r.scale!.readyToSucceededMs?.p99)})`
        : '-',
    target: '< 5 s',
    met: met(share !== undefined ? share < 5000 : undefined),
  });
  out.push({
    figure: `peak RSS at ${r.scale?.count ?? '1,000'}`,
    value: r.scale?.operatorPeakRssMb !== undefined ? `${f(r.scale.operatorPeakRssMb, 1)} MB` : '-',
    target: '< 150 MB',
    met: met(r.scale?.operatorPeakRssMb !== undefined ? r.scale.operatorPeakRssMb < 150 : undefined),
  });
  const ready = r.operatorReadyBundledMs ?? r.operatorReadyMs;
  const load = r.machine.loadavgAtStart[0];
  out.push({
    figure: 'ready after start (p50, quiet)',
    value: ready
      ? `${r.operatorReadyBundledMs ? 'bundled' : 'dist/'} ${f(ready.p50)} ms` +
        (r.operatorReadyBundledMs && r.operatorReadyMs ? ` (dist/ ${f(r.operatorReadyMs.p50)} ms)` : '') +
        (load !== undefined ? `, load ${load} at start` : '')
      : '-',
    target: '< 1 s bundled, what ships',
    met: met(ready ? ready.p50 < 1000 : undefined),
  });
  return out;
}

/** Every failed bounce in the results, with the scenario it was in. */
export function allFailures(r: BenchResults): (FailedBounce & { scenario: string })[] {
  const out: (FailedBounce & { scenario: string })[] = [];
  for (const l of r.latency)
    for (const s of l.summary)
      for (const fb of s.failedBounces ?? [])
        out.push({ ...fb, scenario: `sequential ${l.delays.shutdownMs}/${l.delays.startupMs}` });
  for (const b of r.burst?.batches ?? [])
    for (const fb of b.summary.failedBounces ?? []) out.push({ ...fb, scenario: `${r.burst!.count} at once` });
  for (const fb of r.scale?.failedBounces ?? []) out.push({ ...fb, scenario: `${r.scale!.count} at once` });
  return out;
}

function rows(r: BenchResults): Table[] {
  const tables: Table[] = [];
  const plots = plotFiles(r);
  const img = (alt: string, file: string | undefined, missing?: string) =>
    file ? { alt, file } : missing ? { alt, missing } : undefined;
  tables.push({
    head: ['against the targets of issue 11', 'this run', 'target', 'met?'],
    body: targetRows(r).map((t) => [t.figure, t.value, t.target, t.met]),
  });
  if (r.operatorReadyMs || r.operatorReadyBundledMs) {
    // Results since issue 11 item 4 start the shipped bundle in the latency and scale runs (operatorEntry).
    const bundleShips = r.operatorEntry?.endsWith('.mjs') ?? false;
    const bundledRow = r.operatorReadyBundledMs
      ? [
          [
            bundleShips
              ? 'esbuild bundle (what ships: dist/nodebounce-operator.mjs), 5 starts'
              : 'dist/ bundled with esbuild, 5 starts',
            f(r.operatorReadyBundledMs.p50),
            f(r.operatorReadyBundledMs.max),
            '< 1000 ms (p50, quiet)',
          ],
        ]
      : [];
    const distRow = r.operatorReadyMs
      ? [
          [
            'dist/ (tsc output), empty cluster, 5 starts',
            f(r.operatorReadyMs.p50),
            f(r.operatorReadyMs.max),
            bundleShips ? '(comparison)' : '< 1000 ms (p50, quiet)',
          ],
        ]
      : [];
    tables.push({
      head: ['operator start-up (spawn -> caches synced)', 'p50', 'max', 'target'],
      body: [
        ...(bundleShips ? [...bundledRow, ...distRow] : [...distRow, ...bundledRow]),
        ...(r.importMs?.dist
          ? [['  of which importing the modules: dist/', f(r.importMs.dist.p50), f(r.importMs.dist.max), '']]
          : []),
        ...(r.importMs?.bundled
          ? [['  of which importing the modules: bundled', f(r.importMs.bundled.p50), f(r.importMs.bundled.max), '']]
          : []),
        ...(r.scale?.operatorReadyMs !== undefined
          ? [
              [
                `${r.scale.count} pods + ExpressNodes to list${bundleShips ? ' (bundle)' : ''}`,
                f(r.scale.operatorReadyMs),
                f(r.scale.operatorReadyMs),
                '< 1500 ms',
              ],
            ]
          : []),
      ],
    });
  }
  for (const [i, l] of r.latency.entries()) {
    const plot = plots.latency[i]!;
    tables.push({
      image: img(`wall − floor per bounce by method, ${l.delays.shutdownMs}/${l.delays.startupMs}`, plot.overhead),
      head: [
        `latency, shutdown ${l.delays.shutdownMs} ms / startup ${l.delays.startupMs} ms, ${l.bounces} bounces each (ms, p50 / p95 / p99)`,
        'wall',
        'floor (observed)',
        'wall - floor',
        'of which Express recreate gap',
        'failed',
      ],
      body: l.summary.map((s) => [
        s.method,
        p3(s.wallMs),
        p3(s.floorMs),
        p3(s.overheadMs),
        p3(s.recreateGapMs),
        `${s.failures}/${s.runs}`,
      ]),
    });
    const op = l.summary.find((s) => s.method === 'operator');
    if (op) {
      tables.push({
        image: img(`operator decision latencies, ${l.delays.shutdownMs}/${l.delays.startupMs}`, plot.decisions),
        head: [
          `operator decisions, ${l.delays.shutdownMs}/${l.delays.startupMs} (ms)`,
          'p50',
          'p95',
          'p99',
          'target p99',
        ],
        body: [
          [
            'NodeBounce created -> eviction request',
            f(op.createdToEvictMs?.p50, 1),
            f(op.createdToEvictMs?.p95, 1),
            f(op.createdToEvictMs?.p99, 1),
            '< 40',
          ],
          [
            'replacement Ready -> status Succeeded',
            f(op.readyToSucceededMs?.p50, 1),
            f(op.readyToSucceededMs?.p95, 1),
            f(op.readyToSucceededMs?.p99, 1),
            '< 25',
          ],
          ['operator API requests per bounce', f(op.operatorRequestsPerBounce, 2), '', '', '<= 8'],
        ],
      });
    }
  }
  const b = r.burst;
  if (b) {
    const order = b.batches.map((x) => (x.method === 'kubectl' ? 'kubectl-like' : x.method)).join(', then ');
    tables.push({
      image: img(`${b.count} at once: wall − floor per bounce, operator vs kubectl-like`, plots.burst?.overhead),
      head: [
        `${b.count} at once, side by side: ${b.count} NodeBounces vs ${b.count} parallel kubectl-like pipelines (shutdown ${b.delays.shutdownMs} / startup ${b.delays.startupMs} ms; ${order}; maxConcurrentReconciles ${b.concurrency ?? '16 (the default then)'}; ms)`,
        'total (first request -> last done)',
        'largest floor',
        'total - largest floor',
        'wall - floor p50 / p95 / p99',
        'of which Express recreate gap',
        'floor p50 / p95 / p99',
        'failed',
      ],
      body: b.batches.map((x) => [
        x.method === 'kubectl' ? 'kubectl-like' : x.method,
        f(x.totalMs),
        f(x.maxFloorMs),
        f(x.totalMinusMaxFloorMs),
        p3(x.summary.overheadMs),
        p3(x.summary.recreateGapMs),
        p3(x.summary.floorMs),
        `${x.summary.failures}/${x.summary.runs}`,
      ]),
    });
    const bo = b.batches.find((x) => x.method === 'operator');
    if (bo) {
      tables.push({
        image: img(
          `${b.count} at once: bounces finished over time, operator vs kubectl-like`,
          plots.burst?.completions,
        ),
        head: [`operator's own share, ${b.count} at once (ms)`, 'p50', 'p95', 'p99', 'target p99'],
        body: [
          [
            'NodeBounce created -> eviction request',
            f(bo.summary.createdToEvictMs?.p50, 1),
            f(bo.summary.createdToEvictMs?.p95, 1),
            f(bo.summary.createdToEvictMs?.p99, 1),
            '',
          ],
          [
            'replacement Ready -> status Succeeded',
            f(bo.summary.readyToSucceededMs?.p50, 1),
            f(bo.summary.readyToSucceededMs?.p95, 1),
            f(bo.summary.readyToSucceededMs?.p99, 1),
            '',
          ],
          ['operator share p99 (the two p99s added)', '', '', f(bo.operatorShareP99Ms, 1), ''],
          ['operator API requests per bounce', f(bo.operatorRequests?.perBounce, 2), '', '', '<= 8'],
          ...Object.entries(bo.operatorRequests?.byKind ?? {})
            .sort((x, y) => y[1] - x[1])
            .map(([k, v]) => [`  ${k}`, `${f(v / bo.summary.runs, 2)} (${v})`, '', '', '']),
        ],
      });
    }
  }
  const s = r.scale;
  if (s) {
    tables.push({
      image: img(
        `${s.count} NodeBounces at once: bounces per phase over time`,
        plots.timeline,
        'The timeline plot (bounces per phase over time) needs per-bounce phase times, recorded by `npm run bench` since issue 14; these results predate them, so it appears after the next full run.',
      ),
      head: [
        `scale: ${s.count} NodeBounces at once (shutdown ${s.delays.shutdownMs} / startup ${s.delays.startupMs} ms, maxConcurrentReconciles ${s.concurrency ?? '16 (the default then)'})`,
        'value',
        'target',
      ],
      body: [
        [
          'all finished (first create -> last Succeeded)',
          `${f(s.totalMs)} ms (${s.succeeded} Succeeded, ${s.failed} Failed${s.failedByEnvironment ? `: ${s.failed - s.failedByEnvironment} by the operator, ${s.failedByEnvironment} ReadyTimeouts kwok/the simulator caused` : ''}, ${s.notFinished} unfinished)`,
          '',
        ],
        ['creating the NodeBounces (bench client)', `${f(s.createAllMs)} ms`, ''],
        [
          'observed floor per pod (p50 / p95 / max)',
          s.floorMs ? `${f(s.floorMs.p50)} / ${f(s.floorMs.p95)} / ${f(s.floorMs.max)} ms` : '-',
          '',
        ],
        ['total - max floor', `${f(s.totalMinusMaxFloorMs)} ms`, '<= 15000 ms'],
        ['per bounce create -> Succeeded (p50 / p95 / p99)', `${p3(s.bounceWallMs)} ms`, ''],
        [
          'kwok shutdown / startup per pod (p50 / p99)',
          `${f(s.shutdownMs?.p50)} / ${f(s.shutdownMs?.p99)} ms, ${f(s.startupMs?.p50)} / ${f(s.startupMs?.p99)} ms`,
          '',
        ],
        ['simulator recreate gap (p50 / p99)', `${f(s.recreateGapMs?.p50)} / ${f(s.recreateGapMs?.p99)} ms`, ''],
        ['created -> eviction request (p50 / p95 / p99)', `${p3(s.createdToEvictMs)} ms`, ''],
        ['Ready -> Succeeded (p50 / p95 / p99)', `${p3(s.readyToSucceededMs)} ms`, ''],
        [
          'operator share p99 (created -> evict p99 + Ready -> Succeeded p99)',
          `${f(s.operatorShareP99Ms ?? operatorShareP99(s.createdToEvictMs, s.readyToSucceededMs))} ms`,
          '< 5000 ms',
        ],
        ['operator peak RSS', `${f(s.operatorPeakRssMb, 1)} MB`, '< 150 MB'],
        ...(s.memoryLimit
          ? [
              [
                `in a memory cgroup limited to ${s.memoryLimit.limitMb} MB (as the chart's limit): cgroup peak, OOM kills`,
                `${f(s.memoryLimit.cgroupPeakMb, 1)} MB, ${s.memoryLimit.oomKills}`,
                '0 OOM kills',
              ],
            ]
          : []),
        [
          'operator V8 heap used (after start / peak)',
          `${f(s.operatorHeapUsedMb?.afterStart)} / ${f(s.operatorHeapUsedMb?.peak)} MB`,
          '',
        ],
        ...(s.operatorMemoryPeakMb
          ? [
              [
                'operator memory peaks: V8 heap used / external / of which ArrayBuffers',
                `${f(s.operatorMemoryPeakMb.heap)} / ${f(s.operatorMemoryPeakMb.external)} / ${f(s.operatorMemoryPeakMb.arrayBuffers)} MB`,
                '',
              ],
            ]
          : []),
        ...(s.operatorLiveHeapMb
          ? [
              [
                'operator live heap after full GCs (before creates / max / last)',
                `${f(s.operatorLiveHeapMb.beforeCreates, 1)} / ${f(s.operatorLiveHeapMb.max, 1)} / ${f(s.operatorLiveHeapMb.last, 1)} MB (${s.operatorLiveHeapMb.markCompacts} full GCs)`,
                '',
              ],
            ]
          : []),
        [
          'operator CPU time during the run',
          `${f(s.operatorCpuMs)} ms (${f(s.operatorCpuMsPerBounce, 1)} ms per bounce${s.operatorIdleCpuMsPerS !== undefined ? `; idle ${f(s.operatorIdleCpuMsPerS, 1)} ms/s, net of idle ${f(s.operatorCpuMsPerBounceNetOfIdle, 1)} ms per bounce` : ''})`,
          '',
        ],
        ['operator API requests per bounce', f(s.requests.perBounce, 2), '<= 8'],
        ...Object.entries(s.requests.byKind)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [`  ${k}`, `${f(v / s.count, 2)} (${v})`, '']),
      ],
    });
  }
  const failures = allFailures(r);
  if (failures.length > 0) {
    const groups = new Map<string, { scenario: string; reason: string; n: number; example: string }>();
    for (const x of failures) {
      const key = `${x.scenario}\u0000${x.method}\u0000${x.reason ?? '?'}\u0000${x.blame ?? ''}`;
      const blame =
        x.blame === 'environment' ? ' (replacement not Ready in time: kwok/simulator)' : x.blame ? ' (operator)' : '';
      const g = groups.get(key) ?? {
        scenario: `${x.scenario}, ${x.method === 'kubectl' ? 'kubectl-like' : x.method}${blame}`,
        reason: x.reason ?? '?',
        n: 0,
        example: `${x.nodeBounce ?? x.pod}: ${x.message ?? ''}`,
      };
      g.n++;
      groups.set(key, g);
    }
    tables.push({
      head: ['failed bounces (status.reason; every one is in the results JSON)', 'reason', 'count', 'first message'],
      body: [...groups.values()].map((g) => [g.scenario, g.reason, String(g.n), g.example.slice(0, 300)]),
    });
  }
  if (r.ab?.length) {
    const name = (script: string) => script.split('/').slice(-2).join('/');
    tables.push({
      head: [
        `A/B: ${r.ab[0]!.scale.count} NodeBounces at once per operator bundle, in the order run`,
        'CPU ms / bounce (net of idle)',
        'peak RSS MB',
        'heap / external / ArrayBuffers peak MB',
        'failed (op / env)',
        'created→evict p99',
        'Ready→Succeeded p99',
        'all finished ms',
      ],
      body: r.ab.map(({ script, scale: s }) => [
        name(script),
        `${f(s.operatorCpuMsPerBounce, 1)} (${f(s.operatorCpuMsPerBounceNetOfIdle, 1)})`,
        f(s.operatorPeakRssMb, 1),
        `${f(s.operatorMemoryPeakMb?.heap)} / ${f(s.operatorMemoryPeakMb?.external)} / ${f(s.operatorMemoryPeakMb?.arrayBuffers)}`,
        `${s.failed - (s.failedByEnvironment ?? 0)} / ${s.failedByEnvironment ?? 0}`,
        f(s.createdToEvictMs?.p99),
        f(s.readyToSucceededMs?.p99),
        f(s.totalMs),
      ]),
    });
  }
  if (r.scaleProfile) {
    tables.push({
      head: ['operator CPU profile during the scale run: self time by area', 'ms', '% of busy'],
      body: r.scaleProfile.byArea.map((a) => [a.area, f(a.selfMs), f(a.pct, 1)]),
    });
    if (r.scaleProfile.byModule)
      tables.push({
        head: ['self time by module (bundle positions mapped through its source map)', 'ms', '% of busy'],
        body: r.scaleProfile.byModule.slice(0, 12).map((m) => [m.module, f(m.selfMs), f(m.pct, 1)]),
      });
    tables.push({
      head: ['heaviest functions (self time)', 'ms', '%'],
      body: r.scaleProfile.top.slice(0, 10).map((t) => [`${t.fn} ${t.where}`, f(t.selfMs), f(t.pct, 1)]),
    });
  }
  return tables;
}

export function renderTable(r: BenchResults): string {
  return rows(r)
    .map(({ head, body }) => {
      const widths = head.map((h, i) => Math.max(i === 0 ? 0 : h.length, ...body.map((b) => (b[i] ?? '').length)));
      widths[0] = Math.max(widths[0]!, ...body.map((b) => b[0]!.length));
      const line = (cells: string[]) =>
        cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return [head[0], line(['', ...head.slice(1)]), ...body.map(line)].join('\n');
    })
    .join('\n\n');
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(
    `Measured ${r.startedAt} – ${r.finishedAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGb} GB, Node ${r.machine.node}; kube-apiserver ${r.versions.kubernetes ?? ''}.`.replace(
      ' ;',
      ';',
    ),
  );
  out.push('');
  for (const n of r.notes) out.push(`> ${n}`, '');
  for (const { head, body, image } of rows(r)) {
    out.push(`**${head[0]}**`, '');
    out.push(`| | ${head.slice(1).join(' | ')} |`, `|${' --- |'.repeat(head.length)}`);
    for (const b of body) out.push(`| ${b.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    out.push('');
    if (image?.file) out.push(`![${image.alt}](${PLOT_DIR.replace(/^docs\//, '')}/${image.file})`, '');
    else if (image?.missing) out.push(`_${image.missing}_`, '');
  }
  out.push('Raw data (every bounce, every percentile): `bench/results/latest.json`.', '');
  return out.join('\n');
}

/** Rewrites the numbers section of docs/benchmarks.md (between the BENCH markers); false when it has none. */
export function updateBenchDocs(r: BenchResults, docPath: string): boolean {
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '<!-- BENCH:BEGIN -->\n<!-- BENCH:END -->\n';
  const begin = doc.indexOf('<!-- BENCH:BEGIN -->');
  const end = doc.indexOf('<!-- BENCH:END -->');
  if (begin < 0 || end <= begin) return false;
  writeFileSync(docPath, doc.slice(0, begin) + '<!-- BENCH:BEGIN -->\n' + renderMarkdown(r) + doc.slice(end));
  return true;
}
