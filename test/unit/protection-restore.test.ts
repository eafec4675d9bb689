// Restoring shutdown protection is retried a bounded number of times, then given up visibly (condition, Warning
// event, metric); a cluster operator releases the NodeBounce with an annotation. It used to retry forever, holding
// the finalizer, with nothing to alert on after the first failure.
import { describe, expect, it } from 'vitest';
import {
  NODEBOUNCE_FINALIZER,
  RELEASE_PROTECTION_ANNOTATION,
  Reasons as R,
  type NodeBounce,
  type NodeBounceStatus,
} from '../../src/api/nodebounce.js';
import { decide } from '../../src/bounce/decide.js';
import { applyOutcome } from '../../src/bounce/outcome.js';
import {
  RESTORE_BACKOFF_MAX_MS,
  annotationSetBy,
  protectionLeftUnrestored,
  restoreBackoffMs,
} from '../../src/bounce/restore.js';
import { defaultDecideOptions, type ActionOutcome, type DecideOptions } from '../../src/bounce/types.js';
import { protectionRestoreConfigSchema } from '../../src/config/schema.js';
import { OperatorMetrics } from '../../src/observability/metrics.js';
import {
  EXPRESS,
  NEW_UID,
  OLD_UID,
  T0,
  actionTypes,
  cond,
  iso,
  makeNodeBounce,
  makeObserved,
  makePod,
  reasonsOf,
} from './fixtures.js';

const readyStatus: NodeBounceStatus = {
  phase: 'Starting',
  reason: R.WaitingForReady,
  message: 'waiting',
  startTime: iso(0),
  expressResourceName: EXPRESS,
  podUID: OLD_UID,
  terminatingTime: iso(1),
  podDeletedTime: iso(1),
  terminatedTime: iso(5),
  effectiveTimeouts: { terminationSeconds: 600, readySeconds: 600, readySource: 'Default' },
  shutdownProtection: { wasEnabled: true, disabledByOperator: true, restored: false },
  conditions: [
    { type: 'Succeeded', status: 'Unknown', reason: 'Accepted', message: 'x', lastTransitionTime: iso(0) },
    {
      type: 'ShutdownProtectionDisabled',
      status: 'True',
      reason: 'DisabledByOperator',
      message: 'x',
      lastTransitionTime: iso(1),
    },
  ],
};
const ready = () => makeObserved({ pod: makePod({ uid: NEW_UID, ready: true }) });
const forbidden: ActionOutcome = { ok: false, code: 403, message: 'expressnodes.express.dev "node-a" is forbidden' };

/**
 * Runs the controller loop against a restore that keeps failing: at each wake-up (the requeue the decision or the
 * outcome asked for, or 1 s after a status write, which triggers a watch event), decide, run, fold the outcomes.
 */
function runUntilQuiet(
  nbIn: NodeBounce,
  restore: () => ActionOutcome,
  options: DecideOptions = defaultDecideOptions,
  maxSteps = 500,
) {
  let nb = structuredClone(nbIn);
  let now = T0.getTime() + 10_000;
  const restoreTimes: number[] = [];
  const events: string[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const d = decide(nb, ready(), new Date(now), options);
    const changed = JSON.stringify(d.status) !== JSON.stringify(nb.status);
    nb = { ...nb, status: d.status };
    events.push(...reasonsOf(d.events));
    let requeue = d.requeueAfterMs;
    for (const action of d.actions) {
      const outcome: ActionOutcome = action.type === 'SetShutdownProtection' ? restore() : { ok: true };
      if (action.type === 'SetShutdownProtection') restoreTimes.push(now);
      if (outcome.ok && action.type === 'RemoveFinalizer') nb.metadata.finalizers = [];
      const r = applyOutcome(nb, action, outcome, new Date(now), options);
      expect(r.retry).toBe(false);
      nb = { ...nb, status: r.status };
      events.push(...reasonsOf(r.events));
      requeue = r.requeueAfterMs;
      if (!outcome.ok) break;
    }
    if (d.actions.length === 0 && !changed && requeue === undefined) return { nb, restoreTimes, events, now };
    // A status write comes back as a watch event right away; otherwise wait for the requeue.
    now += changed || d.actions.length > 0 ? Math.min(requeue ?? 1_000, 1_000) : requeue!;
  }
  throw new Error('never settled');
}

