import { isTerminal, type Phase } from '../api/nodebounce.js';

// Several NodeBounces for one pod run one at a time, first come first served:
// by creationTimestamp, then name.

export interface QueueEntry {
  name: string;
  creationTimestamp?: string;
  phase?: Phase;
  dryRun: boolean;
  /** Holds our finalizer: something (shutdown protection) is still to be undone. */
  holdsFinalizer: boolean;
}

function sortKey(e: { name: string; creationTimestamp?: string }): [number, string] {
  const t = e.creationTimestamp ? Date.parse(e.creationTimestamp) : Number.POSITIVE_INFINITY;
  return [Number.isNaN(t) ? Number.POSITIVE_INFINITY : t, e.name];
}

export function comesBefore(
  a: { name: string; creationTimestamp?: string },
  b: { name: string; creationTimestamp?: string },
): boolean {
  const [ta, na] = sortKey(a);
  const [tb, nb] = sortKey(b);
  return ta < tb || (ta === tb && na < nb);
}

/** An entry is in flight once it touched anything: it blocks everybody, whatever the order. */
function inFlight(e: QueueEntry): boolean {
  return e.phase === 'Terminating' || e.phase === 'Starting' || e.holdsFinalizer;
}

/**
 * The NodeBounce that `me` must wait for, if any. Dry runs touch nothing, so they neither wait nor block.
 * An entry that is finished (terminal, nothing left to undo) or gone never blocks.
 */
export function findBlocker(me: QueueEntry, others: QueueEntry[]): QueueEntry | undefined {
  if (me.dryRun || inFlight(me)) return undefined;
  const blockers = others.filter(
    (o) =>
      o.name !== me.name &&
      !o.dryRun &&
      (!isTerminal(o.phase) || o.holdsFinalizer) &&
      (inFlight(o) || comesBefore(o, me)),
  );
  blockers.sort((a, b) => (inFlight(a) === inFlight(b) ? (comesBefore(a, b) ? -1 : 1) : inFlight(a) ? -1 : 1));
  return blockers[0];
}
