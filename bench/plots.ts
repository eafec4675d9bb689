// SVG plots of a bench results file, rendered in Node with Vega-Lite + Vega (no browser, no canvas: Vega's SVG
// renderer writes the markup as a string, and text widths are estimated). bench/run.ts calls writePlots() at the
// end of a run; `npm run bench:plots` renders them from an existing results file and rewrites the numbers section
// of docs/benchmarks.md, which shows them next to the tables.
//
//   npm run bench:plots [-- --results bench/results/latest.json --out docs/bench --no-docs]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { PLOT_DIR, plotFiles, updateBenchDocs } from './report.js';
import type { BenchResults } from './run.js';
import { TIMELINE_PHASES, type BurstResult, type Delays, type LatencyResult, type ScaleTimeline } from './scenarios.js';

export interface Plot {
  /** File name inside the plot directory. */
  file: string;
  svg: string;
}

const METHOD_ORDER = ['operator', 'kubectl', 'poller'];
const METHOD_LABEL: Record<string, string> = { operator: 'operator', kubectl: 'kubectl-like', poller: 'poller (2 s)' };
/** Phases in the timeline, bottom to top of the stack; "Created" = created, no status seen yet. */
export const TIMELINE_STATES = ['Created', ...TIMELINE_PHASES] as const;
const STACK_ORDER = ['Succeeded', 'Failed', 'Starting', 'Terminating', 'Pending', 'Created'];
const PHASE_COLORS: Record<(typeof TIMELINE_STATES)[number], string> = {
  Created: '#bab0ac',
  Pending: '#f2cf5b',
  Terminating: '#e45756',
  Starting: '#4c78a8',
  Succeeded: '#54a24b',
  Failed: '#000000',
};

const CONFIG = {
  background: 'white',
  font: 'sans-serif',
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right', labelLimit: 300 },
  view: { stroke: '#ccc' },
} as const;

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile({ ...spec, config: CONFIG }).spec), { renderer: 'none' });
  try {
    return (await view.toSVG()) + '\n';
  } finally {
    view.finalize();
  }
}

const delaysText = (d: Delays) => `shutdown ${d.shutdownMs} ms / startup ${d.startupMs} ms`;

/** 1-2-5 ticks up to the largest value (a symlog axis's own ticks are evenly spaced, unreadable there). */
function symlogTicks(values: number[]): number[] {
  const max = Math.max(1, ...values);
  const ticks = [0];
  // Below the symlog constant (10) the scale is linear: 1, 2, 5 would crowd 0 unless that is all there is.
  for (let decade = max < 50 ? 1 : 10; decade <= max * 10; decade *= 10)
    for (const m of [1, 2, 5]) if (m * decade <= max * 1.5) ticks.push(m * decade);
  return ticks;
}

/** Empirical cumulative distribution (share of values at or below x) per series, x on a symlog scale. */
function ecdf(opts: {
  title: string;
  subtitle: string;
  values: { series: string; ms: number }[];
  xTitle: string;
  seriesTitle: string;
  order: string[];
}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, subtitle: opts.subtitle },
    width: 560,
    height: 260,
    data: { values: opts.values },
    transform: [{ window: [{ op: 'cume_dist', as: 'share' }], sort: [{ field: 'ms' }], groupby: ['series'] }],
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: {
        field: 'ms',
        type: 'quantitative',
        scale: { type: 'symlog', constant: 10 },
        axis: { values: symlogTicks(opts.values.map((v) => v.ms)) },
        title: opts.xTitle,
      },
      y: {
        field: 'share',
        type: 'quantitative',
        scale: { domain: [0, 1] },
        axis: { format: '.0%' },
        title: 'share of bounces at or below',
      },
      color: { field: 'series', type: 'nominal', sort: opts.order, title: opts.seriesTitle },
    },
  };
}

/** wall − floor per bounce, per method: the operator's (and each baseline's) cost over the physical floor. */
export function overheadSpec(l: LatencyResult): TopLevelSpec {
  const values = l.runs
    .filter((r) => typeof r.overheadMs === 'number' && Number.isFinite(r.overheadMs))
    .map((r) => ({ series: METHOD_LABEL[r.method] ?? r.method, ms: Math.round(r.overheadMs! * 10) / 10 }));
  return ecdf({
    title: `Wall − floor per bounce, ${delaysText(l.delays)}`,
    subtitle: `${l.bounces} bounces per method; further left is less time over what no tool can beat`,
    values,
    xTitle: 'wall − floor (ms, symlog scale)',
    seriesTitle: 'method',
    order: METHOD_ORDER.map((m) => METHOD_LABEL[m]!),
  });
}

