import { isDeepStrictEqual } from 'node:util';
import type { RolloutHooks } from './hooks.js';
import type { Logger } from 'pino';
import type { NodeBounce } from '../api/nodebounce.js';
import {
  ROLLINGBOUNCE_FINALIZER,
  ROLLINGBOUNCE_KIND,
  type RollingBounce,
  type RollingBounceStatus,
} from '../api/rollingbounce.js';
import { isPodReady, type PodLike } from '../bounce/pod.js';
import type { OperatorConfig } from '../config/schema.js';
import { expressNameForPod, readExpress, type UnstructuredObject } from '../express/view.js';
import type { KubeClient } from '../kube/client.js';
import { isApiCode } from '../kube/errors.js';
import type { ObjectCache } from '../kube/runtime.js';
import {
  decideRollout,
  type MemberPod,
  type PrometheusResult,
  type RolloutAction,
  type RolloutObserved,
} from '../rollout/decide.js';
import { queryPrometheus } from '../rollout/prometheus.js';
import { validateRolloutSpec } from '../rollout/spec.js';
import type { HandlerResult } from './workqueue.js';

// The RollingBounce reconciler: observe (caches) -> decide (pure) -> persist status -> act. The member rows are
// written (with each new member's NodeBounce name) BEFORE that NodeBounce is created, so a crash in between
// re-creates the same name, and a NodeBounce seen once is never created again.

export type { RolloutHooks } from './hooks.js';

export interface RolloutReconcilerDeps {
  client: KubeClient;
  rollingBounces: ObjectCache<RollingBounce>;
  nodeBounces: ObjectCache<NodeBounce>;
  pods: ObjectCache<PodLike>;
  express: ObjectCache<UnstructuredObject>;
  config: OperatorConfig;
  log: Logger;
  hooks?: RolloutHooks;
  clock?: () => Date;
  prometheus?: (url: string, query: string, timeoutSeconds: number) => Promise<PrometheusResult>;
}

class Conflict extends Error {}

export function rollingBounceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The owning RollingBounce of a NodeBounce (controller ownerReference), if any. */
export function ownerRollingBounce(nb: Pick<NodeBounce, 'metadata'>): { name: string; uid?: string } | undefined {
  const refs = nb.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.kind === ROLLINGBOUNCE_KIND && r.controller === true && r.name);
  return ref ? { name: ref.name!, uid: ref.uid } : undefined;
}

/** A bounce's floor from the pod's probes: first startup-probe success plus one readiness period (seconds). */
export function estimateFromProbes(pod: PodLike): number {
  const c = pod.spec?.containers?.[0];
  const s = c?.startupProbe;
  const r = c?.readinessProbe;
  const startup = s ? (s.initialDelaySeconds ?? 0) + (s.periodSeconds ?? 10) : 0;
  const ready = r ? (r.initialDelaySeconds ?? 0) + (r.periodSeconds ?? 10) : 0;
  return Math.max(1, startup + ready);
}

export class RolloutReconciler {
  private readonly clock: () => Date;
  /** Our latest write per RollingBounce, until the watch catches up (like NodeBounceStore). */
  private readonly writes = new Map<string, { ours: Set<string>; latest: RollingBounce }>();

