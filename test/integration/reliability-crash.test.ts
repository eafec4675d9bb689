import { describe, inject, it } from 'vitest';
import { useOperatorEnv } from './support/env.js';
import { assertAndReport, crashScenario } from './support/reliability-scenarios.js';

// Short version of the crash scenario (the long one, 100 bounces and >= 10 kills, is in test/chaos/).
describe('reliability: operator SIGKILLed at random moments', () => {
  const env = useOperatorEnv();

  it(
    '30 bounces, 4 kills: all Succeeded, each pod replaced exactly once, protection restored',
    { timeout: 300_000 },
    async () => {
      assertAndReport(await crashScenario(env, inject('auditLogPath'), { bounces: 30, kills: 4, seed: 7 }));
    },
  );
});
