// A 429 from the Eviction API is either a PodDisruptionBudget refusal or API server throttling. Told apart from
// the Status body the server sends (kube-apiserver pkg/registry/core/pod/storage/eviction.go for the PDB, the
// API Priority and Fairness / max-in-flight filters for throttling), through the same path the operator takes:
// client-node's ApiException -> executeAction() -> applyOutcome() -> decide().
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Reasons as R, type NodeBounceStatus } from '../../src/api/nodebounce.js';
import { decide } from '../../src/bounce/decide.js';
import {
  applyOutcome,
  isDisruptionBudgetRefusal,
  THROTTLE_DELAY_MAX_MS,
  throttleDelayMs,
} from '../../src/bounce/outcome.js';
import type { Action } from '../../src/bounce/types.js';
import { defaultExpressConfig } from '../../src/config/schema.js';
import { executeAction } from '../../src/controller/actions.js';
import type { KubeClient } from '../../src/kube/client.js';
import { apiErrorInfo } from '../../src/kube/errors.js';
import { EXPRESS, OLD_UID, POD, actionTypes, at, iso, makeNodeBounce, makeObserved, reasonsOf } from './fixtures.js';

// Status bodies exactly as kube-apiserver serialises them (metav1.Status; StatusCause.Type is the JSON "reason").
const PDB_NO_DISRUPTION = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: "Cannot evict pod as it would violate the pod's disruption budget.",
  reason: 'TooManyRequests',
  details: {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: 'The disruption budget node-a-pdb needs 3 healthy pods and has 3 currently',
      },
    ],
  },
  code: 429,
};
/** The PDB controller has not observed the budget's generation yet: also a PDB refusal, with a Retry-After of 10 s. */
const PDB_NOT_OBSERVED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: "Cannot evict pod as it would violate the pod's disruption budget.",
  reason: 'TooManyRequests',
  details: {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: 'The disruption budget node-a-pdb is still being processed by the server.',
      },
    ],
    retryAfterSeconds: 10,
  },
  code: 429,
};
/** Kubernetes 1.37+: a budget whose status allows a negative number of disruptions (403, now with the cause). */
const PDB_NEGATIVE_1_37 = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'poddisruptionbudgets.policy "node-a-pdb" is forbidden: pdb disruptions allowed is negative',
  reason: 'Forbidden',
  details: {
    name: 'node-a-pdb',
    group: 'policy',
    kind: 'poddisruptionbudgets',
    causes: [
      {
        reason: 'DisruptionBudget',
        message:
          'The disruption budget node-a-pdb does not allow evicting pods currently: pdb disruptions allowed is negative',
      },
    ],
  },
  code: 403,
};
/** The same refusal from Kubernetes 1.35 and 1.36: no cause, so an ordinary failure. */
const PDB_NEGATIVE_1_36 = {
  ...PDB_NEGATIVE_1_37,
  details: { name: 'node-a-pdb', group: 'policy', kind: 'poddisruptionbudgets' },
};
/** API Priority and Fairness rejecting the request (also what the max-in-flight filter sends). */
const APF_THROTTLED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Too many requests, please try again later.',
  reason: 'TooManyRequests',
  details: { retryAfterSeconds: 1 },
  code: 429,
};

/** What client-node 1.x throws for a non-2xx answer: the body as text, lower-case headers. */
const apiException = (body: unknown, headers: Record<string, string> = {}, code = 429) =>
  new ApiException<string>(
    code,
    'Unknown API Status Code!',
    typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  );

const terminating: NodeBounceStatus = {
  phase: 'Terminating',
  reason: R.Evicting,
  message: 'Evicting',
  podUID: OLD_UID,
  expressResourceName: EXPRESS,
  startTime: iso(0),
  terminatingTime: iso(0),
  effectiveTimeouts: { terminationSeconds: 600, readySeconds: 600, readySource: 'Default' },
  eviction: { attempts: 0 },
  conditions: [{ type: 'Succeeded', status: 'Unknown', reason: 'Accepted', message: 'x', lastTransitionTime: iso(0) }],
};
const evict: Action = { type: 'EvictPod', podName: POD, uid: OLD_UID, mode: 'Evict' };

async function evictWith(err: unknown) {
  const client = { evictPod: async () => Promise.reject(err) } as unknown as KubeClient;
  const nb = makeNodeBounce({ status: terminating });
  const { outcome } = await executeAction(client, defaultExpressConfig, nb, evict);
  return { nb, outcome, result: applyOutcome(nb, evict, outcome, at(10)) };
}

describe('apiErrorInfo: causes and Retry-After from a Status', () => {
  it('reads details.causes and details.retryAfterSeconds', () => {
    const info = apiErrorInfo(apiException(PDB_NOT_OBSERVED, { 'retry-after': '10' }));
    expect(info).toMatchObject({ code: 429, reason: 'TooManyRequests', isStatus: true, retryAfterSeconds: 10 });
    expect(info.causes).toEqual([
      {
        reason: 'DisruptionBudget',
        message: 'The disruption budget node-a-pdb is still being processed by the server.',
      },
    ]);
  });

  it('no causes and no Retry-After when the server gave none (retryAfterSeconds 0 is Go for "unset")', () => {
    const info = apiErrorInfo(apiException({ ...PDB_NO_DISRUPTION, details: { retryAfterSeconds: 0 } }));
    expect(info.causes).toBeUndefined();
    expect(info.retryAfterSeconds).toBeUndefined();
  });

  it('falls back to the Retry-After header (seconds or an HTTP date)', () => {
    expect(apiErrorInfo(apiException('Too many requests', { 'retry-after': '7' })).retryAfterSeconds).toBe(7);
    const inTwenty = new Date(Date.now() + 20_000).toUTCString();
    const s = apiErrorInfo(apiException('Too many requests', { 'Retry-After': inTwenty })).retryAfterSeconds!;
    expect(s).toBeGreaterThanOrEqual(18);
    expect(s).toBeLessThanOrEqual(21);
    expect(apiErrorInfo(apiException('x', { 'retry-after': 'soon' })).retryAfterSeconds).toBeUndefined();
  });
});

