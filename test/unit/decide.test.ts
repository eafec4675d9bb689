import { describe, expect, it } from 'vitest';
import {
  NODEBOUNCE_FINALIZER,
  Reasons as R,
  type NodeBounceSpec,
  type NodeBounceStatus,
} from '../../src/api/nodebounce.js';
import { decide, effectiveTimeouts, holdBeforeStart, queueEntryOf } from '../../src/bounce/decide.js';
import { applyOutcome } from '../../src/bounce/outcome.js';
import { mustRestoreProtection } from '../../src/bounce/protection.js';
import type { PodLike } from '../../src/bounce/pod.js';
import { defaultDecideOptions, type DecideOptions } from '../../src/bounce/types.js';
import { parseLabelSelector } from '../../src/config/label-selector.js';
import { argoCdConfigSchema } from '../../src/config/schema.js';
import {
  EXPRESS,
  EXPRESS_KIND,
  NEW_UID,
  NS,
  OLD_UID,
  POD,
  acceptedStatus,
  actionTypes,
  at,
  cond,
  entry,
  found,
  type ObservedOpts,
  iso,
  makeNodeBounce,
  makeObserved,
  makePod,
  reasonsOf,
} from './fixtures.js';

// Status snapshots of a bounce at each phase (times in seconds after T0).
const pendingStatus = (): NodeBounceStatus => acceptedStatus(0);

function terminatingStatus(o: Partial<NodeBounceStatus> = {}): NodeBounceStatus {
  return {
    ...pendingStatus(),
    phase: 'Terminating',
    reason: R.Evicting,
    message: 'Evicting',
    expressResourceName: EXPRESS,
    podUID: OLD_UID,
    terminatingTime: iso(10),
    eviction: { attempts: 0 },
    effectiveTimeouts: { terminationSeconds: 600, readySeconds: 300, readySource: 'Spec' },
    ...o,
  };
}

function startingStatus(o: Partial<NodeBounceStatus> = {}): NodeBounceStatus {
  return terminatingStatus({
    phase: 'Starting',
    reason: R.WaitingForReady,
    podDeletedTime: iso(11),
    terminatedTime: iso(40),
    eviction: { attempts: 1, lastAttemptTime: iso(11) },
    ...o,
  });
}

const protectionDisabled = { wasEnabled: true, disabledByOperator: true, restored: false };
const protectionRestored = { wasEnabled: true, disabledByOperator: true, restored: true };

const replacement = (o: Parameters<typeof makePod>[0] = {}): PodLike =>
  makePod({ uid: NEW_UID, creationTimestamp: iso(41), ...o });

describe('first pass: accepted and started in one status write', () => {
  it('a request that can start goes from no status straight to Terminating: one intent write, then the eviction', () => {
    // The reconciler holds our finalizer (with its live reads) before this decision: see holdBeforeStart.
    const nb = makeNodeBounce({ meta: { generation: 4 }, finalizer: true });
    const d = decide(nb, makeObserved(), at(0));
    expect(d.status).toMatchObject({
      phase: 'Terminating',
      reason: R.Evicting,
      startTime: iso(0),
      terminatingTime: iso(0),
      podUID: OLD_UID,
      observedGeneration: 4,
    });
    expect(d.transitions).toEqual([
      { from: 'New', to: 'Pending', reason: R.Accepted },
      { from: 'Pending', to: 'Terminating', reason: R.Evicting },
    ]);
    expect(cond(d.status, 'Succeeded')).toEqual({
      type: 'Succeeded',
      status: 'Unknown',
      reason: R.Accepted,
      message: 'The bounce has not finished yet.',
      lastTransitionTime: iso(0),
      observedGeneration: 4,
    });
    expect(actionTypes(d.actions)).toEqual(['EvictPod']);
    expect(d.startsBounce).toBe(true);
    // No Event for the acceptance or the intent: the eviction's answer has one.
    expect(d.events).toEqual([]);
    expect(nb.status).toBeUndefined(); // input not mutated
  });

  it('a request that must wait is written Pending with that reason (Accepted never stands alone)', () => {
    const nb = makeNodeBounce({ name: 'bounce-2', meta: { creationTimestamp: iso(-30) } });
    const d = decide(nb, makeObserved({ others: [entry({ name: 'bounce-1', creationTimestamp: iso(-60) })] }), at(0));
    expect(d.status).toMatchObject({ phase: 'Pending', reason: R.WaitingForOtherBounce, startTime: iso(0) });
    expect(d.startsBounce).toBe(false);
    expect(reasonsOf(d.events)).toEqual([R.WaitingForOtherBounce]);
  });

  it('quotes spec.reason', () => {
    const d = decide(makeNodeBounce({ spec: { reason: 'stuck replication' } }), makeObserved(), at(0));
    expect(d.status.message).toContain('Reason given: "stuck replication".');
  });

  it('an invalid spec fails in the first pass, nothing touched', () => {
    const nb = makeNodeBounce({ spec: { podName: 'Bad_Name' } });
    const d = decide(nb, makeObserved(), at(0));
    expect(d.status).toMatchObject({ phase: 'Failed', reason: R.InvalidSpec, startTime: iso(0) });
    expect(d.actions).toEqual([]);
    expect(d.startsBounce).toBe(false);
  });
});

describe('preflight failures: Failed, nothing touched', () => {
  type Case = [string, Record<string, unknown>, ObservedOpts, string, string[]];
  const cases: Case[] = [
    ['invalid pod name', { podName: 'UPPER' }, {}, R.InvalidSpec, ['spec.podName: podName must be a valid pod name']],
    [
      'unknown spec field',
      { namespace: 'other' },
      {},
      R.InvalidSpec,
      ['unknown field(s) spec.namespace', 'Nothing was touched'],
    ],
    ['grace period 0', { gracePeriodSeconds: 0 }, {}, R.InvalidSpec, ['spec.gracePeriodSeconds']],
    [
      'gracePeriodSeconds >= terminationTimeoutSeconds',
      { gracePeriodSeconds: 60, terminationTimeoutSeconds: 60 },
      {},
      R.InvalidSpec,
      ['gracePeriodSeconds (60) must be less than terminationTimeoutSeconds (60)'],
    ],
    [
      'gracePeriodSeconds >= default terminationTimeoutSeconds',
      { gracePeriodSeconds: 900 },
      {},
      R.InvalidSpec,
      ['terminationTimeoutSeconds (600)'],
    ],
    ['invalid spec wins over a missing pod', { mode: 'Force' }, { pod: null }, R.InvalidSpec, ['spec.mode']],
    ['pod missing', {}, { pod: null }, R.PodNotFound, [`pod ${NS}/${POD} does not exist`, `its own namespace (${NS})`]],
    ['pod without uid', {}, { pod: { metadata: { name: POD } } }, R.PodNotFound, ['does not exist']],
    [
      'pod missing wins over everything else',
      { force: true },
      { pod: null, express: { kind: 'Invalid', name: EXPRESS, problems: ['x'] } },
      R.PodNotFound,
      [],
    ],
    [
      'pod not mapped to an Express resource',
      {},
      {
        express: {
          kind: 'Unmapped',
          message:
            'pod has no controller ownerReference of kind ExpressNode (express.dev) and no label express.dev/node',
        },
      },
      R.ExpressResourceNotFound,
      [
        `does not belong to an Express resource (${EXPRESS_KIND}): pod has no controller ownerReference`,
        'express.podLabel',
      ],
    ],
    ['no Express observation at all', {}, { express: undefined }, R.ExpressResourceNotFound, ['no mapping']],
    [
      'Express resource not found',
      { force: true },
      { express: { kind: 'NotFound', name: EXPRESS } },
      R.ExpressResourceNotFound,
      [`maps to ${EXPRESS_KIND} ${EXPRESS}, which does not exist`, `kubectl get ${EXPRESS_KIND} ${EXPRESS} -n ${NS}`],
    ],
    [
      'Express resource invalid',
      { force: true },
      {
        express: {
          kind: 'Invalid',
          name: EXPRESS,
          problems: ['spec.state must be a string, found 3', 'spec.shutdownProtection must be a boolean, found "yes"'],
        },
      },
      R.ExpressResourceInvalid,
      [
        `${EXPRESS_KIND} ${EXPRESS} cannot be read safely: spec.state must be a string, found 3; spec.shutdownProtection must be a boolean, found "yes"`,
      ],
    ],
    [
      'intentionally down, not GitOps-managed',
      {},
      { express: found({ desiredState: 'down', intentionallyDown: true }) },
      R.IntentionallyDown,
      [
        'is intentionally down (desired state "down")',
        'never overrides an intentional down state',
        'It is not GitOps-managed',
      ],
    ],
    [
      'intentionally down, GitOps-managed (Argo CD tracking)',
      {},
      { express: found({ desiredState: 'stopped', intentionallyDown: true, gitOpsManaged: true }) },
      R.IntentionallyDown,
      ['desired state "stopped"', 'It is GitOps-managed (Argo CD tracking metadata): change the desired state in Git'],
    ],
    [
      'intentionally down: force never overrides',
      { force: true },
      { express: found({ desiredState: 'down', intentionallyDown: true }) },
      R.IntentionallyDown,
      ['not even with force'],
    ],
    [
      'down wins over rebuilding',
      {},
      {
        express: found({ desiredState: 'down', intentionallyDown: true, runtimeState: 'rebuilding', rebuilding: true }),
      },
      R.IntentionallyDown,
      [],
    ],
    [
      'rebuilding without force',
      {},
      { express: found({ runtimeState: 'rebuilding', rebuilding: true }) },
      R.NodeRebuilding,
      ['is rebuilding its cache (state "rebuilding")', 'not advised', 'spec.force: true'],
    ],
    [
      'rebuilding, even for a dry run',
      { dryRun: true },
      { express: found({ runtimeState: 'rebuilding', rebuilding: true }) },
      R.NodeRebuilding,
      [],
    ],
  ];

  it.each(cases)('%s -> %s', (_, spec, obs, reason, fragments) => {
    const nb = makeNodeBounce({ spec, status: pendingStatus() });
    const d = decide(nb, makeObserved({ ...obs, express: 'express' in obs ? obs.express : found() }), at(5));
    expect(d.status.phase).toBe('Failed');
    expect(d.status.reason).toBe(reason);
    for (const f of fragments) expect(d.status.message).toContain(f);
    expect(d.actions).toEqual([]);
    expect(d.startsBounce).toBe(false);
    expect(d.events).toEqual([{ type: 'Warning', reason, message: d.status.message }]);
    expect(d.status.completionTime).toBe(iso(5));
    expect(cond(d.status, 'Succeeded')).toMatchObject({
      status: 'False',
      reason,
      message: d.status.message,
      lastTransitionTime: iso(5),
    });
    expect(d.status.podUID).toBeUndefined();
    expect(d.status.shutdownProtection).toBeUndefined();
    expect(d.requeueAfterMs).toBe(0);
  });

  it('the failure is final: the next pass changes nothing and emits nothing', () => {
    const nb = makeNodeBounce({ status: pendingStatus() });
    const d1 = decide(nb, makeObserved({ pod: null }), at(5));
    const d2 = decide({ ...nb, status: d1.status }, makeObserved(), at(6));
    expect(d2.status).toEqual(d1.status);
    expect(d2.actions).toEqual([]);
    expect(d2.events).toEqual([]);
    expect(d2.requeueAfterMs).toBeUndefined();
  });
});

