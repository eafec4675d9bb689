// The RollingBounce API (bounce.express.dev/v1alpha1) as TypeScript types. Mirrors
// crds/bounce.express.dev_rollingbounces.yaml. Pure data.
import type { BounceMode, Condition, ObjectMeta } from './nodebounce.js';

export const ROLLINGBOUNCE_PLURAL = 'rollingbounces';
export const ROLLINGBOUNCE_KIND = 'RollingBounce';
/**
 * Held while the RollingBounce exists and may still have NodeBounces in flight: on deletion the operator deletes
 * its unfinished NodeBounces first (whose own finalizers restore shutdown protection), then drops this one.
 */
export const ROLLINGBOUNCE_FINALIZER = 'bounce.express.dev/rollingbounce-members';
/** Label on each NodeBounce a RollingBounce created: the RollingBounce's name. */
export const ROLLINGBOUNCE_LABEL = 'bounce.express.dev/rollingbounce';
/** A RollingBounce's name is the value of ROLLINGBOUNCE_LABEL on its NodeBounces: a label value (CRD rule too). */
export const MAX_ROLLINGBOUNCE_NAME = 63;

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Weekday = 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun';

export interface MaintenanceWindow {
  days?: Weekday[];
  start: string;
  end: string;
  timeZone?: string;
}

export interface BounceTemplate {
  force?: boolean;
  reason?: string;
  mode?: BounceMode;
  gracePeriodSeconds?: number;
  terminationTimeoutSeconds?: number;
  readyTimeoutSeconds?: number;
}

export interface HealthGateSpec {
  healthyStates?: string[];
  stableSeconds?: number;
  /** `endpoint` names one of the operator config's prometheus.endpoints; `url` (v1alpha1) is refused. */
  prometheus?: { endpoint?: string; url?: string; query: string; timeoutSeconds?: number };
}

export interface RollingBounceSpec {
  members: { selector?: LabelSelector; podNames?: string[] };
  maxUnavailable?: number | string;
  order?: 'byName' | 'reverse';
  last?: LabelSelector;
  settleSeconds?: number;
  healthGate?: HealthGateSpec;
  maintenanceWindows?: MaintenanceWindow[];
  paused?: boolean;
  maxFailures?: number;
  bounceTemplate?: BounceTemplate;
  dryRun?: boolean;
}

export type RolloutPhase =
  'Pending' | 'Progressing' | 'Paused' | 'WaitingForWindow' | 'WaitingForHealth' | 'Succeeded' | 'Failed';
export type MemberPhase = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';

export interface MemberStatus {
  pod: string;
  expressResource?: string;
  /** Goes last (matched spec.last). */
  last?: boolean;
  nodeBounce?: string;
  /** Set once the NodeBounce was seen: if it disappears afterwards, it was deleted (never re-created). */
  nodeBounceUID?: string;
  phase: MemberPhase;
  reason?: string;
  message?: string;
  startTime?: string;
  endTime?: string;
}

export type PlanVerdict = 'WouldBounce' | 'WouldSkip' | 'WouldFail' | 'WouldWait';

export interface PlanMember {
  pod: string;
  expressResource?: string;
  batch?: number;
  verdict: PlanVerdict;
  reason?: string;
  message?: string;
  estimatedSeconds?: number;
}

export interface RolloutPlan {
  maxUnavailable: number;
  estimatedSeconds: number;
  batches: string[][];
  members: PlanMember[];
}

export interface RolloutCounts {
  total: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

export interface RollingBounceStatus {
  phase?: RolloutPhase;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  progress?: string;
  startTime?: string;
  completionTime?: string;
  waitingUntil?: string;
  healthPassingSince?: string;
  lastMemberFinishedTime?: string;
  maxUnavailable?: number;
  counts?: RolloutCounts;
  members?: MemberStatus[];
  plan?: RolloutPlan;
  conditions?: Condition[];
}

export interface RollingBounce {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: RollingBounceSpec;
  status?: RollingBounceStatus;
}

export function isRolloutTerminal(phase: RolloutPhase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
