import { describe, expect, it } from 'vitest';
import { Reasons as R, type NodeBounceStatus } from '../../src/api/nodebounce.js';
import { EVICTION_BACKOFF_BASE_MS, EVICTION_BACKOFF_MAX_MS, evictionBackoffMs } from '../../src/bounce/decide.js';
import { applyOutcome } from '../../src/bounce/outcome.js';
import type { Action, ActionOutcome } from '../../src/bounce/types.js';
import { EXPRESS, OLD_UID, POD, at, cond, iso, makeNodeBounce, reasonsOf } from './fixtures.js';

const terminatingStatus: NodeBounceStatus = {
  phase: 'Terminating',
  reason: R.Evicting,
  message: 'Evicting',
  podUID: OLD_UID,
  expressResourceName: EXPRESS,
  startTime: iso(0),
  terminatingTime: iso(1),
  eviction: { attempts: 0 },
};
const evict = (mode: 'Evict' | 'Delete' = 'Evict'): Action => ({ type: 'EvictPod', podName: POD, uid: OLD_UID, mode });
const fail = (code: number | undefined, message = 'boom'): ActionOutcome => ({
  ok: false,
  ...(code === undefined ? {} : { code }),
  message,
});
/** The Eviction API's PDB refusal: 429 with a DisruptionBudget cause. */
const pdbRefusal = (message = "Cannot evict pod as it would violate the pod's disruption budget."): ActionOutcome => ({
  ok: false,
  code: 429,
  message,
  causes: [
    { reason: 'DisruptionBudget', message: 'The disruption budget node-a needs 3 healthy pods and has 3 currently' },
  ],
});

describe('evictionBackoffMs', () => {
  it.each([
    [-1, 0],
    [0, 0],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 16_000],
    [6, 30_000],
    [7, 30_000],
    [100, 30_000],
  ])('attempt %i -> %i ms', (attempts, expected) => expect(evictionBackoffMs(attempts)).toBe(expected));

  it('property: non-decreasing and bounded', () => {
    expect(EVICTION_BACKOFF_BASE_MS).toBe(1_000);
    expect(EVICTION_BACKOFF_MAX_MS).toBe(30_000);
    for (let a = 1; a < 200; a++) {
      expect(evictionBackoffMs(a)).toBeGreaterThanOrEqual(evictionBackoffMs(a - 1));
      expect(evictionBackoffMs(a)).toBeLessThanOrEqual(EVICTION_BACKOFF_MAX_MS);
    }
  });
});

