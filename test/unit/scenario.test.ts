// Multi-step scenarios: decide() and applyOutcome() driven in a loop against a small, pure model of the cluster,
// with "crashes" injected between persisting the status and running/recording the actions.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  NODEBOUNCE_FINALIZER,
  Reasons as R,
  isTerminal,
  type NodeBounce,
  type NodeBounceSpec,
} from '../../src/api/nodebounce.js';
import { decide, queueEntryOf } from '../../src/bounce/decide.js';
import { applyOutcome } from '../../src/bounce/outcome.js';
import { ACTION_RULES } from '../../src/bounce/sequence.js';
import type { PodLike } from '../../src/bounce/pod.js';
import type { Action, ActionOutcome, BounceEvent } from '../../src/bounce/types.js';
import { EXPRESS, POD, at, cond, found, iso, makeNodeBounce, makeObserved, makePod } from './fixtures.js';

/** The cluster as far as one bounce is concerned. Pure data, advanced by explicit ticks. */
class World {
  pod: PodLike | undefined = makePod({ uid: 'uid-0' });
  uidCounter = 0;
  protection: boolean | undefined;
  /** Real disruptions: a running pod put into termination. */
  deletions = 0;
  evictCalls = 0;
  protectionPatches: boolean[] = [];
  pdbRefusals = 0;
  forbidPatch = false;
  failEvictions = 0;
  /** Ticks a terminating pod takes to go away. */
  shutdownTicks = 1;
  private gone: number | undefined;

  constructor(
    o: {
      protection?: boolean;
      pdbRefusals?: number;
      forbidPatch?: boolean;
      failEvictions?: number;
      shutdownTicks?: number;
    } = {},
  ) {
    this.shutdownTicks = o.shutdownTicks ?? 1;
    this.protection = o.protection;
    this.pdbRefusals = o.pdbRefusals ?? 0;
    this.forbidPatch = o.forbidPatch ?? false;
    this.failEvictions = o.failEvictions ?? 0;
  }

  run(action: Action): ActionOutcome {
    switch (action.type) {
      case 'EvictPod': {
        this.evictCalls++;
        if (!this.pod) return { ok: false, code: 404, message: 'pods "x" not found' };
        if (this.pod.metadata?.uid !== action.uid)
          return { ok: false, code: 409, message: 'Precondition failed: UID in precondition' };
        if (this.pod.metadata?.deletionTimestamp) return { ok: true }; // already terminating: no new disruption
        if (this.failEvictions > 0) {
          this.failEvictions--;
          return { ok: false, code: 500, message: 'etcd timeout' };
        }
        if (action.mode === 'Evict' && this.pdbRefusals > 0) {
          this.pdbRefusals--;
          return {
            ok: false,
            code: 429,
            message: "Cannot evict pod as it would violate the pod's disruption budget.",
            causes: [
              {
                reason: 'DisruptionBudget',
                message: 'The disruption budget node-a needs 1 healthy pods and has 1 currently',
              },
            ],
          };
        }
        this.deletions++;
        this.pod = makePod({ uid: this.pod.metadata.uid, deleting: true, ready: false });
        this.gone = 0;
        return { ok: true };
      }
      case 'SetShutdownProtection':
        if (this.forbidPatch)
          return { ok: false, code: 403, message: 'expressnodes.express.dev "node-a" is forbidden' };
        this.protection = action.enabled;
        this.protectionPatches.push(action.enabled);
        return { ok: true };
      case 'AddFinalizer':
      case 'RemoveFinalizer':
      case 'DeleteNodeBounce':
        return { ok: true };
    }
  }

  /** Time passes: a terminating pod goes away, its replacement appears, then becomes Ready. */
  tick(): void {
    if (this.gone === undefined) return;
    this.gone++;
    const k = this.shutdownTicks;
    if (this.gone === k) this.pod = undefined;
    if (this.gone === k + 1) this.pod = makePod({ uid: `uid-${++this.uidCounter}`, ready: false });
    if (this.gone === k + 2) {
      this.pod = makePod({ uid: this.pod!.metadata!.uid, ready: true });
      this.gone = undefined;
    }
  }