/** The operator's two decision latencies per bounce: created → eviction request, replacement Ready → Succeeded. */
export function decisionsSpec(l: LatencyResult): TopLevelSpec {
  const values: { series: string; ms: number }[] = [];
  for (const r of l.runs) {
    if (r.method !== 'operator') continue;
    if (typeof r.createdToEvictMs === 'number')
      values.push({ series: 'created → eviction request', ms: Math.round(r.createdToEvictMs * 10) / 10 });
    if (typeof r.readyToSucceededMs === 'number')
      values.push({ series: 'Ready → Succeeded', ms: Math.round(r.readyToSucceededMs * 10) / 10 });
  }
  return ecdf({
    title: `Operator decision latencies, ${delaysText(l.delays)}`,
    subtitle: 'from the API server audit log, per bounce',
    values,
    xTitle: 'ms (symlog scale)',
    seriesTitle: 'latency',
    order: ['created → eviction request', 'Ready → Succeeded'],
  });
}

/** How many bounces were in each phase at each moment, sampled from the per-bounce phase times. */
export function timelineCounts(t: ScaleTimeline, samples = 240): { s: number; phase: string; count: number }[] {
  const phases = TIMELINE_PHASES;
  const end = Math.max(0, ...t.bounces.flatMap((b) => [b.created ?? 0, ...phases.map((p) => b[p] ?? 0)]));
  const step = Math.max(100, Math.ceil(end / samples / 100) * 100);
  const out: { s: number; phase: string; count: number }[] = [];
  // A few samples past the last change, so the final state shows (a step-after area gives the last point no width).
  for (let at = 0; at <= end * 1.04 + step; at += step) {
    const counts = Object.fromEntries(TIMELINE_STATES.map((p) => [p, 0])) as Record<string, number>;
    for (const b of t.bounces) {
      if (b.created === undefined || b.created > at) continue;
      let state = 'Created';
      let latest = -Infinity;
      for (const p of phases) {
        const v = b[p];
        if (v !== undefined && v <= at && v >= latest) {
          latest = v;
          state = p;
        }
      }
      counts[state]!++;
    }
    for (const p of TIMELINE_STATES) out.push({ s: at / 1000, phase: p, count: counts[p]! });
  }
  return out;
}

