// Renders bench results as a plain-text table (stdout) and as Markdown (docs/benchmarks.md), with the SVG plots of
// bench/plots.ts next to the tables they illustrate.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from './run.js';
import type { Percentiles } from './scenarios.js';

/** Where bench/plots.ts writes the plots, relative to the repository (docs/benchmarks.md links them as bench/...). */
export const PLOT_DIR = 'docs/bench';

export interface PlotFiles {
  /** Per entry of results.latency: wall − floor per method, and the operator's decision latencies. */
  latency: { overhead?: string; decisions?: string }[];
  /** The scale run's bounces per phase over time (results recorded since issue 14 only). */
  timeline?: string;
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

function rows(r: BenchResults): Table[] {
  const tables: Table[] = [];
  const plots = plotFiles(r);
  const img = (alt: string, file: string | undefined, missing?: string) =>
    file ? { alt, file } : missing ? { alt, missing } : undefined;
  if (r.operatorReadyMs) {
    tables.push({
      head: ['operator start-up (spawn -> caches synced)', 'p50', 'max', 'target'],
      body: [
        [
          'dist/ (tsc output), empty cluster, 5 starts',
          f(r.operatorReadyMs.p50),
          f(r.operatorReadyMs.max),
          '< 1500 ms',
        ],
        ...(r.operatorReadyBundledMs
          ? [
              [
                'dist/ bundled with esbuild, 5 starts',
                f(r.operatorReadyBundledMs.p50),
                f(r.operatorReadyBundledMs.max),
                '< 1500 ms',
              ],
            ]
          : []),
        ...(r.importMs?.dist
          ? [['  of which importing the modules: dist/', f(r.importMs.dist.p50), f(r.importMs.dist.max), '']]
          : []),
        ...(r.importMs?.bundled
          ? [['  of which importing the modules: bundled', f(r.importMs.bundled.p50), f(r.importMs.bundled.max), '']]
          : []),
        ...(r.scale?.operatorReadyMs !== undefined
          ? [
              [
                `${r.scale.count} pods + ExpressNodes to list`,
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
            '< 50',
          ],
          [
            'replacement Ready -> status Succeeded',
            f(op.readyToSucceededMs?.p50, 1),
            f(op.readyToSucceededMs?.p95, 1),
            f(op.readyToSucceededMs?.p99, 1),
            '< 50',
          ],
          ['operator API requests per bounce', f(op.operatorRequestsPerBounce, 2), '', '', '<= 10'],
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
        `scale: ${s.count} NodeBounces at once (shutdown ${s.delays.shutdownMs} / startup ${s.delays.startupMs} ms, maxConcurrentReconciles ${s.concurrency ?? '16 (default)'})`,
        'value',
        'target',
      ],
      body: [
        [
          'all finished (first create -> last Succeeded)',
          `${f(s.totalMs)} ms (${s.succeeded} Succeeded, ${s.failed} Failed, ${s.notFinished} unfinished)`,
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
        ['operator peak RSS', `${f(s.operatorPeakRssMb, 1)} MB`, '< 200 MB'],
        [
          'operator V8 heap used (after start / peak)',
          `${f(s.operatorHeapUsedMb?.afterStart)} / ${f(s.operatorHeapUsedMb?.peak)} MB`,
          '',
        ],
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
          `${f(s.operatorCpuMs)} ms (${f(s.operatorCpuMsPerBounce, 1)} ms per bounce)`,
          '',
        ],
        ['operator API requests per bounce', f(s.requests.perBounce, 2), '<= 10'],
        ...Object.entries(s.requests.byKind)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [`  ${k}`, `${f(v / s.count, 2)} (${v})`, '']),
      ],
    });
  }
  if (r.scaleProfile) {
    tables.push({
      head: ['operator CPU profile during the scale run: self time by area', 'ms', '% of busy'],
      body: r.scaleProfile.byArea.map((a) => [a.area, f(a.selfMs), f(a.pct, 1)]),
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
