// Observing cancellations from the outside (issue 17, item 5): a NodeBounce watch (when each appeared, its pod,
// when it was gone), an ExpressNode watch (shutdown protection over time), and the audit log (when the operator's
// evictions and the NodeBounces' last writes reached the API server).
import { readFile } from 'node:fs/promises';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { NodeBounce } from '../../../src/api/nodebounce.js';
import { EXPRESS_GROUP, EXPRESS_PLURAL, EXPRESS_VERSION } from '../../harness/index.js';

const NB_PATH = (ns: string) => `/apis/bounce.express.dev/v1alpha1/namespaces/${ns}/nodebounces`;

export interface SeenNodeBounce {
  name: string;
  pod: string;
  owner?: string;
  addedAt: number;
  goneAt?: number;
  finalizers: string[];
}

/** Watches a namespace's NodeBounces; `onAdded` runs for every new one, as soon as the watch shows it. */
export async function watchNodeBounceLifetimes(
  kc: KubeConfig,
  ns: string,
  onAdded: (nb: SeenNodeBounce) => void = () => undefined,
  onEvent: (type: string, nb: NodeBounce) => void = () => undefined,
): Promise<{ all(): SeenNodeBounce[]; stop(): void }> {
  const seen = new Map<string, SeenNodeBounce>();
  const req = await new Watch(kc).watch(
    NB_PATH(ns),
    {},
    (type, obj: NodeBounce) => {
      const key = `${obj.metadata.name}/${obj.metadata.uid}`;
      let s = seen.get(key);
      if (!s) {
        s = {
          name: obj.metadata.name,
          pod: obj.spec?.podName ?? '',
          owner: obj.metadata.ownerReferences?.[0]?.name,
          addedAt: Date.now(),
          finalizers: [],
        };
        seen.set(key, s);
        onAdded(s);
      }
      s.finalizers = obj.metadata.finalizers ?? [];
      if (type === 'DELETED') s.goneAt = Date.now();
      onEvent(type, obj);
    },
    () => undefined,
  );
  return { all: () => [...seen.values()], stop: () => req.abort() };
}

/** Watches a namespace's ExpressNodes and keeps each one's spec.shutdownProtection history (time, value). */
export async function watchProtection(
  kc: KubeConfig,
  ns: string,
): Promise<{ history(name: string): Array<{ at: number; value: unknown }>; stop(): void }> {
  const seen = new Map<string, Array<{ at: number; value: unknown }>>();
  const req = await new Watch(kc).watch(
    `/apis/${EXPRESS_GROUP}/${EXPRESS_VERSION}/namespaces/${ns}/${EXPRESS_PLURAL}`,
    {},
    (_type, obj: { metadata?: { name?: string }; spec?: { shutdownProtection?: unknown } }) => {
      const name = obj.metadata?.name ?? '';
      const list = seen.get(name) ?? [];
      const value = obj.spec?.shutdownProtection;
      if (list.length === 0 || list[list.length - 1]!.value !== value) list.push({ at: Date.now(), value });
      seen.set(name, list);
    },
    () => undefined,
  );
  return { history: (name) => seen.get(name) ?? [], stop: () => req.abort() };
}

/** One successful (2xx) request in the audit log, ResponseComplete stage, once per audit ID. */
export interface AuditRequest {
  resource: string;
  subresource?: string;
  name: string;
  verb: string;
  /** requestReceivedTimestamp, ms. */
  at: number;
  user: string;
}

export async function auditRequests(auditLogPath: string, ns: string, fromMs = 0): Promise<AuditRequest[]> {
  const out: AuditRequest[] = [];
  const seen = new Set<string>();
  for (const line of (await readFile(auditLogPath, 'utf8')).split('\n')) {
    if (!line.includes(`"namespace":"${ns}"`) || !line.includes('"ResponseComplete"')) continue;
    let e: {
      auditID: string;
      stage?: string;
      verb?: string;
      objectRef?: { resource?: string; subresource?: string; name?: string; namespace?: string };
      responseStatus?: { code?: number };
      user?: { username?: string };
      requestReceivedTimestamp?: string;
    };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    if (e.stage !== 'ResponseComplete' || seen.has(e.auditID) || e.objectRef?.namespace !== ns) continue;
    seen.add(e.auditID);
    const code = e.responseStatus?.code ?? 0;
    const at = Date.parse(e.requestReceivedTimestamp ?? '');
    if (code < 200 || code >= 300 || at < fromMs) continue;
    out.push({
      resource: e.objectRef.resource ?? '',
      ...(e.objectRef.subresource ? { subresource: e.objectRef.subresource } : {}),
      name: e.objectRef.name ?? '',
      verb: e.verb ?? '',
      at,
      user: e.user?.username ?? '',
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

const WRITES = new Set(['create', 'update', 'patch', 'delete']);

/**
 * Evictions by the operator that reached the API server when no NodeBounce for that pod existed any more: after the
 * last successful write to every NodeBounce of the pod (the write that removed it: a delete without finalizer, or
 * the patch that took the last finalizer off), and after that NodeBounce's creation.
 */
export function evictionsAfterRemoval(
  requests: AuditRequest[],
  nodeBounces: Array<{ name: string; pod: string }>,
): string[] {
  const out: string[] = [];
  const lifetime = new Map<string, { from: number; to: number }>();
  for (const r of requests) {
    if (r.resource !== 'nodebounces' || !WRITES.has(r.verb)) continue;
    const l = lifetime.get(r.name) ?? { from: r.at, to: r.at };
    l.to = Math.max(l.to, r.at);
    l.from = Math.min(l.from, r.at);
    lifetime.set(r.name, l);
  }
  for (const e of requests) {
    if (e.resource !== 'pods' || e.subresource !== 'eviction' || !e.user.includes('nodebounce-operator')) continue;
    const mine = nodeBounces.filter((nb) => nb.pod === e.name);
    const alive = mine.some((nb) => {
      const l = lifetime.get(nb.name);
      return l !== undefined && l.from <= e.at && e.at <= l.to;
    });
    if (!alive) {
      // The NodeBounce of that pod removed last before the eviction.
      const before = mine
        .map((nb) => ({ name: nb.name, to: lifetime.get(nb.name)?.to ?? Number.NEGATIVE_INFINITY }))
        .filter((l) => l.to < e.at)
        .sort((a, b) => b.to - a.to)[0];
      out.push(
        `pod ${e.name} evicted at ${new Date(e.at).toISOString()}, ${before ? `${e.at - before.to} ms after NodeBounce ${before.name} was removed` : 'with no NodeBounce for it'}`,
      );
    }
  }
  return out;
}