/** The 1,000-at-once run over time: bounces per phase, stacked. */
export function timelineSpec(r: NonNullable<BenchResults['scale']>): TopLevelSpec {
  const values = timelineCounts(r.timeline!);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${r.count} NodeBounces created at once: bounces per phase over time`,
      subtitle: `${delaysText(r.delays)}, maxConcurrentReconciles ${r.concurrency ?? '16 (the default then)'}; phases as the bench's watch saw them`,
    },
    width: 560,
    height: 260,
    data: { values },
    // Finished bounces at the bottom, so the stack's base grows as the run progresses; the legend keeps phase order.
    transform: [{ calculate: `indexof(${JSON.stringify(STACK_ORDER)}, datum.phase)`, as: 'order' }],
    mark: { type: 'area', interpolate: 'step-after' },
    encoding: {
      x: { field: 's', type: 'quantitative', title: 'seconds since the first create' },
      y: { field: 'count', type: 'quantitative', stack: 'zero', title: 'bounces' },
      color: {
        field: 'phase',
        type: 'nominal',
        sort: [...TIMELINE_STATES],
        scale: { domain: [...TIMELINE_STATES], range: TIMELINE_STATES.map((p) => PHASE_COLORS[p]) },
        title: 'phase',
      },
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

/** N at once: wall − floor per bounce, the operator's batch against the kubectl-like one. */
export function burstOverheadSpec(b: BurstResult): TopLevelSpec {
  const values = b.runs
    .filter((r) => typeof r.overheadMs === 'number' && Number.isFinite(r.overheadMs))
    .map((r) => ({ series: METHOD_LABEL[r.method] ?? r.method, ms: Math.round(r.overheadMs! * 10) / 10 }));
  return ecdf({
    title: `${b.count} at once: wall − floor per bounce, ${delaysText(b.delays)}`,
    subtitle: `${b.count} NodeBounces created at once vs ${b.count} parallel kubectl-like delete && wait pipelines, same pods`,
    values,
    xTitle: 'wall − floor (ms, symlog scale)',
    seriesTitle: 'method',
    order: METHOD_ORDER.map((m) => METHOD_LABEL[m]!),
  });
}

/** Bounces finished (as their callers saw it) over time since each batch's first request, per method. */
export function burstCompletions(b: BurstResult): { series: string; s: number; done: number }[] {
  const out: { series: string; s: number; done: number }[] = [];
  for (const batch of b.batches) {
    const series = METHOD_LABEL[batch.method] ?? batch.method;
    const ends = b.runs
      .filter((r) => r.method === batch.method && r.ok)
      .map((r) => r.endedAt - batch.firstRequestAt)
      .sort((x, y) => x - y);
    out.push({ series, s: 0, done: 0 });
    ends.forEach((ms, i) => out.push({ series, s: Math.round(ms) / 1000, done: i + 1 }));
  }
  return out;
}

export function burstCompletionsSpec(b: BurstResult): TopLevelSpec {
  const floors = b.batches
    .map((x) => ({ series: METHOD_LABEL[x.method] ?? x.method, s: (x.maxFloorMs ?? NaN) / 1000 }))
    .filter((x) => Number.isFinite(x.s));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${b.count} at once: bounces finished over time, ${delaysText(b.delays)}`,
      subtitle: "as each caller saw it; dashed: the batch's largest per-pod floor (what no tool can beat)",
    },
    width: 560,
    height: 260,
    layer: [
      {
        data: { values: burstCompletions(b) },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 's', type: 'quantitative', title: "seconds since the batch's first request" },
          y: { field: 'done', type: 'quantitative', title: 'bounces finished' },
          color: {
            field: 'series',
            type: 'nominal',
            sort: METHOD_ORDER.map((m) => METHOD_LABEL[m]!),
            title: 'method',
          },
        },
      },
      {
        data: { values: floors },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: {
          x: { field: 's', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', sort: METHOD_ORDER.map((m) => METHOD_LABEL[m]!) },
        },
      },
    ],
  };
}

/** Every plot the results have data for, named as report.ts's plotFiles() says. */
export async function renderPlots(r: BenchResults): Promise<Plot[]> {
  const files = plotFiles(r);
  const plots: Plot[] = [];
  for (const [i, l] of r.latency.entries()) {
    const f = files.latency[i]!;
    if (f.overhead) plots.push({ file: f.overhead, svg: await toSvg(overheadSpec(l)) });
    if (f.decisions) plots.push({ file: f.decisions, svg: await toSvg(decisionsSpec(l)) });
  }
  if (files.burst?.overhead && r.burst)
    plots.push({ file: files.burst.overhead, svg: await toSvg(burstOverheadSpec(r.burst)) });
  if (files.burst?.completions && r.burst)
    plots.push({ file: files.burst.completions, svg: await toSvg(burstCompletionsSpec(r.burst)) });
  if (files.timeline && r.scale) plots.push({ file: files.timeline, svg: await toSvg(timelineSpec(r.scale)) });
  return plots;
}

/** Renders the plots into `dir` (docs/bench by default); returns the paths written. */
export async function writePlots(r: BenchResults, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const p of await renderPlots(r)) {
    const path = join(dir, p.file);
    writeFileSync(path, p.svg);
    written.push(path);
  }
  return written;
}

async function main(): Promise<void> {
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const { values } = parseArgs({
    options: {
      results: { type: 'string', default: join(root, 'bench', 'results', 'latest.json') },
      out: { type: 'string', default: join(root, PLOT_DIR) },
      'no-docs': { type: 'boolean', default: false },
    },
  });
  const results = JSON.parse(readFileSync(values.results, 'utf8')) as BenchResults;
  for (const p of await writePlots(results, values.out)) console.log(`wrote ${p}`);
  if (!results.scale?.timeline && results.scale)
    console.log('no scale timeline in these results (recorded since issue 14): timeline plot skipped');
  if (!values['no-docs'] && updateBenchDocs(results, join(root, 'docs', 'benchmarks.md')))
    console.log('updated the numbers in docs/benchmarks.md');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
