import { describe, expect, inject, it } from 'vitest';
import { readPod } from '../harness/index.js';
import { fuzzNodeBounceSpecs } from '../integration/support/bad-input.js';
import { useOperatorEnv } from '../integration/support/env.js';
import { auditPods, sleep } from '../integration/support/reliability.js';

describe('chaos: generated NodeBounce specs', () => {
  const env = useOperatorEnv();

  it('1,000 generated specs: rejected by the API or ending with a named reason; no pod touched', async () => {
    const ns = await env.namespace('chaos-fuzz');
    const sentinel = await env.fx.readyExpressNode(ns, 'sentinel', { startupDelay: '100ms', shutdownDelay: '100ms' });
    const t0 = Date.now();
    const report = await fuzzNodeBounceSpecs(env.kc, ns, {
      batches: 50,
      batchSize: 20,
      seed: Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31),
    });
    console.log(
      `[reliability] ${JSON.stringify({ scenario: 'fuzz-specs-long', ...report, durationMs: Date.now() - t0 })}`,
    );
    expect(report.specs).toBe(1000);
    expect((await readPod(env.kc, ns, 'sentinel'))?.metadata?.uid).toBe(sentinel.metadata?.uid);
    await sleep(300);
    expect(
      [...(await auditPods(inject('auditLogPath'), ns, t0 - 1000)).values()].reduce(
        (a, p) => a + p.operatorDisruptions,
        0,
      ),
    ).toBe(0);
    expect(env.operator.process?.exitCode ?? null).toBeNull();
  });
});
