import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { NODEBOUNCE_FINALIZER, type NodeBounce, type NodeBounceStatus } from '../api/nodebounce.js';
import { decide, holdBeforeStart, queueEntryOf } from '../bounce/decide.js';
import { applyOutcome } from '../bounce/outcome.js';
import { needsReplacementScan } from '../bounce/replacement.js';
import { acceptanceMarker } from '../bounce/status-lost.js';
import { ACTION_RULES, afterAction, initialRequeueAfterMs } from '../bounce/sequence.js';
import type { PodLike } from '../bounce/pod.js';
import type { BounceEvent, Decision, DecideOptions, ExpressObservation, Observed } from '../bounce/types.js';
import type { OperatorConfig } from '../config/schema.js';
import { parseLabelSelector } from '../config/label-selector.js';
import { expressNameForPod, readExpress, type UnstructuredObject } from '../express/view.js';
import type { KubeClient } from '../kube/client.js';
import { describeApiError, isApiCode } from '../kube/errors.js';
import type { ObjectCache } from '../kube/runtime.js';
import { ROLLINGBOUNCE_KIND, type RollingBounce } from '../api/rollingbounce.js';
import { isPodReady } from '../bounce/pod.js';
import { checkBudget, groupsFor } from '../rollout/budget.js';
import { budgetEntriesOf, budgetEntryOf, checkCrossBudget, crossBudgetEnabled } from '../rollout/cross-budget.js';
import { groupBouncesOf, type GroupPod } from '../rollout/unavailable.js';
import { executeAction } from './actions.js';
import type { ReconcileHooks } from './hooks.js';
import { hasWorkLeft, type NodeBounceStore } from './store.js';
import { FailedAfterProgress, KeyedMutex, type HandlerResult } from './workqueue.js';

// The NodeBounce reconciler: observe (caches) -> decide (pure) -> persist status -> act -> record outcome.
// One reconcile per NodeBounce at a time (the work queue guarantees it); no sleeping, ever.

export interface ReconcilerDeps {
  client: KubeClient;
  store: NodeBounceStore;
  pods: ObjectCache<PodLike>;
  express: ObjectCache<UnstructuredObject>;
  config: OperatorConfig;
  log: Logger;
  hooks?: ReconcileHooks;
  clock?: () => Date;
  /** The RollingBounces of a namespace, from the rollout controller's cache (to know whether a pod is in a group). */
  rollouts?: (namespace: string) => readonly RollingBounce[];
}

class Conflict extends Error {}

/** Where observe() looks objects up: the watch caches, or live reads. */
interface Lookups {
  pod(namespace: string, name: string): PodLike | undefined;
  express(namespace: string, name: string): UnstructuredObject | undefined;
}

/**
 * A live read answered "not now" (429, or a 5xx) is asked once more at once, instead of failing the whole pass: each
 * pass that starts or resumes a bounce reads the pod and its Express resource live, and under API faults (chaos
 * faults seed 202, 25 % of requests failed) a failed read cost a pass and doubled the key's retry backoff, up to 60 s,
 * until one bounce waited 300 s. Bounded: two tries in all; a read cut by its deadline or by the acting signal is
 * not repeated (its time is spent).
 */
export async function readAgainOnce<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const { code } = describeApiError(err);
    if (code === undefined || (code !== 429 && code < 500)) throw err;
    return read();
  }
}

