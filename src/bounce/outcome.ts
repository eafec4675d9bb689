import {
  ConditionTypes as C,
  RELEASE_PROTECTION_ANNOTATION,
  Reasons as R,
  type NodeBounce,
} from '../api/nodebounce.js';
import { copyJson } from './copy.js';
import { getCondition, setCondition } from './conditions.js';
import { evictionBackoffMs } from './decide.js';
import { setReason, type StatusReason, type Transition } from './lifecycle.js';
import { reasonSuffix } from './messages.js';
import { restoreBackoffMs } from './restore.js';
import {
  defaultDecideOptions,
  type Action,
  type ActionOutcome,
  type BounceEvent,
  type DecideOptions,
  type OutcomeResult,
} from './types.js';

// Folds the result of one action into status. Pure, like decide().

function conflictOrGone(code: number | undefined, message = ''): boolean {
  // 404: the pod is gone. 409 with a failed UID precondition: its UID no longer matches, so the old pod is gone.
  // Any other 409 (e.g. the Eviction API's resourceVersion check when the pod changed meanwhile) evicted nothing:
  // it is retried like other failures; the next decision sees whether the old pod is gone by then.
  return code === 404 || (code === 409 && /precondition/i.test(message));
}

/**
 * The Eviction API refuses for a PodDisruptionBudget with 429 and a Status cause of reason "DisruptionBudget"
 * (kube-apiserver, pkg/registry/core/pod/storage/eviction.go). Any other 429 is the API server throttling (API
 * Priority and Fairness, max-in-flight): transient, says nothing about the budget. Since Kubernetes 1.37 the budget's
 * two 403 refusals (its status allows a negative number of disruptions; too many evictions not yet confirmed by the
 * disruption controller) carry the same cause; before, they were plain 403s (then EvictionFailed, retried the same).
 */
export function isDisruptionBudgetRefusal(outcome: ActionOutcome): boolean {
  return (
    !outcome.ok &&
    (outcome.code === 429 || outcome.code === 403) &&
    (outcome.causes ?? []).some((c) => c.reason === 'DisruptionBudget')
  );
}

export const THROTTLE_DELAY_MIN_MS = 1_000;
export const THROTTLE_DELAY_MAX_MS = 60_000;

/** How long to wait after a throttled request: its Retry-After, bounded to [1 s, 60 s] (1 s when absent or bad). */
export function throttleDelayMs(retryAfterSeconds: number | undefined): number {
  if (retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds)) return THROTTLE_DELAY_MIN_MS;
  return Math.min(THROTTLE_DELAY_MAX_MS, Math.max(THROTTLE_DELAY_MIN_MS, Math.round(retryAfterSeconds * 1000)));
}

