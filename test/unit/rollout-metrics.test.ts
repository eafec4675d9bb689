import { describe, expect, it } from 'vitest';
import type { RollingBounce } from '../../src/api/rollingbounce.js';
import { OperatorMetrics } from '../../src/observability/metrics.js';

const rb = (phase: string, counts?: Record<string, number>, reason = 'X'): RollingBounce =>
  ({
    metadata: { name: 'r', namespace: 'n' },
    spec: { members: { podNames: ['a'] } },
    status: { phase, reason, counts },
  }) as never;

describe('RollingBounce metrics', () => {
  it('nodebounce_rollouts_total counts each rollout once when it finishes; gauges read the cache at scrape time', async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    const hooks = m.rolloutHooks();
    hooks.onTransition!({ phase: 'Progressing' }, rb('Succeeded', undefined, 'AllMembersBounced'));
    hooks.onTransition!({ phase: 'Succeeded' }, rb('Succeeded', undefined, 'AllMembersBounced')); // already counted
    hooks.onTransition!({ phase: 'Progressing' }, rb('Failed', undefined, 'MemberFailed'));
    m.setRolloutMembersSource(() => [
      rb('Progressing', { total: 3, pending: 1, inProgress: 1, succeeded: 1, failed: 0, skipped: 0 }),
      rb('Paused', { total: 2, pending: 1, inProgress: 0, succeeded: 0, failed: 0, skipped: 1 }),
      rb('Succeeded', { total: 5, pending: 0, inProgress: 0, succeeded: 5, failed: 0, skipped: 0 }),
    ]);
    const text = await m.registry.metrics();
    expect(text).toContain('nodebounce_rollouts_total{result="succeeded",reason="AllMembersBounced"} 1');
    expect(text).toContain('nodebounce_rollouts_total{result="failed",reason="MemberFailed"} 1');
    expect(text).toContain('nodebounce_rollout_members{state="pending"} 2');
    expect(text).toContain('nodebounce_rollout_members{state="in_progress"} 1');
    expect(text).toContain('nodebounce_rollout_members{state="skipped"} 1');
    expect(text).toContain('nodebounce_rollouts_active{phase="Progressing"} 1');
    expect(text).toContain('nodebounce_rollouts_active{phase="Paused"} 1');
    expect(text).toContain('nodebounce_rollouts_active{phase="WaitingForHealth"} 0');
  });
});
