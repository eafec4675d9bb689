// Restoring shutdown protection fails for good: the operator gives up after its configured attempts (condition,
// Warning event, metric), keeps the finalizer, and lets go when a cluster operator annotates the NodeBounce.
// The failure is real: a ValidatingAdmissionPolicy (CEL, no webhook) refuses turning protection back on.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createDenyPolicy, waitUntilRefused, type PolicyHandle } from './support/admission.js';
import { useOperatorEnv } from './support/env.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('shutdown protection that cannot be restored', () => {
  const env = useOperatorEnv({ env: { NODEBOUNCE_PROTECTION_RESTORE_MAX_ATTEMPTS: '2' } });
  let policy: PolicyHandle | undefined;
  afterAll(async () => {
    await policy?.remove();
  });

  const unrestored = async () => {
    const line = (await env.operator.metrics()).body
      .split('\n')
      .find((l) => l.startsWith('nodebounce_protection_unrestored '));
    return Number(line?.split(' ')[1]);
  };

  it('gives up after the configured attempts, alerts through the metric, and is released by the annotation', async () => {
    const ns = await env.namespace('pr-release');
    await env.fx.readyExpressNode(ns, 'pr', { shutdownProtection: true });
    policy = await createDenyPolicy(env.kc, {
      name: `deny-protection-restore-${process.pid}`,
      namespace: ns,
      resourceRules: [
        { apiGroups: ['express.dev'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['expressnodes'] },
      ],
      expression:
        '!(has(object.spec.shutdownProtection) && object.spec.shutdownProtection == true && has(oldObject.spec.shutdownProtection) && oldObject.spec.shutdownProtection == false)',
      message: 'turning shutdown protection back on is refused by a test policy',
    });
    // The policy takes effect once the API server has loaded it: wait until it refuses (dry run) turning a probe's
    // protection on.
    await env.fx.createExpressNode(ns, 'probe', { shutdownProtection: false });
    await waitUntilRefused(
      () =>
        env.fx.custom.patchNamespacedCustomObject(
          {
            group: 'express.dev',
            version: 'v1alpha1',
            plural: 'expressnodes',
            namespace: ns,
            name: 'probe',
            dryRun: 'All',
            body: { spec: { shutdownProtection: true } },
          },
          mergePatch,
        ),
      'the admission policy took effect',
    );

    const nb = await env.fx.createNodeBounce(ns, { podName: 'pr' });
    const failed = await env.fx.waitNodeBounce(
      ns,
      nb.metadata.name,
      (o) => o.status?.shutdownProtection?.restoreFailed === true && o.status?.phase === 'Failed',
      60_000,
      'gave up',
    );
    expect(failed.status?.reason).toBe('ShutdownProtectionNotRestored');
    expect(failed.status?.shutdownProtection).toMatchObject({ restored: false, restoreAttempts: 2 });
    expect(failed.status?.shutdownProtection?.lastError).toContain('refused by a test policy');
    expect(failed.status?.conditions?.find((c) => c.type === 'ShutdownProtectionRestored')).toMatchObject({
      status: 'False',
      reason: 'RestoreFailed',
    });
    expect(failed.metadata.finalizers).toContain('bounce.express.dev/restore-shutdown-protection');
    expect(await unrestored()).toBe(1);
    const events = await env.fx.events(ns, nb.metadata.name);
    expect(events.find((e) => e.reason === 'ShutdownProtectionRestoreGaveUp')?.type).toBe('Warning');

    await env.fx.custom.patchNamespacedCustomObject(
      {
        group: 'bounce.express.dev',
        version: 'v1alpha1',
        plural: 'nodebounces',
        namespace: ns,
        name: nb.metadata.name,
        fieldManager: 'oncall-release',
        body: { metadata: { annotations: { 'bounce.express.dev/release-protection': 'true' } } },
      },
      mergePatch,
    );
    const released = await env.fx.waitNodeBounce(
      ns,
      nb.metadata.name,
      (o) => !(o.metadata.finalizers ?? []).length,
      20_000,
      'released',
    );
    expect(released.status?.shutdownProtection?.releasedTime).toBeTruthy();
    expect(released.status?.shutdownProtection?.releasedBy).toContain('"oncall-release"');
    expect(released.status?.conditions?.find((c) => c.type === 'ShutdownProtectionRestored')).toMatchObject({
      status: 'False',
      reason: 'Released',
    });
    expect(await unrestored()).toBe(0);
    // Released, not restored: the Express resource is left as it was.
    expect((await env.fx.getExpressNode(ns, 'pr')).spec.shutdownProtection).toBe(false);
  });
});