describe('restoring shutdown protection: bounded retries', () => {
  it('a restore that keeps failing: 10 attempts with backoff, then Failed/ShutdownProtectionNotRestored, finalizer held, quiet', () => {
    const { nb, restoreTimes, events, now } = runUntilQuiet(
      makeNodeBounce({ status: readyStatus, finalizer: true }),
      () => forbidden,
    );
    expect(restoreTimes).toHaveLength(10);
    // Backoff between attempts is honoured even though every status write wakes the reconciler up.
    for (let i = 1; i < restoreTimes.length; i++)
      expect(restoreTimes[i]! - restoreTimes[i - 1]!).toBeGreaterThanOrEqual(restoreBackoffMs(i));
    expect(now - restoreTimes[0]!).toBeLessThan(15 * 60_000);

    const st = nb.status!;
    expect(st.phase).toBe('Failed');
    expect(st.reason).toBe(R.ShutdownProtectionNotRestored);
    expect(st.message).toContain(
      `kubectl annotate nodebounce bounce-1 -n express-prod ${RELEASE_PROTECTION_ANNOTATION}=true`,
    );
    expect(st.shutdownProtection).toMatchObject({
      restored: false,
      restoreFailed: true,
      restoreAttempts: 10,
      lastError: forbidden.message,
    });
    expect(cond(st, 'ShutdownProtectionRestored')).toMatchObject({ status: 'False', reason: 'RestoreFailed' });
    expect(nb.metadata.finalizers).toEqual([NODEBOUNCE_FINALIZER]);
    expect(events.filter((e) => e === 'ShutdownProtectionRestoreFailed')).toHaveLength(9);
    expect(events.filter((e) => e === 'ShutdownProtectionRestoreGaveUp')).toHaveLength(1);
    expect(events.filter((e) => e === R.ShutdownProtectionNotRestored)).toHaveLength(1); // the transition to Failed
    expect(protectionLeftUnrestored(st.shutdownProtection)).toBe(true);

    // Later passes (resyncs, restarts) do nothing: no retry, no requeue.
    const later = decide(nb, ready(), new Date(now + 3_600_000));
    expect(later.actions).toEqual([]);
    expect(later.requeueAfterMs).toBeUndefined();
  });

  it('the duration limit applies too, whichever comes first (configurable)', () => {
    const options: DecideOptions = {
      ...defaultDecideOptions,
      protectionRestore: protectionRestoreConfigSchema.parse({ maxAttempts: 100, maxDurationSeconds: 60 }),
    };
    const { nb, restoreTimes } = runUntilQuiet(
      makeNodeBounce({ status: readyStatus, finalizer: true }),
      () => forbidden,
      options,
    );
    // 2 + 4 + 8 + 16 + 32 s of backoff: the attempt at >= 60 s after the first failure gives up.
    expect(restoreTimes.length).toBeLessThan(10);
    expect(restoreTimes.at(-1)! - restoreTimes[0]!).toBeGreaterThanOrEqual(60_000);
    expect(nb.status?.shutdownProtection?.restoreFailed).toBe(true);
  });

  it('a restore that recovers before the limit: restored, condition ShutdownProtectionRestored True, Succeeded', () => {
    let failures = 3;
    const { nb, restoreTimes } = runUntilQuiet(makeNodeBounce({ status: readyStatus, finalizer: true }), () =>
      failures-- > 0 ? forbidden : { ok: true },
    );
    expect(restoreTimes).toHaveLength(4);
    expect(nb.status?.phase).toBe('Succeeded');
    expect(nb.status?.shutdownProtection).toMatchObject({ restored: true, restoreAttempts: 3 });
    expect(cond(nb.status, 'ShutdownProtectionRestored')).toMatchObject({ status: 'True', reason: 'Restored' });
    expect(nb.metadata.finalizers).toEqual([]);
  });

  it('backoff: 2 s doubling to 2 min', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 50].map(restoreBackoffMs)).toEqual([
      0,
      2_000,
      4_000,
      8_000,
      16_000,
      32_000,
      64_000,
      120_000,
      120_000,
      RESTORE_BACKOFF_MAX_MS,
    ]);
  });
});