export function nodeBounceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class BounceReconciler {
  private readonly podLocks = new KeyedMutex();
  /** One disruption-budget check at a time per namespace (docs/adr/0007): inside a pod lock, never the other way. */
  private readonly budgetLocks = new KeyedMutex();
  private readonly clock: () => Date;
  private readonly expressKind: string;
  private readonly decideOptions: DecideOptions;
  /** Keys whose pass under way got a write of their NodeBounce through (see FailedAfterProgress). */
  private readonly progressed = new Set<string>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.clock = deps.clock ?? (() => new Date());
    const ex = deps.config.express;
    this.expressKind = `${ex.kind}.${ex.group}`;
    const selector = deps.config.podLabelSelector;
    this.decideOptions = {
      argocd: deps.config.argocd,
      protectionRestore: deps.config.protectionRestore,
      ...(selector ? { podSelector: parseLabelSelector(selector) } : {}),
    };
  }

  /** Where to find the RollingBounces of a namespace (the rollout controller's cache, created after this one). */
  setRollouts(rollouts: (namespace: string) => readonly RollingBounce[]): void {
    this.deps.rollouts = rollouts;
  }

  async reconcile(key: string): Promise<HandlerResult> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const nb = this.deps.store.get(namespace, name);
    if (!nb) return {};
    const log = this.deps.log.child({ namespace, name, phase: nb.status?.phase ?? 'New' });
    this.progressed.delete(key);
    try {
      const decision = await this.decideConfirmed(nb);
      if (!decision.startsBounce) return await this.apply(nb, decision, log);
      // Starting to touch things: decide again on a live view, one pod at a time, so two requests for the same
      // pod can never both start on stale caches, and the UID we record (and evict with) is the pod's current
      // one, not a cached incarnation that has already restarted on its own.
      //
      // The queue (every NodeBounce for the pod) is listed live only when the store shows another one that is not
      // finished: otherwise the store is complete for this decision (docs/adr/0006 says why), and the pod and
      // Express reads are the only round trip before the intent write.
      return await this.podLocks.run(`${namespace}/${nb.spec.podName}`, async () => {
        // Another pass for this pod may have written while this one waited for the lock: take the store's version.
        const current = this.deps.store.get(namespace, name);
        if (!current) return {};
        if (this.subjectToBudget(current))
          return await this.budgetLocks.run(this.budgetLockKey(namespace), () => this.decideWithBudget(current, log));
        const listQueue = this.queueContended(current);
        // Our finalizer goes on with the live reads (same round trip): the intent write that follows carries its
        // resourceVersion, so a deletion in between fails that write (409) instead of racing the side effect.
        const [live, held] = await Promise.all([
          this.readLive(current, listQueue),
          holdBeforeStart(current) ? this.hold(current) : Promise.resolve(undefined),
        ]);
        if (held === 'gone') return {};
        let fresh = held ?? current;
        if (listQueue && !held) {
          const self = live.nodeBounces.find((o) => o.metadata.uid === current.metadata.uid);
          if (!self) return {};
          if (self.metadata.resourceVersion !== current.metadata.resourceVersion) fresh = self;
        }
        const observed = this.observe(fresh, live.lookups);
        if (listQueue)
          observed.others = live.nodeBounces.filter((o) => o.metadata.uid !== fresh.metadata.uid).map(queueEntryOf);
        return this.apply(fresh, decide(fresh, observed, this.clock(), this.decideOptions), log);
      });
    } catch (err) {
      if (err instanceof Conflict) {
        // Someone (usually our own previous write) changed it; the watch brings the new version.
        log.debug('status conflict; will retry on the newer version');
        return { requeueAfterMs: 200 };
      }
      // A failure after a write that landed: the retry starts from that step, with the base backoff.
      if (this.progressed.has(key)) throw new FailedAfterProgress(err);
      throw err;
    } finally {
      this.progressed.delete(key);
    }
  }

  /** The store's recordWrite, noting that this pass moved the NodeBounce forward. */
  private recordWrite(before: NodeBounce, after: NodeBounce): NodeBounce {
    this.progressed.add(nodeBounceKey(after.metadata.namespace, after.metadata.name));
    return this.deps.store.recordWrite(before, after);
  }

  /**
   * Adds our finalizer and the acceptance marker in one request (guarded by resourceVersion; the marker tells a copy
   * restored without status from this object, src/bounce/status-lost.ts); 'gone' when the NodeBounce no longer exists.
   */
  private async hold(nb: NodeBounce): Promise<NodeBounce | 'gone'> {
    const finalizers = [...(nb.metadata.finalizers ?? []), NODEBOUNCE_FINALIZER];
    try {
      const held = await this.deps.client.setNodeBounceFinalizers(nb, finalizers, acceptanceMarker(nb));
      return this.recordWrite(nb, held);
    } catch (err) {
      if (isApiCode(err, 404)) return 'gone';
      if (isApiCode(err, 409)) throw new Conflict(); // changed meanwhile (deleted, edited): decide again on it
      throw err;
    }
  }

  /**
   * Whether this pass must check a disruption budget before a side effect: the NodeBounce has not evicted yet (it is
   * checked before its first side effect and again before the eviction, which may follow the shutdown-protection
   * step), and it belongs to a RollingBounce (controller ownerReference) or its pod is a member of an unfinished one
   * (the rollout cache says; a plain NodeBounce of a pod in no group keeps the fast path, docs/adr/0006).
   */
  private subjectToBudget(nb: NodeBounce): boolean {
    const st = nb.status;
    if (nb.spec?.dryRun || (st?.phase !== undefined && st.phase !== 'Pending')) return false;
    // A disruption budget across groups (config disruptionBudget) holds every NodeBounce.
    if (crossBudgetEnabled(this.deps.config.disruptionBudget)) return true;
    if ((nb.metadata.ownerReferences ?? []).some((r) => r.kind === ROLLINGBOUNCE_KIND && r.controller === true))
      return true;
    const rollouts = this.deps.rollouts?.(nb.metadata.namespace) ?? [];
    if (rollouts.length === 0) return false;
    const cached = this.deps.pods.get(nb.metadata.namespace, nb.spec.podName);
    const m = cached ? expressNameForPod(cached, this.deps.config.express) : undefined;
    return groupsFor(rollouts, nb.spec.podName, m?.ok ? m.name : nb.status?.expressResourceName).length > 0;
  }

  /** The budget lock: one per namespace, or one for the whole cluster when the cluster has a budget. */
  private budgetLockKey(namespace: string): string {
    return this.deps.config.disruptionBudget.maxInCluster !== undefined ? '' : namespace;
  }

  /**
   * The cross-group budget (config disruptionBudget) for `nb`, on the namespace's NodeBounces read live and, with a
   * cluster limit, the other namespaces' from the store: every NodeBounce passes its check under the same lock and
   * the store records our own writes at once, so a disruption the store does not show has not started (a stale
   * finished one only counts too many).
   */
  private crossBudget(nb: NodeBounce, live: readonly NodeBounce[]): { ok: true } | { ok: false; message: string } {
    const limits = this.deps.config.disruptionBudget;
    const candidate = budgetEntryOf(nb);
    if (!crossBudgetEnabled(limits) || !candidate) return { ok: true };
    const ns = nb.metadata.namespace;
    const all = [
      ...live,
      ...(limits.maxInCluster !== undefined
        ? this.deps.store.listAll().filter((o) => o.metadata.namespace !== ns)
        : []),
    ];
    return checkCrossBudget(limits, candidate, budgetEntriesOf(all));
  }

  /**
   * The decision for a NodeBounce subject to a disruption budget, under the namespace's budget lock: everything read
   * live in one round trip (the pod, its Express resource, and the namespace's NodeBounces, pods, Express resources
   * and RollingBounces), the budget checked (src/rollout/budget.ts), the status written before the lock is released
   * (so the next check sees this one as a disruption), then the actions.
   */
  private async decideWithBudget(current: NodeBounce, log: Logger): Promise<HandlerResult> {
    const ns = current.metadata.namespace;
    const cfg = this.deps.config.express;
    const client = this.deps.client;
    const [live, nbList, podList, expressList, rbList, held] = await Promise.all([
      this.readLive(current, false),
      client.listNodeBounces(ns),
      client.listPods(ns, this.deps.config.podLabelSelector),
      client.listExpress(ns),
      client.listRollingBounces(ns),
      // Our finalizer, in the same round trip (see reconcile()).
      holdBeforeStart(current) ? this.hold(current) : Promise.resolve(undefined),
    ]);
    if (held === 'gone') return {};
    const self = nbList.items.find((o) => o.metadata.uid === current.metadata.uid);
    if (!self && !held) return {};
    const fresh = held ?? (self && self.metadata.resourceVersion !== current.metadata.resourceVersion ? self : current);
    const observed = this.observe(fresh, live.lookups);
    observed.others = nbList.items
      .filter((o) => o.spec?.podName === fresh.spec.podName && o.metadata.uid !== fresh.metadata.uid)
      .map(queueEntryOf);
    const pods: GroupPod[] = podList.items.map((p) => {
      const pod = p as PodLike;
      const m = expressNameForPod(pod, cfg);
      return {
        name: pod.metadata?.name ?? '',
        ...(m.ok ? { expressName: m.name } : {}),
        ready: isPodReady(pod),
        terminating: !!pod.metadata?.deletionTimestamp,
      };
    });
    const expressName =
      observed.express?.kind === 'Found'
        ? observed.express.view.name
        : observed.express && 'name' in observed.express
          ? observed.express.name
          : undefined;
    const groups = groupsFor(rbList.items, fresh.spec.podName, expressName);
    if (groups.length > 0) {
      const verdict = checkBudget(
        groups,
        {
          pods,
          express: expressList.items.map((obj) => ({
            name: obj.metadata?.name ?? '',
            read: readExpress(obj, cfg, this.deps.config.argocd),
          })),
          bounces: groupBouncesOf(nbList.items.filter((o) => o.metadata.uid !== fresh.metadata.uid)),
        },
        fresh.spec.podName,
        expressName,
      );
      observed.disruptionBudget = verdict.ok
        ? { ok: true }
        : { ok: false, message: verdict.message, situation: verdict.situation };
      if (!verdict.ok)
        log.debug({ rollout: verdict.rollout, down: verdict.down.map((d) => d.name) }, 'waiting for disruption budget');
    }
    // The cross-group budget counts NodeBounces only, all of which ask under this lock: one that already holds a slot
    // (its protection step is done or under way) asks no more, or two holders could wait for each other's turn.
    if (observed.disruptionBudget?.ok !== false && !fresh.status?.shutdownProtection) {
      const cross = this.crossBudget(fresh, nbList.items);
      if (!cross.ok) {
        observed.disruptionBudget = cross;
        log.debug({ message: cross.message }, 'waiting for the cross-group disruption budget');
      }
    }
    return this.apply(fresh, decide(fresh, observed, this.clock(), this.decideOptions), log);
  }

  /** Whether the store knows another NodeBounce for the same pod that may still run or block (see hasWorkLeft). */
  private queueContended(nb: NodeBounce): boolean {
    return this.deps.store
      .listForPod(nb.metadata.namespace, nb.spec.podName)
      .some((o) => o.metadata.uid !== nb.metadata.uid && hasWorkLeft(o));
  }

  /**
   * Decides on the caches; a decision that asks for its absences to be confirmed (Decision.confirmAbsence) is made
   * again on live reads (one or two GETs, only on that path).
   */
  private async decideConfirmed(nb: NodeBounce): Promise<Decision> {
    const decision = decide(nb, this.observe(nb), this.clock(), this.decideOptions);
    if (!decision.confirmAbsence) return decision;
    return decide(nb, await this.observeLive(nb), this.clock(), this.decideOptions);
  }

  /** observe() with the pod and its Express resource read live from the API server. */
  private async observeLive(nb: NodeBounce): Promise<Observed> {
    return this.observe(nb, (await this.readLive(nb, false)).lookups);
  }

  /**
   * Live reads for a decision that may touch things: the pod, its Express resource and (optionally) every
   * NodeBounce for the pod, in parallel (one round trip). The Express resource's name is guessed from the cached
   * pod so it can be read at the same time; only when the live pod maps elsewhere is it read again.
   */
  private async readLive(nb: NodeBounce, withQueue = true): Promise<{ nodeBounces: NodeBounce[]; lookups: Lookups }> {
    const ns = nb.metadata.namespace;
    const podName = nb.spec?.podName;
    const cfg = this.deps.config.express;
    const expressNameOf = (p: PodLike | undefined) => {
      const m = p ? expressNameForPod(p, cfg) : undefined;
      return m?.ok ? m.name : nb.status?.expressResourceName;
    };
    const guess = expressNameOf(podName ? this.deps.pods.get(ns, podName) : undefined);
    const client = this.deps.client;
    const [nodeBounces, pod, guessed] = await Promise.all([
      withQueue && podName ? readAgainOnce(() => client.listNodeBouncesForPod(ns, podName)) : Promise.resolve([]),
      podName ? readAgainOnce(() => client.getPod(ns, podName)) : Promise.resolve(undefined),
      guess ? readAgainOnce(() => client.getExpress(ns, guess)) : Promise.resolve(undefined),
    ]);
    const expressName = expressNameOf(pod);
    const express =
      expressName === guess
        ? guessed
        : expressName
          ? await readAgainOnce(() => client.getExpress(ns, expressName))
          : undefined;
    return {
      nodeBounces,
      lookups: {
        pod: (n, name) => (name === podName ? pod : this.deps.pods.get(n, name)),
        express: (n, name) => (name === expressName ? express : this.deps.express.get(n, name)),
      },
    };
  }

  /** Gathers everything decide() needs from the caches (or the given lookups). */
  observe(
    nb: NodeBounce,
    lookups: Lookups = {
      pod: (n, name) => this.deps.pods.get(n, name),
      express: (n, name) => this.deps.express.get(n, name),
    },
  ): Observed {
    const ns = nb.metadata.namespace;
    const cfg = this.deps.config.express;
    const pod = nb.spec?.podName ? lookups.pod(ns, nb.spec.podName) : undefined;
    const mapping = pod ? expressNameForPod(pod, cfg) : undefined;
    const expressName = mapping?.ok ? mapping.name : nb.status?.expressResourceName;
    let express: ExpressObservation | undefined;
    if (mapping && !mapping.ok && !expressName) {
      express = { kind: 'Unmapped', message: mapping.message };
    } else if (expressName) {
      const obj = lookups.express(ns, expressName);
      if (!obj) express = { kind: 'NotFound', name: expressName };
      else {
        const read = readExpress(obj, cfg, this.deps.config.argocd);
        express = read.ok
          ? { kind: 'Found', view: read.view }
          : { kind: 'Invalid', name: expressName, problems: read.problems };
      }
    }
    const expressPods = needsReplacementScan(nb.status, pod, expressName)
      ? this.deps.pods.list(ns).filter((p) => {
          const m = expressNameForPod(p, cfg);
          return m.ok && m.name === expressName;
        })
      : [];
    const others = (nb.spec?.podName ? this.deps.store.listForPod(ns, nb.spec.podName) : [])
      .filter((o) => o.spec?.podName === nb.spec?.podName && o.metadata.uid !== nb.metadata.uid)
      .map(queueEntryOf);
    return { pod, express, expressPods, others, expressKind: this.expressKind };
  }

  /** Persists the decided status, then runs the actions in order as src/bounce/sequence.ts says. */
  private async apply(nb: NodeBounce, d: Decision, log: Logger): Promise<HandlerResult> {
    let current = nb;
    if (!isDeepStrictEqual(current.status ?? {}, d.status)) current = await this.persistStatus(current, d.status, log);
    this.emit(current, d.events, log);

    let requeueAfterMs = initialRequeueAfterMs(d);
    for (const action of d.actions) {
      const { outcome, updated } = await executeAction(this.deps.client, this.deps.config.express, current, action);
      if (updated) current = this.recordWrite(current, updated);
      log.debug({ action: action.type, ok: outcome.ok, code: outcome.ok ? undefined : outcome.code }, 'action');
      const result = applyOutcome(current, action, outcome, this.clock(), this.decideOptions);
      const rules = ACTION_RULES[action.type];
      if (rules.recordsStatus && !isDeepStrictEqual(current.status ?? {}, result.status)) {
        current =
          rules.deferredOnSuccess && outcome.ok
            ? this.deps.store.recordLocal(current, result.status)
            : await this.persistStatus(current, result.status, log);
      }
      this.emit(current, result.events, log);
      const step = afterAction(action, outcome, result);
      if (step.next === 'retry') throw new Error(step.error);
      if (step.next === 'gone') return {};
      if (step.requeueAfterMs !== undefined) requeueAfterMs = step.requeueAfterMs;
      if (step.next === 'stop') break;
    }
    return { requeueAfterMs };
  }

  private async persistStatus(nb: NodeBounce, status: NodeBounceStatus, log: Logger): Promise<NodeBounce> {
    let updated: NodeBounce;
    try {
      updated = await this.deps.client.replaceNodeBounceStatus({ ...nb, status });
    } catch (err) {
      if (isApiCode(err, 409)) throw new Conflict();
      if (isApiCode(err, 404)) throw new Conflict(); // deleted meanwhile; the watch tells the rest
      throw err;
    }
    this.recordWrite(nb, updated);
    const before = nb.status;
    if (before?.phase !== status.phase || before?.reason !== status.reason) {
      log.info({ to: status.phase, reason: status.reason }, status.message ?? '');
      this.deps.hooks?.onTransition?.(before, updated);
    }
    return updated;
  }

  private emit(nb: NodeBounce, events: BounceEvent[], log: Logger): void {
    for (const event of events) {
      this.deps.hooks?.onEvent?.(nb, event);
      this.deps.client.recordEvent(nb, event).catch((err: unknown) => {
        log.warn({ err: String((err as Error)?.message ?? err), reason: event.reason }, 'could not record event');
      });
    }
  }
}
