import type { NodeBounce } from '../api/nodebounce.js';
import { ROLLINGBOUNCE_KIND } from '../api/rollingbounce.js';
import { bounceInFlight, WAITING_FOR_BUDGET_REASON } from './unavailable.js';

// The disruption budget across groups (operator config `disruptionBudget`): at most N pods disrupted at once per
// namespace and in the whole cluster, counted over every unfinished NodeBounce whatever created it (the in-flight
// definition of src/rollout/unavailable.ts), and the waiting NodeBounces served round robin by owner (a RollingBounce,
// or "user" for every NodeBounce no RollingBounce owns), so one large rollout cannot starve the others. Pure. The
// operator asks it where it asks a group's budget (src/rollout/budget.ts): right before a NodeBounce's first side
// effect, under the budget lock (src/controller/reconciler.ts, docs/adr/0007).

export interface CrossBudgetLimits {
  maxPerNamespace?: number;
  maxInCluster?: number;
}

export type BudgetScope = 'namespace' | 'cluster';

/** A NodeBounce as the cross-group budget sees it. */
export interface BudgetEntry {
  namespace: string;
  name: string;
  podName: string;
  /** `RollingBounce <namespace>/<name>` for a rollout's member, else `user`. */
  owner: string;
  /** creationTimestamp (ISO): the oldest waiter of an owner goes first among owners equally served. */
  createdAt: string;
  /** inFlight: counts as a disruption; waiting: refused by this budget, touched nothing; other: waits elsewhere. */
  state: 'inFlight' | 'waiting' | 'other';
}

export const USER_OWNER = 'user';

/** How a wait for this budget starts its message (and how the next check knows who waits for it). */
const WAIT_PREFIX = /^Waiting for the (namespace|cluster) disruption budget/;

export const crossBudgetEnabled = (l: CrossBudgetLimits): boolean =>
  l.maxPerNamespace !== undefined || l.maxInCluster !== undefined;

/**
 * In flight (src/rollout/unavailable.ts bounceInFlight) and past its first step. Under this budget every NodeBounce
 * passes the check, under the lock, before its first side effect, and the pass that passes writes its step before the
 * lock is released; so one that has touched nothing (no status yet, or Pending without a shutdown-protection record:
 * waiting for another bounce of its pod or for a budget) is no disruption yet: it will ask first.
 */
function disrupting(nb: Pick<NodeBounce, 'spec' | 'status'>): boolean {
  const st = nb.status;
  if (!bounceInFlight(nb) || st?.phase === undefined) return false;
  return st.phase !== 'Pending' || !!st.shutdownProtection;
}

/** The budget's view of a NodeBounce; undefined when it can never disrupt (finished, dry run). */
export function budgetEntryOf(nb: Pick<NodeBounce, 'metadata' | 'spec' | 'status'>): BudgetEntry | undefined {
  const phase = nb.status?.phase;
  if (nb.spec?.dryRun === true || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ref = (nb.metadata.ownerReferences ?? []).find(
    (r) => r.kind === ROLLINGBOUNCE_KIND && r.controller === true && r.name,
  );
  const waiting =
    phase === 'Pending' && nb.status?.reason === WAITING_FOR_BUDGET_REASON && !nb.status.shutdownProtection;
  return {
    namespace: nb.metadata.namespace,
    name: nb.metadata.name,
    podName: nb.spec?.podName ?? '',
    owner: ref ? `RollingBounce ${nb.metadata.namespace}/${ref.name}` : USER_OWNER,
    createdAt: nb.metadata.creationTimestamp ?? '',
    state: disrupting(nb) ? 'inFlight' : waiting && WAIT_PREFIX.test(nb.status?.message ?? '') ? 'waiting' : 'other',
  };
}

/** The budget's view of NodeBounces, leaving out those that can never disrupt. */
export function budgetEntriesOf(nbs: readonly Pick<NodeBounce, 'metadata' | 'spec' | 'status'>[]): BudgetEntry[] {
  return nbs.map(budgetEntryOf).filter((e): e is BudgetEntry => e !== undefined);
}

export type CrossBudgetVerdict =
  | { ok: true }
  | {
      ok: false;
      scope: BudgetScope;
      limit: number;
      /** The in-flight NodeBounces holding the scope's slots (one per disrupted pod). */
      holders: BudgetEntry[];
      /** When a slot is free but others are served first: who, in serving order. */
      ahead: BudgetEntry[];
      message: string;
    };

const same = (a: BudgetEntry, b: BudgetEntry) => a.namespace === b.namespace && a.name === b.name;
const podKey = (e: BudgetEntry) => `${e.namespace}/${e.podName}`;

/** The in-flight entries of `entries`, one per disrupted pod (the first by name), leaving out the pods in `skip`. */
function holdersOf(entries: readonly BudgetEntry[], skip: ReadonlySet<string>): BudgetEntry[] {
  const byPod = new Map<string, BudgetEntry>();
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    const k = podKey(e);
    if (e.state === 'inFlight' && !skip.has(k) && !byPod.has(k)) byPod.set(k, e);
  }
  return [...byPod.values()];
}

/**
 * The order waiters are served in: round robin by owner. The owner with the fewest disruptions in flight in the scope
 * goes first (each one served counts as one more), then the owner whose oldest waiter is oldest, then by name.
 */
