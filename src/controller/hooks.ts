import type { NodeBounce, NodeBounceStatus } from '../api/nodebounce.js';
import type { RollingBounce, RollingBounceStatus } from '../api/rollingbounce.js';
import type { BounceEvent } from '../bounce/types.js';

// What the reconciler tells observers (metrics, notifications). Its own module so that they depend on this
// contract only, not on the reconciler. Hooks must not throw or block: operator.ts guards each call.

export interface ReconcileHooks {
  /** Called after a status with a new phase or reason was persisted. */
  onTransition?(before: NodeBounceStatus | undefined, after: NodeBounce): void;
  onEvent?(nb: NodeBounce, event: BounceEvent): void;
}

/** What the RollingBounce reconciler tells observers. */
export interface RolloutHooks {
  /** Called after a status with a new phase or reason was persisted. */
  onTransition?(before: RollingBounceStatus | undefined, after: RollingBounce): void;
}