describe('applyOutcome: EvictPod', () => {
  const success: Array<[string, 'Evict' | 'Delete', ActionOutcome, string]> = [
    ['200 evict', 'Evict', { ok: true }, 'PodEvicted'],
    ['200 delete', 'Delete', { ok: true }, 'PodDeleted'],
    ['404: already gone', 'Evict', fail(404, 'not found'), 'PodEvicted'],
    [
      '409: UID precondition failed, the old pod is gone',
      'Evict',
      fail(409, 'Precondition failed: UID in precondition'),
      'PodEvicted',
    ],
  ];
  it.each(success)('%s -> pod deleted, WaitingForTermination', (_, mode, outcome, eventReason) => {
    const nb = makeNodeBounce({ status: { ...terminatingStatus, eviction: { attempts: 2, lastError: 'old' } } });
    const r = applyOutcome(nb, evict(mode), outcome, at(10));
    expect(r.retry).toBe(false);
    expect(r.requeueAfterMs).toBe(0);
    expect(r.status.phase).toBe('Terminating');
    expect(r.status.reason).toBe(R.WaitingForTermination);
    expect(r.status.podDeletedTime).toBe(iso(10));
    expect(r.status.eviction).toEqual({ attempts: 3, lastAttemptTime: iso(10) });
    expect(r.status.message).toBe(
      `Pod ${POD} (uid ${OLD_UID}) ${mode === 'Evict' ? 'evicted' : 'deleted'}; waiting for it to terminate.`,
    );
    expect(r.events).toEqual([{ type: 'Normal', reason: eventReason, message: r.status.message }]);
    // the input is not mutated
    expect(nb.status?.podDeletedTime).toBeUndefined();
    expect(nb.status?.eviction?.attempts).toBe(2);
  });

  it('409 without a failed precondition (the pod changed meanwhile): nothing evicted, retried with backoff', () => {
    // Found by the fault proxy: a 409 taken for "the old pod is gone" left the bounce waiting, until the
    // termination timeout, for a pod that was never evicted.
    const r = applyOutcome(
      makeNodeBounce({ status: terminatingStatus }),
      evict(),
      fail(409, 'Operation cannot be fulfilled on pods "node-a-0": the object has been modified'),
      at(10),
    );
    expect(r.status.podDeletedTime).toBeUndefined();
    expect(r.status.reason).toBe(R.Evicting);
    expect(r.status.eviction).toMatchObject({ attempts: 1, lastAttemptTime: iso(10) });
    expect(r.requeueAfterMs).toBe(evictionBackoffMs(1));
    expect(reasonsOf(r.events)).toEqual(['EvictionFailed']);
  });

  it('429: BlockedByPDB, stays Terminating, backs off, Warning once', () => {
    const nb = makeNodeBounce({ status: terminatingStatus });
    const r1 = applyOutcome(nb, evict(), pdbRefusal(), at(10));
    expect(r1.status.phase).toBe('Terminating');
    expect(r1.status.reason).toBe(R.BlockedByPDB);
    expect(r1.status.podDeletedTime).toBeUndefined();
    expect(r1.status.eviction).toEqual({
      attempts: 1,
      lastAttemptTime: iso(10),
      lastError:
        "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget node-a needs 3 healthy pods and has 3 currently",
    });
    expect(r1.retry).toBe(false);
    expect(r1.requeueAfterMs).toBe(1_000);
    expect(reasonsOf(r1.events)).toEqual([R.BlockedByPDB]);
    expect(r1.events[0]!.type).toBe('Warning');
    expect(r1.status.message).toContain('PodDisruptionBudget allows no disruption');
    expect(r1.status.message).toContain('attempt 1, next in 1s');

    const r2 = applyOutcome({ ...nb, status: r1.status }, evict(), pdbRefusal('still'), at(11));
    expect(r2.status.reason).toBe(R.BlockedByPDB);
    expect(r2.events).toEqual([]);
    expect(r2.requeueAfterMs).toBe(2_000);
    expect(r2.status.eviction?.attempts).toBe(2);
    expect(r2.status.message).toContain('attempt 2, next in 2s');
  });

  it.each([
    [500, 'internal error', '500: internal error'],
    [403, 'forbidden', '403: forbidden'],
    [undefined, 'socket hang up', 'error: socket hang up'],
  ])('%s: EvictionFailed Warning, backoff, no podDeletedTime', (code, msg, detail) => {
    const nb = makeNodeBounce({ status: { ...terminatingStatus, eviction: { attempts: 3, lastAttemptTime: iso(5) } } });
    const r = applyOutcome(nb, evict(), fail(code, msg), at(10));
    expect(r.status.phase).toBe('Terminating');
    expect(r.status.reason).toBe(R.Evicting);
    expect(r.status.podDeletedTime).toBeUndefined();
    expect(r.status.eviction).toEqual({ attempts: 4, lastAttemptTime: iso(10), lastError: msg });
    expect(r.retry).toBe(false);
    expect(r.requeueAfterMs).toBe(8_000);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ type: 'Warning', reason: 'EvictionFailed' });
    expect(r.events[0]!.message).toContain(`(${detail})`);
  });

  it('creates the eviction record when status has none', () => {
    const r = applyOutcome(
      makeNodeBounce({ status: { phase: 'Terminating', podUID: OLD_UID } }),
      evict(),
      fail(500),
      at(3),
    );
    expect(r.status.eviction).toEqual({ attempts: 1, lastAttemptTime: iso(3), lastError: 'boom' });
  });
});

