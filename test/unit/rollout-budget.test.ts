import { describe, expect, it } from 'vitest';
import type { MemberStatus, RollingBounce } from '../../src/api/rollingbounce.js';
import { budgetGroupOf, checkBudget, groupsFor } from '../../src/rollout/budget.js';
import type { GroupBounce, GroupExpress, GroupPod } from '../../src/rollout/unavailable.js';

const row = (pod: string, p: Partial<MemberStatus> = {}): MemberStatus => ({
  pod,
  expressResource: pod,
  phase: 'Pending',
  ...p,
});
const rb = (name: string, rows: MemberStatus[], o: { maxUnavailable?: number; phase?: string } = {}): RollingBounce =>
  ({
    metadata: { name, namespace: 'ns', uid: `${name}-uid` },
    spec: { members: { selector: { matchLabels: { c: '1' } } }, maxUnavailable: o.maxUnavailable ?? 1 },
    status: { phase: o.phase ?? 'Progressing', members: rows, maxUnavailable: o.maxUnavailable ?? 1 },
  }) as RollingBounce;
const express = (name: string, runtimeState = 'running'): GroupExpress => ({
  name,
  read: {
    ok: true,
    view: {
      name,
      desiredState: 'up',
      intentionallyDown: false,
      runtimeState,
      rebuilding: false,
      catchingUp: false,
      gitOpsManaged: false,
    },
  },
});
const pod = (name: string, ready = true): GroupPod => ({ name, expressName: name, ready, terminating: false });
const abc = [row('a'), row('b'), row('c')];
const view = (o: { pods?: GroupPod[]; bounces?: GroupBounce[] } = {}) => ({
  pods: o.pods ?? [pod('a'), pod('b'), pod('c')],
  express: [express('a'), express('b'), express('c')],
  bounces: o.bounces ?? [],
});

describe('budgetGroupOf: which RollingBounces promise something', () => {
  it.each<[string, RollingBounce, boolean]>([
    ['progressing', rb('r', abc), true],
    ['not snapshotted yet', { ...rb('r', abc), status: {} }, false],
    ['finished, nothing in flight', rb('r', [row('a', { phase: 'Succeeded' })], { phase: 'Succeeded' }), false],
    ['failed with a member still in flight', rb('r', [row('a', { phase: 'InProgress' })], { phase: 'Failed' }), true],
    ['being deleted', { ...rb('r', abc), metadata: { ...rb('r', abc).metadata, deletionTimestamp: 'x' } }, false],
  ])('%s: %s', (_, r, expected) => {
    expect(budgetGroupOf(r) !== undefined).toBe(expected);
  });

  it('groupsFor finds the groups of a pod, by pod name or Express resource', () => {
    const rollouts = [rb('r1', abc), rb('r2', [row('c'), row('d')])];
    expect(groupsFor(rollouts, 'c').map((g) => g.rollout)).toEqual(['r1', 'r2']);
    expect(groupsFor(rollouts, 'a-replacement', 'a').map((g) => g.rollout)).toEqual(['r1']);
    expect(groupsFor(rollouts, 'z')).toEqual([]);
  });
});

describe('checkBudget: (unavailable members other than its own) < maxUnavailable', () => {
  const g = (max = 1) => groupsFor([rb('r1', abc, { maxUnavailable: max })], 'a');

  it('every other member available: ok', () => {
    expect(checkBudget(g(), view(), 'a')).toEqual({ ok: true });
  });

  it('its own member down does not count', () => {
    expect(checkBudget(g(), view({ pods: [pod('a', false), pod('b'), pod('c')] }), 'a')).toEqual({ ok: true });
  });

  it('a failed member whose pod stays NotReady holds it, named in the message', () => {
    const v = checkBudget(g(), view({ pods: [pod('a'), pod('b', false), pod('c')] }), 'a');
    expect(v).toMatchObject({ ok: false, rollout: 'r1', maxUnavailable: 1 });
    expect(!v.ok && v.message).toContain('b: pod b not Ready');
  });

  it("a user's NodeBounce of another member holds it; with maxUnavailable 2 one more may go", () => {
    const bounces = [{ name: 'user', podName: 'c', state: 'new' }];
    expect(checkBudget(g(1), view({ bounces }), 'a')).toMatchObject({ ok: false });
    expect(checkBudget(g(2), view({ bounces }), 'a')).toEqual({ ok: true });
    const two = view({ bounces, pods: [pod('a'), pod('b', false), pod('c')] });
    expect(checkBudget(g(2), two, 'a')).toMatchObject({ ok: false, down: [{ name: 'b' }, { name: 'c' }] });
  });

  it('every group the pod belongs to must allow it (two overlapping RollingBounces)', () => {
    const groups = groupsFor([rb('r1', [row('a'), row('b')]), rb('r2', [row('a'), row('c')])], 'a');
    const v = checkBudget(groups, view({ bounces: [{ name: 'r2-c', podName: 'c', rollout: 'r2', state: 'x' }] }), 'a');
    expect(v).toMatchObject({ ok: false, rollout: 'r2' });
  });
});
