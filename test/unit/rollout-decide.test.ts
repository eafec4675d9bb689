import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRollout, matchesSelector, memberNodeBounceName } from '../../src/rollout/decide.js';
import { isRolloutTransitionDeclared, ROLLOUT_REASONS, type RolloutReason } from '../../src/rollout/lifecycle.js';
import { validateRolloutSpec } from '../../src/rollout/spec.js';
import { windowState } from '../../src/rollout/window.js';
import { at, makeRb, reconcile, settle, World, type NodeSpec } from './rollout-fixtures.js';

const nodes = (n: number, extra: (i: number) => Partial<NodeSpec> = () => ({})): NodeSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${String.fromCharCode(97 + i)}`, ...extra(i) }));

/** Runs a rollout to the end, finishing each in-flight NodeBounce as it appears; returns the start order. */
function runToEnd(world: World, rb = makeRb(), opts: { fail?: Set<string>; maxRounds?: number } = {}) {
  const started: string[][] = [];
  let t = 0;
  let r = settle(world, rb, t);
  for (let round = 0; round < (opts.maxRounds ?? 100); round++) {
    if (r.rb.status?.phase === 'Succeeded' || r.rb.status?.phase === 'Failed') {
      if (!(r.rb.status.members ?? []).some((m) => m.phase === 'InProgress')) break;
    }
    const inFlight = world.inFlightNbs();
    if (inFlight.length) started.push(inFlight.map((nb) => nb.spec.podName).sort());
    for (const nb of inFlight)
      world.finishNb(nb.spec.podName, opts.fail?.has(nb.spec.podName) ? 'Failed' : 'Succeeded', undefined, t);
    t += 1;
    r = settle(world, r.rb, t);
  }
  return { rb: r.rb, started };
}

describe('decideRollout: membership and order', () => {
  it('snapshots members by name, with the `last` ones at the end, and adds its finalizer', () => {
    const world = new World([{ name: 'node-c' }, { name: 'node-a', labels: { role: 'leader' } }, { name: 'node-b' }]);
    const { rb, d } = reconcile(world, makeRb({ last: { matchLabels: { role: 'leader' } } }), 0);
    expect(d.actions).toEqual([{ type: 'AddFinalizer' }]);
    expect(rb.status).toMatchObject({ phase: 'Pending', reason: 'Accepted', progress: '0/3', observedGeneration: 1 });
    expect(rb.status?.members?.map((m) => m.pod)).toEqual(['node-b', 'node-c', 'node-a']);
    expect(rb.status?.members?.[2]?.last).toBe(true);
  });

  it.each([
    ['byName', ['node-a', 'node-b', 'node-c', 'node-d']],
    ['reverse', ['node-d', 'node-c', 'node-b', 'node-a']],
  ] as const)('bounces one at a time in %s order', (order, expected) => {
    const { rb, started } = runToEnd(new World(nodes(4)), makeRb({ order }));
    expect(started).toEqual(expected.map((p) => [p]));
    expect(rb.status).toMatchObject({ phase: 'Succeeded', reason: 'AllMembersBounced', progress: '4/4' });
    expect(rb.status?.counts).toEqual({ total: 4, pending: 0, inProgress: 0, succeeded: 4, failed: 0, skipped: 0 });
    expect(rb.metadata.finalizers).toEqual([]);
  });

  it('starts a `last` member only after every other member finished, even with room', () => {
    const world = new World(nodes(4, (i) => (i === 0 ? { labels: { role: 'leader' } } : {})));
    const { started } = runToEnd(world, makeRb({ maxUnavailable: 2, last: { matchLabels: { role: 'leader' } } }));
    expect(started).toEqual([['node-b', 'node-c'], ['node-d'], ['node-a']]);
  });

  it('explicit pod names; a missing one fails the rollout before anything starts', () => {
    const world = new World(nodes(2));
    const ok = reconcile(world, makeRb({ members: { podNames: ['node-b', 'node-a'] } }), 0);
    expect(ok.rb.status?.members?.map((m) => m.pod)).toEqual(['node-a', 'node-b']);
    const bad = reconcile(world, makeRb({ members: { podNames: ['node-a', 'ghost'] } }), 0);
    expect(bad.rb.status).toMatchObject({ phase: 'Failed', reason: 'MembersNotFound' });
    expect(bad.rb.status?.message).toContain('ghost');
    expect(bad.d.actions).toEqual([]);
  });

  it('a selector matching nothing fails with NoMembers', () => {
    const { rb } = reconcile(
      new World(nodes(2)),
      makeRb({ members: { selector: { matchLabels: { cluster: 'other' } } } }),
      0,
    );
    expect(rb.status).toMatchObject({ phase: 'Failed', reason: 'NoMembers' });
  });

  it('intentionally down members are reported and skipped, never bounced', () => {
    const world = new World(nodes(3, (i) => (i === 1 ? { desired: 'down' } : {})));
    const { rb, started } = runToEnd(world);
    expect(started.flat()).toEqual(['node-a', 'node-c']);
    expect(rb.status?.members?.find((m) => m.expressResource === 'node-b')).toMatchObject({
      phase: 'Skipped',
      reason: 'IntentionallyDown',
    });
    expect(rb.status).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
  });

  it('a member whose NodeBounce finds it intentionally down is skipped, not failed', () => {
    const world = new World(nodes(2));
    let r = settle(world, makeRb(), 0);
    world.finishNb('node-a', 'Failed', 'IntentionallyDown');
    r = settle(world, r.rb, 1);
    expect(r.rb.status?.members?.[0]).toMatchObject({ pod: 'node-a', phase: 'Skipped', reason: 'IntentionallyDown' });
    expect(r.rb.status?.phase).toBe('Progressing');
    expect(world.inFlightNbs().map((nb) => nb.spec.podName)).toEqual(['node-b']);
  });

  it('a member that goes down after the snapshot is skipped when its turn comes', () => {
    const world = new World(nodes(2));
    let r = settle(world, makeRb(), 0);
    world.setNode({ name: 'node-b', desired: 'stopped' });
    world.finishNb('node-a', 'Succeeded');
    r = settle(world, r.rb, 1);
    expect(r.rb.status?.members?.[1]).toMatchObject({ pod: 'node-b', phase: 'Skipped', reason: 'IntentionallyDown' });
    expect(world.creates).toHaveLength(1);
  });
});

describe('decideRollout: gates', () => {
  it('holds the next member while another member is rebuilding, then goes on', () => {
    const world = new World(nodes(3));
    let r = settle(world, makeRb(), 0);
    world.finishNb('node-a', 'Succeeded');
    world.setState('node-c', 'rebuilding');
    r = settle(world, r.rb, 1);
    expect(r.rb.status).toMatchObject({ phase: 'WaitingForHealth', reason: 'MembersUnhealthy' });
    expect(r.rb.status?.message).toContain('node-c');
    expect(world.inFlightNbs()).toEqual([]);
    world.setState('node-c', 'running');
    settle(world, r.rb, 2);
    expect(world.inFlightNbs().map((nb) => nb.spec.podName)).toEqual(['node-b']);
  });

  it('requires the gate to hold for stableSeconds, and says until when', () => {
    const world = new World(nodes(2));
    let r = settle(world, makeRb({ healthGate: { stableSeconds: 10 } }), 0);
    expect(r.rb.status).toMatchObject({
      phase: 'WaitingForHealth',
      reason: 'HealthStabilizing',
      waitingUntil: at(10).toISOString(),
    });
    expect(r.d.requeueAfterMs).toBe(10_000);
    r = settle(world, r.rb, 10);
    expect(world.inFlightNbs()).toHaveLength(1);
    world.finishNb('node-a', 'Succeeded');
    r = settle(world, r.rb, 11);
    expect(r.rb.status?.reason).toBe('HealthStabilizing'); // a fresh stable period for each member
    r = settle(world, r.rb, 21);
    world.finishNb('node-b', 'Succeeded');
    r = settle(world, r.rb, 22);
    expect(r.rb.status?.reason).toBe('HealthStabilizing'); // and after the last
    r = settle(world, r.rb, 32);
    expect(r.rb.status).toMatchObject({ phase: 'Succeeded', reason: 'AllMembersBounced' });
  });

  it('Prometheus gate: series hold it (AlertsFiring), errors hold it (PrometheusUnavailable), none let it go', () => {
    const world = new World(nodes(2));
    const rb = makeRb({ healthGate: { stableSeconds: 0, prometheus: { url: 'http://prom:9090', query: 'ALERTS' } } });
    world.prometheus = { ok: true, series: 2, sample: 'ALERTS{alertname="X"}' };
    let r = settle(world, rb, 0);
    expect(r.rb.status).toMatchObject({ phase: 'WaitingForHealth', reason: 'AlertsFiring' });
    expect(r.d.requeueAfterMs).toBe(15_000);
    world.prometheus = { ok: false, error: 'timeout after 5s' };
    r = settle(world, r.rb, 1);
    expect(r.rb.status).toMatchObject({ reason: 'PrometheusUnavailable' });
    expect(r.rb.status?.message).toContain('timeout');
    world.prometheus = undefined;
    expect(decideRollout(r.rb, world.observed(), at(2)).needsPrometheus).toBe(true);
    world.prometheus = { ok: true, series: 0 };
    settle(world, r.rb, 2);
    expect(world.inFlightNbs()).toHaveLength(1);
  });

  it('waits for a maintenance window and says when it opens', () => {
    const world = new World(nodes(1));
    // T0 is Monday 10:00 UTC; the window opens at 11:30 Paris time (10:30 UTC in March).
    const rb = makeRb({
      maintenanceWindows: [{ days: ['Mon'], start: '11:30', end: '12:00', timeZone: 'Europe/Paris' }],
    });
    const r = settle(world, rb, 0);
    expect(r.rb.status).toMatchObject({
      phase: 'WaitingForWindow',
      reason: 'OutsideMaintenanceWindow',
      waitingUntil: '2026-03-02T10:30:00.000Z',
    });
    expect(r.d.requeueAfterMs).toBe(30 * 60_000);
    settle(world, r.rb, 30 * 60);
    expect(world.inFlightNbs()).toHaveLength(1);
  });

  it('settleSeconds after each member', () => {
    const world = new World(nodes(2));
    let r = settle(world, makeRb({ settleSeconds: 5 }), 0);
    world.finishNb('node-a', 'Succeeded', undefined, 1);
    r = settle(world, r.rb, 1);
    expect(r.rb.status).toMatchObject({ phase: 'Progressing', reason: 'Settling', waitingUntil: at(6).toISOString() });
    settle(world, r.rb, 6);
    expect(world.inFlightNbs().map((n) => n.spec.podName)).toEqual(['node-b']);
  });

  it('pause stops new members, the in-flight one finishes; resume goes on', () => {
    const world = new World(nodes(3));
    let r = settle(world, makeRb(), 0);
    r.rb = { ...r.rb, spec: { ...r.rb.spec, paused: true } };
    r = settle(world, r.rb, 1);
    expect(r.rb.status).toMatchObject({ phase: 'Paused', reason: 'Paused' });
    expect(r.rb.status?.conditions?.find((c) => c.type === 'Paused')?.status).toBe('True');
    world.finishNb('node-a', 'Succeeded');
    r = settle(world, r.rb, 2);
    expect(r.rb.status).toMatchObject({ phase: 'Paused', progress: '1/3' });
    expect(world.inFlightNbs()).toEqual([]);
    r.rb = { ...r.rb, spec: { ...r.rb.spec, paused: false } };
    r = settle(world, r.rb, 3);
    expect(world.inFlightNbs().map((n) => n.spec.podName)).toEqual(['node-b']);
    expect(r.rb.status?.phase).toBe('Progressing');
  });
});

describe('decideRollout: failures, dry run, deletion, crash safety', () => {
  it('stops at the first failed member with its reason', () => {
    const world = new World(nodes(3));
    const { rb, started } = runToEnd(world, makeRb(), { fail: new Set(['node-b']) });
    expect(started.flat()).toEqual(['node-a', 'node-b']);
    expect(rb.status).toMatchObject({ phase: 'Failed', reason: 'MemberFailed' });
    expect(rb.status?.message).toContain('node-b failed (ReadyTimeout');
    expect(rb.status?.members?.[2]).toMatchObject({ pod: 'node-c', phase: 'Pending' });
    expect(rb.status?.completionTime).toBeTruthy();
    expect(rb.metadata.finalizers).toEqual([]);
  });

  it('continues within maxFailures, then reports CompletedWithFailures', () => {
    const { rb, started } = runToEnd(new World(nodes(3)), makeRb({ maxFailures: 1 }), { fail: new Set(['node-b']) });
    expect(started.flat()).toEqual(['node-a', 'node-b', 'node-c']);
    expect(rb.status).toMatchObject({ phase: 'Succeeded', reason: 'CompletedWithFailures' });
  });

  it('dry run: a plan with order, batches and verdicts; nothing created; a real run then does the same', () => {
    const world = new World(
      nodes(5, (i) => (i === 0 ? { labels: { role: 'leader' } } : i === 3 ? { desired: 'down' } : {})),
    );
    const spec = { maxUnavailable: 2, last: { matchLabels: { role: 'leader' } } };
    const dry = settle(world, makeRb({ ...spec, dryRun: true }), 0);
    expect(world.creates).toEqual([]);
    expect(dry.d.actions).toEqual([]);
    expect(dry.rb.status).toMatchObject({ phase: 'Succeeded', reason: 'DryRunPlanned' });
    const plan = dry.rb.status!.plan!;
    expect(plan.batches).toEqual([['node-b', 'node-c'], ['node-e'], ['node-a']]);
    expect(plan.members.find((m) => m.expressResource === 'node-d')).toMatchObject({
      verdict: 'WouldSkip',
      reason: 'IntentionallyDown',
    });
    expect(plan.members.find((m) => m.pod === 'node-b')).toMatchObject({
      verdict: 'WouldBounce',
      batch: 1,
      estimatedSeconds: 20,
    });
    expect(plan.estimatedSeconds).toBe(60);
    const real = runToEnd(world, makeRb(spec, 'real'));
    expect(real.started).toEqual(plan.batches);
  });

  it('every first decision is a declared transition from New', () => {
    for (const spec of [
      {},
      { dryRun: true },
      { members: { podNames: ['ghost'] } },
      { members: { selector: { matchLabels: { x: 'y' } } } },
      { maintenanceWindows: [{ start: '01:00', end: '01:00' }] },
    ]) {
      const d = decideRollout(makeRb(spec), new World(nodes(2)).observed(), at(0));
      expect(
        isRolloutTransitionDeclared('New', d.status.phase!, d.status.reason!),
        `${d.status.phase}/${d.status.reason}`,
      ).toBe(true);
    }
  });

  it('the dry-run plan says which member would fail or wait', () => {
    const world = new World(nodes(2, (i) => (i === 1 ? { state: 'rebuilding' } : {})));
    const dry = settle(world, makeRb({ dryRun: true }), 0);
    expect(dry.rb.status?.plan?.members[1]).toMatchObject({
      pod: 'node-b',
      verdict: 'WouldWait',
      reason: 'NodeRebuilding',
    });
  });

  it('deleting the RollingBounce deletes its NodeBounces, then drops the finalizer', () => {
    const world = new World(nodes(2));
    const r = settle(world, makeRb({ maxUnavailable: 2 }), 0);
    expect(world.inFlightNbs()).toHaveLength(2);
    const deleting = { ...r.rb, metadata: { ...r.rb.metadata, deletionTimestamp: at(1).toISOString() } };
    const d = decideRollout(deleting, world.observed(), at(1));
    expect(d.actions.map((a) => a.type)).toEqual(['DeleteNodeBounce', 'DeleteNodeBounce', 'RemoveFinalizer']);
    world.apply(deleting, d);
    expect(world.nbs.size).toBe(0);
  });

  it('deleting while the NodeBounce watch lags: members are deleted by the names their rows record (issue 17)', () => {
    const world = new World(nodes(2));
    const r = settle(world, makeRb({ maxUnavailable: 2 }), 0);
    const names = r.rb.status!.members!.map((m) => m.nodeBounce!).sort();
    expect(names).toHaveLength(2);
    const deleting = { ...r.rb, metadata: { ...r.rb.metadata, deletionTimestamp: at(1).toISOString() } };
    // The cache has not shown the members yet: they are deleted by name anyway (without a UID the reconciler reads
    // each one and deletes it only if this RollingBounce owns it).
    const lagging = decideRollout(deleting, { ...world.observed(), nodeBounces: [] }, at(1));
    expect(lagging.actions).toEqual([
      ...names.map((name) => ({ type: 'DeleteNodeBounce', name })),
      { type: 'RemoveFinalizer' },
    ]);
    // One of them is cached: that one carries its UID; one already being deleted is left alone.
    const [first, second] = [...world.nbs.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const partly = decideRollout(
      deleting,
      {
        ...world.observed(),
        nodeBounces: [
          first!,
          { ...second!, metadata: { ...second!.metadata, deletionTimestamp: at(1).toISOString() } },
        ],
      },
      at(1),
    );
    expect(partly.actions).toEqual([
      { type: 'DeleteNodeBounce', name: first!.metadata.name, uid: first!.metadata.uid },
      { type: 'RemoveFinalizer' },
    ]);
  });

  it('a NodeBounce recorded but not seen is created again (same name); one seen then gone is never re-created', () => {
    const world = new World(nodes(2));
    const accepted = reconcile(world, makeRb(), 0);
    const first = reconcile(world, accepted.rb, 0);
    const name = first.rb.status!.members![0]!.nodeBounce!;
    expect(first.rb.status?.members?.[0]?.nodeBounceUID).toBeUndefined();
    expect(world.creates).toEqual([name]);
    // Crash between the status write and the create: the NodeBounce never appeared.
    world.nbs.clear();
    const again = reconcile(world, first.rb, 1);
    expect(again.d.actions).toEqual([expect.objectContaining({ type: 'CreateNodeBounce', name })]);
    // Seen (UID recorded), then deleted by someone: the member fails, nothing is re-created.
    const seen = settle(world, again.rb, 2);
    world.nbs.clear();
    const gone = settle(world, seen.rb, 3);
    expect(gone.rb.status?.members?.[0]).toMatchObject({ phase: 'Failed', reason: 'NodeBounceDeleted' });
    expect(world.creates).toEqual([name, name]);
  });

  it('pods with generated names: a member replaced under a new name is gated and bounced by its current pod', () => {
    const world = new World(nodes(2));
    let r = settle(world, makeRb(), 0);
    // node-b's pod is replaced (by its Express operator) under a new name before its turn.
    world.pods.delete('node-b');
    world.pods.set('node-b-x7k2p', { name: 'node-b-x7k2p', expressName: 'node-b', ready: true, terminating: false });
    world.finishNb('node-a', 'Succeeded');
    r = settle(world, r.rb, 1);
    expect(r.rb.status?.members?.[1]).toMatchObject({
      pod: 'node-b-x7k2p',
      expressResource: 'node-b',
      phase: 'InProgress',
    });
    expect(world.inFlightNbs().map((nb) => nb.spec.podName)).toEqual(['node-b-x7k2p']);
  });

  it('a finished rollout still observes a later spec change (observedGeneration)', () => {
    const world = new World(nodes(1));
    const { rb } = runToEnd(world);
    const bumped = { ...rb, metadata: { ...rb.metadata, generation: 2 }, spec: { ...rb.spec, paused: true } };
    const d = decideRollout(bumped, world.observed(), at(100));
    expect(d.status).toMatchObject({ phase: 'Succeeded', observedGeneration: 2 });
    expect(d.actions).toEqual([]);
  });

  it('an invalid spec fails with InvalidSpec and the problems', () => {
    const { rb } = reconcile(
      new World(nodes(1)),
      makeRb({ maintenanceWindows: [{ start: '01:00', end: '02:00', timeZone: 'Mars/Olympus' }] }),
      0,
    );
    expect(rb.status).toMatchObject({ phase: 'Failed', reason: 'InvalidSpec' });
    expect(rb.status?.message).toContain('Mars/Olympus');
  });

  it('deterministic NodeBounce names: ≤ 63 chars, stable, distinct per pod and per RollingBounce instance', () => {
    const a = memberNodeBounceName('r'.repeat(80), 'u1', 'node-a');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(memberNodeBounceName('r'.repeat(80), 'u1', 'node-a')).toBe(a);
    expect(memberNodeBounceName('r'.repeat(80), 'u1', 'node-b')).not.toBe(a);
    expect(memberNodeBounceName('r'.repeat(80), 'u2', 'node-a')).not.toBe(a);
  });
});

describe('properties', () => {
  it('never more than maxUnavailable NodeBounces in flight; each member at most one NodeBounce; the lifecycle holds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom('25%', '50%', '100%')),
        fc.array(
          fc.record({
            op: fc.constantFrom('finish', 'fail', 'pause', 'resume', 'rebuild', 'heal', 'crash', 'tick'),
            i: fc.nat(7),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 3 }),
        (n, maxUnavailable, ops, maxFailures) => {
          const world = new World(nodes(n));
          let rb = makeRb({ maxUnavailable, maxFailures });
          let t = 0;
          const limit =
            typeof maxUnavailable === 'number'
              ? maxUnavailable
              : Math.max(1, Math.floor((n * Number(maxUnavailable.slice(0, -1))) / 100));
          for (const op of ops) {
            t += 1;
            const inFlight = world.inFlightNbs();
            if (op.op === 'finish' || op.op === 'fail') {
              const nb = inFlight[op.i % Math.max(1, inFlight.length)];
              if (nb) world.finishNb(nb.spec.podName, op.op === 'finish' ? 'Succeeded' : 'Failed', undefined, t);
            } else if (op.op === 'pause' || op.op === 'resume')
              rb = { ...rb, spec: { ...rb.spec, paused: op.op === 'pause' } };
            else if (op.op === 'rebuild') world.setState(`node-${String.fromCharCode(97 + (op.i % n))}`, 'rebuilding');
            else if (op.op === 'heal') for (const e of world.express.keys()) world.setState(e, 'running');
            const before = rb.status?.phase ?? 'New';
            // 'crash': the status write is lost after the actions ran (the operator died in between).
            const d = decideRollout(rb, world.observed(), at(t));
            const next = world.apply(rb, d);
            if (op.op !== 'crash') rb = next;
            const after = next.status?.phase;
            if (after && before !== after && d.status.reason) {
              expect(
                isRolloutTransitionDeclared(before, after, d.status.reason),
                `${before} -> ${after} (${d.status.reason})`,
              ).toBe(true);
            }
            if (d.status.reason) expect(ROLLOUT_REASONS[d.status.reason as RolloutReason]?.phase).toBe(d.status.phase);
            expect(world.inFlightNbs().length).toBeLessThanOrEqual(limit);
            expect(new Set([...world.nbs.values()].map((nb) => nb.spec.podName)).size).toBe(world.nbs.size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('spec, selectors and windows', () => {
  it('zod catches what the schema cannot', () => {
    const bad = validateRolloutSpec({
      members: { selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
      bounceTemplate: { gracePeriodSeconds: 700 },
      maintenanceWindows: [{ start: '02:00', end: '02:00' }],
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems.join('\n')).toMatch(/operator In needs values/);
      expect(bad.problems.join('\n')).toMatch(/gracePeriodSeconds/);
      expect(bad.problems.join('\n')).toMatch(/window would be empty/);
    }
    expect(validateRolloutSpec({ members: { podNames: ['a', 'a'] } }).ok).toBe(false);
    expect(validateRolloutSpec({ members: { podNames: ['a'] }, maxUnavailable: '25%' }).ok).toBe(true);
  });

  it('label selectors', () => {
    expect(
      matchesSelector(
        { a: '1', b: '2' },
        { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '3'] }] },
      ),
    ).toBe(true);
    expect(matchesSelector({ a: '1' }, { matchExpressions: [{ key: 'b', operator: 'Exists' }] })).toBe(false);
    expect(
      matchesSelector(
        { a: '1' },
        {
          matchExpressions: [
            { key: 'b', operator: 'DoesNotExist' },
            { key: 'a', operator: 'NotIn', values: ['2'] },
          ],
        },
      ),
    ).toBe(true);
    expect(matchesSelector({}, undefined)).toBe(false);
  });

  it('windows across midnight and days', () => {
    const w = [{ days: ['Sat' as const], start: '22:00', end: '02:00', timeZone: 'UTC' }];
    expect(windowState(w, new Date('2026-03-07T23:00:00Z'))).toEqual({ open: true }); // Saturday 23:00
    expect(windowState(w, new Date('2026-03-08T01:59:00Z'))).toEqual({ open: true }); // Sunday 01:59, Saturday's window
    const closed = windowState(w, new Date('2026-03-08T02:00:00Z'));
    expect(closed).toEqual({ open: false, opensAt: new Date('2026-03-14T22:00:00Z') });
  });
});
