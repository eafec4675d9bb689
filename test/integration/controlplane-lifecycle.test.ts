/**
 * Lifecycle of a dedicated control plane (not the shared one): restartApiServer keeps etcd, port and
 * certificates and watches recover; the audit log records requests; stop() leaves no process and no
 * temp dir behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ControlPlane,
  type ExpressSimulator,
  VERSIONS,
  createNamespace,
  findProcessesMentioning,
  isPodReady,
  kwokDelayAnnotations,
  readPod,
  startControlPlane,
  startExpressSimulator,
  waitUntil,
  createExpressNode,
} from '../harness/index.js';

let cp: ControlPlane | undefined;
let sim: ExpressSimulator | undefined;

afterAll(async () => {
  await sim?.stop();
  await cp?.stop();
});

describe('dedicated control plane lifecycle', () => {
  it('restarts kube-apiserver in place, audits requests, and stops without leftovers', async () => {
    cp = await startControlPlane({ kwokNodes: 1, auditPolicy: true });
    expect(cp.startupMs).toBeLessThan(60_000);
    expect(cp.nodeNames).toEqual(['kwok-node-0']);
    const kc = cp.kubeConfig;
    const ns = await createNamespace(kc, 'lifecycle');
    sim = await startExpressSimulator(kc, { namespaces: [ns] });
    await createExpressNode(kc, ns, 'n1', { annotations: kwokDelayAnnotations({ startup: 0, shutdown: 0 }) });
    const first = await waitUntil(
      async () => {
        const p = await readPod(kc, ns, 'n1');
        return isPodReady(p) ? p : undefined;
      },
      { description: 'pod Ready' },
    );

    const server = cp.server;
    await cp.restartApiServer();
    expect(cp.server).toBe(server);
    expect((await kc.makeApiClient(VersionApi).getCode()).gitVersion).toBe(VERSIONS.kubernetes);
    // Data survived (same etcd) ...
    expect((await readPod(kc, ns, 'n1'))?.metadata?.uid).toBe(first.metadata?.uid);
    // ... and watches recovered: the simulator and kwok still react.
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: ns, name: 'n1' });
    await waitUntil(
      async () => {
        const p = await readPod(kc, ns, 'n1');
        return p && p.metadata?.uid !== first.metadata?.uid && isPodReady(p);
      },
      { timeoutMs: 60_000, description: 'pod recreated and Ready after the restart' },
    );

    const auditLog = cp.auditLogPath;
    expect(auditLog).toBeTruthy();
    const events = readFileSync(auditLog as string, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { verb: string; user: { username: string }; objectRef?: { resource?: string } });
    expect(events.some((e) => e.verb === 'create' && e.objectRef?.resource === 'expressnodes')).toBe(true);
    expect(events.some((e) => e.user.username === 'nodebounce-admin')).toBe(true);

    await sim.stop();
    sim = undefined;
    const dataDir = cp.dataDir;
    await cp.stop();
    await cp.stop(); // idempotent
    cp = undefined;
    expect(existsSync(dataDir)).toBe(false);
    expect(findProcessesMentioning(dataDir)).toEqual([]);
  });
});