describe('podLabelSelector: only pods the operator watches can be bounced', () => {
  const watching = (text: string): DecideOptions => ({
    ...defaultDecideOptions,
    podSelector: parseLabelSelector(text),
  });

  it('a pod outside the selector: Failed PodNotWatched naming the selector, nothing touched', () => {
    const nb = makeNodeBounce({ status: pendingStatus() });
    const obs = makeObserved({ pod: makePod({ labels: { app: 'other' } }), express: found() });
    const d = decide(nb, obs, at(5), watching('app in (express),tier!=cache'));
    expect(d.status).toMatchObject({ phase: 'Failed', reason: R.PodNotWatched });
    expect(d.status.message).toContain(
      'does not match the operator\'s podLabelSelector "app in (express),tier!=cache"',
    );
    expect(d.status.message).toContain('nothing was touched');
    expect(d.actions).toEqual([]);
    expect(d.startsBounce).toBe(false);
  });

  it('a pod that matches goes on to the next checks and starts', () => {
    const nb = makeNodeBounce({ status: pendingStatus() });
    const obs = makeObserved({ pod: makePod({ labels: { app: 'express', tier: 'db' } }), express: found() });
    const d = decide(nb, obs, at(5), watching('app in (express),tier!=cache'));
    expect(d.status.phase).not.toBe('Failed');
    expect(d.startsBounce).toBe(true);
  });

  it('a missing pod is still PodNotFound (the selector says nothing about a pod that is not there)', () => {
    const nb = makeNodeBounce({ status: pendingStatus() });
    const d = decide(nb, makeObserved({ pod: null }), at(5), watching('app=express'));
    expect(d.status.reason).toBe(R.PodNotFound);
  });
});

