// An operator whose pod watch is scoped by podLabelSelector: a pod outside it is refused before anything is
// touched (PodNotWatched), because the operator could evict it but would never see its replacement; a pod inside
// it is bounced as usual.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { readPod } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

const UNWATCHED = 'nodebounce.test/unwatched';

describe('podLabelSelector', () => {
  const env = useOperatorEnv({ env: { NODEBOUNCE_POD_LABEL_SELECTOR: `!${UNWATCHED}` } });

  it('a pod outside the selector: Failed PodNotWatched, the pod and its Express resource untouched', async () => {
    const ns = await env.namespace('sel-out');
    await env.fx.readyExpressNode(ns, 'outside');
    const pod = await env.fx.core.patchNamespacedPod(
      { namespace: ns, name: 'outside', body: { metadata: { labels: { [UNWATCHED]: 'true' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const rv = (await env.fx.getExpressNode(ns, 'outside')).metadata.resourceVersion;
    const nb = await env.fx.createNodeBounce(ns, { podName: 'outside' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'PodNotWatched' });
    expect(done.status?.message).toContain(`does not match the operator's podLabelSelector "!${UNWATCHED}"`);
    const now = await readPod(env.kc, ns, 'outside');
    expect(now?.metadata?.uid).toBe(pod.metadata?.uid);
    expect(now?.metadata?.deletionTimestamp).toBeUndefined();
    expect((await env.fx.getExpressNode(ns, 'outside')).metadata.resourceVersion).toBe(rv);
  });

  it('a pod inside the selector is bounced and its replacement found', async () => {
    const ns = await env.namespace('sel-in');
    const pod = await env.fx.readyExpressNode(ns, 'inside');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'inside' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status).toMatchObject({ phase: 'Succeeded', reason: 'PodRestarted' });
    expect(done.status?.replacementPodUID).not.toBe(pod.metadata?.uid);
    expect(done.status?.replacementPodUID).toBe((await readPod(env.kc, ns, 'inside'))?.metadata?.uid);
  });
});