describe('applyOutcome: SetShutdownProtection', () => {
  const pending: NodeBounceStatus = {
    phase: 'Pending',
    reason: 'DisablingShutdownProtection',
    expressResourceName: EXPRESS,
    shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false },
    conditions: [
      {
        type: 'ShutdownProtectionDisabled',
        status: 'Unknown',
        reason: 'Disabling',
        message: 'x',
        lastTransitionTime: iso(0),
      },
    ],
  };
  const disable: Action = { type: 'SetShutdownProtection', expressName: EXPRESS, enabled: false };
  const restore: Action = { type: 'SetShutdownProtection', expressName: EXPRESS, enabled: true };

  it('disable ok: recorded as disabled by the operator, condition True, Normal event', () => {
    const r = applyOutcome(makeNodeBounce({ status: pending }), disable, { ok: true }, at(2));
    expect(r.status.shutdownProtection).toEqual({ wasEnabled: true, disabledByOperator: true, restored: false });
    expect(cond(r.status, 'ShutdownProtectionDisabled')).toMatchObject({
      status: 'True',
      reason: 'DisabledByOperator',
      lastTransitionTime: iso(2),
    });
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'ShutdownProtectionDisabled', message: `Disabled shutdown protection on ${EXPRESS}.` },
    ]);
    expect(r.retry).toBe(false);
    expect(r.requeueAfterMs).toBe(0);
  });

  it.each([
    [403, 'forbidden: User cannot patch'],
    [400, 'admission webhook "x" denied the request'],
    [undefined, 'timeout'],
    [503, 'service unavailable'],
  ])('disable failed (%s): Warning, condition False with the error, the bounce goes on', (code, message) => {
    const r = applyOutcome(makeNodeBounce({ status: pending }), disable, fail(code, message), at(2));
    // A definite rejection changed nothing; after a timeout or a server error the patch may have been
    // applied, so it is restored afterwards like a success.
    const maybeApplied = code === undefined || code >= 500;
    expect(r.status.shutdownProtection).toEqual({
      wasEnabled: true,
      disabledByOperator: maybeApplied,
      restored: false,
      lastError: message,
    });
    const c = cond(r.status, 'ShutdownProtectionDisabled')!;
    expect(c).toMatchObject({ status: 'False', reason: 'DisableFailed', lastTransitionTime: iso(2) });
    expect(c.message).toContain(`(${code ?? 'error'}: ${message})`);
    expect(c.message).toContain('Bouncing anyway');
    expect(r.events).toEqual([{ type: 'Warning', reason: 'ShutdownProtectionNotDisabled', message: c.message }]);
    expect(r.retry).toBe(false);
    expect(r.requeueAfterMs).toBe(0);
  });

  it('first disable answered 409 (the Express resource changed since it was read): decided again on the newer version', () => {
    // The disable carries the resourceVersion it read (issue 18: a late patch may not land on a newer object), so a
    // 409 means nothing was applied; the next pass reads again and tries once more (that attempt is `repeated`).
    const r = applyOutcome(
      makeNodeBounce({ status: pending }),
      disable,
      fail(409, 'the object has been modified'),
      at(2),
    );
    expect(r.status.shutdownProtection).toMatchObject({
      disabledByOperator: false,
      lastError: 'the object has been modified',
    });
    expect(cond(r.status, 'ShutdownProtectionDisabled')?.reason).not.toBe('DisableFailed');
    expect(r.events).toEqual([]);
    expect(r.retry).toBe(false);
    expect(r.requeueAfterMs).toBe(1000);
  });

  it.each([403, 409, 429, 400])(
    'repeated disable refused (%s) after an attempt whose result was lost: may have applied, so it is restored',
    (code) => {
      // Found by the fault proxy: attempt 1 applied (its response lost), its status write failed, attempt 2 got a
      // 4xx. Counting that as "nothing changed" left shutdown protection off for good.
      const r = applyOutcome(
        makeNodeBounce({ status: pending, finalizer: true }),
        { ...disable, repeated: true },
        fail(code, 'refused'),
        at(2),
      );
      expect(r.status.shutdownProtection).toMatchObject({
        wasEnabled: true,
        disabledByOperator: true,
        restored: false,
      });
      expect(cond(r.status, 'ShutdownProtectionDisabled')).toMatchObject({ status: 'False', reason: 'DisableFailed' });
      expect(r.retry).toBe(false);
    },
  );

  const disabled: NodeBounceStatus = {
    ...pending,
    phase: 'Starting',
    shutdownProtection: { wasEnabled: true, disabledByOperator: true, restored: false },
  };

  it('restore ok: restored, Normal event', () => {
    const r = applyOutcome(makeNodeBounce({ status: disabled }), restore, { ok: true }, at(50));
    expect(r.status.shutdownProtection).toEqual({ wasEnabled: true, disabledByOperator: true, restored: true });
    expect(cond(r.status, 'ShutdownProtectionDisabled')).toMatchObject({ status: 'False', reason: 'Restored' });
    expect(reasonsOf(r.events)).toEqual(['ShutdownProtectionRestored']);
    expect(r.retry).toBe(false);
    expect(r.requeueAfterMs).toBe(0);
  });

  it('restore 404: the resource is gone, nothing left to restore', () => {
    const r = applyOutcome(makeNodeBounce({ status: disabled }), restore, fail(404, 'not found'), at(50));
    expect(r.status.shutdownProtection).toMatchObject({ restored: true, lastError: 'not found' });
    expect(cond(r.status, 'ShutdownProtectionDisabled')?.message).toBe(
      `${EXPRESS} no longer exists; there is no shutdown protection left to restore.`,
    );
    expect(r.retry).toBe(false);
  });

  it.each([[403], [409], [500], [undefined]])(
    'restore failed (%s): Warning, retried with backoff (counted in status), not marked restored',
    (code) => {
      const r = applyOutcome(makeNodeBounce({ status: disabled }), restore, fail(code, 'nope'), at(50));
      expect(r.status.shutdownProtection).toEqual({
        wasEnabled: true,
        disabledByOperator: true,
        restored: false,
        lastError: 'nope',
        restoreAttempts: 1,
        lastRestoreAttemptTime: iso(50),
        restoreFailingSince: iso(50),
      });
      expect(r.events).toHaveLength(1);
      expect(r.events[0]).toMatchObject({ type: 'Warning', reason: 'ShutdownProtectionRestoreFailed' });
      expect(r.events[0]!.message).toContain('retrying in 2s (attempt 1 of at most 10, for at most 900s)');
      expect(cond(r.status, 'ShutdownProtectionRestored')).toMatchObject({
        status: 'Unknown',
        reason: 'RestoreRetrying',
      });
      expect(r.retry).toBe(false);
      expect(r.requeueAfterMs).toBe(2_000);
    },
  );
});

