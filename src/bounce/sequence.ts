import type { Action, ActionOutcome, OutcomeResult } from './types.js';

// How a pass runs a decision's actions, as data: the caller runs them in order, folds each outcome into status
// (applyOutcome), records that status, then asks afterAction() what comes next.

interface ActionRules {
  /** The status applyOutcome() returns is written to the NodeBounce (not when the action deletes it). */
  recordsStatus: boolean;
  /**
   * A success whose status need not be written at once: it is kept in memory (NodeBounceStore.recordLocal) and
   * goes out with the next status write. Only where a crash losing it repeats nothing: a successful eviction leaves
   * the pod with a deletionTimestamp (or gone), which any fresh read shows, and decide() never evicts such a pod
   * again (docs/adr/0006).
   */
  deferredOnSuccess?: boolean;
  /** The outcome shows the NodeBounce no longer exists (deleted by us, or already). */
  gone(outcome: ActionOutcome): boolean;
}

const notGone = () => false;

export const ACTION_RULES: { readonly [T in Action['type']]: ActionRules } = {
  AddFinalizer: { recordsStatus: true, gone: notGone },
  // 404: the NodeBounce was deleted meanwhile, and with the finalizer the last thing holding it.
  RemoveFinalizer: { recordsStatus: true, gone: (o) => !o.ok && o.code === 404 },
  SetShutdownProtection: { recordsStatus: true, gone: notGone },
  EvictPod: { recordsStatus: true, deferredOnSuccess: true, gone: notGone },
  DeleteNodeBounce: { recordsStatus: false, gone: (o) => o.ok || o.code === 404 },
};

export type AfterAction =
  /** Run the next action. */
  | { next: 'continue'; requeueAfterMs?: number }
  /** A failed action ends the pass: its outcome is in status, and the next pass decides again from there. */
  | { next: 'stop'; requeueAfterMs?: number }
  /** A transient failure that status does not absorb: end the pass with an error (the work queue backs off). */
  | { next: 'retry'; error: string }
  /**
   * The NodeBounce is gone: nothing left to do. Requeueing would spin on the cached copy until the watch delivers
   * the delete, which takes long while a watch is reconnecting.
   */
  | { next: 'gone' };

export function afterAction(action: Action, outcome: ActionOutcome, result: OutcomeResult): AfterAction {
  if (result.retry) {
    const detail = outcome.ok ? '' : `${outcome.code ?? ''} ${outcome.message}`;
    return { next: 'retry', error: `${action.type} failed (${detail}); retrying with backoff` };
  }
  if (ACTION_RULES[action.type].gone(outcome)) return { next: 'gone' };
  return { next: outcome.ok ? 'continue' : 'stop', requeueAfterMs: result.requeueAfterMs };
}

/**
 * When to reconcile again after a pass, before any action ran: the decision's own delay when it has no actions;
 * with actions, right away unless an action's outcome asks for a delay (the last one that does wins).
 */
export function initialRequeueAfterMs(decision: { actions: Action[]; requeueAfterMs?: number }): number | undefined {
  return decision.actions.length === 0 ? decision.requeueAfterMs : 0;
}
