import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResilientInformer } from '../../src/kube/informer.js';

// The informer's restart loop, driven by a list function that fails (no network: the watch is never reached).
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

function failingInformer() {
  const calls: number[] = [];
  const informer = new ResilientInformer(
    kubeConfig(),
    '/api/v1/pods',
    async () => {
      calls.push(Date.now());
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    },
    { timeoutMinSeconds: 300, timeoutMaxSeconds: 600, idleTimeoutMs: 90_000 },
    pino({ level: 'silent' }),
  );
  return { informer, calls };
}

describe('ResilientInformer while the API server is down', () => {
  it('retries the initial list with a backoff that grows (a connection attempt does not reset it)', async () => {
    const { informer, calls } = failingInformer();
    const started = informer.start();
    await vi.advanceTimersByTimeAsync(200 + 400 + 800 + 1600 + 3200 + 10);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    expect(gaps).toEqual([200, 400, 800, 1600, 3200]);
    expect(informer.consecutiveFailures).toBe(6);
    await informer.stop();
    await started;
  });

  it('stop() during the backoff ends start() at once and lists no more', async () => {
    const { informer, calls } = failingInformer();
    let done = false;
    const started = informer.start().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(250); // second attempt made, now waiting 400 ms
    expect(calls).toHaveLength(2);
    await informer.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    await started;
    expect(informer.synced).toBe(false);
  });
});

describe('ResilientInformer with a transform', () => {
  it('stores the listed objects as the transform returns them', async () => {
    vi.useRealTimers();
    const informer = new ResilientInformer<{ metadata: { name: string; namespace: string }; big?: string }>(
      kubeConfig(),
      '/api/v1/pods',
      async () => ({
        metadata: { resourceVersion: '10' },
        items: [{ metadata: { name: 'a', namespace: 'ns' }, big: 'x'.repeat(100) }],
      }),
      { timeoutMinSeconds: 300, timeoutMaxSeconds: 600, idleTimeoutMs: 90_000 },
      pino({ level: 'silent' }),
      { transform: ({ metadata }) => ({ metadata }) },
    );
    const seen: unknown[] = [];
    informer.onChange((o) => seen.push(o));
    await informer.start(); // the list succeeds; the watch that follows cannot connect (nothing listens)
    await informer.stop();
    expect(informer.list()).toEqual([{ metadata: { name: 'a', namespace: 'ns' } }]);
    expect(seen).toEqual([{ metadata: { name: 'a', namespace: 'ns' } }]);
  });
});
