// Integration files share one control plane, and every file's operator watches all namespaces unless told
// otherwise: a NodeBounce or RollingBounce a file leaves unfinished would be picked up, finished and counted by the
// next file's operator (CI once counted a fifth success where the dashboard test made four). After its operator has
// stopped, each file removes what it made in its own namespaces, so nothing of it outlives the file.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';

const GROUP = { group: 'bounce.express.dev', version: 'v1alpha1' };
const PLURALS = ['rollingbounces', 'nodebounces'];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Listed {
  items: { metadata: { name: string; finalizers?: string[] } }[];
}

/** Deletes every NodeBounce and RollingBounce in `namespaces`, finalizers dropped first (no operator runs now). */
export async function removeBounces(kc: KubeConfig, namespaces: Iterable<string>): Promise<number> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  let removed = 0;
  for (const namespace of namespaces) {
    for (const plural of PLURALS) {
      const list = (await custom.listNamespacedCustomObject({ ...GROUP, plural, namespace })) as Listed;
      for (const { metadata } of list.items) {
        const ref = { ...GROUP, plural, namespace, name: metadata.name };
        const gone = (err: unknown) => {
          if ((err as { code?: number }).code !== 404) throw err;
        };
        if (metadata.finalizers?.length)
          await custom
            .patchNamespacedCustomObject({ ...ref, body: { metadata: { finalizers: null } } }, mergePatch)
            .catch(gone);
        await custom.deleteNamespacedCustomObject(ref).catch(gone);
        removed++;
      }
    }
  }
  return removed;
}
