import { describe, expect, it } from 'vitest';
import {
  DEFAULT_READY_TIMEOUT_SECONDS,
  describePodState,
  isPodReady,
  readyTimeoutFromProbes,
  type PodLike,
} from '../../src/bounce/pod.js';
import { makePod } from './fixtures.js';

describe('isPodReady', () => {
  const table: Array<[string, PodLike, boolean]> = [
    ['Ready=True', makePod({ ready: true }), true],
    ['Ready=False', makePod({ ready: false }), false],
    ['no conditions', makePod({ noReadyCondition: true }), false],
    ['no status at all', { metadata: { name: 'x' } }, false],
    ['Ready=True but terminating', makePod({ ready: true, deleting: true }), false],
    ['only other conditions True', { status: { conditions: [{ type: 'ContainersReady', status: 'True' }] } }, false],
  ];
  it.each(table)('%s', (_, pod, expected) => expect(isPodReady(pod)).toBe(expected));
});

describe('readyTimeoutFromProbes', () => {
  const table: Array<[string, PodLike | undefined, number, 'StartupProbe' | 'Default']> = [
    ['no pod', undefined, 600, 'Default'],
    ['no containers', { spec: {} }, 600, 'Default'],
    ['no startup probe', makePod(), 600, 'Default'],
    ['readiness probe only: still the default', makePod({ readinessProbe: { periodSeconds: 5 } }), 600, 'Default'],
    [
      'startup probe with all fields',
      makePod({ startupProbe: { initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 30 } }),
      160,
      'StartupProbe',
    ],
    [
      'startup probe + readiness period',
      makePod({
        startupProbe: { initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 30 },
        readinessProbe: { periodSeconds: 7 },
      }),
      167,
      'StartupProbe',
    ],
    ['startup probe with k8s defaults (10 x 3)', makePod({ startupProbe: {} }), 30, 'StartupProbe'],
    [
      'readiness probe with default period 10',
      makePod({ startupProbe: { periodSeconds: 1, failureThreshold: 1 }, readinessProbe: {} }),
      11,
      'StartupProbe',
    ],
    [
      'slowest container wins',
      {
        spec: {
          containers: [
            { name: 'a', startupProbe: { periodSeconds: 10, failureThreshold: 60 } },
            {
              name: 'b',
              startupProbe: { initialDelaySeconds: 700, periodSeconds: 1, failureThreshold: 1 },
              readinessProbe: { periodSeconds: 3 },
            },
            { name: 'c', readinessProbe: { periodSeconds: 20 } },
          ],
        },
      },
      701 + 20,
      'StartupProbe',
    ],
  ];
  it.each(table)('%s', (_, pod, seconds, source) => {
    expect(readyTimeoutFromProbes(pod)).toEqual({ seconds, source });
  });

  it('the default is 600', () => expect(DEFAULT_READY_TIMEOUT_SECONDS).toBe(600));

  it('property: the formula over a grid of probe settings', () => {
    for (const delay of [0, 1, 30])
      for (const period of [1, 5, 10])
        for (const threshold of [1, 3, 30])
          for (const rp of [undefined, 1, 15]) {
            const pod = makePod({
              startupProbe: { initialDelaySeconds: delay, periodSeconds: period, failureThreshold: threshold },
              ...(rp === undefined ? {} : { readinessProbe: { periodSeconds: rp } }),
            });
            expect(readyTimeoutFromProbes(pod).seconds).toBe(delay + period * threshold + (rp ?? 0));
          }
  });
});

describe('describePodState', () => {
  it('no pod', () => expect(describePodState(undefined)).toBe('no pod observed'));

  it('a healthy pod', () => {
    expect(describePodState(makePod({ uid: 'u1' }))).toBe('pod node-a-0 (uid u1) phase Running, Ready=True');
  });

  it('names the Ready condition reason/message and container waiting reasons', () => {
    const pod = makePod({
      uid: 'u2',
      ready: false,
      readyReason: 'ContainersNotReady',
      readyMessage: 'containers with unready status: [express]',
      containerStatuses: [
        {
          name: 'express',
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
        },
        { name: 'init', state: { terminated: { reason: 'Error', exitCode: 2 } } },
        { name: 'sidecar', ready: false, state: { running: {} } },
        { name: 'mystery', state: { waiting: {} } },
      ],
    });
    expect(describePodState(pod)).toBe(
      'pod node-a-0 (uid u2) phase Running, Ready=False (ContainersNotReady: containers with unready status: [express]), ' +
        'container express waiting: CrashLoopBackOff: back-off 40s, container express restarts 4, ' +
        'container init terminated: Error (exit 2), container sidecar not ready, container mystery waiting: unknown',
    );
  });

  it('mentions terminating, the pod reason and a missing Ready condition', () => {
    const pod: PodLike = {
      metadata: { name: 'p', uid: 'u', deletionTimestamp: '2025-01-01T00:00:00Z' },
      status: { phase: 'Failed', reason: 'Evicted' },
    };
    expect(describePodState(pod)).toBe('pod p (uid u) phase Failed, terminating, reason Evicted, no Ready condition');
  });

  it('copes with a pod without metadata or status', () => {
    expect(describePodState({})).toBe('pod ? (uid ?) phase unknown, no Ready condition');
  });
});
