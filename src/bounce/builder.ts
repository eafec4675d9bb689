import {
  ConditionTypes as C,
  NODEBOUNCE_FINALIZER,
  type NodeBounce,
  type NodeBounceStatus,
} from '../api/nodebounce.js';
import { copyJson } from './copy.js';
import { failsOnAbsence } from './absence.js';
import { setCondition } from './conditions.js';
import { markFinished } from './finished.js';
import { setReason, type StatusReason, type Transition } from './lifecycle.js';
import { defaultDecideOptions, type Action, type BounceEvent, type Decision, type DecideOptions } from './types.js';

// How decide() assembles its Decision: a copy of status to change, and the actions, events, transitions and
// requeue delay collected along the way.

export const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

export function hasFinalizer(nb: NodeBounce): boolean {
  return nb.metadata.finalizers?.includes(NODEBOUNCE_FINALIZER) ?? false;
}

export class Builder {
  status: NodeBounceStatus;
  actions: Action[] = [];
  events: BounceEvent[] = [];
  transitions: Transition[] = [];
  requeueAfterMs?: number;
  startsBounce = false;

  constructor(
    readonly nb: NodeBounce,
    readonly now: Date,
    readonly options: DecideOptions = defaultDecideOptions,
  ) {
    this.status = copyJson(nb.status ?? {});
    this.status.observedGeneration = nb.metadata.generation ?? this.status.observedGeneration;
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  condition(
    type: (typeof C)[keyof typeof C],
    status: 'True' | 'False' | 'Unknown',
    reason: string,
    message: string,
  ): void {
    this.status.conditions = setCondition(
      this.status.conditions,
      type,
      status,
      reason,
      message,
      this.now,
      this.nb.metadata.generation,
    );
  }

  /**
   * Sets reason/message and the reason's phase (from the lifecycle table); a change of phase or reason is
   * recorded as a transition, with an event when eventType is given.
   */
  transition(reason: StatusReason, message: string, eventType?: 'Normal' | 'Warning'): void {
    const change = setReason(this.status, reason, message);
    if (change) this.transitions.push(change);
    if (change && eventType) this.events.push({ type: eventType, reason, message });
  }

  requeueAt(deadlineMs: number): void {
    const after = Math.max(0, deadlineMs - this.now.getTime());
    this.requeueAfterMs = this.requeueAfterMs === undefined ? after : Math.min(this.requeueAfterMs, after);
  }

  fail(reason: StatusReason, message: string): Decision {
    this.transition(reason, message, 'Warning');
    this.status.completionTime ??= this.nowIso;
    this.condition(C.Succeeded, 'False', reason, message);
    // Whatever must be undone is picked up by the terminal step on the next pass.
    this.requeueAfterMs = 0;
    return this.done();
  }

  done(): Decision {
    markFinished(this.status, this.now, this.nb.metadata.generation);
    return {
      status: this.status,
      actions: this.actions,
      events: this.events,
      transitions: this.transitions,
      requeueAfterMs: this.requeueAfterMs,
      startsBounce: this.startsBounce,
      confirmAbsence: failsOnAbsence(this.nb.status, this.status),
    };
  }
}
