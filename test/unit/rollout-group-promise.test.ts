// The group promise (issue 17): never more than maxUnavailable members unavailable, counted by one definition
// (src/rollout/unavailable.ts) whoever took them down; truthful endings; one rule for the plan and the real run.
// Each case of the issue is a test here that fails on the code before it.
import { describe, expect, it } from 'vitest';
import type { RollingBounce, RollingBounceSpec } from '../../src/api/rollingbounce.js';
import { groupViewOf, memberOfRow } from '../../src/rollout/budget.js';
import { decideRollout } from '../../src/rollout/decide.js';
import { otherUnavailable } from '../../src/rollout/unavailable.js';
import { at, makeRb, reconcile, settle, World, type NodeSpec } from './rollout-fixtures.js';

const nodes = (n: number, extra: (i: number) => Partial<NodeSpec> = () => ({})): NodeSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${String.fromCharCode(97 + i)}`, ...extra(i) }));

/** Every member unavailable now, by the one definition (failed and skipped ones too). */
function unavailableNow(world: World, rb: RollingBounce): string[] {
  const view = groupViewOf(world.observed(), ['running']);
  return otherUnavailable((rb.status?.members ?? []).map(memberOfRow), view).map((d) => d.name);
}

/**
 * Runs a rollout, finishing each in-flight NodeBounce every round; a failing member's pod stays NotReady (what a
 * ReadyTimeout leaves). After every step, at most maxUnavailable members are unavailable.
 */
function run(
  world: World,
  spec: Partial<RollingBounceSpec>,
  opts: { fail?: Set<string>; rounds?: number; maxUnavailable?: number } = {},
) {
  const max = opts.maxUnavailable ?? 1;
  let t = 0;
  let r = settle(world, makeRb(spec), t);
  const started: string[] = [];
  const peaks: number[] = [];
  for (let round = 0; round < (opts.rounds ?? 30); round++) {
    peaks.push(unavailableNow(world, r.rb).length);
    const inFlight = world.inFlightNbs();
    for (const nb of inFlight) {
      started.push(nb.spec.podName);
      const fails = opts.fail?.has(nb.spec.podName) ?? false;
      world.finishNb(nb.spec.podName, fails ? 'Failed' : 'Succeeded', undefined, t);
      if (fails) world.setPodReady(nb.spec.podName, false);
    }
    peaks.push(unavailableNow(world, r.rb).length);
    t += 1;
    r = settle(world, r.rb, t);
    if (r.rb.status?.phase === 'Succeeded' || r.rb.status?.phase === 'Failed') break;
  }
  peaks.push(unavailableNow(world, r.rb).length);
  // The members a failure left down count; the rollout never adds to them beyond maxUnavailable.
  expect(Math.max(...peaks), `unavailable after each step: ${peaks.join(',')}`).toBeLessThanOrEqual(max);
  return { rb: r.rb, started, t };
}

const row = (rb: RollingBounce, pod: string) => rb.status?.members?.find((m) => m.pod === pod);
const gateCondition = (rb: RollingBounce) => rb.status?.conditions?.find((c) => c.type === 'HealthGatePassed');

describe('case 1: a failed member that stays down counts against maxUnavailable', () => {
  it('maxFailures 1: node-a fails and stays NotReady, so node-b never starts; the wait names node-a', () => {
    const world = new World(nodes(2));
    const { rb, started } = run(world, { maxFailures: 1 }, { fail: new Set(['node-a']) });
    expect(started).toEqual(['node-a']);
    expect(row(rb, 'node-b')?.phase).toBe('Pending');
    expect(rb.status).toMatchObject({ phase: 'WaitingForHealth', reason: 'MembersUnhealthy' });
    expect(rb.status?.message).toContain('node-a: pod node-a not Ready');
  });

  it('the rollout goes on once the failed member is Ready again', () => {
    const world = new World(nodes(2));
    const first = run(world, { maxFailures: 1 }, { fail: new Set(['node-a']) });
    world.setPodReady('node-a', true);
    let r = settle(world, first.rb, first.t + 1);
    for (const nb of world.inFlightNbs()) world.finishNb(nb.spec.podName, 'Succeeded', undefined, first.t + 1);
    r = settle(world, r.rb, first.t + 2);
    expect(r.rb.status).toMatchObject({ phase: 'Succeeded', reason: 'CompletedWithFailures' });
    expect(gateCondition(r.rb)).toMatchObject({ status: 'True' });
  });

  it('truthful ending: the last member fails and stays down; CompletedWithFailures and the gate name it', () => {
    const world = new World(nodes(3));
    const { rb } = run(world, { maxFailures: 1 }, { fail: new Set(['node-c']) });
    expect(rb.status).toMatchObject({ phase: 'Succeeded', reason: 'CompletedWithFailures' });
    expect(rb.status?.message).toContain('still down: node-c: pod node-c not Ready');
    expect(gateCondition(rb)).toMatchObject({ status: 'False', reason: 'MembersUnhealthy' });
    expect(gateCondition(rb)?.message).toContain('node-c');
  });
});

describe('case 2: a member with no pod at snapshot time counts while it is down', () => {
  it('Skipped/NoPod holds a maxUnavailable 1 rollout and is named', () => {
    const world = new World(nodes(3, (i) => (i === 1 ? { noPod: true } : {})));
    const { rb, started } = run(world, {});
    expect(row(rb, '')?.reason ?? rb.status?.members?.find((m) => m.expressResource === 'node-b')?.reason).toBe(
      'NoPod',
    );
    expect(started).toEqual([]);
    expect(rb.status).toMatchObject({ reason: 'MembersUnhealthy' });
    expect(rb.status?.message).toContain('node-b: pod missing');
  });

  it('with maxUnavailable 2 the others bounce one at a time, and the ending names node-b still down', () => {
    const world = new World(nodes(3, (i) => (i === 1 ? { noPod: true } : {})));
    const { rb, started } = run(world, { maxUnavailable: 2 }, { maxUnavailable: 2 });
    expect(started).toEqual(['node-a', 'node-c']);
    expect(rb.status).toMatchObject({ phase: 'Succeeded', reason: 'CompletedWithFailures' });
    expect(rb.status?.message).toContain('still down: node-b: pod missing');
  });
});

describe("case 3: other people's disruptions count (a user's NodeBounce, another RollingBounce)", () => {
  it("a user's NodeBounce of node-c in flight: node-a does not start; the wait names it", () => {
    const world = new World(nodes(3));
    world.addForeign('user-bounce', 'node-c', undefined, { phase: 'Terminating', reason: 'Evicting' });
    const r = settle(world, makeRb(), 0);
    expect(world.inFlightNbs()).toEqual([]);
    expect(r.rb.status).toMatchObject({ reason: 'MembersUnhealthy' });
    expect(r.rb.status?.message).toContain('node-c: NodeBounce user-bounce (Terminating/Evicting)');
  });

  it("another RollingBounce's member NodeBounce (not yet started) counts too", () => {
    const world = new World(nodes(3));
    world.addForeign('other-node-c', 'node-c', 'other');
    settle(world, makeRb(), 0);
    expect(world.inFlightNbs()).toEqual([]);
  });

  it('a NodeBounce waiting for the budget touched nothing and does not count', () => {
    const world = new World(nodes(3));
    world.addForeign('other-node-c', 'node-c', 'other', { phase: 'Pending', reason: 'WaitingForDisruptionBudget' });
    settle(world, makeRb(), 0);
    expect(world.inFlightNbs().map((nb) => nb.spec.podName)).toEqual(['node-a']);
  });
});

describe('case 4 (rollout side): a member of another unfinished RollingBounce waits (MemberInOtherRollout)', () => {
  it('node-a is in flight in rollout "other": node-b starts instead (maxUnavailable 2), node-a waits named', () => {
    const world = new World(nodes(3));
    world.addForeign('other-node-a', 'node-a', 'other', { phase: 'Pending', reason: 'WaitingForDisruptionBudget' });
    const r = settle(world, makeRb({ maxUnavailable: 2 }), 0);
    expect(row(r.rb, 'node-a')).toMatchObject({ phase: 'Pending', reason: 'MemberInOtherRollout' });
    expect(row(r.rb, 'node-a')?.message).toContain('RollingBounce other');
    expect(world.inFlightNbs().map((nb) => nb.spec.podName)).toEqual(['node-b', 'node-c']);
    expect(world.creates.some((n) => n.includes('node-a'))).toBe(false);
  });

  it('only that member left: the rollout waits MemberInOtherRollout, then goes on when the other finished', () => {
    const world = new World(nodes(1));
    world.addForeign('other-node-a', 'node-a', 'other', { phase: 'Pending', reason: 'WaitingForDisruptionBudget' });
    const r = settle(world, makeRb(), 0);
    expect(r.rb.status).toMatchObject({ phase: 'WaitingForHealth', reason: 'MemberInOtherRollout' });
    expect(r.rb.status?.message).toContain('other-node-a');
    world.foreign.get('other-node-a')!.status = { phase: 'Succeeded', reason: 'PodRestarted' };
    const r2 = settle(world, r.rb, 1);
    expect(row(r2.rb, 'node-a')).toMatchObject({ phase: 'InProgress' });
    expect(row(r2.rb, 'node-a')?.message).toBeUndefined();
  });
});

describe('case 6: a member whose Express resource is deleted after the snapshot', () => {
  it('becomes Skipped/Gone and stops holding the gate', () => {
    const world = new World(nodes(3));
    let r = settle(world, makeRb(), 0);
    world.removeNode('node-c');
    for (let t = 1; t < 10; t++) {
      for (const nb of world.inFlightNbs()) world.finishNb(nb.spec.podName, 'Succeeded', undefined, t);
      r = settle(world, r.rb, t);
    }
    expect(row(r.rb, 'node-c')).toMatchObject({ phase: 'Skipped', reason: 'Gone' });
    expect(r.rb.status).toMatchObject({ phase: 'Succeeded', reason: 'AllMembersBounced' });
  });
});

describe('case 7: the gate re-reads live before each start', () => {
  it('a decision that starts members on the caches asks for a live view; the live decision does not', () => {
    const world = new World(nodes(2));
    world.live = false;
    const accepted = reconcile(world, makeRb(), 0).rb;
    const fromCache = decideRollout(accepted, world.observed(), at(1));
    expect(fromCache.actions.some((a) => a.type === 'CreateNodeBounce')).toBe(true);
    expect(fromCache.needsLiveView).toBe(true);
    // The live view shows node-b went NotReady (the silent watch still said Ready): nothing starts.
    world.live = true;
    world.setPodReady('node-b', false);
    const live = decideRollout(accepted, world.observed(), at(1));
    expect(live.needsLiveView).toBeUndefined();
    expect(live.actions.some((a) => a.type === 'CreateNodeBounce')).toBe(false);
    expect(live.status.message).toContain('node-b: pod node-b not Ready');
  });
});

describe('case 8: an invalid Express resource; the plan and the real run follow one rule', () => {
  it('the invalid member ends Failed (counts against maxFailures) instead of holding the others', () => {
    const world = new World(nodes(3));
    world.setInvalid('node-b');
    const { rb, started } = run(world, { maxFailures: 1 });
    expect(row(rb, 'node-b')).toMatchObject({ phase: 'Failed', reason: 'ExpressResourceInvalid' });
    expect(row(rb, 'node-b')?.message).toContain('must be a boolean');
    expect(started).toEqual(['node-a', 'node-c']);
    expect(rb.status).toMatchObject({ phase: 'Succeeded', reason: 'CompletedWithFailures' });
  });

  it('with maxFailures 0 it fails the rollout, naming it', () => {
    const world = new World(nodes(3));
    world.setInvalid('node-b');
    const { rb } = run(world, {});
    expect(rb.status).toMatchObject({ phase: 'Failed', reason: 'MemberFailed' });
    expect(rb.status?.message).toContain('member node-b failed (ExpressResourceInvalid');
  });

  it('every verdict: what the dry-run plan says of each member is what the real run does with it', () => {
    const make = () => {
      const w = new World(nodes(4, (i) => (i === 1 ? { desired: 'down' } : i === 3 ? { state: 'rebuilding' } : {})));
      w.setInvalid('node-c');
      return w;
    };
    // maxUnavailable 2: node-d, rebuilding, is down and takes one of the two.
    const dry = reconcile(make(), makeRb({ dryRun: true, maxFailures: 1, maxUnavailable: 2 }), 0).rb;
    const plan = Object.fromEntries(
      (dry.status?.plan?.members ?? []).map((m) => [m.expressResource ?? m.pod, m.verdict]),
    );
    expect(plan).toEqual({
      'node-a': 'WouldBounce',
      'node-b': 'WouldSkip',
      'node-c': 'WouldFail',
      'node-d': 'WouldWait',
    });
    const world = make();
    const { rb } = run(world, { maxFailures: 1, maxUnavailable: 2 }, { rounds: 6, maxUnavailable: 2 });
    const did = (name: string) => rb.status?.members?.find((m) => m.expressResource === name);
    expect(did('node-a')?.phase).toBe('Succeeded'); // WouldBounce
    expect(did('node-b')).toMatchObject({ phase: 'Skipped', reason: 'IntentionallyDown' }); // WouldSkip
    expect(did('node-c')).toMatchObject({ phase: 'Failed', reason: 'ExpressResourceInvalid' }); // WouldFail
    expect(did('node-d')?.phase).toBe('Pending'); // WouldWait: the gate holds it while it rebuilds
    expect(rb.status?.message).toContain('node-d: runtime state "rebuilding"');
  });
});
