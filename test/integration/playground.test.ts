// The playground (`npm run cluster -- up --express N`) and examples/: the same setup function on the shared
// control plane, and the example manifests created through the API server as `kubectl create -f` would.
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, isPodReady, readPod, uniqueName, waitUntil } from '../harness/index.js';
import { keepDefaultServiceAccounts, setUpPlayground } from '../harness/playground.js';
import { loadManifests } from './support/operator.js';
import { useOperatorEnv } from './support/env.js';
import { RolloutFixture } from './support/rollout.js';

describe('playground and examples/', () => {
  const env = useOperatorEnv();

  it('a namespace made by hand gets its default ServiceAccount while the playground runs', async () => {
    const core = env.kc.makeApiClient(CoreV1Api);
    const name = uniqueName('by-hand');
    await core.createNamespace({ body: { metadata: { name } } });
    const keeper = keepDefaultServiceAccounts(env.kc, () => undefined, 200);
    try {
      await waitUntil(
        async () =>
          (await core.readNamespacedServiceAccount({ namespace: name, name: 'default' }).catch(() => undefined)) ??
          undefined,
        { timeoutMs: 30_000, description: `ServiceAccount ${name}/default` },
      );
    } finally {
      keeper.stop();
    }
  });

  it('examples/ work in the playground with a plain create: ExpressNode, NodeBounce, RollingBounce', async () => {
    const { namespace, nodes } = await setUpPlayground(env.kc, { namespace: uniqueName('playground'), express: 2 });
    expect(nodes).toEqual(['express-0', 'express-1']);
    const files = readdirSync(join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(['expressnode.yaml', 'nodebounce.yaml', 'rollingbounce.yaml']);
    const api = KubernetesObjectApi.makeApiClient(env.kc);
    const objects: KubernetesObject[] = files.flatMap((f) => loadManifests(join(REPO_ROOT, 'examples', f)));
    // In file order as a user would (expressnode.yaml first), the ExpressNode's pod Ready before the bounces.
    for (const o of objects) {
      expect(o.metadata?.namespace).toBe('playground');
      await api.create({ ...o, metadata: { ...o.metadata, namespace } });
      if (o.kind === 'ExpressNode')
        await waitUntil(async () => (isPodReady(await readPod(env.kc, namespace, 'example-node')) ? true : undefined), {
          timeoutMs: 60_000,
          description: 'the example ExpressNode pod Ready',
        });
    }
    const nb = await env.fx.waitFinished(namespace, 'express-0-example');
    expect(nb.status?.phase).toBe('Succeeded');
    expect(nb.status?.conditions?.find((c) => c.type === 'Finished')).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
    });
    const rb = await new RolloutFixture(env.kc).waitFinished(namespace, 'express-rollout');
    expect(rb.status?.phase).toBe('Succeeded');
    expect(rb.status?.members?.map((m) => m.pod).sort()).toEqual(['example-node', 'express-0', 'express-1']);
  });
});
