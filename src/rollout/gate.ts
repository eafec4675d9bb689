import { RolloutReasons as R, type RolloutReason } from './lifecycle.js';
import { PROMETHEUS_POLL_MS, type RolloutObserved } from './observed.js';
import type { ValidRolloutSpec } from './spec.js';
import { describeUnavailable, type UnavailableMember } from './unavailable.js';

// The health gate: whether the rollout may start its next members (or, with none, finish), plus Prometheus.

export interface Gate {
  ok: boolean;
  reason?: RolloutReason;
  message?: string;
  pollMs?: number;
}

/**
 * The health gate for starting the next members (or, with none, for finishing): no member that holds it is down
 * (`blockers`, from the budget: members unavailable by src/rollout/unavailable.ts beyond what the rollout itself
 * has in flight), plus Prometheus.
 */
export function healthGate(spec: ValidRolloutSpec, blockers: readonly UnavailableMember[], obs: RolloutObserved): Gate {
  const healthy = spec.healthGate.healthyStates;
  if (blockers.length > 0) {
    return {
      ok: false,
      reason: R.MembersUnhealthy,
      message: `waiting for members to be healthy (${healthy.join(', ')}): ${describeUnavailable(blockers)}`,
    };
  }
  const prom = spec.healthGate.prometheus;
  if (prom) {
    const r = obs.prometheus;
    if (!r)
      return {
        ok: false,
        reason: R.PrometheusUnavailable,
        message: 'the Prometheus gate was not queried yet',
        pollMs: PROMETHEUS_POLL_MS,
      };
    if (!r.ok)
      return {
        ok: false,
        reason: R.PrometheusUnavailable,
        message: `Prometheus query failed: ${r.error}`,
        pollMs: PROMETHEUS_POLL_MS,
      };
    if (r.series > 0) {
      return {
        ok: false,
        reason: R.AlertsFiring,
        message: `the Prometheus gate query returned ${r.series} series${r.sample ? ` (e.g. ${r.sample})` : ''}`,
        pollMs: PROMETHEUS_POLL_MS,
      };
    }
    return { ok: true, pollMs: PROMETHEUS_POLL_MS };
  }
  return { ok: true };
}
