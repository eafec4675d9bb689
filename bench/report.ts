// Renders bench results as a plain-text table (stdout) and as Markdown (docs/benchmarks.md).
import type { BenchResults } from './run.js';
import type { Percentiles } from './scenarios.js';

const f = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const p3 = (p: Percentiles | undefined) => (p ? `${f(p.p50)} / ${f(p.p95)} / ${f(p.p99)}` : '-');

function rows(r: BenchResults): { head: string[]; body: string[][] }[] {
  const tables: { head: string[]; body: string[][] }[] = [];
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
  for (const l of r.latency) {
    tables.push({
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
  for (const { head, body } of rows(r)) {
    out.push(`**${head[0]}**`, '');
    out.push(`| | ${head.slice(1).join(' | ')} |`, `|${' --- |'.repeat(head.length)}`);
    for (const b of body) out.push(`| ${b.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    out.push('');
  }
  out.push('Raw data (every bounce, every percentile): `bench/results/latest.json`.', '');
  return out.join('\n');
}
