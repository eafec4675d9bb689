import { NODEBOUNCE_FINALIZER, type NodeBounce } from '../api/nodebounce.js';
import { acceptanceMarker } from '../bounce/status-lost.js';
import type { Action, ActionOutcome } from '../bounce/types.js';
import type { ExpressConfig } from '../config/schema.js';
import { shutdownProtectionPatch } from '../express/view.js';
import type { KubeClient } from '../kube/client.js';
import { describeApiError } from '../kube/errors.js';

// Runs one decided action against the API and reports what happened. Errors become outcomes; the pure
// applyOutcome() decides what they mean.

export interface ExecutedAction {
  outcome: ActionOutcome;
  /** The NodeBounce as the server returned it, when the action changed it (finalizers). */
  updated?: NodeBounce;
}

export async function executeAction(
  client: KubeClient,
  express: ExpressConfig,
  nb: NodeBounce,
  action: Action,
): Promise<ExecutedAction> {
  const ns = nb.metadata.namespace;
  try {
    switch (action.type) {
      case 'AddFinalizer': {
        const finalizers = [
          ...(nb.metadata.finalizers ?? []).filter((f) => f !== NODEBOUNCE_FINALIZER),
          NODEBOUNCE_FINALIZER,
        ];
        return {
          outcome: { ok: true },
          updated: await client.setNodeBounceFinalizers(nb, finalizers, acceptanceMarker(nb)),
        };
      }
      case 'RemoveFinalizer': {
        const finalizers = (nb.metadata.finalizers ?? []).filter((f) => f !== NODEBOUNCE_FINALIZER);
        return { outcome: { ok: true }, updated: await client.setNodeBounceFinalizers(nb, finalizers) };
      }
      case 'SetShutdownProtection':
        await client.patchExpress(
          ns,
          action.expressName,
          shutdownProtectionPatch(express, action.enabled, action.resourceVersion),
        );
        return { outcome: { ok: true } };
      case 'EvictPod':
        await client.evictPod(ns, action.podName, action.uid, action.mode, action.gracePeriodSeconds);
        return { outcome: { ok: true } };
      case 'DeleteNodeBounce':
        await client.deleteNodeBounce(nb);
        return { outcome: { ok: true } };
    }
  } catch (err) {
    return { outcome: { ok: false, ...describeApiError(err) } };
  }
}