  constructor(private readonly deps: RolloutReconcilerDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  get(namespace: string, name: string): RollingBounce | undefined {
    const key = rollingBounceKey(namespace, name);
    const cached = this.deps.rollingBounces.get(namespace, name);
    const w = this.writes.get(key);
    if (!w) return cached;
    const rv = cached?.metadata.resourceVersion ?? '';
    if (
      !cached ||
      cached.metadata.uid !== w.latest.metadata.uid ||
      rv === w.latest.metadata.resourceVersion ||
      !w.ours.has(rv)
    ) {
      this.writes.delete(key);
      return cached;
    }
    return w.latest;
  }

  forget(namespace: string, name: string): void {
    this.writes.delete(rollingBounceKey(namespace, name));
  }

  private recordWrite(before: RollingBounce, after: RollingBounce): RollingBounce {
    const key = rollingBounceKey(after.metadata.namespace, after.metadata.name);
    const w = this.writes.get(key) ?? { ours: new Set<string>(), latest: after };
    if (before.metadata.resourceVersion) w.ours.add(before.metadata.resourceVersion);
    if (after.metadata.resourceVersion) w.ours.add(after.metadata.resourceVersion);
    w.latest = after;
    this.writes.set(key, w);
    return after;
  }

  async reconcile(key: string): Promise<HandlerResult> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const rb = this.get(namespace, name);
    if (!rb) return {};
    const log = this.deps.log.child({ namespace, rollingBounce: name, phase: rb.status?.phase ?? 'New' });
    try {
      let observed = this.observe(rb);
      let d = decideRollout(rb, observed, this.clock());
      if (d.needsLiveView) {
        // About to start members: decide again on live reads, so that a watch that went silent cannot pass the
        // gate on stale Ready states (each member's NodeBounce checks the budget again before it disrupts anything).
        observed = await this.observeLive(rb);
        d = decideRollout(rb, observed, this.clock());
      }
      if (d.needsPrometheus) {
        const v = validateRolloutSpec(rb.spec);
        const prom = v.ok ? v.spec.healthGate.prometheus : undefined;
        if (prom) {
          const query = this.deps.prometheus ?? queryPrometheus;
          observed.prometheus = await query(prom.url, prom.query, prom.timeoutSeconds);
          log.debug({ prometheus: observed.prometheus }, 'prometheus gate');
          d = decideRollout(rb, observed, this.clock());
        }
      }
      let current = rb;
      if (!isDeepStrictEqual(current.status ?? {}, d.status) && !rb.metadata.deletionTimestamp)
        current = await this.persistStatus(current, d.status, log);
      for (const action of d.actions) current = await this.execute(current, action, log);
      return { requeueAfterMs: d.requeueAfterMs };
    } catch (err) {
      if (err instanceof Conflict) {
        log.debug('rollingbounce conflict; will retry on the newer version');
        return { requeueAfterMs: 200 };
      }
      throw err;
    }
  }

  private async execute(rb: RollingBounce, action: RolloutAction, log: Logger): Promise<RollingBounce> {
    const client = this.deps.client;
    const ns = rb.metadata.namespace;
    switch (action.type) {
      case 'AddFinalizer':
      case 'RemoveFinalizer': {
        const others = (rb.metadata.finalizers ?? []).filter((f) => f !== ROLLINGBOUNCE_FINALIZER);
        const finalizers = action.type === 'AddFinalizer' ? [...others, ROLLINGBOUNCE_FINALIZER] : others;
        try {
          return this.recordWrite(rb, await client.setRollingBounceFinalizers(rb, finalizers));
        } catch (err) {
          if (isApiCode(err, 409) || isApiCode(err, 404)) throw new Conflict();
          throw err;
        }
      }
      case 'CreateNodeBounce': {
        const created = await client.createMemberNodeBounce(rb, action.name, action.pod, action.template);
        log.info(
          { nodeBounce: action.name, pod: action.pod, created },
          created ? 'member NodeBounce created' : 'member NodeBounce already exists',
        );
        if (created)
          this.event(
            rb,
            {
              type: 'Normal',
              reason: 'MemberStarted',
              message: `Created NodeBounce ${action.name} for pod ${action.pod}`,
            },
            log,
          );
        return rb;
      }
      case 'DeleteNodeBounce': {
        let uid = action.uid;
        if (!uid) {
          // Named by a status row but not in the cache yet: read it, and delete it only if this RollingBounce owns it.
          const live = await client.getNodeBounce(ns, action.name);
          const owner = live ? ownerRollingBounce(live) : undefined;
          if (!live || owner?.name !== rb.metadata.name || owner.uid !== rb.metadata.uid) {
            log.info({ nodeBounce: action.name, found: !!live }, 'RollingBounce deleted: member not there or not ours');
            return rb;
          }
          uid = live.metadata.uid;
        }
        const deleted = await client.deleteNodeBounceNamed(ns, action.name, uid);
        log.info({ nodeBounce: action.name, deleted }, 'RollingBounce deleted: deleting its NodeBounce');
        return rb;
      }
    }
  }

