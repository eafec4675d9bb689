// Watches every pod incarnation (UID) of one name, to count restarts exactly.
import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { AuditEvent } from '../../../bench/audit.js';

export async function trackPodUids(
  kc: KubeConfig,
  namespace: string,
): Promise<{ uidsOf(name: string): string[]; stop(): void }> {
  const seen = new Map<string, string[]>();
  const req = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    {},
    (_type, pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      const uid = pod.metadata?.uid ?? '';
      const list = seen.get(name) ?? [];
      if (!list.includes(uid)) list.push(uid);
      seen.set(name, list);
    },
    () => undefined,
  );
  return { uidsOf: (name) => seen.get(name) ?? [], stop: () => req.abort() };
}

/** Successful (2xx) pod evictions and deletions of `name` in the kube-apiserver audit log. */
export async function countPodDisruptions(auditLogPath: string, namespace: string, name: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(auditLogPath, 'utf8');
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(`"${name}"`) || !line.includes(namespace)) continue;
    const e = JSON.parse(line) as Partial<AuditEvent>;
    if (e.stage !== 'ResponseComplete' || e.objectRef?.namespace !== namespace || e.objectRef?.name !== name) continue;
    if (!e.user?.username?.includes('nodebounce-operator')) continue;
    const code = e.responseStatus?.code ?? 0;
    const eviction = e.objectRef.resource === 'pods' && e.objectRef.subresource === 'eviction' && e.verb === 'create';
    const deletion = e.objectRef.resource === 'pods' && !e.objectRef.subresource && e.verb === 'delete';
    if ((eviction || deletion) && code >= 200 && code < 300) n++;
  }
  return n;
}
