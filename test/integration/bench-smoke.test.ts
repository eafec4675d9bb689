import { describe, expect, inject, it } from 'vitest';
import { bounceWithOperator } from '../../bench/bounce-methods.js';
import { renderPlots } from '../../bench/plots.js';
import { allFailures, renderMarkdown, renderTable, targetRows } from '../../bench/report.js';
import type { BenchResults } from '../../bench/run.js';
import { failedBounces, runBurst, runLatency, runScale, type BenchEnv } from '../../bench/scenarios.js';
import { VERSIONS } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

// A tiny version of `npm run bench`, so the benchmark can't rot. It asserts correctness only, never timings.
describe('bench smoke', () => {
  const env = useOperatorEnv({ env: { NODEBOUNCE_LOG_LEVEL: 'info' } });

  it(
    'latency (3 methods x 4 bounces), burst (4 at once, side by side) and scale (16 at once) run, complete and report',
    { timeout: 300_000 },
    async () => {
      const bench: BenchEnv = {
        kc: env.kc,
        auditLogPath: inject('auditLogPath'),
        startOperator: async () => {
          await env.operator.stop();
          return env.restartOperator();
        },
      };
      const latencyNs = `bench-smoke-lat-${Date.now().toString(36)}`;
      const latency = await runLatency(bench, {
        namespace: latencyNs,
        bounces: 4,
        pods: 2,
        delays: { shutdownMs: 0, startupMs: 0 },
        methods: ['operator', 'kubectl', 'poller'],
      });
      expect(latency.runs).toHaveLength(12);
      for (const run of latency.runs) {
        expect(run.ok, `${run.method} ${run.pod}: ${run.detail}`).toBe(true);
        expect(run.floorMs, `${run.method} ${run.pod}: pod timeline in the audit log`).toBeTypeOf('number');
      }
      const op = latency.summary.find((s) => s.method === 'operator')!;
      expect(op.createdToEvictMs?.n).toBe(4);
      expect(op.readyToSucceededMs?.n).toBe(4);
      expect(latency.operatorRequests?.byKind['create pods/eviction']).toBe(4);
      expect(op.failedBounces).toEqual([]);

      // A failed bounce keeps its reason and message (a pod that does not exist fails in preflight, at once).
      const missing = await bounceWithOperator(env.kc, latencyNs, 'no-such-pod', 'nb-x', 30_000);
      expect(missing.ok).toBe(false);
      expect(missing.reason).toBe('PodNotFound');
      expect(missing.message).toBeTruthy();

      // N at once, side by side: N NodeBounces, then N kubectl-like pipelines, on the same pods.
      const burst = await runBurst(bench, {
        namespace: `bench-smoke-burst-${Date.now().toString(36)}`,
        count: 4,
        delays: { shutdownMs: 200, startupMs: 300 },
      });
      expect(burst.batches.map((b) => b.method)).toEqual(['operator', 'kubectl']);
      expect(burst.runs).toHaveLength(8);
      for (const run of burst.runs) {
        expect(run.ok, `${run.method} ${run.pod}: ${run.detail}`).toBe(true);
        expect(run.floorMs, `${run.method} ${run.pod}: pod timeline in the audit log`).toBeTypeOf('number');
        expect(run.overheadMs, `${run.method} ${run.pod}`).toBeTypeOf('number');
      }
      for (const b of burst.batches) {
        expect(b.totalMs, b.method).toBeGreaterThan(0);
        expect(b.maxFloorMs, b.method).toBeGreaterThan(0);
        expect(b.totalMinusMaxFloorMs, b.method).toBeTypeOf('number');
        expect(b.summary.overheadMs?.n, b.method).toBe(4);
        expect(b.summary.failedBounces, b.method).toEqual([]);
      }
      const burstOp = burst.batches.find((b) => b.method === 'operator')!;
      expect(burstOp.summary.createdToEvictMs?.n).toBe(4);
      expect(burstOp.summary.readyToSucceededMs?.n).toBe(4);
      expect(burstOp.operatorShareP99Ms).toBeTypeOf('number');
      expect(burstOp.operatorRequests?.byKind['create pods/eviction']).toBe(4);

      const scale = await runScale(bench, {
        namespace: `bench-smoke-scale-${Date.now().toString(36)}`,
        count: 16,
        delays: { shutdownMs: 200, startupMs: 300 },
      });
      expect({ succeeded: scale.succeeded, failed: scale.failed, notFinished: scale.notFinished }).toEqual({
        succeeded: 16,
        failed: 0,
        notFinished: 0,
      });
      expect(scale.requests.byKind['create pods/eviction']).toBe(16);
      expect(scale.floorMs?.n).toBe(16);
      expect(scale.failedBounces).toEqual([]);
      expect(scale.operatorShareP99Ms).toBeTypeOf('number');
      expect(scale.operatorPeakRssMb).toBeGreaterThan(0);
      // The timeline (bench/plots.ts): every bounce created, seen finished, its phases in order.
      expect(scale.timeline?.bounces).toHaveLength(16);
      for (const b of scale.timeline!.bounces) {
        expect(b.created, b.name).toBeTypeOf('number');
        expect(b.Succeeded, b.name).toBeGreaterThanOrEqual(b.created!);
        const seen = (['Pending', 'Terminating', 'Starting', 'Succeeded'] as const)
          .map((p) => b[p])
          .filter((t): t is number => t !== undefined);
        expect(seen, b.name).toEqual([...seen].sort((x, y) => x - y));
      }

      const results: BenchResults = {
        version: 1,
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        machine: { cpus: 2, cpuModel: 'test', memGb: 1, node: process.version, loadavgAtStart: [0, 0, 0] },
        versions: VERSIONS,
        latency: [latency],
        burst,
        scale,
        notes: [],
      };
      expect(renderTable(results)).toContain('operator');
      expect(renderMarkdown(results)).toContain('| operator |');
      expect(renderMarkdown(results)).toContain('| kubectl-like |');
      // Every target of issue 11 has a figure (the start-up one needs bench/run.ts's start-up runs).
      for (const t of targetRows(results).filter((x) => !x.figure.startsWith('ready after start')))
        expect(t.met, `${t.figure}: ${t.value}`).not.toBe('-');
      const plots = (await renderPlots(results)).map((p) => p.file);
      expect(plots).toContain('burst-4-wall-minus-floor.svg');
      expect(plots).toContain('burst-4-completions.svg');
      // Failed bounces are listed with their reasons.
      latency.summary[0]!.failedBounces = failedBounces([missing]);
      expect(allFailures(results)).toHaveLength(1);
      expect(renderTable(results)).toContain('PodNotFound');
    },
  );
});
