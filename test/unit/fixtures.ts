// Plain-object builders for the pure bounce decision. No mocks: everything here is data.
import {
  NODEBOUNCE_API_VERSION,
  NODEBOUNCE_FINALIZER,
  NODEBOUNCE_KIND,
  Reasons as R,
  type NodeBounce,
  type NodeBounceSpec,
  type NodeBounceStatus,
  type ObjectMeta,
} from '../../src/api/nodebounce.js';
import { decide } from '../../src/bounce/decide.js';
import { applyOutcome } from '../../src/bounce/outcome.js';
import { acceptanceMarker } from '../../src/bounce/status-lost.js';
import type { Transition } from '../../src/bounce/lifecycle.js';
import type { PodLike, ProbeLike } from '../../src/bounce/pod.js';
import type { QueueEntry } from '../../src/bounce/queue.js';
import {
  defaultDecideOptions,
  type Action,
  type ActionOutcome,
  type BounceEvent,
  type Decision,
  type DecideOptions,
  type ExpressObservation,
  type Observed,
} from '../../src/bounce/types.js';
import type { ExpressView } from '../../src/express/view.js';

export const NS = 'express-prod';
export const POD = 'node-a-0';
export const OLD_UID = 'uid-old-1111';
export const NEW_UID = 'uid-new-2222';
export const EXPRESS = 'node-a';
export const EXPRESS_KIND = 'ExpressNode.express.dev';
export const T0 = new Date('2025-03-01T10:00:00.000Z');

/** T0 plus `s` seconds. */
export const at = (s: number): Date => new Date(T0.getTime() + s * 1000);
export const iso = (s: number): string => at(s).toISOString();

export function makeNodeBounce(
  opts: {
    name?: string;
    spec?: Partial<NodeBounceSpec> | Record<string, unknown>;
    status?: NodeBounceStatus;
    meta?: Partial<ObjectMeta>;
    finalizer?: boolean;
  } = {},
): NodeBounce {
  const meta: ObjectMeta = {
    name: opts.name ?? 'bounce-1',
    namespace: NS,
    uid: 'nb-uid-1',
    generation: 1,
    creationTimestamp: iso(-60),
    ...(opts.finalizer ? { finalizers: [NODEBOUNCE_FINALIZER] } : {}),
    ...opts.meta,
  };
  // Held as the reconciler holds it: the finalizer with the acceptance marker (src/bounce/status-lost.ts).
  if (opts.finalizer) meta.annotations = { ...acceptanceMarker({ metadata: meta } as NodeBounce), ...meta.annotations };
  return {
    apiVersion: NODEBOUNCE_API_VERSION,
    kind: NODEBOUNCE_KIND,
    metadata: meta,
    spec: { podName: POD, ...opts.spec },
    ...(opts.status ? { status: structuredClone(opts.status) } : {}),
  };
}

export interface PodOpts {
  name?: string;
  uid?: string;
  ready?: boolean;
  readyReason?: string;
  readyMessage?: string;
  phase?: string;
  deleting?: boolean;
  labels?: Record<string, string>;
  startupProbe?: ProbeLike;
  readinessProbe?: ProbeLike;
  containers?: NonNullable<PodLike['spec']>['containers'];
  containerStatuses?: NonNullable<PodLike['status']>['containerStatuses'];
  noReadyCondition?: boolean;
  creationTimestamp?: string;
}

export function makePod(o: PodOpts = {}): PodLike {
  const ready = o.ready ?? true;
  return {
    metadata: {
      name: o.name ?? POD,
      namespace: NS,
      uid: o.uid ?? OLD_UID,
      creationTimestamp: o.creationTimestamp ?? iso(-3600),
      ...(o.deleting ? { deletionTimestamp: iso(0) } : {}),
      labels: o.labels ?? { 'express.dev/node': EXPRESS },
    },
    spec: {
      containers: o.containers ?? [
        {
          name: 'express',
          ...(o.startupProbe ? { startupProbe: o.startupProbe } : {}),
          ...(o.readinessProbe ? { readinessProbe: o.readinessProbe } : {}),
        },
      ],
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.noReadyCondition
        ? []
        : [
            {
              type: 'Ready',
              status: ready ? 'True' : 'False',
              ...(o.readyReason ? { reason: o.readyReason } : {}),
              ...(o.readyMessage ? { message: o.readyMessage } : {}),
            },
          ],
      ...(o.containerStatuses ? { containerStatuses: o.containerStatuses } : {}),
    },
  };
}

