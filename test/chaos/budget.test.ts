import { describe, expect, inject, it } from 'vitest';
import { budgetChaosScenario, describeRun, type BudgetChaosResult } from '../integration/support/budget-scenario.js';
import { useOperatorEnv } from '../integration/support/env.js';

// The group-promise chaos scenario over many seeds (issue 17; the short version runs in `npm test`):
// CHAOS_SEEDS (default 20) seeds from CHAOS_SEED (default 1), each a 25 s random schedule on its own namespace.
describe('chaos: RollingBounce budget over random schedules', () => {
  const env = useOperatorEnv();

  it('no eviction of a member while maxUnavailable other members were down, over every seed', async () => {
    const first = Number(process.env.CHAOS_SEED ?? 1);
    const count = Number(process.env.CHAOS_SEEDS ?? 20);
    const runs: BudgetChaosResult[] = [];
    for (let seed = first; seed < first + count; seed++) {
      const r = await budgetChaosScenario(env, inject('auditLogPath'), { seed, durationMs: 25_000 });
      console.log(
        `[budget-chaos] ${describeRun(r)}${r.problems.length ? `\n  ${r.problems.join('\n  ')}\n  schedule: ${r.schedule.join(' | ')}` : ''}`,
      );
      runs.push(r);
    }
    const sum = (f: (r: BudgetChaosResult) => number) => runs.reduce((a, r) => a + f(r), 0);
    console.log(
      `[budget-chaos] ${runs.length} seeds (${first}..${first + count - 1}): ${sum((r) => r.report.checked)} member evictions checked, ${sum((r) => r.report.unowned)} by users' NodeBounces, ${sum((r) => r.report.races.length)} races, ${sum((r) => r.report.violations.length)} violations, longest wait ${(Math.max(...runs.map((r) => r.report.longestWaitMs)) / 1000).toFixed(1)}s`,
    );
    expect(runs.flatMap((r) => r.problems.map((p) => `seed ${r.seed}: ${p}`))).toEqual([]);
  });
});