describe('eviction 429: PodDisruptionBudget refusal vs throttling', () => {
  it.each([
    ['no disruption allowed', PDB_NO_DISRUPTION, {}],
    ['budget not observed yet (with Retry-After)', PDB_NOT_OBSERVED, { 'retry-after': '10' }],
  ])('PDB refusal (%s) -> BlockedByPDB with the budget named', async (_, body, headers) => {
    const { outcome, result } = await evictWith(apiException(body, headers));
    expect(isDisruptionBudgetRefusal(outcome)).toBe(true);
    expect(result.status.reason).toBe(R.BlockedByPDB);
    expect(result.status.eviction?.lastError).toContain('node-a-pdb');
    expect(result.status.eviction?.nextAttemptTime).toBeUndefined();
    expect(reasonsOf(result.events)).toEqual([R.BlockedByPDB]);
    expect(result.requeueAfterMs).toBe(1_000);
  });

  it('403 with the DisruptionBudget cause (Kubernetes 1.37+) -> BlockedByPDB; without it (1.36) -> EvictionFailed', async () => {
    const with37 = await evictWith(apiException(PDB_NEGATIVE_1_37, {}, 403));
    expect(with37.outcome).toMatchObject({ ok: false, code: 403 });
    expect(isDisruptionBudgetRefusal(with37.outcome)).toBe(true);
    expect(with37.result.status.reason).toBe(R.BlockedByPDB);
    expect(with37.result.status.eviction?.lastError).toContain('does not allow evicting pods currently');
    expect(reasonsOf(with37.result.events)).toEqual([R.BlockedByPDB]);
    const with36 = await evictWith(apiException(PDB_NEGATIVE_1_36, {}, 403));
    expect(isDisruptionBudgetRefusal(with36.outcome)).toBe(false);
    expect(with36.result.status.reason).toBe(R.Evicting);
    expect(reasonsOf(with36.result.events)).toEqual(['EvictionFailed']);
  });

  it('API Priority and Fairness throttling -> EvictionThrottled, not BlockedByPDB; retried after Retry-After', async () => {
    const { outcome, result } = await evictWith(apiException(APF_THROTTLED, { 'retry-after': '1' }));
    expect(outcome).toMatchObject({ ok: false, code: 429, retryAfterSeconds: 1 });
    expect(isDisruptionBudgetRefusal(outcome)).toBe(false);
    expect(result.status.phase).toBe('Terminating');
    expect(result.status.reason).toBe(R.EvictionThrottled);
    expect(result.status.message).toContain('not a PodDisruptionBudget refusal');
    expect(result.status.podDeletedTime).toBeUndefined();
    expect(result.status.eviction).toMatchObject({ attempts: 1, lastAttemptTime: iso(10), nextAttemptTime: iso(11) });
    expect(result.retry).toBe(false);
    expect(result.requeueAfterMs).toBe(1_000);
    expect(reasonsOf(result.events)).toEqual([R.EvictionThrottled]);
  });

  it('a Retry-After is honoured but bounded; none (a bare text 429) waits the minimum', async () => {
    const long = await evictWith(apiException({ ...APF_THROTTLED, details: { retryAfterSeconds: 3600 } }));
    expect(long.result.requeueAfterMs).toBe(THROTTLE_DELAY_MAX_MS);
    expect(long.result.status.eviction?.nextAttemptTime).toBe(iso(10 + THROTTLE_DELAY_MAX_MS / 1000));
    const bare = await evictWith(apiException('Too many requests, please try again later.'));
    expect(bare.result.status.reason).toBe(R.EvictionThrottled);
    expect(bare.result.requeueAfterMs).toBe(1_000);
    expect([throttleDelayMs(Number.NaN), throttleDelayMs(-5), throttleDelayMs(0), throttleDelayMs(5)]).toEqual([
      1_000, 1_000, 1_000, 5_000,
    ]);
  });

  it('decide() waits for nextAttemptTime (a reconcile triggered by the status write does not evict early)', async () => {
    const { result } = await evictWith(apiException({ ...APF_THROTTLED, details: { retryAfterSeconds: 5 } }));
    const nb = makeNodeBounce({ status: result.status, finalizer: true });
    const early = decide(nb, makeObserved(), at(11));
    expect(actionTypes(early.actions)).toEqual([]);
    expect(early.requeueAfterMs).toBe(4_000);
    expect(actionTypes(decide(nb, makeObserved(), at(15)).actions)).toEqual(['EvictPod']);
  });

  it('a later success or PDB refusal clears the throttling marker', async () => {
    const { result } = await evictWith(apiException(APF_THROTTLED));
    const nb = makeNodeBounce({ status: result.status, finalizer: true });
    const after = applyOutcome(
      nb,
      evict,
      { ok: false, code: 429, message: 'pdb', causes: [{ reason: 'DisruptionBudget' }] },
      at(12),
    );
    expect(after.status.reason).toBe(R.BlockedByPDB);
    expect(after.status.eviction?.nextAttemptTime).toBeUndefined();
  });
});
