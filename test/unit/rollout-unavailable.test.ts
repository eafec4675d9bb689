import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import {
  bounceInFlight,
  groupBouncesOf,
  memberAvailability,
  otherUnavailable,
  type GroupBounce,
  type GroupExpress,
  type GroupPod,
  type GroupView,
} from '../../src/rollout/unavailable.js';

const express = (name: string, runtimeState = 'running', desiredState = 'up'): GroupExpress => ({
  name,
  read: {
    ok: true,
    view: {
      name,
      desiredState,
      intentionallyDown: desiredState === 'down',
      runtimeState,
      rebuilding: false,
      catchingUp: false,
      gitOpsManaged: false,
    },
  },
});
const pod = (name: string, p: Partial<GroupPod> = {}): GroupPod => ({
  name,
  expressName: name,
  ready: true,
  terminating: false,
  ...p,
});
const view = (v: Partial<GroupView> = {}): GroupView => ({
  pods: [pod('a'), pod('b'), pod('c')],
  express: [express('a'), express('b'), express('c')],
  bounces: [],
  healthyStates: ['running'],
  ...v,
});
const bounce = (podName: string, b: Partial<GroupBounce> = {}): GroupBounce => ({
  name: `nb-${podName}`,
  podName,
  state: 'Terminating/Evicting',
  ...b,
});
const m = (name: string) => ({ pod: name, expressResource: name });

describe('memberAvailability: the one definition of unavailable', () => {
  it.each<[string, Partial<GroupView>, string]>([
    ['pod Ready, runtime state healthy, no bounce', {}, 'available'],
    ['pod missing (a node that is down)', { pods: [pod('b'), pod('c')] }, 'unavailable: pod missing'],
    ['pod not Ready', { pods: [pod('a', { ready: false })] }, 'unavailable: pod a not Ready'],
    [
      'pod terminating, no replacement yet',
      { pods: [pod('a', { terminating: true })] },
      'unavailable: pod terminating',
    ],
    [
      'old pod terminating, a Ready replacement under a new name',
      { pods: [pod('a', { terminating: true }), pod('a-2', { expressName: 'a' })] },
      'available',
    ],
    [
      'replacement under a new name, not Ready yet',
      { pods: [pod('a-2', { expressName: 'a', ready: false })] },
      'unavailable: pod a-2 not Ready',
    ],
    ['runtime state not healthy', { express: [express('a', 'rebuilding')] }, 'unavailable: runtime state "rebuilding"'],
    [
      "a user's NodeBounce targets it",
      { bounces: [bounce('a', { state: 'Pending' })] },
      'unavailable: NodeBounce nb-a (Pending)',
    ],
    [
      "another RollingBounce's NodeBounce targets its replacement pod",
      { pods: [pod('a-2', { expressName: 'a' })], bounces: [bounce('a-2', { rollout: 'other' })] },
      'unavailable: NodeBounce nb-a-2 of RollingBounce other (Terminating/Evicting)',
    ],
    ['Express resource gone (scaled away): not counted', { express: [express('b')] }, 'gone'],
    ['intentionally down: not counted', { express: [express('a', 'stopped', 'down')] }, 'intentionallyDown'],
    [
      'invalid Express resource, pod Ready: judged by the pod',
      { express: [{ name: 'a', read: { ok: false, problems: ['x must be a boolean'] } }] },
      'available',
    ],
    [
      'invalid Express resource, pod not Ready',
      {
        express: [{ name: 'a', read: { ok: false, problems: ['x must be a boolean'] } }],
        pods: [pod('a', { ready: false })],
      },
      'unavailable: pod a not Ready',
    ],
  ])('%s', (_, v, expected) => {
    const a = memberAvailability(m('a'), view(v));
    expect(a.kind === 'unavailable' ? `unavailable: ${a.why}` : a.kind).toBe(expected);
  });

  it('otherUnavailable leaves out the member to start and names each other one that is down', () => {
    const v = view({ pods: [pod('a', { ready: false }), pod('c')], bounces: [bounce('c')] });
    expect(otherUnavailable([m('a'), m('b'), m('c')], v, m('a'))).toEqual([
      { member: m('b'), name: 'b', why: 'pod missing' },
      { member: m('c'), name: 'c', why: 'NodeBounce nb-c (Terminating/Evicting)' },
    ]);
    expect(otherUnavailable([m('a'), m('b'), m('c')], v).map((d) => d.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('bounceInFlight: which NodeBounces may take a pod down', () => {
  const nb = (status?: NodeBounce['status'], spec: Partial<NodeBounce['spec']> = {}) =>
    ({
      metadata: { name: 'x', namespace: 'ns' },
      spec: { podName: 'a', ...spec },
      ...(status ? { status } : {}),
    }) as NodeBounce;
  it.each<[string, NodeBounce, boolean]>([
    ['new, no status (a plain one starts without asking)', nb(), true],
    ['waiting for another bounce of its pod', nb({ phase: 'Pending', reason: 'WaitingForOtherBounce' }), true],
    [
      'waiting for the disruption budget: touched nothing',
      nb({ phase: 'Pending', reason: 'WaitingForDisruptionBudget' }),
      false,
    ],
    ['disabling shutdown protection', nb({ phase: 'Pending', reason: 'DisablingShutdownProtection' }), true],
    ['evicting', nb({ phase: 'Terminating', reason: 'Evicting' }), true],
    ['waiting for Ready', nb({ phase: 'Starting', reason: 'WaitingForReady' }), true],
    ['finished', nb({ phase: 'Failed', reason: 'ReadyTimeout' }), false],
    ['dry run', nb(undefined, { dryRun: true }), false],
  ])('%s: %s', (_, n, expected) => {
    expect(bounceInFlight(n)).toBe(expected);
  });

  it('groupBouncesOf names the owning RollingBounce', () => {
    const owned = {
      metadata: {
        name: 'rb-a',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'bounce.express.dev/v1alpha1', kind: 'RollingBounce', name: 'rb', uid: 'u', controller: true },
        ],
      },
      spec: { podName: 'a' },
      status: { phase: 'Terminating', reason: 'Evicting' },
    } as NodeBounce;
    expect(groupBouncesOf([owned])).toEqual([
      { name: 'rb-a', podName: 'a', rollout: 'rb', state: 'Terminating/Evicting' },
    ]);
  });
});