  observe(others: NodeBounce[] = []) {
    return makeObserved({
      pod: this.pod ?? null,
      express: found({ shutdownProtection: this.protection }),
      others: others.map(queueEntryOf),
    });
  }
}

/**
 * before-actions: after the status write, before any action ran. before-outcomes: after the actions, before their
 * outcomes were written. unwritten-lost: a restart before this reconcile, so whatever was kept in memory only (an
 * outcome ACTION_RULES defers) is gone and the reconcile starts from the last status written.
 */
type Crash = 'none' | 'before-actions' | 'before-outcomes' | 'unwritten-lost';

interface Loop {
  nb: NodeBounce;
  events: BounceEvent[];
  steps: number;
  phases: string[];
}

/** Reconcile until nothing is left to do. `crashAt` injects one crash at that reconcile. */
function drive(
  nbIn: NodeBounce,
  world: World,
  o: { crashAt?: number; crash?: Crash; startS?: number; stepS?: number; max?: number } = {},
): Loop {
  let nb = structuredClone(nbIn);
  const events: BounceEvent[] = [];
  const phases: string[] = [];
  let s = o.startS ?? 0;
  let written = nb.status;
  for (let i = 0; i < (o.max ?? 200); i++) {
    const now = at(s);
    const crash = i === o.crashAt ? (o.crash ?? 'none') : 'none';
    if (crash === 'unwritten-lost') nb = { ...nb, status: written };
    const d = decide(nb, world.observe(), now);
    if (!isDeepStrictEqual(nb.status ?? {}, d.status)) written = d.status;
    nb = { ...nb, status: d.status };
    phases.push(`${d.status.phase}/${d.status.reason}`);
    events.push(...d.events);
    if (crash !== 'before-actions') {
      const persisted = structuredClone(nb);
      for (const action of d.actions) {
        const outcome = world.run(action);
        if (outcome.ok && action.type === 'AddFinalizer')
          nb.metadata.finalizers = [...(nb.metadata.finalizers ?? []), NODEBOUNCE_FINALIZER];
        if (outcome.ok && action.type === 'RemoveFinalizer')
          nb.metadata.finalizers = (nb.metadata.finalizers ?? []).filter((f) => f !== NODEBOUNCE_FINALIZER);
        const r = applyOutcome(nb, action, outcome, now);
        nb = { ...nb, status: r.status };
        const rules = ACTION_RULES[action.type];
        if (rules.recordsStatus && !(rules.deferredOnSuccess && outcome.ok)) written = r.status;
        events.push(...r.events);
        if (r.retry) break;
      }
      // a crash after the side effects: the outcomes never reached status (metadata writes did)
      if (crash === 'before-outcomes') nb = { ...nb, status: (written = persisted.status) };
    }
    const idle = d.actions.length === 0 && d.requeueAfterMs === undefined;
    if (isTerminal(nb.status?.phase) && idle && !(nb.metadata.finalizers ?? []).includes(NODEBOUNCE_FINALIZER)) {
      return { nb, events, steps: i + 1, phases };
    }
    world.tick();
    s += o.stepS ?? 1;
  }
  throw new Error(`did not settle: ${phases.join(' -> ')}`);
}

