import { describe, expect, inject, it } from 'vitest';
import { renderMarkdown, renderTable } from '../../bench/report.js';
import type { BenchResults } from '../../bench/run.js';
import { runLatency, runScale, type BenchEnv } from '../../bench/scenarios.js';
import { VERSIONS } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

// A tiny version of `npm run bench`, so the benchmark can't rot. It asserts correctness only, never timings.
describe('bench smoke', () => {
  const env = useOperatorEnv({ env: { NODEBOUNCE_LOG_LEVEL: 'info' } });

  it(
    'latency (3 methods x 4 bounces) and scale (16 at once) run, complete and report',
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
      const latency = await runLatency(bench, {
        namespace: `bench-smoke-lat-${Date.now().toString(36)}`,
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
      expect(scale.operatorPeakRssMb).toBeGreaterThan(0);

      const results: BenchResults = {
        version: 1,
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        machine: { cpus: 2, cpuModel: 'test', memGb: 1, node: process.version, loadavgAtStart: [0, 0, 0] },
        versions: VERSIONS,
        latency: [latency],
        scale,
        notes: [],
      };
      expect(renderTable(results)).toContain('operator');
      expect(renderMarkdown(results)).toContain('| operator |');
    },
  );
});