describe('preflight passes: starting the bounce', () => {
  it('no protection: straight to Terminating with the eviction carrying the old UID', () => {
    const nb = makeNodeBounce({
      spec: { gracePeriodSeconds: 30, reason: 'hung' },
      status: pendingStatus(),
      finalizer: true,
    });
    const d = decide(nb, makeObserved(), at(5));
    expect(d.startsBounce).toBe(true);
    expect(d.status).toMatchObject({
      phase: 'Terminating',
      reason: R.Evicting,
      podUID: OLD_UID,
      expressResourceName: EXPRESS,
      terminatingTime: iso(5),
      eviction: { attempts: 0 },
      effectiveTimeouts: { terminationSeconds: 600, readySeconds: 600, readySource: 'Default' },
    });
    expect(d.status.message).toBe(`Evicting pod ${POD} (uid ${OLD_UID}) gracefully. Reason given: "hung".`);
    expect(d.actions).toEqual([
      { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Evict', gracePeriodSeconds: 30 },
    ]);
    expect(reasonsOf(d.events)).toEqual([]);
    // The intent has no Event: the eviction's answer (PodEvicted, BlockedByPDB, ...) does.
    expect(cond(d.status, 'PreflightPassed')).toMatchObject({ status: 'True', reason: R.PreflightPassed });
    expect(cond(d.status, 'ShutdownProtectionDisabled')).toMatchObject({ status: 'True', reason: 'NotEnabled' });
    expect(cond(d.status, 'PodTerminated')).toMatchObject({ status: 'Unknown', reason: R.Evicting });
    expect(cond(d.status, 'Succeeded')).toMatchObject({ status: 'Unknown', lastTransitionTime: iso(0) });
    expect(d.requeueAfterMs).toBe(600_000);
  });

  it('mode Delete', () => {
    const d = decide(
      makeNodeBounce({ spec: { mode: 'Delete' }, status: pendingStatus(), finalizer: true }),
      makeObserved(),
      at(5),
    );
    expect(d.actions).toEqual([
      { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Delete', gracePeriodSeconds: undefined },
    ]);
    expect(d.status.message).toBe(`Deleting pod ${POD} (uid ${OLD_UID}) gracefully.`);
  });

  it.each([
    [
      'rebuilding with force',
      { force: true },
      found({ runtimeState: 'rebuilding', rebuilding: true }),
      'ForcedWhileRebuilding',
      'node is rebuilding (state "rebuilding") but force is set',
    ],
    [
      'catchup',
      {},
      found({ runtimeState: 'catchup', catchingUp: true }),
      'NodeCatchingUp',
      'node is catching up (state "catchup"), which is safe to bounce',
    ],
    [
      'efficient-catchup',
      {},
      found({ runtimeState: 'efficient-catchup', catchingUp: true }),
      'NodeCatchingUp',
      'state "efficient-catchup"',
    ],
  ] as const)('%s proceeds with a Normal %s event', (_, spec, express, eventReason, fragment) => {
    const d = decide(
      makeNodeBounce({ spec, status: pendingStatus(), finalizer: true }),
      makeObserved({ express }),
      at(5),
    );
    expect(d.status.phase).toBe('Terminating');
    expect(d.events[0]).toMatchObject({ type: 'Normal', reason: eventReason });
    expect(d.events[0]!.message).toContain(fragment);
    expect(cond(d.status, 'PreflightPassed')?.message).toContain(fragment);
    expect(actionTypes(d.actions)).toEqual(['EvictPod']);
  });

  it('running proceeds with no preflight Event: the plain pass is in the condition', () => {
    const d = decide(makeNodeBounce({ status: pendingStatus() }), makeObserved({ express: found() }), at(5));
    expect(d.status.phase).toBe('Terminating');
    expect(d.events).toEqual([]);
    expect(cond(d.status, 'PreflightPassed')?.message).toBe(
      `Preflight passed for pod ${NS}/${POD} (${EXPRESS_KIND} ${EXPRESS}).`,
    );
  });

  it('shutdown protection enabled: finalizer first, then disable; nothing else yet', () => {
    const d = decide(
      makeNodeBounce({ status: pendingStatus() }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(5),
    );
    expect(d.actions).toEqual([
      { type: 'AddFinalizer' },
      { type: 'SetShutdownProtection', expressName: EXPRESS, enabled: false },
    ]);
    expect(d.startsBounce).toBe(true);
    expect(d.status).toMatchObject({
      phase: 'Pending',
      reason: 'DisablingShutdownProtection',
      shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false },
    });
    expect(d.status.podUID).toBeUndefined();
    expect(cond(d.status, 'ShutdownProtectionDisabled')).toMatchObject({ status: 'Unknown', reason: 'Disabling' });
    expect(reasonsOf(d.events)).toEqual([]);
  });

  it('shutdown protection enabled and the finalizer already held (a retry): only the disable, marked repeated', () => {
    const first = decide(
      makeNodeBounce({ status: pendingStatus() }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(5),
    );
    const d = decide(
      makeNodeBounce({ status: first.status, finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(6),
    );
    expect(d.actions).toEqual([
      { type: 'SetShutdownProtection', expressName: EXPRESS, enabled: false, repeated: true },
    ]);
    expect(d.events).toEqual([]); // neither PreflightPassed again nor a transition event
  });

  // Chaos faults seed 202: the disable landed, the status write recording it failed (25 % injected errors); each
  // later pass patched again and had to write status again, failed often enough to reach the 60 s retry backoff,
  // and one bounce sat in Pending/DisablingShutdownProtection for 300 s. The live read shows what happened.
  const lostDisable = (): NodeBounceStatus => {
    const first = decide(
      makeNodeBounce({ status: pendingStatus(), finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(5),
    );
    expect(first.status.reason).toBe(R.DisablingShutdownProtection);
    return first.status; // persisted; the disable's answer never was
  };

  it.each([[false], [undefined]])(
    'a disable whose answer was lost and the resource shows protection off (%s): recorded, no second patch, evicted in the same pass',
    (sp) => {
      const d = decide(
        makeNodeBounce({ status: lostDisable(), finalizer: true }),
        makeObserved({ express: found({ shutdownProtection: sp }) }),
        at(9),
      );
      expect(d.actions).toEqual([
        { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Evict', gracePeriodSeconds: undefined },
      ]);
      expect(d.status.phase).toBe('Terminating');
      expect(d.status.shutdownProtection).toEqual(protectionDisabled); // restored afterwards
      expect(cond(d.status, 'ShutdownProtectionDisabled')).toMatchObject({
        status: 'True',
        reason: 'DisabledByOperator',
        lastTransitionTime: iso(9),
      });
      expect(reasonsOf(d.events)).toEqual(['ShutdownProtectionDisabled']);
    },
  );

  it('a refused disable, then a repeat on a stale copy that landed without its record: protection off is ours, restored', () => {
    // Chaos faults seed 303: the first disable was throttled (429: refused, not ours) and that outcome's status write
    // landed with its response lost; the next pass, on the cached copy from before it, repeated the disable, which
    // landed; its record was refused (409). The bounce went on from "refused" and never restored protection.
    const nb = (status: NodeBounceStatus) => makeNodeBounce({ status, finalizer: true });
    const on = makeObserved({ express: found({ shutdownProtection: true }) });
    const intent = decide(nb(pendingStatus()), on, at(5));
    const disable = intent.actions[0]!;
    expect(disable).toMatchObject({ type: 'SetShutdownProtection', enabled: false });
    const refused = applyOutcome(nb(intent.status), disable, { ok: false, code: 429, message: 'throttled' }, at(6));
    expect(refused.status.shutdownProtection?.disabledByOperator).toBe(false);
    expect(decide(nb(intent.status), on, at(7)).actions).toEqual([{ ...disable, repeated: true }]); // stale copy
    const d = decide(nb(refused.status), makeObserved({ express: found({ shutdownProtection: false }) }), at(8));
    expect(actionTypes(d.actions)).toEqual(['EvictPod']);
    expect(d.status.shutdownProtection).toEqual(protectionDisabled);
    expect(mustRestoreProtection(d.status)).toBe(true);
    expect(cond(d.status, 'ShutdownProtectionDisabled')).toMatchObject({
      status: 'True',
      reason: 'DisabledByOperator',
    });
  });

  it('a disable whose answer was lost, protection still on (a 409 applied nothing): patched again', () => {
    const st = { ...lostDisable(), shutdownProtection: { ...protectionDisabled, disabledByOperator: false } };
    const d = decide(
      makeNodeBounce({ status: st, finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(9),
    );
    expect(actionTypes(d.actions)).toEqual(['SetShutdownProtection']);
    expect(cond(d.status, 'ShutdownProtectionDisabled')?.status).toBe('Unknown');
  });

  it.each([
    ['disabled by the operator', 'True', 'DisabledByOperator', protectionDisabled],
    [
      'disable failed: the bounce goes on',
      'False',
      'DisableFailed',
      { wasEnabled: true, disabledByOperator: false, restored: false, lastError: 'forbidden' },
    ],
  ] as const)('after the disable outcome (%s): Terminating, condition kept', (_, status, reason, sp) => {
    const st: NodeBounceStatus = {
      ...pendingStatus(),
      reason: 'DisablingShutdownProtection',
      shutdownProtection: sp,
      conditions: [
        ...pendingStatus().conditions!,
        {
          type: 'PreflightPassed',
          status: 'True',
          reason: R.PreflightPassed,
          message: 'ok',
          lastTransitionTime: iso(5),
        },
        { type: 'ShutdownProtectionDisabled', status, reason, message: 'x', lastTransitionTime: iso(6) },
      ],
    };
    // The Express resource now shows protection off (or still on, when the patch failed): either way we go on.
    const d = decide(
      makeNodeBounce({ status: st, finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: status === 'False' }) }),
      at(7),
    );
    expect(d.status.phase).toBe('Terminating');
    expect(d.actions).toEqual([
      { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Evict', gracePeriodSeconds: undefined },
    ]);
    expect(cond(d.status, 'ShutdownProtectionDisabled')).toMatchObject({ status, reason, lastTransitionTime: iso(6) });
    expect(d.status.shutdownProtection).toEqual(sp);
    expect(reasonsOf(d.events)).toEqual([]);
  });

  it.each([[false], [undefined]])('shutdown protection %s: nothing to disable', (sp) => {
    const d = decide(
      makeNodeBounce({ status: pendingStatus(), finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: sp }) }),
      at(5),
    );
    expect(actionTypes(d.actions)).toEqual(['EvictPod']);
    expect(d.status.shutdownProtection).toBeUndefined();
  });

  it.each([[false], [true]])(
    'without our finalizer (protection %s), nothing is touched before it: AddFinalizer goes first',
    (sp) => {
      // A NodeBounce that was deleted from here on stays (deletionTimestamp) until the deletion pass undoes what
      // was done; without the finalizer it could vanish between the intent write and the eviction (issue 17).
      const d = decide(
        makeNodeBounce({ status: pendingStatus() }),
        makeObserved({ express: found({ shutdownProtection: sp }) }),
        at(5),
      );
      expect(actionTypes(d.actions)).toEqual(
        sp ? ['AddFinalizer', 'SetShutdownProtection'] : ['AddFinalizer', 'EvictPod'],
      );
    },
  );

  it('a Terminating NodeBounce without our finalizer (an older version started it) takes it before evicting again', () => {
    const d = decide(makeNodeBounce({ status: terminatingStatus() }), makeObserved(), at(12));
    expect(actionTypes(d.actions)).toEqual(['AddFinalizer', 'EvictPod']);
  });

  it('holdBeforeStart: only a NodeBounce without our finalizer that is not being deleted', () => {
    expect(holdBeforeStart(makeNodeBounce())).toBe(true);
    expect(holdBeforeStart(makeNodeBounce({ finalizer: true }))).toBe(false);
    expect(holdBeforeStart(makeNodeBounce({ meta: { deletionTimestamp: iso(1) } }))).toBe(false);
  });

  it.each([
    [{}, makePod(), { terminationSeconds: 600, readySeconds: 600, readySource: 'Default' }],
    [
      { readyTimeoutSeconds: 42, terminationTimeoutSeconds: 90 },
      makePod({ startupProbe: { periodSeconds: 5, failureThreshold: 10 } }),
      { terminationSeconds: 90, readySeconds: 42, readySource: 'Spec' },
    ],
    [
      {},
      makePod({
        startupProbe: { initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 10 },
        readinessProbe: { periodSeconds: 3 },
      }),
      { terminationSeconds: 600, readySeconds: 58, readySource: 'StartupProbe' },
    ],
  ] as const)('effective timeouts %#', (spec, pod, expected) => {
    const d = decide(makeNodeBounce({ spec, status: pendingStatus() }), makeObserved({ pod }), at(5));
    expect(d.status.effectiveTimeouts).toEqual(expected);
    expect(d.requeueAfterMs).toBe(expected.terminationSeconds * 1000);
    expect(
      effectiveTimeouts(
        { podName: POD, force: false, mode: 'Evict', terminationTimeoutSeconds: 600, dryRun: false, ...spec },
        pod,
      ),
    ).toEqual(expected);
  });
});

describe("a RollingBounce's disruption budget", () => {
  const over = {
    ok: false as const,
    message: 'Waiting for the disruption budget of RollingBounce rb: node-b: pod missing',
  };

  it('over the budget: Pending/WaitingForDisruptionBudget with the message, nothing touched, checked again in 3 s', () => {
    const d = decide(makeNodeBounce(), makeObserved({ disruptionBudget: over }), at(0));
    expect(d.status).toMatchObject({ phase: 'Pending', reason: R.WaitingForDisruptionBudget, message: over.message });
    expect(d.actions).toEqual([]);
    expect(d.status.podUID).toBeUndefined();
    expect(d.requeueAfterMs).toBe(3_000);
    expect(reasonsOf(d.events)).toEqual([R.WaitingForDisruptionBudget]);
  });

  it('also before disabling shutdown protection (the first side effect)', () => {
    const d = decide(
      makeNodeBounce({ status: pendingStatus() }),
      makeObserved({ express: found({ shutdownProtection: true }), disruptionBudget: over }),
      at(5),
    );
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({ reason: R.WaitingForDisruptionBudget });
    expect(d.status.shutdownProtection).toBeUndefined();
  });

  it('within the budget: starts as usual', () => {
    const d = decide(makeNodeBounce({ finalizer: true }), makeObserved({ disruptionBudget: { ok: true } }), at(0));
    expect(actionTypes(d.actions)).toEqual(['EvictPod']);
  });

  it('checked again right before the eviction: a member that went down after the protection step holds it', () => {
    // Issue 17's chaos, seed 11: a pod killed from outside 1.24 s before an eviction that had passed the budget only
    // before the protection step.
    const st = { ...pendingStatus(), shutdownProtection: protectionDisabled };
    const nb = makeNodeBounce({ status: st, meta: { finalizers: [NODEBOUNCE_FINALIZER] } });
    const express = found({ shutdownProtection: false });
    const d = decide(nb, makeObserved({ express, disruptionBudget: { ...over, situation: 'node-b is down.' } }), at(6));
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({ phase: 'Pending', reason: R.WaitingForDisruptionBudget });
    expect(d.status.message).toMatch(/^node-b is down\. Shutdown protection of .* is already disabled \(restored when/);
    expect(d.status.shutdownProtection).toEqual(protectionDisabled);
    expect(d.status.podUID).toBeUndefined();
    expect(d.requeueAfterMs).toBe(3_000);
    // Within the budget again: the eviction follows.
    const next = decide(nb, makeObserved({ express, disruptionBudget: { ok: true } }), at(9));
    expect(actionTypes(next.actions)).toEqual(['EvictPod']);
  });

  it('a disable under way (attempted, answer not recorded) is finished before the budget is asked again', () => {
    const st = {
      ...pendingStatus(),
      shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false },
      conditions: [
        ...(pendingStatus().conditions ?? []),
        {
          type: 'ShutdownProtectionDisabled',
          status: 'Unknown' as const,
          reason: 'Disabling',
          message: 'disabling',
          lastTransitionTime: iso(5),
        },
      ],
    };
    const d = decide(
      makeNodeBounce({ status: st, meta: { finalizers: [NODEBOUNCE_FINALIZER] } }),
      makeObserved({ express: found({ shutdownProtection: true }), disruptionBudget: over }),
      at(6),
    );
    expect(actionTypes(d.actions)).toEqual(['SetShutdownProtection']);
  });
});

describe('a lost disable answer and the disruption budget', () => {
  it('recorded, then the budget is asked before the eviction: a wait leaves protection off and says so', () => {
    const first = decide(
      makeNodeBounce({ status: pendingStatus(), finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(5),
    );
    const over = { ok: false as const, message: 'over', situation: 'node-b is down.' };
    const d = decide(
      makeNodeBounce({ status: first.status, finalizer: true }),
      makeObserved({ express: found({ shutdownProtection: false }), disruptionBudget: over }),
      at(9),
    );
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({ phase: 'Pending', reason: R.WaitingForDisruptionBudget });
    expect(d.status.message).toMatch(/^node-b is down\. Shutdown protection of .* is already disabled/);
    expect(d.status.shutdownProtection).toEqual(protectionDisabled);
    expect(cond(d.status, 'ShutdownProtectionDisabled')?.status).toBe('True');
  });
});

describe('dry run', () => {
  it('DryRunPassed with no actions', () => {
    const d = decide(
      makeNodeBounce({ spec: { dryRun: true }, status: pendingStatus() }),
      makeObserved({ express: found({ shutdownProtection: true }) }),
      at(5),
    );
    expect(d.status.phase).toBe('Succeeded');
    expect(d.status.reason).toBe(R.DryRunPassed);
    expect(d.status.message).toBe(
      `Dry run: all checks passed. A real bounce would disable shutdown protection, evict pod ${POD} (uid ${OLD_UID}) and wait up to 600s for it to terminate and 600s for the replacement to be Ready. Nothing was touched.`,
    );
    expect(d.actions).toEqual([]);
    expect(d.startsBounce).toBe(false);
    expect(d.status.podUID).toBeUndefined();
    expect(d.status.shutdownProtection).toBeUndefined();
    expect(d.status.completionTime).toBe(iso(5));
    expect(cond(d.status, 'Succeeded')).toMatchObject({
      status: 'True',
      reason: R.DryRunPassed,
      lastTransitionTime: iso(5),
    });
    expect(reasonsOf(d.events)).toEqual([R.DryRunPassed]);
    expect(d.requeueAfterMs).toBeUndefined();
  });

  it('mode Delete without protection', () => {
    const d = decide(
      makeNodeBounce({ spec: { dryRun: true, mode: 'Delete' }, status: pendingStatus() }),
      makeObserved(),
      at(5),
    );
    expect(d.status.message).toContain('A real bounce would delete pod');
  });

  it('never waits for an in-flight bounce of the same pod', () => {
    const others = [entry({ name: 'busy', creationTimestamp: iso(-999), phase: 'Terminating', holdsFinalizer: true })];
    const d = decide(
      makeNodeBounce({ spec: { dryRun: true }, status: pendingStatus() }),
      makeObserved({ others }),
      at(5),
    );
    expect(d.status.reason).toBe(R.DryRunPassed);
  });

  it('with ttlSecondsAfterFinished 0: deletes itself right away, still touching nothing else', () => {
    const d = decide(
      makeNodeBounce({ spec: { dryRun: true, ttlSecondsAfterFinished: 0 }, status: pendingStatus() }),
      makeObserved(),
      at(5),
    );
    expect(d.actions).toEqual([{ type: 'DeleteNodeBounce' }]);
  });
});

describe('Terminating', () => {
  // A Terminating NodeBounce holds our finalizer (taken before its intent was written).
  const terminatingNb = (st: NodeBounceStatus = terminatingStatus(), spec: Partial<NodeBounceSpec> = {}) =>
    makeNodeBounce({ spec, status: st, finalizer: true });

  it('a crash before the eviction ran (no attempt recorded): the eviction is issued again with the same UID', () => {
    const d = decide(terminatingNb(), makeObserved(), at(12));
    expect(d.actions).toEqual([
      { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Evict', gracePeriodSeconds: undefined },
    ]);
    expect(d.requeueAfterMs).toBe((610 - 12) * 1000);
    expect(d.status.phase).toBe('Terminating');
  });

  it('the UID comes from status, never from the currently observed pod', () => {
    // observed pod has the old UID (it is still there), but status is authoritative
    const d = decide(
      terminatingNb(terminatingStatus({ podUID: 'uid-from-status' })),
      makeObserved({ pod: makePod({ uid: 'uid-from-status' }) }),
      at(12),
    );
    expect(d.actions).toEqual([expect.objectContaining({ type: 'EvictPod', uid: 'uid-from-status' })]);
  });

  describe('eviction backoff after a refusal', () => {
    const blocked = (attempts: number, lastS: number) =>
      terminatingStatus({
        reason: R.BlockedByPDB,
        eviction: { attempts, lastAttemptTime: iso(lastS), lastError: 'pdb' },
      });
    const table: Array<[string, number, number, number, boolean, number]> = [
      // [title, attempts, lastAttempt s, now s, expect evict?, expected requeue ms]
      ['1 attempt, 0.5s later: wait', 1, 20, 20.5, false, 500],
      ['1 attempt, 1s later: retry', 1, 20, 21, true, (610 - 21) * 1000],
      ['3 attempts, 3s later: wait 1s more', 3, 20, 23, false, 1_000],
      ['3 attempts, 4s later: retry', 3, 20, 24, true, (610 - 24) * 1000],
      ['10 attempts: capped at 30s', 10, 100, 129, false, 1_000],
      ['10 attempts, 30s later: retry', 10, 100, 130, true, (610 - 130) * 1000],
      ['backoff beyond the deadline: requeue at the deadline', 10, 600, 605, false, 5_000],
    ];
    it.each(table)('%s', (_, attempts, last, now, evict, requeue) => {
      const d = decide(terminatingNb(blocked(attempts, last)), makeObserved(), at(now));
      expect(actionTypes(d.actions)).toEqual(evict ? ['EvictPod'] : []);
      expect(d.requeueAfterMs).toBe(requeue);
      expect(d.status.reason).toBe(R.BlockedByPDB);
      expect(d.status.phase).toBe('Terminating');
      expect(d.events).toEqual([]);
    });
  });

  it('property: once podDeletedTime is set, the eviction is never issued again, at any later now', () => {
    const st = terminatingStatus({
      reason: R.WaitingForTermination,
      podDeletedTime: iso(11),
      eviction: { attempts: 1, lastAttemptTime: iso(11) },
    });
    for (let s = 11; s < 610; s += 7) {
      const d = decide(terminatingNb(st), makeObserved({ pod: makePod({ deleting: true }) }), at(s));
      expect(d.actions, `at ${s}s`).toEqual([]);
      expect(d.requeueAfterMs).toBe((610 - s) * 1000);
      expect(d.status).toEqual({ ...st, observedGeneration: 1 });
      expect(d.events).toEqual([]);
    }
  });

  it('the old pod is gone: Starting, waiting for the replacement', () => {
    const st = terminatingStatus({ podDeletedTime: iso(11), reason: R.WaitingForTermination });
    const d = decide(terminatingNb(st), makeObserved({ pod: null }), at(40));
    expect(d.status).toMatchObject({
      phase: 'Starting',
      reason: R.WaitingForReady,
      terminatedTime: iso(40),
      podDeletedTime: iso(11),
    });
    expect(d.status.message).toBe(
      `Pod ${POD} (uid ${OLD_UID}) terminated; waiting up to 300s (from spec) for its replacement to be Ready.`,
    );
    expect(cond(d.status, 'PodTerminated')).toMatchObject({
      status: 'True',
      reason: 'PodGone',
      lastTransitionTime: iso(40),
    });
    expect(cond(d.status, 'PodReady')).toMatchObject({ status: 'Unknown', reason: R.WaitingForReady });
    expect(d.events).toEqual([]); // status says it; PodRestarted tells how long each part took
    expect(d.actions).toEqual([]);
    expect(d.requeueAfterMs).toBe(300_000);
  });

  it('gone without a recorded eviction (crash after the delete): podDeletedTime stays unknown, terminatedTime estimated', () => {
    const d = decide(terminatingNb(), makeObserved({ pod: null }), at(40));
    expect(d.status.podDeletedTime).toBeUndefined();
    expect(d.status.terminatedTime).toBe(iso(40));
    expect(d.status.terminatedTimeEstimated).toBe(true);
    expect(d.actions).toEqual([]);
  });

  it('the old pod was replaced under the same name and is already Ready: Succeeded in the same pass', () => {
    const d = decide(
      terminatingNb(terminatingStatus({ podDeletedTime: iso(11) })),
      makeObserved({ pod: replacement() }),
      at(40),
    );
    expect(d.status).toMatchObject({
      phase: 'Succeeded',
      reason: R.PodRestarted,
      replacementPodName: POD,
      replacementPodUID: NEW_UID,
      readyTime: iso(40),
      terminatedTime: iso(40),
    });
    expect(reasonsOf(d.events)).toEqual([R.PodRestarted]);
    // Finished: the finalizer taken before the eviction is let go in the same pass.
    expect(d.actions).toEqual([{ type: 'RemoveFinalizer' }]);
  });

  describe('TerminationTimeout', () => {
    const stuckPod = makePod({
      deleting: true,
      ready: false,
      readyReason: 'PodCompleted',
      containerStatuses: [{ name: 'express', state: { terminated: { reason: 'Error', exitCode: 137 } } }],
    });
    const table: Array<[string, NodeBounceStatus, string]> = [
      [
        'blocked by a PDB the whole time',
        terminatingStatus({
          reason: R.BlockedByPDB,
          eviction: {
            attempts: 9,
            lastAttemptTime: iso(600),
            lastError: "Cannot evict pod as it would violate the pod's disruption budget.",
          },
        }),
        "The eviction was refused by a PodDisruptionBudget the whole time (Cannot evict pod as it would violate the pod's disruption budget.). Check `kubectl get pdb -n express-prod`, then create a new NodeBounce; use mode: Delete only if bypassing the budget is acceptable.",
      ],
      [
        'deleted but still there',
        terminatingStatus({ reason: R.WaitingForTermination, podDeletedTime: iso(11) }),
        'The pod was asked to terminate but is still there: check for finalizers or a stuck kubelet on its node. The operator never forces deletion.',
      ],
      [
        'eviction kept failing',
        terminatingStatus({
          eviction: { attempts: 5, lastAttemptTime: iso(590), lastError: 'etcdserver: request timed out' },
        }),
        'The pod could not be evicted (etcdserver: request timed out).',
      ],
    ];
    it.each(table)('%s', (_, st, advice) => {
      const d = decide(terminatingNb(st), makeObserved({ pod: stuckPod }), at(610));
      expect(d.status.phase).toBe('Failed');
      expect(d.status.reason).toBe(R.TerminationTimeout);
      const observed = `pod ${POD} (uid ${OLD_UID}) phase Running, terminating, Ready=False (PodCompleted), container express terminated: Error (exit 137)`;
      expect(d.status.lastObservedPodState).toBe(observed);
      expect(d.status.message).toBe(
        `Pod ${POD} (uid ${OLD_UID}) did not terminate within 600s. Last observed: ${observed}. ${advice}`,
      );
      expect(d.actions).toEqual([]);
      expect(d.events).toEqual([{ type: 'Warning', reason: R.TerminationTimeout, message: d.status.message }]);
      expect(cond(d.status, 'PodTerminated')).toMatchObject({ status: 'False', reason: R.TerminationTimeout });
      expect(cond(d.status, 'Succeeded')).toMatchObject({ status: 'False', reason: R.TerminationTimeout });
      expect(d.status.completionTime).toBe(iso(610));
      expect(d.requeueAfterMs).toBe(0);
    });

    it('the deadline counts from terminatingTime in status (survives restarts)', () => {
      const st = terminatingStatus({
        terminatingTime: iso(100),
        podDeletedTime: iso(101),
        effectiveTimeouts: { terminationSeconds: 60, readySeconds: 60, readySource: 'Spec' },
      });
      expect(decide(terminatingNb(st), makeObserved(), new Date(at(160).getTime() - 1)).status.phase).toBe(
        'Terminating',
      );
      expect(decide(terminatingNb(st), makeObserved(), new Date(at(160).getTime() - 1)).requeueAfterMs).toBe(1);
      expect(decide(terminatingNb(st), makeObserved(), at(160)).status.reason).toBe(R.TerminationTimeout);
      expect(decide(terminatingNb(st), makeObserved(), at(100_000)).status.reason).toBe(R.TerminationTimeout);
    });

    it('a pod that went away just at the deadline is a success, not a timeout', () => {
      const d = decide(
        terminatingNb(terminatingStatus({ podDeletedTime: iso(11) })),
        makeObserved({ pod: null }),
        at(5000),
      );
      expect(d.status.phase).toBe('Starting');
    });
  });
});

describe('Starting', () => {
  const startingNb = (st: NodeBounceStatus = startingStatus(), finalizer = false, spec: Partial<NodeBounceSpec> = {}) =>
    makeNodeBounce({ spec, status: st, finalizer });

  it('replacement not Ready yet: waits until the ready deadline, no status change (it is recorded with the outcome)', () => {
    const st = startingStatus();
    const d = decide(startingNb(st), makeObserved({ pod: replacement({ ready: false }) }), at(100));
    expect(d.status).toEqual(st);
    expect(d.status.readyTime).toBeUndefined();
    expect(d.actions).toEqual([]);
    expect(d.events).toEqual([]);
    expect(d.requeueAfterMs).toBe((340 - 100) * 1000);
  });

  it('no replacement yet: waits', () => {
    const d = decide(startingNb(), makeObserved({ pod: null }), at(100));
    expect(d.status.replacementPodUID).toBeUndefined();
    expect(d.requeueAfterMs).toBe(240_000);
  });

  it('replacement Ready, nothing to restore: Succeeded PodRestarted', () => {
    const nb = startingNb(startingStatus(), false, { reason: 'hung' });
    const d = decide(nb, makeObserved({ pod: replacement() }), at(100));
    expect(d.status).toMatchObject({
      phase: 'Succeeded',
      reason: R.PodRestarted,
      readyTime: iso(100),
      completionTime: iso(100),
    });
    expect(d.status.message).toBe(
      `Pod ${POD} restarted: uid ${OLD_UID} replaced by ${POD} (uid ${NEW_UID}), Ready 100.0s after the request was accepted (old pod gone 29.0s after the eviction, replacement Ready 60.0s later). Reason given: "hung".`,
    );
    expect(cond(d.status, 'PodReady')).toMatchObject({ status: 'True', reason: 'ReplacementReady' });
    expect(cond(d.status, 'Succeeded')).toMatchObject({
      status: 'True',
      reason: R.PodRestarted,
      lastTransitionTime: iso(100),
    });
    expect(d.events).toEqual([{ type: 'Normal', reason: R.PodRestarted, message: d.status.message }]);
    expect(d.actions).toEqual([]);
  });

  it('replacement Ready, protection disabled by us: restore first, stay Starting', () => {
    const d = decide(
      startingNb(startingStatus({ shutdownProtection: protectionDisabled }), true),
      makeObserved({ pod: replacement() }),
      at(100),
    );
    expect(d.actions).toEqual([{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }]);
    expect(d.status).toMatchObject({ phase: 'Starting', reason: 'RestoringShutdownProtection', readyTime: iso(100) });
    expect(d.status.completionTime).toBeUndefined();
  });

  it('after the restore: Succeeded, and the finalizer is released', () => {
    const st = startingStatus({
      shutdownProtection: protectionRestored,
      readyTime: iso(100),
      reason: 'RestoringShutdownProtection',
      replacementPodName: POD,
      replacementPodUID: NEW_UID,
    });
    const d = decide(startingNb(st, true), makeObserved({ pod: replacement() }), at(101));
    expect(d.status).toMatchObject({
      phase: 'Succeeded',
      reason: R.PodRestarted,
      readyTime: iso(100),
      completionTime: iso(101),
    });
    expect(d.actions).toEqual([{ type: 'RemoveFinalizer' }]);
  });

  it('a failed disable is never "restored"', () => {
    const st = startingStatus({
      shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false, lastError: 'forbidden' },
    });
    const d = decide(startingNb(st, true), makeObserved({ pod: replacement() }), at(100));
    expect(d.status.reason).toBe(R.PodRestarted);
    expect(d.actions).toEqual([{ type: 'RemoveFinalizer' }]);
  });

  describe('replacement found via expressPods when the Express operator names pods differently', () => {
    const other = (name: string, uid: string, o: Parameters<typeof makePod>[0] = {}) =>
      makePod({ name, uid, creationTimestamp: iso(41), ...o });
    const table: Array<[string, PodLike[], PodLike | null, string | undefined, string | undefined, boolean]> = [
      // [title, expressPods, pod named spec.podName, expected replacement name, uid, succeeded]
      ['a new Ready pod with another name', [other('node-a-x7k2', 'u-x')], null, 'node-a-x7k2', 'u-x', true],
      [
        'the old pod in expressPods does not count',
        [makePod({ uid: OLD_UID, deleting: true })],
        null,
        undefined,
        undefined,
        false,
      ],
      [
        'a terminating new pod does not count',
        [other('node-a-zz', 'u-z', { deleting: true })],
        null,
        undefined,
        undefined,
        false,
      ],
      ['a pod without uid does not count', [{ metadata: { name: 'x' } }], null, undefined, undefined, false],
      [
        'a Ready candidate is preferred',
        [other('b-1', 'u-1', { ready: false }), other('b-2', 'u-2')],
        null,
        'b-2',
        'u-2',
        true,
      ],
      [
        'no Ready candidate: the first is tracked',
        [other('b-1', 'u-1', { ready: false }), other('b-2', 'u-2', { ready: false })],
        null,
        'b-1',
        'u-1',
        false,
      ],
      [
        'the same-name pod wins over expressPods',
        [other('b-2', 'u-2')],
        replacement({ ready: false }),
        POD,
        NEW_UID,
        false,
      ],
    ];
    it.each(table)('%s', (_, expressPods, pod, name, uid, succeeded) => {
      // Not Ready: the replacement is recorded with the outcome, here the ready timeout (deadline t=340).
      const d = decide(startingNb(), makeObserved({ pod, expressPods }), at(succeeded ? 100 : 400));
      expect(d.status.replacementPodName).toBe(name);
      expect(d.status.replacementPodUID).toBe(uid);
      expect(d.status.phase).toBe(succeeded ? 'Succeeded' : 'Failed');
      if (succeeded) expect(d.status.message).toContain(`replaced by ${name} (uid ${uid})`);
    });
  });

  describe('ReadyTimeout', () => {
    const crashLooping = replacement({
      ready: false,
      readyReason: 'ContainersNotReady',
      readyMessage: 'containers with unready status: [express]',
      containerStatuses: [
        {
          name: 'express',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
        },
      ],
    });
    const table: Array<[string, NodeBounceStatus['effectiveTimeouts'], PodLike | null, string, string]> = [
      [
        'crash-looping replacement, timeout from spec',
        { terminationSeconds: 600, readySeconds: 300, readySource: 'Spec' },
        crashLooping,
        `pod ${POD} (uid ${NEW_UID}) phase Running, Ready=False (ContainersNotReady: containers with unready status: [express]), container express waiting: CrashLoopBackOff: back-off 40s restarting failed container, container express restarts 3`,
        `The replacement for pod ${POD} was not Ready within 300s (spec.readyTimeoutSeconds).`,
      ],
      [
        'no replacement at all, default timeout',
        { terminationSeconds: 600, readySeconds: 300, readySource: 'Default' },
        null,
        'no pod observed',
        `(default). Last observed: no pod observed. No replacement pod appeared: check that the Express operator is running and that ${EXPRESS_KIND} ${EXPRESS} is meant to be up.`,
      ],
      [
        'startup-probe timeout',
        { terminationSeconds: 600, readySeconds: 300, readySource: 'StartupProbe' },
        replacement({ ready: false }),
        `pod ${POD} (uid ${NEW_UID}) phase Running, Ready=False`,
        '(derived from the startup probe)',
      ],
    ];
    it.each(table)('%s', (_, timeouts, pod, observed, fragment) => {
      const d = decide(startingNb(startingStatus({ effectiveTimeouts: timeouts })), makeObserved({ pod }), at(340));
      expect(d.status.phase).toBe('Failed');
      expect(d.status.reason).toBe(R.ReadyTimeout);
      expect(d.status.lastObservedPodState).toBe(observed);
      expect(d.status.message).toContain(`Last observed: ${observed}.`);
      expect(d.status.message).toContain(fragment);
      if (pod) expect(d.status.message).toContain('Inspect the replacement (`kubectl describe pod`)');
      expect(cond(d.status, 'PodReady')).toMatchObject({ status: 'False', reason: R.ReadyTimeout });
      expect(d.events).toEqual([{ type: 'Warning', reason: R.ReadyTimeout, message: d.status.message }]);
      expect(d.actions).toEqual([]);
    });

    it('the ready deadline counts from terminatedTime in status', () => {
      const st = startingStatus({ terminatedTime: iso(1000) });
      expect(decide(startingNb(st), makeObserved({ pod: null }), at(1299)).status.phase).toBe('Starting');
      expect(decide(startingNb(st), makeObserved({ pod: null }), at(1299)).requeueAfterMs).toBe(1000);
      expect(decide(startingNb(st), makeObserved({ pod: null }), at(1300)).status.reason).toBe(R.ReadyTimeout);
    });

    it('once readyTime is recorded, a late pass never times out (restore pending)', () => {
      const st = startingStatus({ readyTime: iso(100), shutdownProtection: protectionDisabled });
      const d = decide(startingNb(st, true), makeObserved({ pod: null }), at(99_999));
      expect(d.status.phase).toBe('Starting');
      expect(d.actions).toEqual([{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }]);
    });
  });
});

describe('terminal', () => {
  const done = (o: Partial<NodeBounceStatus> = {}): NodeBounceStatus =>
    startingStatus({ phase: 'Succeeded', reason: R.PodRestarted, readyTime: iso(100), completionTime: iso(100), ...o });

  it.each([
    ['Succeeded, nothing held', done(), false, {}, [], undefined],
    [
      'Failed, protection disabled by us: restore',
      done({ phase: 'Failed', reason: R.ReadyTimeout, shutdownProtection: protectionDisabled }),
      true,
      {},
      [{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }],
      undefined,
    ],
    [
      'Failed, restored: remove the finalizer',
      done({ phase: 'Failed', reason: R.ReadyTimeout, shutdownProtection: protectionRestored }),
      true,
      {},
      [{ type: 'RemoveFinalizer' }],
      undefined,
    ],
    [
      'Failed after a failed disable: just the finalizer',
      done({
        phase: 'Failed',
        reason: R.TerminationTimeout,
        shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false },
      }),
      true,
      {},
      [{ type: 'RemoveFinalizer' }],
      undefined,
    ],
    ['TTL not due: requeue at due time', done(), false, { ttlSecondsAfterFinished: 60 }, [], 50_000],
    ['TTL due: delete', done(), false, { ttlSecondsAfterFinished: 10 }, [{ type: 'DeleteNodeBounce' }], undefined],
    ['TTL 0: delete', done(), false, { ttlSecondsAfterFinished: 0 }, [{ type: 'DeleteNodeBounce' }], undefined],
    [
      'TTL waits for the finalizer to go',
      done({ shutdownProtection: protectionRestored }),
      true,
      { ttlSecondsAfterFinished: 0 },
      [{ type: 'RemoveFinalizer' }],
      undefined,
    ],
    [
      'TTL waits for the restore',
      done({ shutdownProtection: protectionDisabled }),
      true,
      { ttlSecondsAfterFinished: 0 },
      [{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }],
      undefined,
    ],
  ] as const)('%s', (_, st, finalizer, spec, actions, requeue) => {
    const d = decide(makeNodeBounce({ spec, status: st, finalizer }), makeObserved({ pod: replacement() }), at(110));
    expect(d.actions).toEqual(actions);
    expect(d.requeueAfterMs).toBe(requeue);
    expect(d.events).toEqual([]);
    expect(d.status.phase).toBe(st.phase);
    expect(d.status.reason).toBe(st.reason);
    expect(d.startsBounce).toBe(false);
  });

  const labelTracking: DecideOptions = {
    ...defaultDecideOptions,
    argocd: argoCdConfigSchema.parse({ trackingMethod: 'label' }),
  };
  it.each([
    [
      'tracking-id annotation',
      { annotations: { 'argocd.argoproj.io/tracking-id': 'app:bounce.express.dev/NodeBounce:express-prod/bounce-1' } },
      defaultDecideOptions,
    ],
    [
      'app.kubernetes.io/instance label, label tracking configured',
      { labels: { 'app.kubernetes.io/instance': 'bounces' } },
      labelTracking,
    ],
  ])('TTL skipped with Argo CD tracking (%s): Warning event once, never deleted', (_, meta, options) => {
    const nb = makeNodeBounce({ spec: { ttlSecondsAfterFinished: 0 }, status: done(), meta });
    const d1 = decide(nb, makeObserved(), at(110), options);
    expect(d1.actions).toEqual([]);
    expect(d1.status.ttlSkipped).toBe(true);
    expect(d1.events).toHaveLength(1);
    expect(d1.events[0]).toMatchObject({ type: 'Warning', reason: 'TTLSkipped' });
    expect(d1.events[0]!.message).toContain('Argo CD');
    const d2 = decide({ ...nb, status: d1.status }, makeObserved(), at(10_000), options);
    expect(d2.actions).toEqual([]);
    expect(d2.events).toEqual([]);
    expect(d2.requeueAfterMs).toBeUndefined();
  });

  it('a Helm-labelled NodeBounce (app.kubernetes.io/instance, no Argo CD annotation) keeps its TTL by default', () => {
    const meta = { labels: { 'app.kubernetes.io/instance': 'my-release', 'app.kubernetes.io/managed-by': 'Helm' } };
    const d = decide(
      makeNodeBounce({ spec: { ttlSecondsAfterFinished: 0 }, status: done(), meta }),
      makeObserved(),
      at(110),
    );
    expect(d.actions).toEqual([{ type: 'DeleteNodeBounce' }]);
    expect(d.status.ttlSkipped).toBeUndefined();
  });

  it('Succeeded with a TTL in the same pass as the success', () => {
    const nb = makeNodeBounce({ spec: { ttlSecondsAfterFinished: 30 }, status: startingStatus() });
    const d = decide(nb, makeObserved({ pod: replacement() }), at(100));
    expect(d.status.reason).toBe(R.PodRestarted);
    expect(d.requeueAfterMs).toBe(30_000);
  });
});

describe('deletionTimestamp mid-flight: undo, release, nothing else', () => {
  const deleting = { deletionTimestamp: iso(50) };
  const table: Array<[string, NodeBounceStatus | undefined, boolean, unknown[]]> = [
    [
      'Terminating, protection disabled: restore only',
      terminatingStatus({ shutdownProtection: protectionDisabled }),
      true,
      [{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }],
    ],
    [
      'Terminating, restored: release the finalizer',
      terminatingStatus({ shutdownProtection: protectionRestored }),
      true,
      [{ type: 'RemoveFinalizer' }],
    ],
    [
      'Starting, protection disabled: restore only',
      startingStatus({ shutdownProtection: protectionDisabled }),
      true,
      [{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }],
    ],
    [
      'Pending, disable failed: release',
      { ...pendingStatus(), shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false } },
      true,
      [{ type: 'RemoveFinalizer' }],
    ],
    ['Terminating without protection or finalizer: nothing (no eviction)', terminatingStatus(), false, []],
    ['Pending: no preflight, no eviction', pendingStatus(), false, []],
    ['never seen: nothing, not even Accepted', undefined, false, []],
  ];
  it.each(table)('%s', (_, st, finalizer, actions) => {
    const nb = makeNodeBounce({ status: st, finalizer, meta: deleting });
    const d = decide(nb, makeObserved({ pod: makePod(), express: found({ shutdownProtection: true }) }), at(60));
    expect(d.actions).toEqual(actions);
    expect(d.events).toEqual([]);
    expect(d.startsBounce).toBe(false);
    expect(d.requeueAfterMs).toBeUndefined();
    expect(d.status.phase).toBe(st?.phase);
    expect(d.status.reason).toBe(st?.reason);
  });

  it('restore, then release: two passes, then nothing', () => {
    let nb = makeNodeBounce({
      status: startingStatus({ shutdownProtection: protectionDisabled }),
      finalizer: true,
      meta: deleting,
    });
    const d1 = decide(nb, makeObserved(), at(60));
    expect(actionTypes(d1.actions)).toEqual(['SetShutdownProtection']);
    nb = { ...nb, status: { ...d1.status, shutdownProtection: protectionRestored } };
    const d2 = decide(nb, makeObserved(), at(61));
    expect(d2.actions).toEqual([{ type: 'RemoveFinalizer' }]);
    nb = { ...nb, metadata: { ...nb.metadata, finalizers: [] } };
    expect(decide(nb, makeObserved(), at(62)).actions).toEqual([]);
  });
});

describe('WaitingForOtherBounce', () => {
  const me = (o: { status?: NodeBounceStatus; name?: string; created?: number; dryRun?: boolean } = {}) =>
    makeNodeBounce({
      name: o.name ?? 'bounce-b',
      status: o.status ?? pendingStatus(),
      meta: { creationTimestamp: iso(o.created ?? 10) },
      spec: o.dryRun ? { dryRun: true } : {},
    });

  it('waits for an older Pending bounce; a Normal event once, nothing touched', () => {
    const others = [entry({ name: 'bounce-a', creationTimestamp: iso(5) })];
    const d = decide(me(), makeObserved({ others }), at(20));
    expect(d.status).toMatchObject({ phase: 'Pending', reason: R.WaitingForOtherBounce });
    expect(d.status.message).toBe(
      'Waiting for NodeBounce bounce-a (Pending) to finish: bounces of one pod run one at a time, oldest first. This one starts on its own afterwards.',
    );
    expect(d.events).toEqual([{ type: 'Normal', reason: R.WaitingForOtherBounce, message: d.status.message }]);
    expect(d.actions).toEqual([]);
    expect(d.startsBounce).toBe(false);
    expect(cond(d.status, 'PreflightPassed')).toBeUndefined();

    const d2 = decide(
      me({ status: d.status }),
      makeObserved({ others: [entry({ name: 'bounce-a', creationTimestamp: iso(5), phase: 'Terminating' })] }),
      at(30),
    );
    expect(d2.status.reason).toBe(R.WaitingForOtherBounce);
    expect(d2.status.message).toContain('bounce-a (Terminating)');
    expect(d2.events).toEqual([]);
  });

  it('the same creationTimestamp: the name decides', () => {
    const d = decide(
      me({ name: 'b', created: 10 }),
      makeObserved({ others: [entry({ name: 'a', creationTimestamp: iso(10) })] }),
      at(20),
    );
    expect(d.status.reason).toBe(R.WaitingForOtherBounce);
    const d2 = decide(
      me({ name: 'a', created: 10 }),
      makeObserved({ others: [entry({ name: 'b', creationTimestamp: iso(10) })] }),
      at(20),
    );
    expect(d2.status.phase).toBe('Terminating');
  });

  it('an in-flight newer bounce blocks an older one', () => {
    const d = decide(
      me({ created: 1 }),
      makeObserved({ others: [entry({ name: 'newer', creationTimestamp: iso(50), phase: 'Starting' })] }),
      at(60),
    );
    expect(d.status.reason).toBe(R.WaitingForOtherBounce);
    expect(d.status.message).toContain('newer (Starting)');
  });

  it('starts on its own when the earlier one finished (or is gone)', () => {
    const waiting = decide(
      me(),
      makeObserved({ others: [entry({ name: 'bounce-a', creationTimestamp: iso(5) })] }),
      at(20),
    ).status;
    for (const others of [
      [entry({ name: 'bounce-a', creationTimestamp: iso(5), phase: 'Succeeded' })],
      [entry({ name: 'bounce-a', creationTimestamp: iso(5), phase: 'Failed' })],
      [],
    ]) {
      const d = decide(me({ status: waiting }), makeObserved({ others }), at(30));
      expect(d.status.phase).toBe('Terminating');
      expect(d.startsBounce).toBe(true);
      expect(reasonsOf(d.events)).toEqual([]);
    }
  });

  it('a finished one still holding its finalizer blocks until released', () => {
    const d = decide(
      me(),
      makeObserved({
        others: [entry({ name: 'bounce-a', creationTimestamp: iso(5), phase: 'Failed', holdsFinalizer: true })],
      }),
      at(20),
    );
    expect(d.status.reason).toBe(R.WaitingForOtherBounce);
    expect(d.status.message).toContain('bounce-a (Failed)');
  });

  it('older dry runs never block; a dry run never waits', () => {
    const d = decide(
      me(),
      makeObserved({ others: [entry({ name: 'bounce-a', creationTimestamp: iso(5), dryRun: true })] }),
      at(20),
    );
    expect(d.status.phase).toBe('Terminating');
    const d2 = decide(
      me({ dryRun: true }),
      makeObserved({ others: [entry({ name: 'bounce-a', creationTimestamp: iso(5) })] }),
      at(20),
    );
    expect(d2.status.reason).toBe(R.DryRunPassed);
  });

  it('queueEntryOf', () => {
    expect(
      queueEntryOf(makeNodeBounce({ name: 'x', status: terminatingStatus(), finalizer: true, spec: { dryRun: true } })),
    ).toEqual({
      name: 'x',
      creationTimestamp: iso(-60),
      phase: 'Terminating',
      dryRun: true,
      holdsFinalizer: true,
    });
    expect(queueEntryOf(makeNodeBounce({ name: 'y', meta: { finalizers: ['other/finalizer'] } }))).toEqual({
      name: 'y',
      creationTimestamp: iso(-60),
      phase: undefined,
      dryRun: false,
      holdsFinalizer: false,
    });
  });
});

describe('status bookkeeping', () => {
  it('observedGeneration follows metadata.generation', () => {
    const d = decide(
      makeNodeBounce({ status: { ...terminatingStatus(), observedGeneration: 1 }, meta: { generation: 7 } }),
      makeObserved(),
      at(12),
    );
    expect(d.status.observedGeneration).toBe(7);
  });

  it('the finalizer name', () => {
    expect(NODEBOUNCE_FINALIZER).toBe('bounce.express.dev/restore-shutdown-protection');
  });

  it('all reason strings are exact', () => {
    expect(R).toMatchObject({
      PodRestarted: 'PodRestarted',
      DryRunPassed: 'DryRunPassed',
      InvalidSpec: 'InvalidSpec',
      PodNotFound: 'PodNotFound',
      ExpressResourceNotFound: 'ExpressResourceNotFound',
      ExpressResourceInvalid: 'ExpressResourceInvalid',
      IntentionallyDown: 'IntentionallyDown',
      NodeRebuilding: 'NodeRebuilding',
      TerminationTimeout: 'TerminationTimeout',
      ReadyTimeout: 'ReadyTimeout',
      WaitingForOtherBounce: 'WaitingForOtherBounce',
      BlockedByPDB: 'BlockedByPDB',
    });
  });

  it('decide never mutates its input', () => {
    const nb = makeNodeBounce({ status: startingStatus({ shutdownProtection: protectionDisabled }), finalizer: true });
    const before = structuredClone(nb);
    decide(nb, makeObserved({ pod: replacement() }), at(100));
    expect(nb).toEqual(before);
  });
});

describe('regressions found in review', () => {
  const startingNb = () => makeNodeBounce({ status: startingStatus() });
  it('a differently named pod that existed before the bounce is not the replacement', () => {
    const sibling = makePod({ name: 'node-a-metrics', uid: 'sib', creationTimestamp: iso(-3600) });
    const d = decide(startingNb(), makeObserved({ pod: null, expressPods: [sibling] }), at(100));
    expect(d.status.phase).toBe('Starting');
    expect(d.status.replacementPodUID).toBeUndefined();
  });

  it('a pod created in the same second the old one started terminating does count', () => {
    // terminatingTime is 10 s after T0; creationTimestamp has one-second resolution.
    const fresh = makePod({ name: 'node-a-new', uid: 'u-new', creationTimestamp: iso(10) });
    const d = decide(startingNb(), makeObserved({ pod: null, expressPods: [fresh] }), at(100));
    expect(d.status.replacementPodUID).toBe('u-new');
  });

  it('deleted mid-flight after a crash between the disable patch and its record: protection is restored', () => {
    const st = pendingStatus();
    st.expressResourceName = EXPRESS;
    st.shutdownProtection = { wasEnabled: true, disabledByOperator: false, restored: false };
    st.conditions = [
      {
        type: 'ShutdownProtectionDisabled',
        status: 'Unknown',
        reason: 'Disabling',
        message: 'x',
        lastTransitionTime: iso(1),
      },
    ];
    const nb = makeNodeBounce({ status: st, finalizer: true, meta: { deletionTimestamp: iso(50) } });
    const d = decide(nb, makeObserved(), at(60));
    expect(d.actions).toEqual([{ type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true }]);
  });

  it('a definitely rejected disable is never restored (there is nothing to undo)', () => {
    const st = startingStatus({
      phase: 'Failed',
      reason: R.ReadyTimeout,
      completionTime: iso(90),
      shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false, lastError: 'forbidden' },
    });
    st.conditions = [
      {
        type: 'ShutdownProtectionDisabled',
        status: 'False',
        reason: 'DisableFailed',
        message: 'x',
        lastTransitionTime: iso(1),
      },
    ];
    const d = decide(makeNodeBounce({ status: st, finalizer: true }), makeObserved(), at(100));
    expect(d.actions).toEqual([{ type: 'RemoveFinalizer' }]);
  });
});

describe('TTL and Argo CD hooks', () => {
  const finished = (): NodeBounceStatus => ({
    ...acceptedStatus(0),
    phase: 'Succeeded',
    reason: R.DryRunPassed,
    completionTime: iso(10),
  });
  it.each([
    ['a managed resource (tracking annotation): skipped', { 'argocd.argoproj.io/tracking-id': 'app:x' }, false],
    [
      'a Sync/PostSync hook (tracked, but never re-created by Argo CD): deleted',
      { 'argocd.argoproj.io/tracking-id': 'app:x', 'argocd.argoproj.io/hook': 'PostSync' },
      true,
    ],
  ])('%s', (_title, annotations, deleted) => {
    const nb = makeNodeBounce({ spec: { ttlSecondsAfterFinished: 5 }, status: finished(), meta: { annotations } });
    const d = decide(nb, makeObserved(), at(20));
    expect(d.actions.some((a) => a.type === 'DeleteNodeBounce')).toBe(deleted);
    expect(d.status.ttlSkipped === true).toBe(!deleted);
  });
});

describe('a pod that is already terminating is never disrupted a second time', () => {
  it('at preflight: Terminating/AlreadyTerminating, no eviction (a shorter grace period would cut the one in progress)', () => {
    const nb = makeNodeBounce({ spec: { gracePeriodSeconds: 10 }, status: pendingStatus() });
    const pod = { ...makePod({ deleting: true }) };
    pod.metadata = { ...pod.metadata, deletionGracePeriodSeconds: 120 };
    const d = decide(nb, makeObserved({ pod }), at(5));
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({
      phase: 'Terminating',
      reason: R.AlreadyTerminating,
      podUID: OLD_UID,
      podDeletedTime: iso(5),
    });
    expect(d.status.message).toContain('grace period 120s');
    expect(d.requeueAfterMs).toBe(600_000);
    // The next pass waits for the pod to go, and still never evicts.
    const next = decide(
      makeNodeBounce({ spec: { gracePeriodSeconds: 10 }, status: d.status }),
      makeObserved({ pod }),
      at(30),
    );
    expect(next.actions).toEqual([]);
    expect(next.status.phase).toBe('Terminating');
  });

  it('while Terminating with no recorded deletion: a pod seen terminating is not evicted again', () => {
    const nb = makeNodeBounce({ status: terminatingStatus() });
    const d = decide(nb, makeObserved({ pod: makePod({ deleting: true }) }), at(12));
    expect(d.actions).toEqual([]);
    expect(d.status.podDeletedTime).toBe(iso(12));
  });
});

describe('the Finished condition (kubectl wait --for=condition=Finished returns either way)', () => {
  it('absent while the bounce runs', () => {
    const d = decide(makeNodeBounce({ status: pendingStatus() }), makeObserved(), at(5));
    expect(d.status.phase).toBe('Terminating');
    expect(cond(d.status, 'Finished')).toBeUndefined();
  });

  it('True with reason Failed when the bounce fails (PodNotFound), in the same status as the phase', () => {
    const d = decide(makeNodeBounce({ status: pendingStatus() }), makeObserved({ pod: null }), at(5));
    expect(d.status.phase).toBe('Failed');
    expect(cond(d.status, 'Finished')).toMatchObject({
      status: 'True',
      reason: 'Failed',
      lastTransitionTime: iso(5),
    });
    expect(cond(d.status, 'Finished')!.message).toMatch(/^PodNotFound: /);
  });

  it('True with reason Succeeded when the replacement is Ready', () => {
    const nb = makeNodeBounce({ status: startingStatus() });
    const d = decide(nb, makeObserved({ pod: replacement() }), at(100));
    expect(d.status.phase).toBe('Succeeded');
    expect(cond(d.status, 'Finished')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(cond(d.status, 'Finished')!.message).toMatch(/^PodRestarted: Pod /);
  });

  it('added to a finished bounce written before the condition existed, keeping the outcome', () => {
    const d = decide(
      makeNodeBounce({
        status: { ...pendingStatus(), phase: 'Failed', reason: R.PodNotFound, message: 'gone', completionTime: iso(3) },
      }),
      makeObserved(),
      at(9),
    );
    expect(cond(d.status, 'Finished')).toMatchObject({
      status: 'True',
      reason: 'Failed',
      message: 'PodNotFound: gone',
    });
  });
});
