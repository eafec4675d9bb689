import { describe, expect, inject, it } from 'vitest';
import { budgetChaosScenario, describeRun } from './support/budget-scenario.js';
import { useOperatorEnv } from './support/env.js';

// Short version of the group-promise chaos scenario (issue 17; 20 seeds in test/chaos/budget.test.ts): no eviction
// of a RollingBounce's member while maxUnavailable other members were already down, counted from the audit log.
describe('RollingBounce budget under chaos (short)', () => {
  const env = useOperatorEnv();

  it(
    '3 overlapping RollingBounces, user bounces, never-Ready replacements, kills: no eviction over the budget',
    {
      timeout: 240_000,
    },
    async () => {
      const seed = Number(process.env.NODEBOUNCE_TEST_SEED ?? 3);
      const r = await budgetChaosScenario(env, inject('auditLogPath'), { seed, durationMs: 45_000 });
      const verdicts = r.report.verdicts.map(
        (v) => `${v.verdict} ${v.group} ${v.eviction.pod} down [${v.down.join(',')}]`,
      );
      console.log(`[budget-chaos] ${describeRun(r)}\n  ${[...r.schedule, ...verdicts, ...r.problems].join('\n  ')}`);
      expect(r.report.checked).toBeGreaterThan(0);
      expect(r.problems).toEqual([]);
    },
  );
});