export function applyOutcome(
  nb: NodeBounce,
  action: Action,
  outcome: ActionOutcome,
  now: Date,
  options: DecideOptions = defaultDecideOptions,
): OutcomeResult {
  const status = copyJson(nb.status ?? {});
  const events: BounceEvent[] = [];
  const transitions: Transition[] = [];
  const reason = (r: StatusReason, message: string) => {
    const change = setReason(status, r, message);
    if (change) transitions.push(change);
  };
  const gen = nb.metadata.generation;
  const nowIso = now.toISOString();
  const cond = (type: (typeof C)[keyof typeof C], s: 'True' | 'False' | 'Unknown', reason: string, message: string) => {
    status.conditions = setCondition(status.conditions, type, s, reason, message, now, gen);
  };

  switch (action.type) {
    case 'SetShutdownProtection': {
      const sp = (status.shutdownProtection ??= { wasEnabled: true, disabledByOperator: false, restored: false });
      if (!action.enabled) {
        if (outcome.ok) {
          sp.disabledByOperator = true;
          delete sp.lastError;
          cond(
            C.ShutdownProtectionDisabled,
            'True',
            'DisabledByOperator',
            `Shutdown protection on ${action.expressName} disabled for the bounce; it is restored afterwards.`,
          );
          events.push({
            type: 'Normal',
            reason: 'ShutdownProtectionDisabled',
            message: `Disabled shutdown protection on ${action.expressName}.`,
          });
        } else if (outcome.code === 409 && action.repeated !== true) {
          // The Express resource changed since it was read (its controller writes status often): nothing was applied.
          // Decided again on the newer version, once (that attempt is `repeated`, so a second 409 falls below).
          sp.lastError = outcome.message;
          return { status, events, transitions, retry: false, requeueAfterMs: 1000 };
        } else {
          // Best effort: warn and go on with the bounce. A definite rejection (4xx) of the first attempt changed
          // nothing; after a timeout or server error the patch may still have been applied, and so may an earlier
          // attempt whose result was never recorded: then it is restored like a success.
          sp.lastError = outcome.message;
          if (outcome.code === undefined || outcome.code >= 500 || action.repeated === true)
            sp.disabledByOperator = true;
          const message = `Could not disable shutdown protection on ${action.expressName} (${outcome.code ?? 'error'}: ${outcome.message}). Bouncing anyway; the node's own protection may slow its shutdown.`;
          cond(C.ShutdownProtectionDisabled, 'False', 'DisableFailed', message);
          events.push({ type: 'Warning', reason: 'ShutdownProtectionNotDisabled', message });
        }
        return { status, events, transitions, retry: false, requeueAfterMs: 0 };
      }
      if (outcome.ok || outcome.code === 404) {
        sp.restored = true;
        const message = outcome.ok
          ? `Shutdown protection on ${action.expressName} restored.`
          : `${action.expressName} no longer exists; there is no shutdown protection left to restore.`;
        if (!outcome.ok) sp.lastError = outcome.message;
        cond(C.ShutdownProtectionDisabled, 'False', 'Restored', message);
        if (getCondition(status.conditions, C.ShutdownProtectionRestored))
          cond(C.ShutdownProtectionRestored, 'True', 'Restored', message);
        events.push({ type: 'Normal', reason: 'ShutdownProtectionRestored', message });
        return { status, events, transitions, retry: false, requeueAfterMs: 0 };
      }
      // Bounded: counted in status (so restarts don't reset it), retried with backoff, then given up visibly.
      sp.lastError = outcome.message;
      sp.restoreAttempts = (sp.restoreAttempts ?? 0) + 1;
      sp.lastRestoreAttemptTime = nowIso;
      sp.restoreFailingSince ??= nowIso;
      const limits = options.protectionRestore;
      const failingMs = now.getTime() - Date.parse(sp.restoreFailingSince);
      const detail = `${outcome.code ?? 'error'}: ${outcome.message}`;
      if (sp.restoreAttempts >= limits.maxAttempts || !(failingMs < limits.maxDurationSeconds * 1000)) {
        sp.restoreFailed = true;
        const message = `Gave up restoring shutdown protection on ${action.expressName} after ${sp.restoreAttempts} attempts over ${Math.round(failingMs / 1000)}s (last: ${detail}). The node may be unprotected. Fix the cause, re-enable its shutdown protection by hand, then release this NodeBounce: \`kubectl annotate nodebounce ${nb.metadata.name} -n ${nb.metadata.namespace} ${RELEASE_PROTECTION_ANNOTATION}=true\`.`;
        cond(C.ShutdownProtectionRestored, 'False', 'RestoreFailed', message);
        events.push({ type: 'Warning', reason: 'ShutdownProtectionRestoreGaveUp', message });
        return { status, events, transitions, retry: false, requeueAfterMs: 0 };
      }
      const backoff = restoreBackoffMs(sp.restoreAttempts);
      const message = `Could not restore shutdown protection on ${action.expressName} (${detail}); retrying in ${backoff / 1000}s (attempt ${sp.restoreAttempts} of at most ${limits.maxAttempts}, for at most ${limits.maxDurationSeconds}s).`;
      cond(C.ShutdownProtectionRestored, 'Unknown', 'RestoreRetrying', message);
      events.push({ type: 'Warning', reason: 'ShutdownProtectionRestoreFailed', message, series: true });
      return { status, events, transitions, retry: false, requeueAfterMs: backoff };
    }

    case 'EvictPod': {
      const ev = (status.eviction ??= { attempts: 0 });
      ev.attempts += 1;
      ev.lastAttemptTime = nowIso;
      delete ev.nextAttemptTime;
      if (outcome.ok || conflictOrGone(outcome.code, outcome.message)) {
        delete ev.lastError;
        status.podDeletedTime = nowIso;
        const message = `Pod ${action.podName} (uid ${action.uid}) ${action.mode === 'Evict' ? 'evicted' : 'deleted'}; waiting for it to terminate.${reasonSuffix(nb.spec ?? {})}`;
        reason(R.WaitingForTermination, message);
        events.push({ type: 'Normal', reason: action.mode === 'Evict' ? 'PodEvicted' : 'PodDeleted', message });
        return { status, events, transitions, retry: false, requeueAfterMs: 0 };
      }
      ev.lastError = outcome.message;
      if (outcome.code === 429 && !isDisruptionBudgetRefusal(outcome)) {
        // Throttled: the eviction was not even considered. Wait what the server asks (bounded), then try again.
        const delay = throttleDelayMs(outcome.retryAfterSeconds);
        ev.nextAttemptTime = new Date(now.getTime() + delay).toISOString();
        const message = `Eviction of pod ${action.podName} throttled by the API server (429: ${outcome.message}); retrying in ${delay / 1000}s (attempt ${ev.attempts}) until the termination deadline. This is not a PodDisruptionBudget refusal.`;
        if (status.reason !== R.EvictionThrottled)
          events.push({ type: 'Warning', reason: R.EvictionThrottled, message });
        reason(R.EvictionThrottled, message);
        return { status, events, transitions, retry: false, requeueAfterMs: delay };
      }
      const backoff = evictionBackoffMs(ev.attempts);
      if (isDisruptionBudgetRefusal(outcome)) {
        const budget = (outcome.causes ?? [])
          .filter((c) => c.reason === 'DisruptionBudget' && c.message)
          .map((c) => c.message);
        if (budget.length > 0) ev.lastError = `${outcome.message} ${budget.join('; ')}`;
        const message = `Eviction of pod ${action.podName} refused: ${ev.lastError}. A PodDisruptionBudget allows no disruption right now; retrying (attempt ${ev.attempts}, next in ${backoff / 1000}s) until the termination deadline.`;
        if (status.reason !== R.BlockedByPDB) events.push({ type: 'Warning', reason: R.BlockedByPDB, message });
        reason(R.BlockedByPDB, message);
      } else {
        const message = `Eviction of pod ${action.podName} failed (${outcome.code ?? 'error'}: ${outcome.message}); retrying (attempt ${ev.attempts}, next in ${backoff / 1000}s) until the termination deadline.`;
        events.push({ type: 'Warning', reason: 'EvictionFailed', message, series: true });
        reason(R.Evicting, message);
      }
      return { status, events, transitions, retry: false, requeueAfterMs: backoff };
    }

    case 'AddFinalizer':
    case 'RemoveFinalizer':
    case 'DeleteNodeBounce':
      // Not found while removing our finalizer or deleting ourselves is success; any other failure is transient.
      return {
        status,
        events,
        transitions,
        retry: !outcome.ok && !(action.type !== 'AddFinalizer' && outcome.code === 404),
      };
  }
}
