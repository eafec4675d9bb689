import { KubeConfig, RequestContext, HttpMethod, Watch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deadline, dispatcherCount, isDeadlineExceeded, reuseConnections, withDeadline } from '../../src/kube/http.js';
import { restartBackoffMs } from '../../src/kube/informer.js';
import { BoundedWatch } from '../../src/kube/watch.js';

function kubeConfig(server = 'https://127.0.0.1:6443', token = 't'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from('not-a-real-ca').toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** What client-node's generated API clients do before each request. */
async function dispatcherForRequest(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  expect(ctx.getHeaders().Authorization).toBe('Bearer t');
  return ctx.getDispatcher();
}

describe('reuseConnections', () => {
  it('without it, client-node builds a new dispatcher (new connections) per request: the problem', async () => {
    const kc = kubeConfig();
    const first = await dispatcherForRequest(kc);
    expect(first).toBeDefined();
    expect(await dispatcherForRequest(kc)).not.toBe(first);
  });

  it('with it, requests with the same TLS options share one dispatcher', async () => {
    const kc = reuseConnections(kubeConfig());
    const first = await dispatcherForRequest(kc);
    expect(await dispatcherForRequest(kc)).toBe(first);
    expect(dispatcherCount(kc)).toBe(1);
  });

  it('is idempotent and keeps configs apart', async () => {
    const one = reuseConnections(reuseConnections(kubeConfig()));
    const two = reuseConnections(kubeConfig('https://127.0.0.1:7443'));
    expect(await dispatcherForRequest(one)).not.toBe(await dispatcherForRequest(two));
    expect(dispatcherCount(one)).toBe(1);
  });
});

describe('request deadlines', () => {
  it('a deadline aborts the request signal after its time', async () => {
    const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', HttpMethod.GET);
    await deadline(20).pre(ctx);
    const signal = ctx.getSignal()!;
    expect(signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(signal.aborted).toBe(true);
    expect(isDeadlineExceeded(signal.reason)).toBe(true);
  });

  it('a per-call deadline is observable middleware that sets the signal', async () => {
    const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', HttpMethod.GET);
    const opts = withDeadline(1000);
    expect(opts.middlewareMergeStrategy).toBe('append');
    const out = await opts.middleware![0]!.pre(ctx).toPromise();
    expect(out.getSignal()).toBeInstanceOf(AbortSignal);
  });

  it('rejects deadlines that are not positive numbers (a NaN timer would fire at once)', () => {
    expect(() => deadline(Number.NaN)).toThrow(/positive/);
    expect(() => deadline(0)).toThrow(/positive/);
  });
});

describe('watch limits', () => {
  it("client-node's watch still has the inactivity timer the idle watchdog sets", () => {
    expect((new Watch(kubeConfig()) as unknown as { requestTimeoutMs: unknown }).requestTimeoutMs).toBe(30_000);
    const w = new BoundedWatch(kubeConfig(), { timeoutMinSeconds: 300, timeoutMaxSeconds: 600, idleTimeoutMs: 90_000 });
    expect((w as unknown as { requestTimeoutMs: unknown }).requestTimeoutMs).toBe(90_000);
  });

  it('restart backoff grows with consecutive failures and is capped', () => {
    expect([1, 2, 3, 4].map(restartBackoffMs)).toEqual([200, 400, 800, 1600]);
    expect(restartBackoffMs(50)).toBe(30_000);
    expect(restartBackoffMs(0)).toBe(200);
  });
});
