import { describe, inject, it } from 'vitest';
import { useOperatorEnv } from '../integration/support/env.js';
import { assertAndReport, crashScenario } from '../integration/support/reliability-scenarios.js';

describe('chaos: operator SIGKILLed at random moments', () => {
  const env = useOperatorEnv();

  it('100 bounces, 12 kills: all Succeeded, each pod replaced exactly once, protection restored', async () => {
    assertAndReport(
      await crashScenario(env, inject('auditLogPath'), {
        bounces: 100,
        kills: 12,
        seed: Number(process.env.CHAOS_SEED ?? 11),
      }),
    );
  });
});
