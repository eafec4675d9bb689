// Pure formatting for the CLI: durations, tables, the status story, -o json|yaml.
import type { RollingBounce, RolloutPlan } from '../api/rollingbounce.js';
import { stringify as toYaml } from 'yaml';
import type { NodeBounce } from '../api/nodebounce.js';
import { isTerminal } from '../api/nodebounce.js';
import type { CoreV1Event } from './kube.js';

export type OutputFormat = 'json' | 'yaml' | 'name';

/** Go-style durations ("90s", "5m", "1h30m", "500ms") or plain seconds ("90"); returns milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    matched = re.lastIndex;
  }
  if (!s || matched !== s.length) throw new Error(`"${text}" is not a duration (examples: 90s, 5m, 1h30m)`);
  return total;
}

/** Whole seconds from a duration, for spec fields; at least 1. */
export function durationSeconds(text: string): number {
  const ms = parseDuration(text);
  const s = Math.round(ms / 1000);
  if (s < 1) throw new Error(`"${text}" is shorter than one second`);
  return s;
}

/** kubectl-like short durations: 850ms, 12s, 4m5s, 3h12m, 2d4h. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

function ms(t: string | Date | undefined): number {
  return t === undefined ? Number.NaN : new Date(t).getTime();
}

/** How long the bounce took (finished) or has been running (not finished), from status timestamps. */
export function bounceDurationMs(nb: NodeBounce, now: Date = new Date()): number | undefined {
  const start = ms(nb.status?.startTime ?? nb.metadata.creationTimestamp);
  if (Number.isNaN(start)) return undefined;
  const end = isTerminal(nb.status?.phase) ? ms(nb.status?.completionTime) : now.getTime();
  return Number.isNaN(end) ? undefined : Math.max(0, end - start);
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

export function listTable(items: NodeBounce[], opts: { allNamespaces: boolean; wide: boolean; now?: Date }): string {
  const now = opts.now ?? new Date();
  const header = [
    ...(opts.allNamespaces ? ['NAMESPACE'] : []),
    'NAME',
    'TARGET',
    'PHASE',
    'REASON',
    'DURATION',
    'AGE',
    ...(opts.wide ? ['MESSAGE'] : []),
  ];
  const rows = items.map((nb) => {
    const dur = bounceDurationMs(nb, now);
    const running = !isTerminal(nb.status?.phase);
    return [
      ...(opts.allNamespaces ? [nb.metadata.namespace] : []),
      nb.metadata.name,
      nb.spec?.podName ?? '',
      nb.status?.phase ?? 'Pending',
      nb.status?.reason ?? '',
      dur === undefined ? '' : `${humanDuration(dur)}${running ? '+' : ''}`,
      humanDuration(now.getTime() - ms(nb.metadata.creationTimestamp)),
      ...(opts.wide ? [oneLine(nb.status?.message ?? '')] : []),
    ];
  });
  return table([header, ...rows]);
}

function at(t: string | undefined): string {
  return t ? new Date(t).toISOString() : '';
}

/** `status NAME`: the whole story of one bounce, for a human. */
export function statusStory(nb: NodeBounce, events: CoreV1Event[], now: Date = new Date()): string {
  const st = nb.status ?? {};
  const spec = nb.spec ?? ({} as NodeBounce['spec']);
  const lines: string[] = [];
  const kv = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') lines.push(`${`${k}:`.padEnd(22)}${v}`);
  };
  const dur = bounceDurationMs(nb, now);
  kv('Name', nb.metadata.name);
  kv('Namespace', nb.metadata.namespace);
  kv('Target pod', spec.podName);
  kv('Express resource', st.expressResourceName);
  kv('Phase', `${st.phase ?? 'Pending (not picked up by the operator yet)'}${st.reason ? ` (${st.reason})` : ''}`);
  kv(isTerminal(st.phase) ? 'Took' : 'Running for', dur === undefined ? undefined : humanDuration(dur));
  kv('Message', st.message);
  const flags = [
    `mode ${spec.mode ?? 'Evict'}`,
    spec.force ? 'force' : undefined,
    spec.dryRun ? 'dry run' : undefined,
    spec.gracePeriodSeconds !== undefined ? `grace period ${spec.gracePeriodSeconds}s` : undefined,
    spec.ttlSecondsAfterFinished !== undefined
      ? `ttl ${spec.ttlSecondsAfterFinished}s after finishing${st.ttlSkipped ? ' (skipped: Argo CD tracked)' : ''}`
      : undefined,
  ].filter(Boolean);
  kv('Request', flags.join(', '));
  kv('Requested because', spec.reason);
  if (st.podUID) kv('Old pod UID', st.podUID);
  if (st.replacementPodUID) kv('Replacement', `${st.replacementPodName ?? spec.podName} (uid ${st.replacementPodUID})`);
  if (st.effectiveTimeouts) {
    const t = st.effectiveTimeouts;
    kv('Timeouts', `terminate ${t.terminationSeconds}s, ready ${t.readySeconds}s (${t.readySource})`);
  }
  if (st.shutdownProtection) {
    const p = st.shutdownProtection;
    const what = !p.wasEnabled
      ? 'was not enabled'
      : [
          p.disabledByOperator ? 'disabled by the operator' : 'not disabled',
          p.disabledByOperator ? (p.restored ? 'restored' : 'not restored yet') : undefined,
        ]
          .filter(Boolean)
          .join(', ');
    kv('Shutdown protection', `${what}${p.lastError ? ` (last error: ${oneLine(p.lastError)})` : ''}`);
  }
  if (st.eviction && (st.eviction.attempts > 0 || st.eviction.lastError)) {
    kv(
      'Evictions',
      `${st.eviction.attempts} attempt(s)${st.eviction.lastError ? `, last error: ${oneLine(st.eviction.lastError)}` : ''}`,
    );
  }
  kv('Last pod state', st.lastObservedPodState);

  const timeline: Array<[string | undefined, string]> = [
    [nb.metadata.creationTimestamp, 'created'],
    [st.startTime, 'accepted by the operator'],
    [st.terminatingTime, 'terminating the old pod'],
    [st.podDeletedTime, 'old pod evicted/deleted'],
    [st.terminatedTime, 'old pod gone'],
    [st.readyTime, 'replacement Ready'],
    [st.completionTime, `finished: ${st.phase ?? ''}`],
  ];
  const shown = timeline.filter(([t]) => !!t);
  if (shown.length) {
    lines.push('', 'Timeline:');
    const t0 = ms(nb.metadata.creationTimestamp);
    for (const [t, what] of shown)
      lines.push(`  ${at(t)}  ${`+${humanDuration(Math.max(0, ms(t) - t0))}`.padEnd(8)}${what}`);
  }
  if (st.conditions?.length) {
    lines.push('', 'Conditions:');
    const rows = st.conditions.map((c) => [
      '  ' + c.type,
      c.status,
      c.reason,
      humanDuration(now.getTime() - ms(c.lastTransitionTime)),
      oneLine(c.message),
    ]);
    lines.push(table([['  TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], ...rows]));
  }
  lines.push('', 'Events:');
  if (events.length === 0) lines.push('  <none>');
  else {
    const rows = events.map((e) => {
      const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
      return [
        '  ' + (t ? humanDuration(now.getTime() - new Date(t).getTime()) : ''),
        e.type ?? '',
        e.reason ?? '',
        oneLine(e.message ?? ''),
      ];
    });
    lines.push(table([['  AGE', 'TYPE', 'REASON', 'MESSAGE'], ...rows]));
  }
  return lines.join('\n');
}

export function rolloutListTable(
  items: RollingBounce[],
  opts: { allNamespaces: boolean; wide: boolean; now?: Date },
): string {
  const now = opts.now ?? new Date();
  const header = [
    ...(opts.allNamespaces ? ['NAMESPACE'] : []),
    'ROLLINGBOUNCE',
    'PROGRESS',
    'PHASE',
    'REASON',
    'DURATION',
    'AGE',
    ...(opts.wide ? ['MESSAGE'] : []),
  ];
  const rows = items.map((rb) => {
    const st = rb.status;
    const start = ms(st?.startTime ?? rb.metadata.creationTimestamp);
    const end = st?.completionTime ? ms(st.completionTime) : now.getTime();
    return [
      ...(opts.allNamespaces ? [rb.metadata.namespace] : []),
      rb.metadata.name,
      st?.progress ?? '',
      st?.phase ?? 'Pending',
      st?.reason ?? '',
      Number.isNaN(start) ? '' : `${humanDuration(Math.max(0, end - start))}${st?.completionTime ? '' : '+'}`,
      humanDuration(now.getTime() - ms(rb.metadata.creationTimestamp)),
      ...(opts.wide ? [oneLine(st?.message ?? '')] : []),
    ];
  });
  return table([header, ...rows]);
}

/** The per-member table of a RollingBounce (the live view of `rollout` and part of `status`). */
export function membersTable(rb: RollingBounce, now: Date = new Date()): string {
  const members = rb.status?.members ?? [];
  if (members.length === 0) return '  (members not resolved yet)';
  const rows = members.map((m, i) => {
    const start = ms(m.startTime);
    const end = m.endTime ? ms(m.endTime) : now.getTime();
    return [
      `  ${i + 1}`,
      m.pod || '-',
      (m.expressResource ?? '') + (m.last ? ' (last)' : ''),
      m.phase,
      m.reason ?? '',
      Number.isNaN(start) ? '' : `${humanDuration(Math.max(0, end - start))}${m.endTime ? '' : '+'}`,
      m.nodeBounce ?? '',
    ];
  });
  return table([['  #', 'POD', 'EXPRESS', 'PHASE', 'REASON', 'TOOK', 'NODEBOUNCE'], ...rows]);
}

/** The dry-run plan: batches, and what each member would do. */
export function planTable(plan: RolloutPlan): string {
  return [
    `Plan (dry run): ${plan.batches.length} batch(es), about ${humanDuration(plan.estimatedSeconds * 1000)}`,
    table([
      ['  POD', 'BATCH', 'VERDICT', 'REASON', 'ESTIMATE'],
      ...plan.members.map((m) => [
        '  ' + (m.pod || '-'),
        String(m.batch ?? ''),
        m.verdict,
        m.reason ?? '',
        m.estimatedSeconds !== undefined ? `${m.estimatedSeconds}s` : '',
      ]),
    ]),
  ].join('\n');
}

/** `status rb/NAME`: one RollingBounce for a human. */
export function rolloutStory(rb: RollingBounce, now: Date = new Date(), events: CoreV1Event[] = []): string {
  const st = rb.status ?? {};
  const lines: string[] = [];
  const kv = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') lines.push(`${`${k}:`.padEnd(22)}${v}`);
  };
  kv('RollingBounce', `${rb.metadata.namespace}/${rb.metadata.name}`);
  kv('Phase', `${st.phase ?? 'Pending (not picked up by the operator yet)'}${st.reason ? ` (${st.reason})` : ''}`);
  kv('Progress', st.progress);
  kv('Message', st.message);
  kv('Waiting until', st.waitingUntil && Date.parse(st.waitingUntil) > now.getTime() ? st.waitingUntil : undefined);
  const spec = rb.spec;
  kv(
    'Spec',
    [
      `maxUnavailable ${spec.maxUnavailable ?? 1}${st.maxUnavailable !== undefined ? ` (= ${st.maxUnavailable})` : ''}`,
      `order ${spec.order ?? 'byName'}`,
      spec.paused ? 'PAUSED' : undefined,
      spec.dryRun ? 'dry run' : undefined,
      spec.settleSeconds ? `settle ${spec.settleSeconds}s` : undefined,
      `maxFailures ${spec.maxFailures ?? 0}`,
    ]
      .filter(Boolean)
      .join(', '),
  );
  if (st.counts)
    kv(
      'Counts',
      `${st.counts.succeeded} succeeded, ${st.counts.inProgress} in progress, ${st.counts.pending} pending, ${st.counts.failed} failed, ${st.counts.skipped} skipped`,
    );
  lines.push('', 'Members:', membersTable(rb, now));
  if (st.plan) lines.push('', planTable(st.plan));
  if (st.conditions?.length) {
    lines.push('', 'Conditions:');
    const rows = st.conditions.map((c) => [
      '  ' + c.type,
      c.status,
      c.reason,
      humanDuration(now.getTime() - ms(c.lastTransitionTime)),
      oneLine(c.message),
    ]);
    lines.push(table([['  TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], ...rows]));
  }
  if (events.length) {
    lines.push('', 'Events:');
    const rows = events.map((e) => {
      const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
      return [
        '  ' + (t ? humanDuration(now.getTime() - new Date(t).getTime()) : ''),
        e.type ?? '',
        e.reason ?? '',
        oneLine(e.message ?? ''),
      ];
    });
    lines.push(table([['  AGE', 'TYPE', 'REASON', 'MESSAGE'], ...rows]));
  }
  return lines.join('\n');
}

/** -o json|yaml of one object or a list, the way kubectl prints them. */
interface Named {
  kind?: string;
  apiVersion?: string;
  metadata?: { name?: string; managedFields?: unknown };
  items?: Named[];
}

/** Without metadata.managedFields (of the object and of a list's items), as kubectl prints by default. */
function withoutManagedFields(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as Named;
  const copy: Named = { ...o };
  if (o.metadata?.managedFields !== undefined) {
    const { managedFields: _dropped, ...rest } = o.metadata;
    copy.metadata = rest;
  }
  if (Array.isArray(o.items)) copy.items = o.items.map((i) => withoutManagedFields(i) as Named);
  return copy;
}

/** kubectl's -o name: `<kind>.<group>/<name>`, one line per object. */
function names(obj: unknown): string {
  const o = obj as Named;
  if (Array.isArray(o.items)) return o.items.map(names).join('');
  const group = (o.apiVersion ?? '').split('/').slice(0, -1).join('/');
  return `${(o.kind ?? '').toLowerCase()}${group ? `.${group}` : ''}/${o.metadata?.name ?? ''}\n`;
}

export function render(obj: unknown, format: OutputFormat): string {
  if (format === 'name') return names(obj);
  const shown = withoutManagedFields(obj);
  return format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : toYaml(shown);
}

export function asList(items: unknown[], resourceVersion?: string): unknown {
  return { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: resourceVersion ?? '' } };
}

const ISO_TIME = /(\bat )?\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\b/g;

/** Timestamps in a status message as a person reads them on a live view: "in 23s", "12s ago" ("at T" too). */
export function relativeTimes(message: string, now: Date): string {
  return message.replace(ISO_TIME, (_m, _at: string | undefined, t: string) => {
    const d = Date.parse(t) - now.getTime();
    if (Math.abs(d) < 1000) return 'now';
    return d > 0 ? `in ${humanDuration(Math.ceil(d / 1000) * 1000)}` : `${humanDuration(-d)} ago`;
  });
}

/** The live view of a RollingBounce: a header line (with a countdown while it waits) and the members (or plan). */
export function rolloutFrame(rb: RollingBounce, now: Date = new Date()): string[] {
  const st = rb.status ?? {};
  const until = st.waitingUntil ? Date.parse(st.waitingUntil) - now.getTime() : Number.NaN;
  const countdown =
    Number.isFinite(until) && until > 0 ? ` · next step in ${humanDuration(Math.ceil(until / 1000) * 1000)}` : '';
  const header = `${st.phase ?? 'Pending'}${st.reason ? `/${st.reason}` : ''} ${st.progress ?? ''}${countdown}${st.message ? ` · ${relativeTimes(oneLine(st.message), now)}` : ''}`;
  const body = st.plan && rb.spec.dryRun ? planTable(st.plan) : membersTable(rb, now);
  return [header, ...body.split('\n')];
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