describe('applyOutcome: finalizer and self-delete actions', () => {
  const table: Array<[Action['type'], ActionOutcome, boolean]> = [
    ['AddFinalizer', { ok: true }, false],
    ['AddFinalizer', fail(409), true],
    ['RemoveFinalizer', { ok: true }, false],
    ['RemoveFinalizer', fail(500), true],
    ['DeleteNodeBounce', { ok: true }, false],
    ['DeleteNodeBounce', fail(404), false],
    ['DeleteNodeBounce', fail(500), true],
  ];
  it.each(table)('%s %j -> retry %s, status unchanged', (type, outcome, retry) => {
    const nb = makeNodeBounce({ status: { phase: 'Succeeded', reason: R.PodRestarted } });
    const r = applyOutcome(nb, { type } as Action, outcome, at(1));
    expect(r.retry).toBe(retry);
    expect(r.status).toEqual(nb.status);
    expect(r.events).toEqual([]);
  });
});

describe('regressions found in review', () => {
  const evict = { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Evict' } as const;
  it('a server error after a PDB refusal no longer reads as BlockedByPDB', () => {
    const blocked = applyOutcome(
      makeNodeBounce({ status: { phase: 'Terminating', reason: 'Evicting', podUID: OLD_UID } }),
      evict,
      pdbRefusal('pdb'),
      at(1),
    );
    expect(blocked.status.reason).toBe('BlockedByPDB');
    const later = applyOutcome(
      makeNodeBounce({ status: blocked.status }),
      evict,
      { ok: false, code: 500, message: 'apiserver down' },
      at(2),
    );
    expect(later.status.reason).toBe('Evicting');
  });

  it('removing our finalizer from an object that is already gone is success', () => {
    expect(
      applyOutcome(makeNodeBounce(), { type: 'RemoveFinalizer' }, { ok: false, code: 404, message: 'not found' }, at(1))
        .retry,
    ).toBe(false);
    expect(
      applyOutcome(makeNodeBounce(), { type: 'AddFinalizer' }, { ok: false, code: 404, message: 'not found' }, at(1))
        .retry,
    ).toBe(true);
  });
});
