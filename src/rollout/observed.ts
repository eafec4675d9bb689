import type { NodeBounce } from '../api/nodebounce.js';
import type { BounceTemplate, RollingBounceStatus } from '../api/rollingbounce.js';
import type { ExpressReadResult } from '../express/view.js';

// What the RollingBounce decision sees and what it returns.

/** One Express resource of the namespace, as the decision sees it. */
export interface ExpressMember {
  name: string;
  labels: Record<string, string>;
  read: ExpressReadResult;
}

/** One pod of the namespace that maps to an Express resource. */
export interface MemberPod {
  name: string;
  expressName?: string;
  ready: boolean;
  terminating: boolean;
  /** Estimated bounce duration from its probes (seconds), for the dry-run plan. */
  estimatedSeconds?: number;
}

export type PrometheusResult = { ok: true; series: number; sample?: string } | { ok: false; error: string };

export interface RolloutObserved {
  express: ExpressMember[];
  pods: MemberPod[];
  /** The NodeBounces this RollingBounce owns (controller ownerReference with its UID). */
  nodeBounces: NodeBounce[];
  /**
   * Every NodeBounce of the namespace (a user's, another RollingBounce's, ours): what makes a member unavailable
   * (src/rollout/unavailable.ts). Without it, only the owned ones are seen.
   */
  namespaceBounces?: NodeBounce[];
  /** True when pods, Express resources and NodeBounces were read live (not from the watch caches). */
  live?: boolean;
  /** The Prometheus gate's answer, when the gate is configured and was queried for this decision. */
  prometheus?: PrometheusResult;
}

export type RolloutAction =
  | { type: 'AddFinalizer' }
  | { type: 'RemoveFinalizer' }
  | { type: 'CreateNodeBounce'; name: string; pod: string; template: BounceTemplate }
  | { type: 'DeleteNodeBounce'; name: string; uid?: string };

export interface RolloutDecision {
  status: RollingBounceStatus;
  actions: RolloutAction[];
  requeueAfterMs?: number;
  /**
   * True when this decision starts new members on a view from the caches: the reconciler reads live and decides
   * again before it creates anything (a silent watch cannot pass the gate).
   */
  needsLiveView?: boolean;
  /** True when the decision needs the Prometheus gate's answer (the reconciler queries it and decides again). */
  needsPrometheus?: boolean;
}

/** Re-query Prometheus this often while the gate matters. */
export const PROMETHEUS_POLL_MS = 15_000;
/** A NodeBounce we recorded but never saw: re-create (idempotent by name) after this long in the cache's absence. */
export const DEFAULT_ESTIMATE_SECONDS = 60;
