// Reads the kube-apiserver audit log (JSON lines, Metadata level): request counts by user and verb, and the
// exact (microsecond) times at which pods and NodeBounces changed, for the floor and the decision latencies.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** The audit policy the bench's control planes run with: Metadata for everything but Leases and health probes. */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
# kwok's node heartbeats and health probes are noise here.
- level: None
  resources:
  - group: coordination.k8s.io
    resources: [leases]
- level: None
  nonResourceURLs: ['/readyz*', '/healthz*', '/livez*']
- level: Metadata
`;

export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  userAgent?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  /** requestReceivedTimestamp in epoch ms (fractional). */
  receivedMs: number;
  /** stageTimestamp in epoch ms (fractional): for ResponseComplete, when the change was committed. */
  stageMs: number;
}

/** RFC 3339 with up to nanoseconds -> epoch milliseconds with the fraction kept (Date.parse drops it). */
export function parseMicroTime(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return Date.parse(ts);
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + frac;
}

/**
 * Reads the audit events that pass `keep` (checked on the raw line first, cheaply, via `mustContain`).
 * Only final stages are kept: ResponseComplete, plus ResponseStarted for long-running requests (watches),
 * each request once; sorted by stage time.
 */
export async function readAudit(
  path: string,
  opts: { mustContain?: string[]; keep?: (e: AuditEvent) => boolean } = {},
): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  const seen = new Set<string>();
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    if (opts.mustContain && !opts.mustContain.every((s) => line.includes(s))) continue;
    let e: AuditEvent;
    try {
      e = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // a line being written right now
    }
    if (e.stage !== 'ResponseComplete' && e.stage !== 'ResponseStarted') continue;
    if (e.stage === 'ResponseStarted' && e.verb !== 'watch') continue;
    if (seen.has(e.auditID)) continue;
    seen.add(e.auditID);
    e.receivedMs = parseMicroTime(e.requestReceivedTimestamp);
    e.stageMs = parseMicroTime(e.stageTimestamp);
    if (opts.keep && !opts.keep(e)) continue;
    out.push(e);
  }
  return out.sort((a, b) => a.stageMs - b.stageMs);
}

export const isOperator = (e: AuditEvent): boolean => (e.user?.username ?? '').includes('nodebounce-operator');
export const ok = (e: AuditEvent): boolean =>
  (e.responseStatus?.code ?? 0) >= 200 && (e.responseStatus?.code ?? 0) < 300;

/** "verb resource[/subresource]" */
export function requestKind(e: AuditEvent): string {
  const r = e.objectRef?.resource ?? '?';
  return `${e.verb} ${r}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
}

/** Counts of the operator's requests in [fromMs, toMs], by verb and by "verb resource". */
export function countOperatorRequests(
  events: AuditEvent[],
  fromMs: number,
  toMs: number,
): { total: number; byVerb: Record<string, number>; byKind: Record<string, number> } {
  const byVerb: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const e of events) {
    if (!isOperator(e) || e.receivedMs < fromMs || e.receivedMs > toMs) continue;
    total++;
    byVerb[e.verb] = (byVerb[e.verb] ?? 0) + 1;
    const k = requestKind(e);
    byKind[k] = (byKind[k] ?? 0) + 1;
  }
  return { total, byVerb, byKind };
}

/** What the audit log says happened to one pod during one bounce. Times in epoch ms. */
export interface PodTimeline {
  /** The disruption was accepted: eviction created or graceful delete accepted (deletionTimestamp set). */
  disruptedAt?: number;
  /** The kubelet (kwok) removed the old pod: shutdown finished. */
  goneAt?: number;
  /** The Express operator (simulator) created the replacement. */
  createdAt?: number;
  /** The kubelet (kwok) reported the replacement Ready (its status write completed). */
  readyAt?: number;
  /** When that status write was received: the operator can see Ready before the write's response completes. */
  readyReceivedAt?: number;
}

