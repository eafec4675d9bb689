// Repeated Events become one Event with a count (client-go style), not one per retry. The repeats are real: a
// ValidatingAdmissionPolicy (CEL, no webhook) refuses every eviction in the namespace, so the operator retries with
// backoff until the termination deadline.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createDenyPolicy, waitUntilRefused, type PolicyHandle } from './support/admission.js';
import { useOperatorEnv } from './support/env.js';

describe('Events: repeats are aggregated', () => {
  const env = useOperatorEnv();
  let policy: PolicyHandle | undefined;
  afterAll(async () => {
    await policy?.remove();
  });

  it('a refused eviction retried until the deadline: one EvictionFailed Event whose count grows', async () => {
    const ns = await env.namespace('ev-series');
    const pod = await env.fx.readyExpressNode(ns, 'refused');
    policy = await createDenyPolicy(env.kc, {
      name: `deny-evictions-${process.pid}`,
      namespace: ns,
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods/eviction'] }],
      message: 'evictions are refused by a test policy',
    });
    // The policy takes effect once the API server has loaded it: wait until a dry-run eviction is refused.
    const core = env.kc.makeApiClient(CoreV1Api);
    await waitUntilRefused(
      () =>
        core.createNamespacedPodEviction({
          name: 'refused',
          namespace: ns,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: 'refused', namespace: ns },
            deleteOptions: { dryRun: ['All'] },
          },
        }),
      'the test policy took effect',
    );

    const nb = await env.fx.createNodeBounce(ns, { podName: 'refused', terminationTimeoutSeconds: 10 });
    const done = await env.fx.waitFinished(ns, nb.metadata.name, 60_000);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'TerminationTimeout' });
    const attempts = done.status?.eviction?.attempts ?? 0;
    expect(attempts).toBeGreaterThanOrEqual(3); // backoff 1, 2, 4 s within 10 s
    const list = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.name=${nb.metadata.name}`,
    });
    const failures = list.items.filter((e) => e.reason === 'EvictionFailed');
    // One Event object for every refusal, its count the number of refusals, its message the latest one.
    expect(failures).toHaveLength(1);
    expect(failures[0]!.count).toBe(attempts);
    expect(failures[0]!.message).toContain(`attempt ${attempts}`);
    expect(failures[0]!.message).toContain('refused by a test policy');
    expect(new Date(failures[0]!.lastTimestamp!).getTime()).toBeGreaterThan(
      new Date(failures[0]!.firstTimestamp!).getTime(),
    );
    // Nothing was disrupted.
    const after = await core.readNamespacedPod({ name: 'refused', namespace: ns });
    expect(after.metadata?.uid).toBe(pod.metadata?.uid);
    expect(after.metadata?.deletionTimestamp).toBeUndefined();
  });
});
