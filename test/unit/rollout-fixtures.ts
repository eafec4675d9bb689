// Fixtures for the RollingBounce decision: a tiny world of Express resources, pods and owned NodeBounces that
// applies decideRollout()'s actions the way the reconciler and the NodeBounce controller would.
import type { NodeBounce } from '../../src/api/nodebounce.js';
import { ROLLINGBOUNCE_FINALIZER, type RollingBounce, type RollingBounceSpec } from '../../src/api/rollingbounce.js';
import {
  decideRollout,
  type ExpressMember,
  type MemberPod,
  type PrometheusResult,
  type RolloutDecision,
  type RolloutObserved,
} from '../../src/rollout/decide.js';

export const T0 = Date.parse('2026-03-02T10:00:00Z'); // a Monday
export const at = (s: number) => new Date(T0 + s * 1000);

export function makeRb(spec: Partial<RollingBounceSpec> = {}, name = 'rb'): RollingBounce {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: 'rb-uid',
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: new Date(T0).toISOString(),
    },
    spec: { members: { selector: { matchLabels: { cluster: 'c1' } } }, healthGate: { stableSeconds: 0 }, ...spec },
  };
}

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  state?: string;
  desired?: string;
  ready?: boolean;
  noPod?: boolean;
}

export class World {
  express = new Map<string, ExpressMember>();
  pods = new Map<string, MemberPod>();
  nbs = new Map<string, NodeBounce>();
  /** NodeBounces of the namespace the rollout does not own (a user's, another RollingBounce's). */
  foreign = new Map<string, NodeBounce>();
  /** Whether observed() says it read live (see RolloutObserved.live); by default yes, as the reconciler's second pass. */
  live = true;
  prometheus?: PrometheusResult;
  /** NodeBounce names ever created (a second create of the same name would be a 409 and is counted). */
  creates: string[] = [];
  uidSeq = 0;

  constructor(nodes: NodeSpec[]) {
    for (const n of nodes) this.setNode(n);
  }

  setNode(n: NodeSpec): void {
    const desired = n.desired ?? 'up';
    const down = ['down', 'stopped'].includes(desired);
    this.express.set(n.name, {
      name: n.name,
      labels: { cluster: 'c1', ...n.labels },
      read: {
        ok: true,
        view: {
          name: n.name,
          desiredState: desired,
          intentionallyDown: down,
          runtimeState: n.state ?? 'running',
          rebuilding: n.state === 'rebuilding',
          catchingUp: false,
          gitOpsManaged: false,
        },
      },
    });
    if (n.noPod || down) this.pods.delete(n.name);
    else
      this.pods.set(n.name, {
        name: n.name,
        expressName: n.name,
        ready: n.ready ?? true,
        terminating: false,
        estimatedSeconds: 20,
      });
  }

  setState(name: string, state: string): void {
    const e = this.express.get(name)!;
    if (e.read.ok) e.read.view = { ...e.read.view, runtimeState: state, rebuilding: state === 'rebuilding' };
  }

  observed(): RolloutObserved {
    return {
      express: [...this.express.values()],
      pods: [...this.pods.values()],
      nodeBounces: [...this.nbs.values()],
      namespaceBounces: [...this.nbs.values(), ...this.foreign.values()],
      prometheus: this.prometheus,
      ...(this.live ? { live: true } : {}),
    };
  }

  /** Applies a decision like the reconciler: status first, then the actions. */
  apply(rb: RollingBounce, d: RolloutDecision): RollingBounce {
    let next: RollingBounce = { ...rb, status: d.status };
    for (const a of d.actions) {
      if (a.type === 'AddFinalizer')
        next = { ...next, metadata: { ...next.metadata, finalizers: [ROLLINGBOUNCE_FINALIZER] } };
      else if (a.type === 'RemoveFinalizer') next = { ...next, metadata: { ...next.metadata, finalizers: [] } };
      else if (a.type === 'CreateNodeBounce') {
        this.creates.push(a.name);
        if (!this.nbs.has(a.name)) {
          this.nbs.set(a.name, {
            metadata: { name: a.name, namespace: 'ns', uid: `nb-${++this.uidSeq}` },
            spec: { podName: a.pod, ...a.template },
          });
        }
      } else if (a.type === 'DeleteNodeBounce') this.nbs.delete(a.name);
    }
    return next;
  }

  /** Moves a member's NodeBounce along (what the NodeBounce controller does). */
  finishNb(
    pod: string,
    phase: 'Succeeded' | 'Failed',
    reason = phase === 'Succeeded' ? 'PodRestarted' : 'ReadyTimeout',
    t = 0,
  ): void {
    for (const nb of this.nbs.values()) {
      if (nb.spec.podName === pod)
        nb.status = { phase, reason, message: `${reason}!`, completionTime: at(t).toISOString() };
    }
  }

  setPodReady(name: string, ready: boolean): void {
    const p = this.pods.get(name);
    if (p) this.pods.set(name, { ...p, ready });
  }

  /** Makes an Express resource invalid (a field of the wrong type), as readExpress() reports it. */
  setInvalid(name: string, problem = 'spec.shutdownProtection must be a boolean, found "yes"'): void {
    const e = this.express.get(name)!;
    this.express.set(name, { ...e, read: { ok: false, problems: [problem] } });
  }

  /** Deletes an Express resource and its pod (scaled away). */
  removeNode(name: string): void {
    this.express.delete(name);
    this.pods.delete(name);
  }

  /** A NodeBounce the rollout does not own: a user's (no owner) or another RollingBounce's. */
  addForeign(name: string, pod: string, owner?: string, status?: NodeBounce['status']): void {
    this.foreign.set(name, {
      metadata: {
        name,
        namespace: 'ns',
        uid: `foreign-${name}`,
        ...(owner
          ? {
              ownerReferences: [
                {
                  apiVersion: 'bounce.express.dev/v1alpha1',
                  kind: 'RollingBounce',
                  name: owner,
                  uid: `${owner}-uid`,
                  controller: true,
                },
              ],
            }
          : {}),
      },
      spec: { podName: pod },
      ...(status ? { status } : {}),
    });
  }

  inFlightNbs(): NodeBounce[] {
    return [...this.nbs.values()].filter((nb) => nb.status?.phase !== 'Succeeded' && nb.status?.phase !== 'Failed');
  }
}

export function reconcile(world: World, rb: RollingBounce, t: number): { rb: RollingBounce; d: RolloutDecision } {
  const d = decideRollout(rb, world.observed(), at(t));
  return { rb: world.apply(rb, d), d };
}

/** Reconciles until nothing changes (or `max` rounds). */
export function settle(
  world: World,
  rb: RollingBounce,
  t: number,
  max = 20,
): { rb: RollingBounce; d: RolloutDecision } {
  let r = reconcile(world, rb, t);
  for (let i = 0; i < max; i++) {
    const again = reconcile(world, r.rb, t);
    if (JSON.stringify(again.rb.status) === JSON.stringify(r.rb.status) && again.d.actions.length === 0) return again;
    r = again;
  }
  return r;
}
