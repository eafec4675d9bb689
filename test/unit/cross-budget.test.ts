import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import {
  budgetEntryOf,
  budgetUsage,
  checkCrossBudget,
  servingOrder,
  type BudgetEntry,
  type CrossBudgetLimits,
} from '../../src/rollout/cross-budget.js';

// The disruption budget across groups (config disruptionBudget), as a table: who may disrupt now, who waits and why.

let clock = 0;
/** An entry; each one created later than the previous unless `createdAt` says otherwise. */
function e(name: string, over: Partial<BudgetEntry> = {}): BudgetEntry {
  clock++;
  return {
    namespace: 'ns',
    name,
    podName: `pod-${name}`,
    owner: 'user',
    createdAt: `2026-12-07T10:00:${String(clock).padStart(2, '0')}Z`,
    state: 'inFlight',
    ...over,
  };
}
const a = (name: string, over: Partial<BudgetEntry> = {}) => e(name, { owner: 'RollingBounce ns/a', ...over });
const b = (name: string, over: Partial<BudgetEntry> = {}) => e(name, { owner: 'RollingBounce ns/b', ...over });

describe('checkCrossBudget', () => {
  const cases: Array<{
    name: string;
    limits: CrossBudgetLimits;
    entries: () => { candidate: BudgetEntry; others: BudgetEntry[] };
    expect: { ok: true } | { ok: false; scope: string; message: string[] };
  }> = [
    {
      name: 'unset: unlimited',
      limits: {},
      entries: () => ({ candidate: e('c', { state: 'other' }), others: [e('x'), e('y'), e('z')] }),
      expect: { ok: true },
    },
    {
      name: 'namespace full: waits, naming the scope and who holds it',
      limits: { maxPerNamespace: 1 },
      entries: () => ({ candidate: e('c', { state: 'other' }), others: [a('a1')] }),
      expect: {
        ok: false,
        scope: 'namespace',
        message: [
          'Waiting for the namespace disruption budget of ns (at most 1 pod disrupted at once)',
          'held by pod-a1 (NodeBounce a1, RollingBounce ns/a)',
        ],
      },
    },
    {
      name: 'a disruption in another namespace does not hold the namespace budget',
      limits: { maxPerNamespace: 1 },
      entries: () => ({ candidate: e('c', { state: 'other' }), others: [a('a1', { namespace: 'other' })] }),
      expect: { ok: true },
    },
    {
      name: 'it holds the cluster budget, named with its namespace',
      limits: { maxInCluster: 1 },
      entries: () => ({ candidate: e('c', { state: 'other' }), others: [a('a1', { namespace: 'other' })] }),
      expect: {
        ok: false,
        scope: 'cluster',
        message: [
          'cluster disruption budget (at most 1 pod',
          'held by pod-a1 (NodeBounce other/a1, RollingBounce ns/a)',
        ],
      },
    },
    {
      name: 'two NodeBounces of one pod take one slot',
      limits: { maxPerNamespace: 2 },
      entries: () => ({
        candidate: e('c', { state: 'other' }),
        others: [e('x', { podName: 'p1' }), e('y', { podName: 'p1', state: 'inFlight' })],
      }),
      expect: { ok: true },
    },
    {
      name: "a NodeBounce of the candidate's own pod takes no slot from it",
      limits: { maxPerNamespace: 1 },
      entries: () => ({ candidate: e('c', { podName: 'p1', state: 'other' }), others: [e('x', { podName: 'p1' })] }),
      expect: { ok: true },
    },
    {
      name: 'waiting elsewhere (a group budget) neither counts nor waits in line',
      limits: { maxPerNamespace: 1 },
      entries: () => ({
        candidate: e('c', { state: 'other' }),
        others: [e('x', { state: 'other', createdAt: '2000' })],
      }),
      expect: { ok: true },
    },
    {
      name: 'a free slot goes to the owner with fewer disruptions in flight (round robin), even if it came later',
      limits: { maxPerNamespace: 2 },
      entries: () => {
        const a1 = a('a1');
        const a2 = a('a2', { state: 'waiting' });
        return { candidate: a2, others: [a1, b('b1', { state: 'waiting' })] };
      },
      expect: {
        ok: false,
        scope: 'namespace',
        message: [
          '1 in use: pod-a1',
          'served round robin by owner, ahead of this one: pod-b1 (NodeBounce b1, RollingBounce ns/b)',
        ],
      },
    },
    {
      name: 'the owner served less goes: its member passes',
      limits: { maxPerNamespace: 2 },
      entries: () => {
        const a1 = a('a1');
        const a2 = a('a2', { state: 'waiting' });
        return { candidate: b('b1', { state: 'other' }), others: [a1, a2] };
      },
      expect: { ok: true },
    },
    {
      name: "equally served owners: the oldest waiter's owner first (a rollout's next member waits behind a user)",
      limits: { maxPerNamespace: 1 },
      entries: () => {
        const user = e('u', { state: 'waiting' });
        return { candidate: a('a2', { state: 'other' }), others: [user] };
      },
      expect: { ok: false, scope: 'namespace', message: ['ahead of this one: pod-u (NodeBounce u, user)'] },
    },
    {
      name: 'the waiter first in line passes',
      limits: { maxPerNamespace: 1 },
      entries: () => {
        const user = e('u', { state: 'waiting' });
        return { candidate: user, others: [a('a2', { state: 'waiting' })] };
      },
      expect: { ok: true },
    },
    {
      name: 'a cluster waiter whose namespace is full does not hold the free cluster slot',
      limits: { maxPerNamespace: 1, maxInCluster: 2 },
      entries: () => {
        const full = e('f', { namespace: 'busy' });
        const stuck = e('s', { namespace: 'busy', state: 'waiting' });
        return { candidate: e('c', { state: 'other' }), others: [full, stuck] };
      },
      expect: { ok: true },
    },
    {
      name: 'both scopes: the namespace is checked first',
      limits: { maxPerNamespace: 1, maxInCluster: 1 },
      entries: () => ({ candidate: e('c', { state: 'other' }), others: [e('x')] }),
      expect: { ok: false, scope: 'namespace', message: ['held by pod-x'] },
    },
    {
      name: 'more holders than the message lists are counted',
      limits: { maxPerNamespace: 6 },
      entries: () => ({
        candidate: e('c', { state: 'other' }),
        others: ['1', '2', '3', '4', '5', '6', '7'].map((n) => e(`x${n}`)),
      }),
      expect: { ok: false, scope: 'namespace', message: ['pod-x5 (NodeBounce x5, user) and 2 more'] },
    },
  ];
  it.each(cases)('$name', ({ limits, entries, expect: want }) => {
    const { candidate, others } = entries();
    // The candidate may be in the list it is checked against (the live list of its namespace): it is ignored there.
    const v = checkCrossBudget(limits, candidate, [...others, candidate]);
    if (want.ok) {
      expect(v).toEqual({ ok: true });
      return;
    }
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.scope).toBe(want.scope);
    for (const m of want.message) expect(v.message).toContain(m);
    expect(v.message).toContain('Nothing was touched');
  });
});

