import type { BounceMode, NodeBounceStatus } from '../api/nodebounce.js';
import {
  defaultArgoCdConfig,
  defaultProtectionRestoreConfig,
  type ArgoCdConfig,
  type ProtectionRestoreConfig,
} from '../config/schema.js';
import type { ParsedSelector } from '../config/label-selector.js';
import type { ExpressView } from '../express/view.js';
import type { Transition } from './lifecycle.js';
import type { PodLike } from './pod.js';
import type { QueueEntry } from './queue.js';

// The inputs and outputs of the pure bounce decision.

export type ExpressObservation =
  | { kind: 'Found'; view: ExpressView }
  | { kind: 'Invalid'; name: string; problems: string[] }
  | { kind: 'NotFound'; name: string }
  | { kind: 'Unmapped'; message: string };

export interface Observed {
  /** The pod named spec.podName in the NodeBounce's namespace, as currently observed. */
  pod?: PodLike;
  /** The Express resource the pod (or, once it is gone, status.expressResourceName) maps to. */
  express?: ExpressObservation;
  /** Pods that map to the same Express resource: replacements when the Express operator renames pods. */
  expressPods: PodLike[];
  /** Other NodeBounces in the namespace for the same pod. */
  others: QueueEntry[];
  /** Human-readable identity of the Express resource kind, for messages (e.g. "ExpressNode.express.dev"). */
  expressKind: string;
  /**
   * The disruption budget of the RollingBounces the pod belongs to, checked on live reads under the namespace's
   * budget lock (src/rollout/budget.ts, docs/adr/0007). Absent when the pod belongs to none (or on the caches'
   * first pass): nothing to wait for.
   */
  disruptionBudget?: BudgetObservation;
}

/** `situation`: who holds the budget, for a wait that follows a first step (the message says nothing was touched). */
export type BudgetObservation = { ok: true } | { ok: false; message: string; situation?: string };

/** How often a NodeBounce waiting for a disruption budget checks again. */
export const BUDGET_RECHECK_MS = 3_000;

export type Action =
  | { type: 'AddFinalizer' }
  | { type: 'RemoveFinalizer' }
  | {
      type: 'SetShutdownProtection';
      expressName: string;
      enabled: boolean;
      /**
       * Disable only: an earlier attempt may have run without its result being recorded (its status write failed,
       * or the operator died), so a refusal now does not prove protection is still on.
       */
      repeated?: boolean;
      /**
       * Disable only: the Express resource's resourceVersion the decision read. The patch carries it, so it lands only
       * on that version (409 otherwise): a late disable of an instance that lost the lease cannot undo a successor's
       * restore.
       */
      resourceVersion?: string;
    }
  | { type: 'EvictPod'; podName: string; uid: string; mode: BounceMode; gracePeriodSeconds?: number }
  | { type: 'DeleteNodeBounce' };

export type EventType = 'Normal' | 'Warning';
export interface BounceEvent {
  type: EventType;
  reason: string;
  message: string;
  /**
   * A retry of one situation whose message changes each time (attempt numbers): repeats of this type and reason on
   * the object count on one Event, which shows the latest message. Without it only identical messages do.
   */
  series?: boolean;
}

export interface Decision {
  /** The status to persist before any action runs (it records the intent, so a crash never repeats harm). */
  status: NodeBounceStatus;
  /** Side effects, run in order once the status is persisted. */
  actions: Action[];
  /** Emitted once the status is persisted. */
  events: BounceEvent[];
  /** Each phase/reason change this decision made, in order (all declared in lifecycle.ts). */
  transitions: Transition[];
  /** Reconcile again after this long (ms) even if nothing changes; undefined waits for a watch event. */
  requeueAfterMs?: number;
  /** True when this decision starts touching things: the caller must decide on a fresh view of the queue. */
  startsBounce: boolean;
  /**
   * True when this decision newly fails the bounce because the pod or its Express resource was not observed
   * (absence.ts): caches can miss objects that exist, so the caller decides again on live reads before acting.
   */
  confirmAbsence: boolean;
}

/** metav1.StatusCause as serialised: `reason` is the cause type (e.g. "DisruptionBudget"). */
export interface FailureCause {
  reason?: string;
  message?: string;
  field?: string;
}

/**
 * What happened when an action ran. `code` is the HTTP status of a failed API call, when there was one; `causes`
 * and `retryAfterSeconds` come from the server's Status (details.causes, details.retryAfterSeconds or the
 * Retry-After header).
 */
export type ActionOutcome =
  { ok: true } | { ok: false; code?: number; message: string; causes?: FailureCause[]; retryAfterSeconds?: number };

export interface OutcomeResult {
  status: NodeBounceStatus;
  events: BounceEvent[];
  /** Phase/reason changes (all declared in lifecycle.ts). */
  transitions: Transition[];
  /** The action must be retried with backoff (a transient failure that status doesn't absorb). */
  retry: boolean;
  requeueAfterMs?: number;
}

/** Operator settings the decision depends on (from the operator config). */
export interface DecideOptions {
  /** How to recognise objects Argo CD manages. */
  argocd: ArgoCdConfig;
  /** How long restoring shutdown protection is retried before giving up. */
  protectionRestore: ProtectionRestoreConfig;
  /** The operator's podLabelSelector, parsed: only pods matching it are watched, so only they can be bounced. */
  podSelector?: ParsedSelector;
}

export const defaultDecideOptions: DecideOptions = {
  argocd: defaultArgoCdConfig,
  protectionRestore: defaultProtectionRestoreConfig,
};
