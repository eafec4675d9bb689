// The NodeBounce API (bounce.express.dev/v1alpha1) as TypeScript types. Mirrors crds/.
// Pure data: no client imports, so the decision code can use it.

export const NODEBOUNCE_GROUP = 'bounce.express.dev';
export const NODEBOUNCE_VERSION = 'v1alpha1';
export const NODEBOUNCE_PLURAL = 'nodebounces';
export const NODEBOUNCE_KIND = 'NodeBounce';
export const NODEBOUNCE_API_VERSION = `${NODEBOUNCE_GROUP}/${NODEBOUNCE_VERSION}`;
/** Held only while something must be undone (shutdown protection to restore). */
export const NODEBOUNCE_FINALIZER = 'bounce.express.dev/restore-shutdown-protection';
/**
 * Set to "true" by a cluster operator to release a NodeBounce whose shutdown protection can't be restored: the
 * operator drops its finalizer without restoring, and records that it did (and who set the annotation).
 */
export const RELEASE_PROTECTION_ANNOTATION = 'bounce.express.dev/release-protection';
/**
 * The operator's acceptance marker: the NodeBounce's own metadata.uid, written in the same request as the finalizer,
 * before the first side effect. A copy of the object (restored from a backup, re-created from an export) gets a new
 * UID from the API server but keeps its annotations, so a marker naming another UID, with no status, is a bounce
 * whose status was lost (src/bounce/status-lost.ts).
 */
export const ACCEPTED_UID_ANNOTATION = 'bounce.express.dev/accepted-uid';

export type BounceMode = 'Evict' | 'Delete';

export interface NodeBounceSpec {
  podName: string;
  force?: boolean;
  reason?: string;
  mode?: BounceMode;
  gracePeriodSeconds?: number;
  terminationTimeoutSeconds?: number;
  readyTimeoutSeconds?: number;
  dryRun?: boolean;
  ttlSecondsAfterFinished?: number;
}

export type Phase = 'Pending' | 'Terminating' | 'Starting' | 'Succeeded' | 'Failed';
export const TERMINAL_PHASES: readonly Phase[] = ['Succeeded', 'Failed'];

export const Reasons = {
  // progress
  Accepted: 'Accepted',
  PreflightPassed: 'PreflightPassed',
  Evicting: 'Evicting',
  WaitingForTermination: 'WaitingForTermination',
  /** The pod was already being deleted by someone else: waited for, never evicted again. */
  AlreadyTerminating: 'AlreadyTerminating',
  WaitingForReady: 'WaitingForReady',
  DisablingShutdownProtection: 'DisablingShutdownProtection',
  RestoringShutdownProtection: 'RestoringShutdownProtection',
  // success
  PodRestarted: 'PodRestarted',
  DryRunPassed: 'DryRunPassed',
  // failure
  InvalidSpec: 'InvalidSpec',
  InvalidStatus: 'InvalidStatus',
  /** Restored (or copied) without its status after the operator had accepted it: never started again. */
  StatusLost: 'StatusLost',
  PodNotFound: 'PodNotFound',
  /** The pod does not match the operator's podLabelSelector: its replacement could never be seen. */
  PodNotWatched: 'PodNotWatched',
  ExpressResourceNotFound: 'ExpressResourceNotFound',
  ExpressResourceInvalid: 'ExpressResourceInvalid',
  IntentionallyDown: 'IntentionallyDown',
  NodeRebuilding: 'NodeRebuilding',
  TerminationTimeout: 'TerminationTimeout',
  ReadyTimeout: 'ReadyTimeout',
  ShutdownProtectionNotRestored: 'ShutdownProtectionNotRestored',
  // waiting
  WaitingForOtherBounce: 'WaitingForOtherBounce',
  WaitingForDisruptionBudget: 'WaitingForDisruptionBudget',
  BlockedByPDB: 'BlockedByPDB',
  EvictionThrottled: 'EvictionThrottled',
} as const;
export type Reason = (typeof Reasons)[keyof typeof Reasons];

export const ConditionTypes = {
  Succeeded: 'Succeeded',
  PreflightPassed: 'PreflightPassed',
  ShutdownProtectionDisabled: 'ShutdownProtectionDisabled',
  PodTerminated: 'PodTerminated',
  PodReady: 'PodReady',
  /** Present once a restore attempt failed: Unknown while retrying, False when given up or released, True once restored. */
  ShutdownProtectionRestored: 'ShutdownProtectionRestored',
  /** True once the bounce succeeded or failed; its reason is the outcome (Succeeded or Failed). */
  Finished: 'Finished',
} as const;
export type ConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes];

/** metav1.Condition */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ShutdownProtectionStatus {
  wasEnabled: boolean;
  /** True once the patch that disables it succeeded (or was found already applied). */
  disabledByOperator: boolean;
  restored: boolean;
  lastError?: string;
  /** Failed restore attempts so far, when the last one failed, and since when restoring fails. */
  restoreAttempts?: number;
  lastRestoreAttemptTime?: string;
  restoreFailingSince?: string;
  /** The operator gave up restoring (protectionRestore limits): it holds the finalizer until released. */
  restoreFailed?: boolean;
  /** Released without restoring (annotation bounce.express.dev/release-protection), when and by whom. */
  releasedTime?: string;
  releasedBy?: string;
}

export interface NodeBounceStatus {
  phase?: Phase;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  expressResourceName?: string;
  podUID?: string;
  replacementPodName?: string;
  replacementPodUID?: string;
  effectiveTimeouts?: {
    terminationSeconds: number;
    readySeconds: number;
    readySource: 'Spec' | 'StartupProbe' | 'Default';
  };
  shutdownProtection?: ShutdownProtectionStatus;
  eviction?: {
    attempts: number;
    lastAttemptTime?: string;
    lastError?: string;
    /** Set when the API server throttled the last attempt (429 without a PDB cause): not before this time. */
    nextAttemptTime?: string;
  };
  lastObservedPodState?: string;
  ttlSkipped?: boolean;
  startTime?: string;
  terminatingTime?: string;
  podDeletedTime?: string;
  terminatedTime?: string;
  /**
   * True when the old pod was found gone without its eviction's answer on record (the operator restarted between
   * the eviction and the next status write): podDeletedTime is unknown (left unset) and terminatedTime is when the
   * pod was found gone, an upper bound of when it went.
   */
  terminatedTimeEstimated?: boolean;
  readyTime?: string;
  completionTime?: string;
  conditions?: Condition[];
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean }>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: Array<{ manager?: string; operation?: string; time?: string | Date; fieldsV1?: unknown }>;
}

export interface NodeBounce {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: NodeBounceSpec;
  status?: NodeBounceStatus;
}

export function isTerminal(phase: Phase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