/**
 * Pod events of `name` in [fromMs, toMs]: the first successful eviction/delete is the disruption, the next
 * successful delete is kwok's grace-0 removal, then the simulator's create, then kwok's status write (Ready).
 */
export function podTimeline(
  events: AuditEvent[],
  namespace: string,
  name: string,
  fromMs: number,
  toMs: number,
): PodTimeline {
  const t: PodTimeline = {};
  for (const e of events) {
    const o = e.objectRef;
    if (o?.resource !== 'pods' || o.namespace !== namespace || o.name !== name || !ok(e)) continue;
    if (e.receivedMs < fromMs || e.receivedMs > toMs) continue;
    const sub = o.subresource ?? '';
    if (t.disruptedAt === undefined) {
      if ((sub === 'eviction' && e.verb === 'create') || (sub === '' && e.verb === 'delete')) t.disruptedAt = e.stageMs;
      continue;
    }
    if (t.goneAt === undefined) {
      if (sub === '' && e.verb === 'delete') t.goneAt = e.stageMs;
      continue;
    }
    if (t.createdAt === undefined) {
      if (sub === '' && e.verb === 'create') t.createdAt = e.stageMs;
      continue;
    }
    if (t.readyAt === undefined && sub === 'status' && (e.verb === 'patch' || e.verb === 'update')) {
      t.readyAt = e.stageMs;
      t.readyReceivedAt = e.receivedMs;
    }
  }
  return t;
}

export function floorOf(
  t: PodTimeline,
): { shutdownMs: number; startupMs: number; recreateGapMs: number; floorMs: number } | undefined {
  if (t.disruptedAt === undefined || t.goneAt === undefined || t.createdAt === undefined || t.readyAt === undefined)
    return undefined;
  const shutdownMs = t.goneAt - t.disruptedAt;
  const startupMs = t.readyAt - t.createdAt;
  return { shutdownMs, startupMs, recreateGapMs: t.createdAt - t.goneAt, floorMs: shutdownMs + startupMs };
}

/** The operator's decision latencies for one NodeBounce, from the audit log. */
export function decisionLatencies(
  events: AuditEvent[],
  namespace: string,
  nbName: string,
  podName: string,
  readyAt: number | undefined,
  readyReceivedAt: number | undefined = readyAt,
): { createdToEvictMs?: number; readyToSucceededMs?: number } {
  let createdAt: number | undefined;
  let evictAt: number | undefined;
  let succeededAt: number | undefined;
  for (const e of events) {
    const o = e.objectRef;
    if (!o || o.namespace !== namespace || !ok(e)) continue;
    if (o.resource === 'nodebounces' && o.name === nbName && !o.subresource && e.verb === 'create')
      createdAt = e.stageMs;
    if (
      evictAt === undefined &&
      isOperator(e) &&
      o.resource === 'pods' &&
      o.name === podName &&
      createdAt !== undefined &&
      e.receivedMs >= createdAt
    ) {
      if ((o.subresource === 'eviction' && e.verb === 'create') || (!o.subresource && e.verb === 'delete'))
        evictAt = e.receivedMs;
    }
    if (
      succeededAt === undefined &&
      readyAt !== undefined &&
      readyReceivedAt !== undefined &&
      isOperator(e) &&
      o.resource === 'nodebounces' &&
      o.subresource === 'status' &&
      o.name === nbName &&
      // The watch can deliver kwok's Ready before kwok's own request completes (readyAt): the operator's write
      // counts from the moment kwok's write was received (matching from readyAt dropped the fastest bounces).
      e.receivedMs >= readyReceivedAt
    ) {
      succeededAt = e.stageMs;
    }
  }
  return {
    createdToEvictMs: createdAt !== undefined && evictAt !== undefined ? evictAt - createdAt : undefined,
    // Clamped at 0: a Succeeded write that completed before kwok's response did took no time after Ready.
    readyToSucceededMs:
      readyAt !== undefined && succeededAt !== undefined ? Math.max(0, succeededAt - readyAt) : undefined,
  };
}