describe('happy path', () => {
  it('Pending -> Terminating -> Starting -> Succeeded, PodRestarted, a new UID, protection disabled then restored', () => {
    const world = new World({ protection: true });
    const { nb, events } = drive(makeNodeBounce(), world);
    expect(nb.status).toMatchObject({
      phase: 'Succeeded',
      reason: R.PodRestarted,
      podUID: 'uid-0',
      replacementPodUID: 'uid-1',
      replacementPodName: POD,
      expressResourceName: EXPRESS,
    });
    expect(cond(nb.status, 'Succeeded')?.status).toBe('True');
    expect(cond(nb.status, 'PreflightPassed')?.status).toBe('True');
    expect(cond(nb.status, 'PodTerminated')?.status).toBe('True');
    expect(cond(nb.status, 'PodReady')?.status).toBe('True');
    expect(cond(nb.status, 'ShutdownProtectionDisabled')).toMatchObject({ status: 'False', reason: 'Restored' });
    expect(nb.status?.shutdownProtection).toEqual({ wasEnabled: true, disabledByOperator: true, restored: true });
    expect(world.protectionPatches).toEqual([false, true]);
    expect(world.protection).toBe(true);
    expect(world.deletions).toBe(1);
    expect(nb.metadata.finalizers).toEqual([]);
    // One Event per step a human needs (issue 11 keeps Events within the request budget): no Accepted, plain
    // PreflightPassed, Evicting intent or WaitingForReady; each of those is in status.
    expect(events.map((e) => e.reason)).toEqual([
      'ShutdownProtectionDisabled',
      'PodEvicted',
      'ShutdownProtectionRestored',
      R.PodRestarted,
    ]);
    expect(events.every((e) => e.type === 'Normal')).toBe(true);
    // timestamps in order
    const st = nb.status!;
    const order = [
      st.startTime,
      st.terminatingTime,
      st.podDeletedTime,
      st.terminatedTime,
      st.readyTime,
      st.completionTime,
    ].map((t) => Date.parse(t!));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('the shutdown-protection patch is forbidden: a Warning, and the bounce still succeeds', () => {
    const world = new World({ protection: true, forbidPatch: true });
    const { nb, events } = drive(makeNodeBounce(), world);
    expect(nb.status?.reason).toBe(R.PodRestarted);
    expect(world.deletions).toBe(1);
    expect(world.protection).toBe(true);
    const warnings = events.filter((e) => e.type === 'Warning');
    expect(warnings.map((e) => e.reason)).toEqual(['ShutdownProtectionNotDisabled']);
    expect(cond(nb.status, 'ShutdownProtectionDisabled')).toMatchObject({ status: 'False', reason: 'DisableFailed' });
    expect(nb.metadata.finalizers).toEqual([]);
  });

  it('a PDB refuses three times, then allows: BlockedByPDB in between, one disruption', () => {
    const world = new World({ pdbRefusals: 3 });
    const { nb, phases, events } = drive(makeNodeBounce(), world);
    expect(nb.status?.reason).toBe(R.PodRestarted);
    expect(phases).toContain(`Terminating/${R.BlockedByPDB}`);
    expect(events.filter((e) => e.reason === R.BlockedByPDB)).toHaveLength(1);
    expect(world.deletions).toBe(1);
    expect(world.evictCalls).toBe(4);
    expect(nb.status?.eviction?.attempts).toBe(4);
  });

  it('a PDB that never allows: TerminationTimeout with PDB advice; the pod is never deleted', () => {
    const world = new World({ pdbRefusals: Number.POSITIVE_INFINITY });
    const { nb } = drive(makeNodeBounce({ spec: { terminationTimeoutSeconds: 60 } }), world, { max: 500 });
    expect(nb.status).toMatchObject({ phase: 'Failed', reason: R.TerminationTimeout });
    expect(nb.status?.message).toContain('refused by a PodDisruptionBudget the whole time');
    expect(world.deletions).toBe(0);
    expect(world.pod?.metadata?.uid).toBe('uid-0');
    // backoff keeps the retries well below one per second
    expect(world.evictCalls).toBeLessThan(15);
  });

  it('mode Delete ignores the PDB model and succeeds', () => {
    const world = new World({ pdbRefusals: 100 });
    const { nb } = drive(makeNodeBounce({ spec: { mode: 'Delete' } }), world);
    expect(nb.status?.reason).toBe(R.PodRestarted);
    expect(world.deletions).toBe(1);
  });

  it('dry run: DryRunPassed and nothing touched', () => {
    const world = new World({ protection: true });
    const { nb } = drive(makeNodeBounce({ spec: { dryRun: true } }), world);
    expect(nb.status?.reason).toBe(R.DryRunPassed);
    expect(world.evictCalls).toBe(0);
    expect(world.protectionPatches).toEqual([]);
    expect(world.pod?.metadata?.uid).toBe('uid-0');
  });
});

describe('crash anywhere: the bounce continues from status and never repeats harm', () => {
  const variants: Array<[string, Partial<NodeBounceSpec>, ConstructorParameters<typeof World>[0]]> = [
    ['with shutdown protection', {}, { protection: true }],
    ['without shutdown protection', {}, {}],
    ['with PDB refusals', {}, { protection: true, pdbRefusals: 2 }],
    ['with transient eviction errors', { mode: 'Delete' }, { failEvictions: 2 }],
    ['with a slow shutdown (the pod terminating for several reconciles)', {}, { shutdownTicks: 4 }],
  ];
  for (const [title, spec, worldOpts] of variants) {
    for (const crash of ['before-actions', 'before-outcomes', 'unwritten-lost'] as const) {
      it(`${title}, crash ${crash} at every reconcile`, () => {
        const baselineWorld = new World(worldOpts);
        const baseline = drive(makeNodeBounce({ spec }), baselineWorld);
        for (let k = 0; k < baseline.steps; k++) {
          const world = new World(worldOpts);
          const { nb } = drive(makeNodeBounce({ spec }), world, { crashAt: k, crash });
          const where = `crash at reconcile ${k}`;
          expect(nb.status?.reason, where).toBe(R.PodRestarted);
          expect(world.deletions, where).toBe(1);
          expect(nb.status?.podUID, where).toBe('uid-0');
          expect(nb.status?.replacementPodUID, where).toBe('uid-1');
          expect(world.pod?.metadata?.uid, where).toBe('uid-1');
          if (worldOpts?.protection) expect(world.protection, where).toBe(true);
          expect(nb.metadata.finalizers ?? [], where).toEqual([]);
          // Losing what was kept in memory only (a successful eviction's outcome) never sends another eviction:
          // the pod's deletionTimestamp, which any read shows, says the same.
          if (crash === 'unwritten-lost') expect(world.evictCalls, where).toBe(baselineWorld.evictCalls);
        }
      });
    }
  }

  it('a long outage after the eviction: the decision at a much later now continues without re-evicting', () => {
    const world = new World();
    let nb = makeNodeBounce({ spec: { readyTimeoutSeconds: 900 } });
    // Accepted and evicted at t=0 (one pass)
    const d0 = decide(nb, world.observe(), at(0));
    nb = { ...nb, status: d0.status };
    for (const a of d0.actions) nb = { ...nb, status: applyOutcome(nb, a, world.run(a), at(0)).status };
    expect(nb.status?.podDeletedTime).toBe(iso(0));
    // the operator is down for a while; the pod terminates and the replacement starts meanwhile
    world.tick();
    world.tick();
    const d = decide(nb, world.observe(), at(500));
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({ phase: 'Starting', terminatedTime: iso(500) });
    expect(d.requeueAfterMs).toBe(900_000);
    world.tick();
    const d2 = decide({ ...nb, status: d.status }, world.observe(), at(501));
    expect(d2.status.reason).toBe(R.PodRestarted);
    expect(world.evictCalls).toBe(1);
  });
});

describe('deleted mid-flight', () => {
  it('protection restored, finalizer released, no further action', () => {
    const world = new World({ protection: true });
    let nb = makeNodeBounce();
    // run until Terminating (protection disabled, finalizer held, pod evicted)
    for (let s = 0; nb.status?.phase !== 'Terminating' || !nb.status.podDeletedTime; s++) {
      const d = decide(nb, world.observe(), at(s));
      nb = { ...nb, status: d.status };
      for (const a of d.actions) {
        const outcome = world.run(a);
        if (a.type === 'AddFinalizer') nb.metadata = { ...nb.metadata, finalizers: [NODEBOUNCE_FINALIZER] };
        nb = { ...nb, status: applyOutcome(nb, a, outcome, at(s)).status };
      }
      expect(s).toBeLessThan(10);
    }
    expect(world.protection).toBe(false);
    nb = { ...nb, metadata: { ...nb.metadata, deletionTimestamp: iso(20) } };
    const seen: string[] = [];
    for (let s = 21; s < 30; s++) {
      world.tick();
      const d = decide(nb, world.observe(), at(s));
      nb = { ...nb, status: d.status };
      expect(d.events).toEqual([]);
      for (const a of d.actions) {
        seen.push(a.type);
        const outcome = world.run(a);
        if (a.type === 'RemoveFinalizer') nb.metadata = { ...nb.metadata, finalizers: [] };
        nb = { ...nb, status: applyOutcome(nb, a, outcome, at(s)).status };
      }
    }
    expect(seen).toEqual(['SetShutdownProtection', 'RemoveFinalizer']);
    expect(world.protection).toBe(true);
    expect(world.evictCalls).toBe(1);
    expect(nb.status?.phase).toBe('Terminating'); // no further transitions
  });
});

describe('two NodeBounces for one pod', () => {
  it('run one after the other (FIFO), two distinct restarts, never both in flight', () => {
    const world = new World({ protection: true });
    let a = makeNodeBounce({ name: 'bounce-a', meta: { creationTimestamp: iso(-10), uid: 'a' } });
    let b = makeNodeBounce({ name: 'bounce-b', meta: { creationTimestamp: iso(-5), uid: 'b' } });
    const reasonsB: string[] = [];
    const step = (me: NodeBounce, other: NodeBounce, s: number): NodeBounce => {
      const d = decide(me, world.observe([other]), at(s));
      let nb: NodeBounce = { ...me, status: d.status };
      for (const action of d.actions) {
        const outcome = world.run(action);
        if (action.type === 'AddFinalizer') nb.metadata = { ...nb.metadata, finalizers: [NODEBOUNCE_FINALIZER] };
        if (action.type === 'RemoveFinalizer') nb.metadata = { ...nb.metadata, finalizers: [] };
        nb = { ...nb, status: applyOutcome(nb, action, outcome, at(s)).status };
      }
      return nb;
    };
    const inFlight = (nb: NodeBounce) =>
      queueEntryOf(nb).phase === 'Terminating' ||
      queueEntryOf(nb).phase === 'Starting' ||
      queueEntryOf(nb).holdsFinalizer;
    for (let s = 0; s < 60; s++) {
      // the later one reconciles first each round, to give it every chance to jump the queue
      b = step(b, a, s);
      reasonsB.push(b.status!.reason!);
      a = step(a, b, s);
      expect(inFlight(a) && inFlight(b), `at ${s}s`).toBe(false);
      world.tick();
      if (isTerminal(a.status?.phase) && isTerminal(b.status?.phase) && !inFlight(a) && !inFlight(b)) break;
    }
    expect(a.status?.reason).toBe(R.PodRestarted);
    expect(b.status?.reason).toBe(R.PodRestarted);
    expect(world.deletions).toBe(2);
    expect(a.status?.podUID).toBe('uid-0');
    expect(a.status?.replacementPodUID).toBe('uid-1');
    expect(b.status?.podUID).toBe('uid-1');
    expect(b.status?.replacementPodUID).toBe('uid-2');
    expect(reasonsB).toContain(R.WaitingForOtherBounce);
    expect(Date.parse(b.status!.terminatingTime!)).toBeGreaterThanOrEqual(Date.parse(a.status!.completionTime!));
    expect(world.protectionPatches).toEqual([false, true, false, true]);
  });
});