describe('servingOrder: round robin by owner', () => {
  it('a large rollout does not go twice while another owner waits', () => {
    const [a1, a2, a3] = [a('a1', { state: 'waiting' }), a('a2', { state: 'waiting' }), a('a3', { state: 'waiting' })];
    const b1 = b('b1', { state: 'waiting' });
    const u1 = e('u1', { state: 'waiting' });
    expect(servingOrder([a3, u1, a2, b1, a1], []).map((x) => x.name)).toEqual(['a1', 'b1', 'u1', 'a2', 'a3']);
  });

  it('disruptions in flight count as served', () => {
    const inFlight = [b('b0'), e('u0')];
    const order = servingOrder(
      [e('u1', { state: 'waiting' }), b('b1', { state: 'waiting' }), a('a1', { state: 'waiting' })],
      inFlight,
    );
    expect(order.map((x) => x.name)).toEqual(['a1', 'u1', 'b1']);
  });
});

describe('budgetEntryOf', () => {
  const nb = (over: { status?: NodeBounce['status']; owner?: string; dryRun?: boolean }): NodeBounce => ({
    metadata: {
      namespace: 'ns',
      name: 'n',
      creationTimestamp: '2026-12-07T10:00:00Z',
      ...(over.owner
        ? {
            ownerReferences: [
              { apiVersion: 'x/v1', kind: 'RollingBounce', name: over.owner, uid: 'u', controller: true },
            ],
          }
        : {}),
    },
    spec: { podName: 'p', ...(over.dryRun ? { dryRun: true } : {}) },
    ...(over.status ? { status: over.status } : {}),
  });
  const waiting = (message: string) => ({ phase: 'Pending' as const, reason: 'WaitingForDisruptionBudget', message });

  it.each([
    ['no status yet: it will ask before it touches anything', nb({}), { state: 'other', owner: 'user' }],
    [
      'a member: owned by its RollingBounce',
      nb({ owner: 'r', status: { phase: 'Terminating', reason: 'Evicting' } }),
      { state: 'inFlight', owner: 'RollingBounce ns/r' },
    ],
    [
      'queued behind another bounce of its pod: touched nothing',
      nb({ status: { phase: 'Pending', reason: 'WaitingForOtherBounce' } }),
      { state: 'other' },
    ],
    [
      'disabling shutdown protection: a disruption',
      nb({
        status: {
          phase: 'Pending',
          reason: 'DisablingShutdownProtection',
          shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false },
        },
      }),
      { state: 'inFlight' },
    ],
    [
      'waiting for this budget',
      nb({ status: waiting('Waiting for the cluster disruption budget (at most 1 pod ...') }),
      { state: 'waiting' },
    ],
    [
      "waiting for a group's budget",
      nb({ status: waiting('Waiting for the disruption budget of RollingBounce r (maxUnavailable 1) ...') }),
      { state: 'other' },
    ],
    ['evicting', nb({ status: { phase: 'Terminating', reason: 'WaitingForTermination' } }), { state: 'inFlight' }],
  ] as const)('%s', (_, obj, want) => {
    expect(budgetEntryOf(obj)).toMatchObject(want);
  });

  it.each([
    ['finished', nb({ status: { phase: 'Succeeded', reason: 'PodRestarted' } })],
    ['failed', nb({ status: { phase: 'Failed', reason: 'ReadyTimeout' } })],
    ['a dry run', nb({ dryRun: true })],
  ] as const)('%s: never a disruption', (_, obj) => {
    expect(budgetEntryOf(obj)).toBeUndefined();
  });
});

describe('budgetUsage (the metrics)', () => {
  it('size, use and waiters by scope; the cluster always (unlimited: Infinity), namespaces with unfinished NodeBounces', () => {
    const entries = [
      e('x', { namespace: 'n1' }),
      e('y', { namespace: 'n1', state: 'waiting' }),
      e('z', { namespace: 'n2', state: 'other' }),
    ];
    expect(budgetUsage({ maxPerNamespace: 1, maxInCluster: 3 }, entries)).toEqual([
      { scope: 'cluster', namespace: '', limit: 3, inUse: 1, waiting: 1 },
      { scope: 'namespace', namespace: 'n1', limit: 1, inUse: 1, waiting: 1 },
      { scope: 'namespace', namespace: 'n2', limit: 1, inUse: 0, waiting: 0 },
    ]);
    expect(budgetUsage({}, entries)).toEqual([
      { scope: 'cluster', namespace: '', limit: Number.POSITIVE_INFINITY, inUse: 1, waiting: 1 },
    ]);
  });
});