export function servingOrder(waiters: readonly BudgetEntry[], inFlight: readonly BudgetEntry[]): BudgetEntry[] {
  const queues = new Map<string, BudgetEntry[]>();
  for (const w of waiters) queues.set(w.owner, [...(queues.get(w.owner) ?? []), w]);
  for (const q of queues.values())
    q.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  const load = new Map<string, number>();
  for (const e of inFlight) load.set(e.owner, (load.get(e.owner) ?? 0) + 1);
  const out: BudgetEntry[] = [];
  while (queues.size > 0) {
    let best: string | undefined;
    for (const [owner, q] of queues) {
      if (best === undefined) {
        best = owner;
        continue;
      }
      const b = queues.get(best)!;
      const d =
        (load.get(owner) ?? 0) - (load.get(best) ?? 0) ||
        q[0]!.createdAt.localeCompare(b[0]!.createdAt) ||
        owner.localeCompare(best);
      if (d < 0) best = owner;
    }
    const q = queues.get(best!)!;
    out.push(q.shift()!);
    load.set(best!, (load.get(best!) ?? 0) + 1);
    if (q.length === 0) queues.delete(best!);
  }
  return out;
}

const describe = (e: BudgetEntry, scope: BudgetScope) =>
  `${e.podName} (NodeBounce ${scope === 'cluster' ? `${e.namespace}/` : ''}${e.name}, ${e.owner})`;

function listed(entries: readonly BudgetEntry[], scope: BudgetScope, max = 5): string {
  const names = entries.slice(0, max).map((e) => describe(e, scope));
  return entries.length > max ? `${names.join(', ')} and ${entries.length - max} more` : names.join(', ');
}

/**
 * Whether `candidate` may disrupt its pod now under the cross-group budget. `entries` are the NodeBounces that may
 * matter (those of the candidate's namespace, live; with a cluster limit, those of every namespace); the candidate in
 * them is ignored. A pod already disrupted by another NodeBounce takes no second slot.
 */
export function checkCrossBudget(
  limits: CrossBudgetLimits,
  candidate: BudgetEntry,
  entries: readonly BudgetEntry[],
): CrossBudgetVerdict {
  const others = entries.filter((e) => !same(e, candidate));
  const ownPod = new Set([podKey(candidate)]);
  const scopes: Array<[BudgetScope, number]> = [];
  if (limits.maxPerNamespace !== undefined) scopes.push(['namespace', limits.maxPerNamespace]);
  if (limits.maxInCluster !== undefined) scopes.push(['cluster', limits.maxInCluster]);
  // Room in a namespace, for a waiter of the cluster scope: one whose namespace is full cannot be served now and
  // must not hold the cluster's free slots.
  const nsRoom = (ns: string, self: BudgetEntry) =>
    limits.maxPerNamespace === undefined ||
    holdersOf(
      others.filter((e) => e.namespace === ns && !same(e, self)),
      new Set([podKey(self)]),
    ).length < limits.maxPerNamespace;
  for (const [scope, limit] of scopes) {
    const inScope = others.filter((e) => scope === 'cluster' || e.namespace === candidate.namespace);
    const holders = holdersOf(inScope, ownPod);
    const where =
      scope === 'cluster' ? 'cluster disruption budget' : `namespace disruption budget of ${candidate.namespace}`;
    const head = `Waiting for the ${where} (at most ${limit} pod${limit === 1 ? '' : 's'} disrupted at once`;
    const tail = 'Nothing was touched; this starts on its own when its turn comes.';
    if (holders.length >= limit)
      return {
        ok: false,
        scope,
        limit,
        holders,
        ahead: [],
        message: `${head}): held by ${listed(holders, scope)}. ${tail}`,
      };
    const waiters = inScope.filter(
      (e) =>
        e.state === 'waiting' && podKey(e) !== podKey(candidate) && (scope === 'namespace' || nsRoom(e.namespace, e)),
    );
    const order = servingOrder([...waiters, candidate], holders);
    const free = limit - holders.length;
    const at = order.findIndex((e) => same(e, candidate));
    if (at >= free) {
      const ahead = order.slice(0, at);
      return {
        ok: false,
        scope,
        limit,
        holders,
        ahead,
        message: `${head}; ${holders.length} in use${holders.length ? `: ${listed(holders, scope)}` : ''}): served round robin by owner, ahead of this one: ${listed(ahead, scope)}. ${tail}`,
      };
    }
  }
  return { ok: true };
}

/** One row of the budget's metrics. */
export interface BudgetUsage {
  scope: BudgetScope;
  /** The namespace, for the namespace scope; '' for the cluster. */
  namespace: string;
  /** Infinity: unlimited. */
  limit: number;
  inUse: number;
  waiting: number;
}

/**
 * The budget's size, use and waiters by scope: the cluster always (size Infinity while unlimited, so the disruptions
 * in flight show either way), and with a namespace limit, each namespace with an unfinished NodeBounce.
 */
export function budgetUsage(limits: CrossBudgetLimits, entries: readonly BudgetEntry[]): BudgetUsage[] {
  const out: BudgetUsage[] = [];
  const row = (scope: BudgetScope, namespace: string, limit: number, es: readonly BudgetEntry[]) =>
    out.push({
      scope,
      namespace,
      limit,
      inUse: holdersOf(es, new Set()).length,
      waiting: es.filter((e) => e.state === 'waiting').length,
    });
  row('cluster', '', limits.maxInCluster ?? Number.POSITIVE_INFINITY, entries);
  if (limits.maxPerNamespace !== undefined)
    for (const ns of [...new Set(entries.map((e) => e.namespace))].sort())
      row(
        'namespace',
        ns,
        limits.maxPerNamespace,
        entries.filter((e) => e.namespace === ns),
      );
  return out;
}
