// Two actors after a lease change (issue 18, item 5), the parts that are pure or local: every request of the
// operator's client is aborted when it stops acting (the leader elector's own requests are separate), and the
// shutdown-protection disable is conditional on the resourceVersion the decision read, so a late one cannot land
// over a successor's restore.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/bounce/decide.js';
import { applyOutcome } from '../../src/bounce/outcome.js';
import type { Action } from '../../src/bounce/types.js';
import { defaultExpressConfig, defaultOperatorConfig } from '../../src/config/schema.js';
import { shutdownProtectionPatch } from '../../src/express/view.js';
import { KubeClient } from '../../src/kube/client.js';
import { at, cond, EXPRESS, found, makeNodeBounce, makeObserved, makePod, step } from './fixtures.js';

describe('requests end with leadership', () => {
  let server: Server;
  let hung = 0;
  beforeAll(async () => {
    // An API server that never answers.
    server = createServer(() => void hung++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('aborting the acting signal aborts a request in flight at once, and later ones fail without being sent', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const acting = new AbortController();
    // Deadline 60 s: only the abort can end the request within this test.
    const client = new KubeClient(
      kc,
      defaultExpressConfig,
      { ...defaultOperatorConfig.api, requestTimeoutSeconds: 60 },
      acting.signal,
    );
    const inFlight = client.patchExpress('ns', 'x', { spec: { shutdownProtection: false } });
    const settled = inFlight.then(
      () => 'answered',
      (err: unknown) => `rejected: ${String((err as Error)?.message ?? err)}`,
    );
    while (hung === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    acting.abort(new Error('lost leadership'));
    expect(await settled).toMatch(/^rejected/);
    expect(Date.now() - t0).toBeLessThan(2000);
    const sent = hung;
    await expect(client.patchExpress('ns', 'x', {})).rejects.toBeDefined();
    expect(hung).toBe(sent);
  });
});

describe('the shutdown-protection disable carries a precondition', () => {
  it('the patch carries the resourceVersion the decision read', () => {
    expect(shutdownProtectionPatch(defaultExpressConfig, false, '42')).toEqual({
      spec: { shutdownProtection: false },
      metadata: { resourceVersion: '42' },
    });
    expect(shutdownProtectionPatch(defaultExpressConfig, true)).toEqual({ spec: { shutdownProtection: true } });
  });

  it('decide() puts the read resourceVersion into the disable action', () => {
    const d = decide(
      makeNodeBounce(),
      makeObserved({ pod: makePod(), express: found({ shutdownProtection: true, resourceVersion: '777' }) }),
      at(0),
    );
    const disable = d.actions.find((a) => a.type === 'SetShutdownProtection');
    expect(disable).toMatchObject({ enabled: false, resourceVersion: '777' });
  });

  it('a 409 on the first disable (the object changed since it was read) is decided again, not reported as a failure', () => {
    const obs = makeObserved({ pod: makePod(), express: found({ shutdownProtection: true, resourceVersion: '1' }) });
    const first = step(makeNodeBounce(), obs, at(0), (a) =>
      a.type === 'SetShutdownProtection'
        ? { ok: false, code: 409, message: 'the object has been modified' }
        : { ok: true },
    );
    expect(cond(first.nb.status, 'ShutdownProtectionDisabled')?.status).toBe('Unknown');
    expect(first.events.map((e) => e.reason)).not.toContain('ShutdownProtectionNotDisabled');
    // Next pass, newer version: disabled (as a repeat, with the new resourceVersion).
    const obs2 = makeObserved({ pod: makePod(), express: found({ shutdownProtection: true, resourceVersion: '2' }) });
    const second = step(first.nb, obs2, at(1));
    const again = second.actions.find((a) => a.type === 'SetShutdownProtection') as Extract<
      Action,
      { type: 'SetShutdownProtection' }
    >;
    expect(again).toMatchObject({ enabled: false, repeated: true, resourceVersion: '2' });
    expect(second.nb.status?.shutdownProtection?.disabledByOperator).toBe(true);
  });

  it('a second 409 goes the best-effort way (warned, bounce goes on)', () => {
    const nb = makeNodeBounce({ finalizer: true });
    const action: Action = {
      type: 'SetShutdownProtection',
      expressName: EXPRESS,
      enabled: false,
      repeated: true,
      resourceVersion: '3',
    };
    const r = applyOutcome(nb, action, { ok: false, code: 409, message: 'modified' }, at(2));
    expect(r.events.map((e) => e.reason)).toEqual(['ShutdownProtectionNotDisabled']);
  });
});
