// What the decision needs to know about pods. Structural types, so both client-node's V1Pod and plain
// test fixtures fit; no client imports.

export interface ProbeLike {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; controller?: boolean }>;
  };
  spec?: {
    containers?: Array<{ name?: string; startupProbe?: ProbeLike; readinessProbe?: ProbeLike }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name?: string;
      ready?: boolean;
      restartCount?: number;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: unknown;
        terminated?: { reason?: string; exitCode?: number; message?: string };
      };
    }>;
  };
}

// Kubernetes' defaults for unset probe fields.
const DEFAULT_PERIOD = 10;
const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_READY_TIMEOUT_SECONDS = 600;

export function isPodReady(pod: PodLike): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The default ready timeout: the startup probe's whole budget (initialDelaySeconds + periodSeconds x
 * failureThreshold) plus one readiness-probe period, taking the slowest container; 600 s without a startup probe.
 */
export function readyTimeoutFromProbes(pod: PodLike | undefined): {
  seconds: number;
  source: 'StartupProbe' | 'Default';
} {
  const containers = pod?.spec?.containers ?? [];
  let startup = -1;
  let readinessPeriod = 0;
  for (const c of containers) {
    if (c.startupProbe) {
      const p = c.startupProbe;
      const budget =
        (p.initialDelaySeconds ?? 0) +
        (p.periodSeconds ?? DEFAULT_PERIOD) * (p.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
      startup = Math.max(startup, budget);
    }
    if (c.readinessProbe) readinessPeriod = Math.max(readinessPeriod, c.readinessProbe.periodSeconds ?? DEFAULT_PERIOD);
  }
  if (startup < 0) return { seconds: DEFAULT_READY_TIMEOUT_SECONDS, source: 'Default' };
  return { seconds: Math.max(1, startup + readinessPeriod), source: 'StartupProbe' };
}

/** One line a human can act on: phase, the Ready condition's message, container waiting/terminated reasons. */
export function describePodState(pod: PodLike | undefined): string {
  if (!pod) return 'no pod observed';
  const parts: string[] = [];
  const name = pod.metadata?.name ?? '?';
  parts.push(`pod ${name} (uid ${pod.metadata?.uid ?? '?'}) phase ${pod.status?.phase ?? 'unknown'}`);
  if (pod.metadata?.deletionTimestamp) parts.push('terminating');
  if (pod.status?.reason) parts.push(`reason ${pod.status.reason}`);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready) {
    const detail = [ready.reason, ready.message].filter(Boolean).join(': ');
    parts.push(`Ready=${ready.status}${detail ? ` (${detail})` : ''}`);
  } else {
    parts.push('no Ready condition');
  }
  for (const cs of pod.status?.containerStatuses ?? []) {
    const w = cs.state?.waiting;
    const t = cs.state?.terminated;
    if (w) parts.push(`container ${cs.name} waiting: ${[w.reason, w.message].filter(Boolean).join(': ') || 'unknown'}`);
    else if (t) parts.push(`container ${cs.name} terminated: ${t.reason ?? 'unknown'} (exit ${t.exitCode ?? '?'})`);
    else if (cs.ready === false) parts.push(`container ${cs.name} not ready`);
    if ((cs.restartCount ?? 0) > 0) parts.push(`container ${cs.name} restarts ${cs.restartCount}`);
  }
  return parts.join(', ');
}