describe('releasing a NodeBounce: annotation bounce.express.dev/release-protection', () => {
  const gaveUp: NodeBounceStatus = {
    ...readyStatus,
    phase: 'Failed',
    reason: R.ShutdownProtectionNotRestored,
    completionTime: iso(700),
    shutdownProtection: {
      wasEnabled: true,
      disabledByOperator: true,
      restored: false,
      lastError: 'forbidden',
      restoreAttempts: 10,
      restoreFailed: true,
    },
  };
  const released = (status: NodeBounceStatus, meta: Partial<NodeBounce['metadata']> = {}) =>
    makeNodeBounce({
      status,
      finalizer: true,
      meta: {
        annotations: { [RELEASE_PROTECTION_ANNOTATION]: 'true' },
        managedFields: [
          {
            manager: 'kube-controller',
            operation: 'Update',
            time: iso(0),
            fieldsV1: { 'f:metadata': { 'f:finalizers': {} } },
          },
          {
            manager: 'kubectl-annotate',
            operation: 'Update',
            time: iso(800),
            fieldsV1: { 'f:metadata': { 'f:annotations': { [`f:${RELEASE_PROTECTION_ANNOTATION}`]: {} } } },
          },
        ],
        ...meta,
      },
    });

  it('drops the finalizer without restoring, recording that and who (the field manager)', () => {
    const d = decide(released(gaveUp), makeObserved(), new Date(T0.getTime() + 900_000));
    expect(d.actions).toEqual([{ type: 'RemoveFinalizer' }]);
    expect(d.status.shutdownProtection).toMatchObject({
      restored: false,
      restoreFailed: true,
      releasedTime: new Date(T0.getTime() + 900_000).toISOString(),
      releasedBy: `field manager "kubectl-annotate" (Update at ${iso(800)})`,
    });
    expect(cond(d.status, 'ShutdownProtectionRestored')).toMatchObject({ status: 'False', reason: 'Released' });
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'ShutdownProtectionReleased' });
    expect(d.events[0]!.message).toContain('was NOT restored (last error: forbidden)');
    expect(protectionLeftUnrestored(d.status.shutdownProtection)).toBe(false);
    // Once the finalizer is gone: nothing more.
    const after = decide(
      { ...released(d.status), metadata: { ...released(d.status).metadata, finalizers: [] } },
      makeObserved(),
      new Date(T0.getTime() + 901_000),
    );
    expect(after.actions).toEqual([]);
    expect(after.events).toEqual([]);
  });

  it('works while deleting, and before giving up (a restore still being retried)', () => {
    const retrying: NodeBounceStatus = {
      ...readyStatus,
      shutdownProtection: {
        wasEnabled: true,
        disabledByOperator: true,
        restored: false,
        restoreAttempts: 2,
        lastRestoreAttemptTime: iso(20),
      },
    };
    const deleting = decide(
      released(retrying, { deletionTimestamp: iso(30) }),
      makeObserved(),
      new Date(T0.getTime() + 31_000),
    );
    expect(actionTypes(deleting.actions)).toEqual(['RemoveFinalizer']);
    // Starting with the replacement Ready: finishes Succeeded without the restore, then lets go.
    const starting = decide(released(retrying), ready(), new Date(T0.getTime() + 31_000));
    expect(starting.status.reason).toBe(R.PodRestarted);
    expect(actionTypes(starting.actions)).toEqual(['RemoveFinalizer']);
    expect(starting.status.shutdownProtection?.releasedTime).toBeDefined();
  });

  it('only "true" releases; without managedFields the releaser is unknown', () => {
    const notTrue = released(gaveUp, { annotations: { [RELEASE_PROTECTION_ANNOTATION]: 'yes please' } });
    expect(decide(notTrue, makeObserved(), new Date(T0.getTime() + 900_000)).actions).toEqual([]);
    const anonymous = decide(
      released(gaveUp, { managedFields: undefined }),
      makeObserved(),
      new Date(T0.getTime() + 900_000),
    );
    expect(anonymous.status.shutdownProtection?.releasedBy).toBe('unknown (see the API server audit log)');
    expect(annotationSetBy(makeNodeBounce().metadata, RELEASE_PROTECTION_ANNOTATION)).toBeUndefined();
  });
});

describe('nodebounce_protection_unrestored', () => {
  it('exports the count the controller reports', async () => {
    const m = new OperatorMetrics({ defaultMetrics: false });
    expect(await m.registry.getSingleMetricAsString('nodebounce_protection_unrestored')).toMatch(
      /^nodebounce_protection_unrestored 0$/m,
    );
    m.setUnrestoredProtectionSource(() => 2);
    expect(await m.registry.getSingleMetricAsString('nodebounce_protection_unrestored')).toMatch(
      /^nodebounce_protection_unrestored 2$/m,
    );
  });
});