export function makeView(o: Partial<ExpressView> = {}): ExpressView {
  return {
    name: EXPRESS,
    desiredState: 'up',
    intentionallyDown: false,
    runtimeState: 'running',
    rebuilding: false,
    catchingUp: false,
    shutdownProtection: undefined,
    gitOpsManaged: false,
    ...o,
  };
}

export const found = (o: Partial<ExpressView> = {}): ExpressObservation => ({ kind: 'Found', view: makeView(o) });

export type ObservedOpts = Omit<Partial<Observed>, 'pod'> & { pod?: PodLike | null };

export function makeObserved(o: ObservedOpts = {}): Observed {
  const pod = o.pod === null ? undefined : (o.pod ?? makePod());
  return {
    pod,
    express: 'express' in o ? o.express : found(),
    expressPods: o.expressPods ?? [],
    others: o.others ?? [],
    expressKind: o.expressKind ?? EXPRESS_KIND,
    ...(o.disruptionBudget ? { disruptionBudget: o.disruptionBudget } : {}),
  };
}

export function entry(o: Partial<QueueEntry> & { name: string }): QueueEntry {
  return { dryRun: false, holdsFinalizer: false, phase: 'Pending', creationTimestamp: iso(0), ...o };
}

/**
 * A Pending status with reason Accepted: what operators before the fast path wrote on a first pass of its own (and
 * so what an upgrade finds), and the reason a new request carries within its first pass.
 */
export function acceptedStatus(startS = 0): NodeBounceStatus {
  return {
    observedGeneration: 1,
    startTime: iso(startS),
    phase: 'Pending',
    reason: R.Accepted,
    message: `Bounce of pod ${NS}/${POD} accepted; running preflight checks.`,
    conditions: [
      {
        type: 'Succeeded',
        status: 'Unknown',
        reason: R.Accepted,
        message: 'The bounce has not finished yet.',
        lastTransitionTime: iso(startS),
        observedGeneration: 1,
      },
    ],
  };
}

// ---- a tiny, pure driver of the controller loop, for multi-step scenarios ----

export type Runner = (action: Action, nb: NodeBounce) => ActionOutcome;
export const allOk: Runner = () => ({ ok: true });

export interface StepResult {
  nb: NodeBounce;
  decision: Decision;
  /** Every event: the decision's, then each outcome's. */
  events: BounceEvent[];
  actions: Action[];
  outcomeRequeues: Array<number | undefined>;
  retries: boolean[];
  /** Every phase/reason change: the decision's, then each outcome's. */
  transitions: Transition[];
}

/**
 * One reconcile as the controller does it: decide, persist status, run the actions in order (stopping at the
 * first failure of a finalizer/delete action), fold each outcome into status.
 */
export function step(
  nbIn: NodeBounce,
  obs: Observed,
  now: Date,
  run: Runner = allOk,
  options: DecideOptions = defaultDecideOptions,
): StepResult {
  const nb = structuredClone(nbIn);
  const decision = decide(nb, obs, now, options);
  nb.status = decision.status;
  const events = [...decision.events];
  const transitions = [...decision.transitions];
  const outcomeRequeues: Array<number | undefined> = [];
  const retries: boolean[] = [];
  for (const action of decision.actions) {
    const outcome = run(action, nb);
    if (outcome.ok && action.type === 'AddFinalizer') {
      nb.metadata.finalizers = [...(nb.metadata.finalizers ?? []), NODEBOUNCE_FINALIZER];
      nb.metadata.annotations = { ...nb.metadata.annotations, ...acceptanceMarker(nb) };
    }
    if (outcome.ok && action.type === 'RemoveFinalizer') {
      nb.metadata.finalizers = (nb.metadata.finalizers ?? []).filter((f) => f !== NODEBOUNCE_FINALIZER);
    }
    const r = applyOutcome(nb, action, outcome, now, options);
    nb.status = r.status;
    events.push(...r.events);
    transitions.push(...r.transitions);
    outcomeRequeues.push(r.requeueAfterMs);
    retries.push(r.retry);
    if (r.retry) break;
  }
  return { nb, decision, events, actions: decision.actions, outcomeRequeues, retries, transitions };
}

export const reasonsOf = (events: BounceEvent[]): string[] => events.map((e) => e.reason);
export const actionTypes = (actions: Action[]): string[] => actions.map((a) => a.type);
export const cond = (status: NodeBounceStatus | undefined, type: string) =>
  status?.conditions?.find((c) => c.type === type);
