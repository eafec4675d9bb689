// bench/plots.ts renders the benchmark's SVG plots in Node (Vega-Lite + Vega, no browser, no canvas), from a small
// fixture results file (test/fixtures/bench-results.json: 6 bounces per method copied from a real run, and an
// 8-bounce scale run with a made-up timeline, one of them Failed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIMELINE_STATES, renderPlots, timelineCounts } from '../../bench/plots.js';
import { plotFiles, renderMarkdown } from '../../bench/report.js';
import type { BenchResults } from '../../bench/run.js';
import { REPO_ROOT } from '../harness/index.js';

const fixture = JSON.parse(
  readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'bench-results.json'), 'utf8'),
) as BenchResults;

/** The marks of one kind (line, area) in a Vega SVG, by the series named in their aria-label. */
function marks(svg: string, kind: 'line' | 'area', field: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of svg.matchAll(
    new RegExp(
      `<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="${kind} mark" d="([^"]*)"`,
      'g',
    ),
  )) {
    const series = new RegExp(`${field}: ([^;]+)`).exec(m[1]!)?.[1];
    if (series) out.set(series, [...(out.get(series) ?? []), m[2]!]);
  }
  return out;
}

describe('bench/plots.ts', () => {
  it('renders one SVG per plot the results have data for, named as the docs link them', async () => {
    const plots = await renderPlots(fixture);
    expect(plots.map((p) => p.file)).toEqual([
      'latency-wall-minus-floor-2000-3000.svg',
      'decision-latency-2000-3000.svg',
      'scale-timeline-8.svg',
    ]);
    for (const p of plots) {
      expect(p.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), p.file).toBe(true);
      expect(p.svg.trimEnd().endsWith('</svg>'), p.file).toBe(true);
      expect(p.svg, p.file).not.toMatch(/NaN|undefined|Infinity/);
    }
    // Rendering is deterministic, so regenerated plots only change in git when the data does.
    expect((await renderPlots(fixture)).map((p) => p.svg)).toEqual(plots.map((p) => p.svg));
  });

  it('wall − floor: one cumulative line per method, each through all of its bounces', async () => {
    const svg = (await renderPlots(fixture)).find((p) => p.file.startsWith('latency-wall-minus-floor'))!.svg;
    const lines = marks(svg, 'line', 'method');
    expect([...lines.keys()]).toEqual(['operator', 'kubectl-like', 'poller (2 s)']);
    for (const [method, paths] of lines) {
      expect(paths, method).toHaveLength(1);
      // A step line through 6 points: 6 vertices and 5 steps.
      expect(paths[0]!.split('L').length, method).toBe(6 + 5);
    }
    expect(svg).toContain('Wall − floor per bounce, shutdown 2000 ms / startup 3000 ms');
  });

  it('decision latencies: created → eviction and Ready → Succeeded of the operator bounces', async () => {
    const svg = (await renderPlots(fixture)).find((p) => p.file.startsWith('decision-latency'))!.svg;
    expect([...marks(svg, 'line', 'latency').keys()]).toEqual(['created → eviction request', 'Ready → Succeeded']);
  });

  it('timeline: an area per phase, counts that always add up to the bounces created so far', async () => {
    const svg = (await renderPlots(fixture)).find((p) => p.file.startsWith('scale-timeline'))!.svg;
    expect([...marks(svg, 'area', 'phase').keys()]).toEqual([...TIMELINE_STATES]);
    const counts = timelineCounts(fixture.scale!.timeline!);
    const at = (s: number) => Object.fromEntries(counts.filter((c) => c.s === s).map((c) => [c.phase, c.count]));
    const times = [...new Set(counts.map((c) => c.s))];
    const bounces = fixture.scale!.timeline!.bounces;
    for (const s of times) {
      const created = bounces.filter((b) => b.created! <= s * 1000).length;
      expect(
        Object.values(at(s)).reduce((a, b) => a + b, 0),
        `t=${s}`,
      ).toBe(created);
    }
    expect(at(0)).toMatchObject({ Created: 1, Succeeded: 0 });
    expect(at(times.at(-1)!)).toEqual({ Created: 0, Pending: 0, Terminating: 0, Starting: 0, Succeeded: 7, Failed: 1 });
  });

  it('docs/benchmarks.md links each plot under its table, and says when the timeline was not recorded', () => {
    const md = renderMarkdown(fixture);
    for (const f of [
      ...plotFiles(fixture).latency.flatMap((l) => [l.overhead, l.decisions]),
      plotFiles(fixture).timeline,
    ]) {
      expect(md).toContain(`(bench/${f})`);
    }
    const old = { ...fixture, scale: { ...fixture.scale!, timeline: undefined } };
    expect(plotFiles(old).timeline).toBeUndefined();
    expect(renderMarkdown(old)).toMatch(/timeline plot .* appears after the next full run/);
  });
});
