import type { MemberStatus } from '../api/rollingbounce.js';
import { RolloutReasons as R, type RolloutReason } from './lifecycle.js';
import { currentPod } from './membership.js';
import { PROMETHEUS_POLL_MS, type RolloutObserved } from './observed.js';
import type { ValidRolloutSpec } from './spec.js';

// The health gate: whether the rollout may start its next members (or, with none, finish), plus Prometheus.

export interface Gate {
  ok: boolean;
  reason?: RolloutReason;
  message?: string;
  pollMs?: number;
}

/** The health gate for starting `candidates` (or, with none, the final check): every other member healthy, plus Prometheus. */
export function healthGate(
  spec: ValidRolloutSpec,
  rows: MemberStatus[],
  candidates: MemberStatus[],
  obs: RolloutObserved,
): Gate {
  const healthy = new Set(spec.healthGate.healthyStates);
  const podByName = new Map(obs.pods.map((p) => [p.name, p]));
  const expressByName = new Map(obs.express.map((e) => [e.name, e]));
  const candidatePods = new Set(candidates.map((c) => c.pod));
  const problems: string[] = [];
  for (const m of rows) {
    // In-flight members are disrupted on purpose; skipped and failed ones are reported in their rows.
    if (m.phase === 'InProgress' || m.phase === 'Skipped' || m.phase === 'Failed') continue;
    // The candidate itself must not be mid-rebuild either, unless the template forces.
    if (candidatePods.has(m.pod) && spec.bounceTemplate.force) continue;
    const e = m.expressResource ? expressByName.get(m.expressResource) : undefined;
    // The member's pod now: by name, or (pods with generated names are replaced under a new name) any pod of
    // its Express resource, preferring a Ready one.
    const pod = currentPod(m, obs.pods) ?? podByName.get(m.pod);
    if (!e) problems.push(`${m.pod}: Express resource ${m.expressResource ?? '?'} not found`);
    else if (!e.read.ok) problems.push(`${m.pod}: Express resource invalid (${e.read.problems.join('; ')})`);
    else if (!healthy.has(e.read.view.runtimeState ?? ''))
      problems.push(`${m.pod}: runtime state ${JSON.stringify(e.read.view.runtimeState ?? null)}`);
    else if (!pod || pod.terminating || !pod.ready)
      problems.push(`${m.pod}: pod ${!pod ? 'missing' : pod.terminating ? 'terminating' : 'not Ready'}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    return {
      ok: false,
      reason: R.MembersUnhealthy,
      message: `waiting for members to be healthy (${[...healthy].join(', ')}): ${shown}`,
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