  private async persistStatus(rb: RollingBounce, status: RollingBounceStatus, log: Logger): Promise<RollingBounce> {
    let updated: RollingBounce;
    try {
      updated = await this.deps.client.replaceRollingBounceStatus({ ...rb, status });
    } catch (err) {
      if (isApiCode(err, 409) || isApiCode(err, 404)) throw new Conflict();
      throw err;
    }
    this.recordWrite(rb, updated);
    const before = rb.status;
    // A member that finished (its row became Succeeded/Failed) is an event on the RollingBounce too.
    for (const m of status.members ?? []) {
      const was = before?.members?.find((o) => o.nodeBounce !== undefined && o.nodeBounce === m.nodeBounce);
      if (was?.phase === 'InProgress' && (m.phase === 'Succeeded' || m.phase === 'Failed')) {
        this.event(
          updated,
          {
            type: m.phase === 'Failed' ? 'Warning' : 'Normal',
            reason: m.phase === 'Failed' ? 'MemberFailed' : 'MemberSucceeded',
            message: `${m.pod}: ${m.reason ?? m.phase}${m.message ? `: ${m.message}` : ''}`,
          },
          log,
        );
      }
    }
    if (before?.phase !== status.phase || before?.reason !== status.reason) {
      log.info({ to: status.phase, reason: status.reason, progress: status.progress }, status.message ?? '');
      if (before?.phase !== status.phase) {
        const warn = status.phase === 'Failed' || status.phase === 'WaitingForHealth';
        this.event(
          updated,
          {
            type: warn ? 'Warning' : 'Normal',
            reason: status.reason ?? status.phase ?? 'Unknown',
            message: `${status.phase}: ${status.message ?? ''}`,
          },
          log,
        );
      }
      try {
        this.deps.hooks?.onTransition?.(before, updated);
      } catch (err) {
        log.error({ err }, 'rollout hook threw');
      }
    }
    return updated;
  }

  private event(
    rb: RollingBounce,
    event: { type: 'Normal' | 'Warning'; reason: string; message: string },
    log: Logger,
  ): void {
    this.deps.client.recordEvent(rb, event, ROLLINGBOUNCE_KIND).catch((err: unknown) => {
      log.warn({ err: String((err as Error)?.message ?? err), reason: event.reason }, 'could not record event');
    });
  }

  /** Everything decideRollout() needs, read live from the API server in one round trip. */
  async observeLive(rb: RollingBounce): Promise<RolloutObserved> {
    const ns = rb.metadata.namespace;
    const client = this.deps.client;
    const [pods, express, nodeBounces] = await Promise.all([
      client.listPods(ns, this.deps.config.podLabelSelector),
      client.listExpress(ns),
      client.listNodeBounces(ns),
    ]);
    return {
      ...this.observeFrom(rb, express.items, pods.items, nodeBounces.items),
      live: true,
    };
  }

  /** Everything decideRollout() needs, from the caches. */
  observe(rb: RollingBounce): RolloutObserved {
    const ns = rb.metadata.namespace;
    return this.observeFrom(rb, this.deps.express.list(ns), this.deps.pods.list(ns), this.deps.nodeBounces.list(ns));
  }

  private observeFrom(
    rb: RollingBounce,
    expressObjects: readonly UnstructuredObject[],
    podObjects: readonly PodLike[],
    namespaceBounces: readonly NodeBounce[],
  ): RolloutObserved {
    const cfg = this.deps.config.express;
    const express = expressObjects.map((obj) => ({
      name: obj.metadata?.name ?? '',
      labels: obj.metadata?.labels ?? {},
      read: readExpress(obj, cfg, this.deps.config.argocd),
    }));
    const pods: MemberPod[] = podObjects.map((p) => {
      const m = expressNameForPod(p, cfg);
      return {
        name: p.metadata?.name ?? '',
        ...(m.ok ? { expressName: m.name } : {}),
        ready: isPodReady(p),
        terminating: !!p.metadata?.deletionTimestamp,
        estimatedSeconds: estimateFromProbes(p),
      };
    });
    const nodeBounces = namespaceBounces.filter((nb) => {
      const owner = ownerRollingBounce(nb);
      return owner?.name === rb.metadata.name && (!owner.uid || owner.uid === rb.metadata.uid);
    });
    return { express, pods, nodeBounces, namespaceBounces: [...namespaceBounces] };
  }
}
