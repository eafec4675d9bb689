// Issue 18 item 6: a NodeBounce restored from a backup without its status (what Velero does by default: metadata,
// annotations and finalizers restored, status not; a restore is a create, so a new UID) must never bounce the pod
// again. It ends Failed/StatusLost having touched nothing. A NodeBounce whose operator crashed right after taking the
// finalizer (finalizer + marker of its own UID, no status) is not a restore and runs normally.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { ACCEPTED_UID_ANNOTATION, NODEBOUNCE_FINALIZER, type NodeBounce } from '../../src/api/nodebounce.js';
import { readPod } from '../harness/index.js';
import { auditRequests } from './support/cancel.js';
import { useOperatorEnv } from './support/env.js';
import { countPodDisruptions } from './support/pods.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const NB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'nodebounces' };

/** What a backup tool writes back: the exported object without status and without what the API server assigns. */
function asRestored(exported: NodeBounce, extraLabels: Record<string, string> = {}): Record<string, unknown> {
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    generation: _g,
    managedFields: _m,
    ...meta
  } = exported.metadata;
  return {
    apiVersion: exported.apiVersion,
    kind: exported.kind,
    metadata: { ...meta, labels: { ...meta.labels, ...extraLabels } },
    spec: exported.spec,
  };
}

describe('a NodeBounce restored without its status', () => {
  const env = useOperatorEnv();

  it('ends Failed/StatusLost touching nothing (finished or mid-bounce when backed up); a crash after the hold still bounces', async () => {
    const ns = await env.namespace('status-lost');
    const audit = inject('auditLogPath');
    const ready = (n: string) => env.fx.readyExpressNode(ns, n, { shutdownProtection: true });
    const podA = await ready('sl-a');
    const podB = await ready('sl-b');
    const podC = await ready('sl-c');

    // A: a real bounce, finished; then exported as a backup would hold it.
    const ran = await env.fx.createNodeBounce(ns, { podName: 'sl-a' }, { name: 'nb-a' });
    const doneA = await env.fx.waitFinished(ns, 'nb-a', 60_000);
    expect(doneA.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
    expect(doneA.metadata.annotations?.[ACCEPTED_UID_ANNOTATION]).toBe(ran.metadata.uid);
    const uidA = (await env.fx.waitPodReady(ns, 'sl-a')).metadata?.uid;
    expect(uidA).not.toBe(podA.metadata?.uid);

    // The operator is down while the restore happens (it finds everything at start, as after a cluster restore).
    expect(await env.operator.stop()).toBe(0);
    await env.fx.deleteNodeBounce(ns, 'nb-a');
    const restoredAt = Date.now();
    const create = (body: Record<string, unknown>) =>
      env.fx.custom.createNamespacedCustomObject({ ...NB, namespace: ns, body }) as Promise<NodeBounce>;
    await create(asRestored(doneA, { 'velero.io/restore-name': 'restore-1' }));
    // B: backed up mid-bounce (the operator held the finalizer), restored without status.
    await create({
      apiVersion: 'bounce.express.dev/v1alpha1',
      kind: 'NodeBounce',
      metadata: {
        name: 'nb-b',
        finalizers: [NODEBOUNCE_FINALIZER],
        annotations: { [ACCEPTED_UID_ANNOTATION]: '0f6b1c8e-0000-4000-8000-backed-up-uid' },
      },
      spec: { podName: 'sl-b' },
    });
    // C: new, and its operator crashed right after taking the finalizer: finalizer + marker of its own UID.
    const c = await env.fx.createNodeBounce(ns, { podName: 'sl-c' }, { name: 'nb-c' });
    await env.fx.custom.patchNamespacedCustomObject(
      {
        ...NB,
        namespace: ns,
        name: 'nb-c',
        body: {
          metadata: {
            finalizers: [NODEBOUNCE_FINALIZER],
            annotations: { [ACCEPTED_UID_ANNOTATION]: c.metadata.uid },
            resourceVersion: c.metadata.resourceVersion,
          },
        },
      },
      mergePatch,
    );

    await env.restartOperator();
    const a = await env.fx.waitFinished(ns, 'nb-a', 60_000);
    const b = await env.fx.waitFinished(ns, 'nb-b', 60_000);
    const cDone = await env.fx.waitFinished(ns, 'nb-c', 60_000);

    for (const [lost, pod, uid] of [
      [a, 'sl-a', uidA],
      [b, 'sl-b', podB.metadata?.uid],
    ] as const) {
      expect(lost.status, lost.metadata.name).toMatchObject({ phase: 'Failed', reason: 'StatusLost' });
      expect(lost.status?.message).toContain('nothing was touched');
      expect(lost.status?.podUID).toBeUndefined();
      expect((await readPod(env.kc, ns, pod))?.metadata?.uid, `${pod} kept its UID`).toBe(uid);
      expect((await env.fx.getExpressNode(ns, pod)).spec.shutdownProtection, `${pod} protection`).toBe(true);
    }
    expect(a.status?.message).toContain('Velero restore restore-1');
    // B's finalizer (from the backup) is let go, so it can be deleted.
    await expect
      .poll(async () => (await env.fx.getNodeBounce(ns, 'nb-b'))?.metadata.finalizers ?? [], { timeout: 30_000 })
      .toEqual([]);

    // The audit log: since the restore, the operator wrote nothing to pods sl-a, sl-b or their ExpressNodes.
    const since = (await auditRequests(audit, ns, restoredAt)).filter(
      (r) => r.user.includes('nodebounce-operator') && ['create', 'update', 'patch', 'delete'].includes(r.verb),
    );
    const touched = since.filter(
      (r) => (r.resource === 'pods' || r.resource === 'expressnodes') && /^sl-[ab]$/.test(r.name),
    );
    expect(touched).toEqual([]);
    expect(await countPodDisruptions(audit, ns, 'sl-a')).toBe(1); // the original bounce only
    expect(await countPodDisruptions(audit, ns, 'sl-b')).toBe(0);

    // C ran as a new request would.
    expect(cDone.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted', podUID: podC.metadata?.uid });
    expect(await countPodDisruptions(audit, ns, 'sl-c')).toBe(1);
    expect((await env.fx.getExpressNode(ns, 'sl-c')).spec.shutdownProtection).toBe(true);
  });
});
