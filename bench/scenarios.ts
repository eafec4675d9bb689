// The benchmark scenarios, usable from bench/run.ts (own control plane) and from the smoke test in `npm test`
// (shared control plane). They measure and report; only bench/run.ts prints and writes files.
import { createMemoryCgroup, type MemoryCgroup } from '../test/harness/memlimit.js';
import { readFileSync } from 'node:fs';
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type KubeConfig,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import type { NodeBounce } from '../src/api/nodebounce.js';
import { createNamespace } from '../test/harness/index.js';
import type { OperatorProcess } from '../test/integration/support/operator.js';
import { countOperatorRequests, decisionLatencies, floorOf, podTimeline, readAudit, type AuditEvent } from './audit.js';
import {
  bounceLikeKubectl,
  bounceWithOperator,
  bounceWithPoller,
  isReady,
  orFailure,
  type BounceRun,
  type Method,
} from './bounce-methods.js';
import { createReadyNodes, pool } from '../test/integration/support/reliability.js';

export interface BenchEnv {
  /** Admin identity (the bench's own calls; the simulator). */
  kc: KubeConfig;
  auditLogPath: string;
  /** Starts an operator (under deploy/'s RBAC) and waits until it is ready. */
  startOperator(opts?: {
    cpuProfDir?: string;
    script?: string;
    concurrency?: number;
    nodeArgs?: string[];
    memoryCgroup?: MemoryCgroup;
  }): Promise<OperatorProcess>;
  log?: (line: string) => void;
}

export interface Delays {
  shutdownMs: number;
  startupMs: number;
}

export interface Percentiles {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function percentiles(values: number[]): Percentiles | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const at = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: v.length,
    min: r(v[0]!),
    p50: r(at(50)),
    p95: r(at(95)),
    p99: r(at(99)),
    max: r(v[v.length - 1]!),
    mean: r(v.reduce((a, b) => a + b, 0) / v.length),
  };
}

/** The operator's share of a bounce at p99: created -> eviction request p99 + replacement Ready -> Succeeded p99. */
export function operatorShareP99(
  createdToEvict: Percentiles | undefined,
  readyToSucceeded: Percentiles | undefined,
): number | undefined {
  if (!createdToEvict || !readyToSucceeded) return undefined;
  return Math.round((createdToEvict.p99 + readyToSucceeded.p99) * 10) / 10;
}

/** One bounce that did not succeed, and why: status.reason / status.message of its NodeBounce, or the bench's error. */
export interface FailedBounce {
  method: Method;
  pod: string;
  nodeBounce?: string;
  reason?: string;
  message?: string;
  /**
   * Scale run: `environment` for a ReadyTimeout whose replacement the bench saw Ready only after it saw the failure
   * (or never), i.e. the simulator or kwok was slower than the deadline the pod's probes give; else `operator`.
   */
  blame?: 'operator' | 'environment';
}

/**
 * Who a scale-run failure belongs to: a ReadyTimeout whose replacement the bench's pod watch saw Ready only after it
 * saw the NodeBounce fail, or never, was kwok's or the simulator's overload; anything else is the operator's.
 */
export function blameOf(
  reason: string | undefined,
  failedAt: number,
  replacementReadyAt: number | undefined,
): 'operator' | 'environment' {
  if (reason !== 'ReadyTimeout') return 'operator';
  return replacementReadyAt === undefined || replacementReadyAt > failedAt ? 'environment' : 'operator';
}

export function failedBounces(runs: BounceRun[]): FailedBounce[] {
  return runs
    .filter((r) => !r.ok)
    .map((r) => ({ method: r.method, pod: r.pod, nodeBounce: r.nodeBounce, reason: r.reason, message: r.message }));
}

/** Creates ExpressNodes (the simulator makes their pods) and waits until every pod is Ready. */
export async function createExpressNodes(
  kc: KubeConfig,
  ns: string,
  names: string[],
  delays: Delays,
  timeoutMs = 300_000,
): Promise<void> {
  await createReadyNodes(kc, ns, names, {
    delays: () => ({ startup: delays.startupMs, shutdown: delays.shutdownMs }),
    timeoutMs,
  });
}

export interface AnalysedRun extends BounceRun {
  floorMs?: number;
  shutdownMs?: number;
  startupMs?: number;
  /** Old pod gone -> replacement created: the Express operator's (simulator's) reaction, the same for every method. */
  recreateGapMs?: number;
  overheadMs?: number;
  createdToEvictMs?: number;
  readyToSucceededMs?: number;
}

export interface MethodSummary {
  method: Method;
  runs: number;
  failures: number;
  /** Each failed bounce with its reason and message. */
  failedBounces?: FailedBounce[];
  wallMs?: Percentiles;
  floorMs?: Percentiles;
  overheadMs?: Percentiles;
  recreateGapMs?: Percentiles;
  /** operator only */
  createdToEvictMs?: Percentiles;
  readyToSucceededMs?: Percentiles;
  /** requests the operator made per bounce (operator only), from the audit log */
  operatorRequestsPerBounce?: number;
}

export interface LatencyResult {
  delays: Delays;
  bounces: number;
  pods: number;
  summary: MethodSummary[];
  operatorRequests?: { total: number; byVerb: Record<string, number>; byKind: Record<string, number> };
  runs: AnalysedRun[];
}

export async function analyse(
  env: BenchEnv,
  ns: string,
  runs: BounceRun[],
  events?: AuditEvent[],
): Promise<AnalysedRun[]> {
  const ev = events ?? (await readAudit(env.auditLogPath, { mustContain: [`"namespace":"${ns}"`] }));
  return runs.map((run) => {
    // Audit times come from the same clock; a little slack covers the caller's own request latency.
    const t = podTimeline(ev, ns, run.pod, run.startedAt - 5, run.endedAt + 5);
    const f = floorOf(t);
    const a: AnalysedRun = { ...run, ...f, overheadMs: f ? run.wallMs - f.floorMs : undefined };
    if (run.method === 'operator' && run.nodeBounce)
      Object.assign(a, decisionLatencies(ev, ns, run.nodeBounce, run.pod, t.readyAt, t.readyReceivedAt));
    return a;
  });
}

export function summarise(runs: AnalysedRun[], method: Method): MethodSummary {
  const mine = runs.filter((r) => r.method === method);
  const pick = (k: keyof AnalysedRun) => mine.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
  const s: MethodSummary = {
    method,
    runs: mine.length,
    failures: mine.filter((r) => !r.ok).length,
    failedBounces: failedBounces(mine),
    wallMs: percentiles(pick('wallMs')),
    floorMs: percentiles(pick('floorMs')),
    overheadMs: percentiles(pick('overheadMs')),
    recreateGapMs: percentiles(pick('recreateGapMs')),
  };
  if (method === 'operator') {
    s.createdToEvictMs = percentiles(pick('createdToEvictMs'));
    s.readyToSucceededMs = percentiles(pick('readyToSucceededMs'));
  }
  return s;
}

/**
 * `bounces` sequential bounces per method, interleaved (operator, kubectl, poller, operator, ...) on the same
 * pods with the same delays, so drift on a shared machine hits every method alike.
 */
export async function runLatency(
  env: BenchEnv,
  opts: { namespace: string; bounces: number; pods?: number; delays: Delays; methods: Method[] },
): Promise<LatencyResult> {
  const ns = await createNamespace(env.kc, opts.namespace);
  const podCount = opts.pods ?? 3;
  const names = Array.from({ length: podCount }, (_, i) => `lat-${i}`);
  await createExpressNodes(env.kc, ns, names, opts.delays);
  const runs: BounceRun[] = [];
  let seq = 0;
  for (let i = 0; i < opts.bounces; i++) {
    for (let m = 0; m < opts.methods.length; m++) {
      const method = opts.methods[(i + m) % opts.methods.length]!;
      const pod = names[seq++ % names.length]!;
      let run: BounceRun;
      if (method === 'operator')
        run = await orFailure(method, pod, () => bounceWithOperator(env.kc, ns, pod, `nb-${i}`), `nb-${i}`);
      else if (method === 'kubectl') run = await orFailure(method, pod, () => bounceLikeKubectl(env.kc, ns, pod));
      else run = await orFailure(method, pod, () => bounceWithPoller(env.kc, ns, pod));
      runs.push(run);
      env.log?.(
        `  ${method.padEnd(8)} #${i + 1} ${pod}: ${Math.round(run.wallMs)} ms${run.ok ? '' : ` FAILED ${run.detail}`}`,
      );
    }
  }
  // kwok's last status write and the audit backend's flush can trail the caller by a few ms.
  await new Promise((r) => setTimeout(r, 300));
  const events = await readAudit(env.auditLogPath, { mustContain: [`"namespace":"${ns}"`] });
  const analysed = await analyse(env, ns, runs, events);
  const summary = opts.methods.map((m) => summarise(analysed, m));
  const opRuns = analysed.filter((r) => r.method === 'operator');
  let operatorRequests: LatencyResult['operatorRequests'];
  if (opRuns.length > 0) {
    // Only the operator's own bounces create work for it; count its requests in the namespace over their windows.
    const windows = opRuns.map((r) => [r.startedAt - 5, r.endedAt + 50] as const);
    const inWindows = events.filter((e) => windows.some(([a, b]) => e.receivedMs >= a && e.receivedMs <= b));
    operatorRequests = countOperatorRequests(inWindows, -Infinity, Infinity);
    const op = summary.find((s) => s.method === 'operator');
    if (op) op.operatorRequestsPerBounce = Math.round((operatorRequests.total / opRuns.length) * 100) / 100;
  }
  return { delays: opts.delays, bounces: opts.bounces, pods: podCount, summary, operatorRequests, runs: analysed };
}

function procStat(pid: number): { cpuMs: number; rssKb: number; hwmKb: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { cpuMs: ticks * 10, rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Heap size after each full GC in node --trace-gc output ("Mark-Compact 120.1 (150.2) -> 45.3 (160.0) MB"). */
function liveHeap(lines: string[], splitAt: number): NonNullable<ScaleResult['operatorLiveHeapMb']> {
  const after = (from: number, to: number) =>
    lines
      .slice(from, to)
      .map((l) => /Mark-Compact[^>]*?[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number);
  const pre = after(0, splitAt);
  const all = after(0, lines.length);
  return {
    beforeCreates: pre.at(-1),
    max: all.length ? Math.max(...all) : undefined,
    last: all.at(-1),
    markCompacts: all.length,
  };
}

export interface ScaleResult {
  count: number;
  /** The operator's maxConcurrentReconciles (undefined: its default). */
  concurrency?: number;
  /** Extra node options the operator ran with. */
  nodeArgs?: string[];
  delays: Delays;
  setupMs: number;
  /** Operator start -> caches synced, with `count` pods and ExpressNodes to list. */
  operatorReadyMs?: number;
  createAllMs: number;
  /** First NodeBounce create -> last one Succeeded, as the bench's watch saw it. */
  totalMs: number;
  succeeded: number;
  failed: number;
  /** Of `failed`, the ReadyTimeouts whose replacement kwok had not made Ready before the operator gave up (blameOf). */
  failedByEnvironment?: number;
  /** Each Failed NodeBounce with its status.reason and status.message. */
  failedBounces?: FailedBounce[];
  notFinished: number;
  /** Per-pod floors (shutdown + startup) observed in the audit log. */
  floorMs?: Percentiles;
  shutdownMs?: Percentiles;
  startupMs?: Percentiles;
  recreateGapMs?: Percentiles;
  /** NodeBounce create -> eviction request and replacement Ready -> Succeeded, over all bounces. */
  createdToEvictMs?: Percentiles;
  readyToSucceededMs?: Percentiles;
  /** createdToEvictMs.p99 + readyToSucceededMs.p99: the operator's own share, without kwok and the simulator. */
  operatorShareP99Ms?: number;
  /** Per bounce: its own create -> Succeeded seen by the bench. */
  bounceWallMs?: Percentiles;
  totalMinusMaxFloorMs?: number;
  operatorPeakRssMb?: number;
  /** With --memory-limit: the cgroup's limit, the kernel's peak charge for it, and OOM kills (the pod would restart). */
  memoryLimit?: { limitMb: number; cgroupPeakMb?: number; oomKills: number };
  /** V8 heap used (nodejs_heap_size_used_bytes from /metrics, sampled every 2 s): after start-up with `count` pods and
   * ExpressNodes cached, and the highest sample during the run. */
  operatorHeapUsedMb?: { afterStart?: number; peak?: number };
  /** The highest samples (MB, every 2 s from /metrics) of the V8 heap used, external memory and ArrayBuffers. */
  operatorMemoryPeakMb?: { heap?: number; external?: number; arrayBuffers?: number };
  /**
   * With --trace-gc: the live heap (MB after each full mark-compact, garbage excluded): the last one before the
   * NodeBounces were created (pods and Express resources cached), the largest, and the last one (everything
   * cached, every NodeBounce finished).
   */
  operatorLiveHeapMb?: { beforeCreates?: number; max?: number; last?: number; markCompacts: number };
  operatorCpuMs?: number;
  operatorCpuMsPerBounce?: number;
  /**
   * The operator's CPU while idle (ms per second of wall time), measured for 5 s after start-up with everything
   * cached and the bench already scraping /metrics: lease renewals, timers, scrapes. Over a run slowed down by a
   * loaded machine it adds up, so operatorCpuMsPerBounce grows with wall time; netOfIdle takes it out.
   */
  operatorIdleCpuMsPerS?: number;
  operatorCpuMsPerBounceNetOfIdle?: number;
  requests: {
    total: number;
    perBounce: number;
    byVerb: Record<string, number>;
    byKind: Record<string, number>;
    byVerbPerBounce: Record<string, number>;
  };
  cpuProfile?: string;
  /** Per NodeBounce, when the bench's watch first saw each phase: the 1,000-at-once timeline (bench/plots.ts). */
  timeline?: ScaleTimeline;
}

export const TIMELINE_PHASES = ['Pending', 'Terminating', 'Starting', 'Succeeded', 'Failed'] as const;
export type TimelinePhase = (typeof TIMELINE_PHASES)[number];

/**
 * Milliseconds since the first create, per NodeBounce in creation order: `created` when the bench sent its create
 * request, then the first time its watch saw each phase (a phase it went through between two watch events is
 * missing).
 */
export interface ScaleTimeline {
  bounces: Array<{ name: string; created?: number } & Partial<Record<TimelinePhase, number>>>;
}

/** `count` ExpressNodes and pods, then `count` NodeBounces created at once. */
export async function runScale(
  env: BenchEnv,
  opts: {
    namespace: string;
    count: number;
    delays: Delays;
    cpuProfDir?: string;
    timeoutMs?: number;
    concurrency?: number;
    /** Run the operator with --trace-gc and report its live heap (operatorLiveHeapMb). */
    traceGc?: boolean;
    /** More node options for the operator. */
    nodeArgs?: string[];
    /** Run the operator in a memory cgroup with this limit (MB), like a pod with resources.limits.memory. */
    memoryLimitMb?: number;
    /** The operator's script (default: the shipped bundle): A/B runs of two builds. */
    script?: string;
  },
): Promise<ScaleResult> {
  const { count, delays } = opts;
  const ns = await createNamespace(env.kc, opts.namespace);
  const names = Array.from({ length: count }, (_, i) => `s-${i}`);
  const tSetup = performance.now();
  await createExpressNodes(env.kc, ns, names, delays, 600_000);
  const setupMs = performance.now() - tSetup;
  env.log?.(`  ${count} ExpressNodes with Ready pods in ${Math.round(setupMs)} ms`);

  const memoryCgroup = opts.memoryLimitMb
    ? createMemoryCgroup(`nodebounce-bench-${process.pid}`, opts.memoryLimitMb * 1024 * 1024)
    : undefined;
  const operator = await env.startOperator({
    script: opts.script,
    cpuProfDir: opts.cpuProfDir,
    concurrency: opts.concurrency,
    nodeArgs: [...(opts.traceGc ? ['--trace-gc'] : []), ...(opts.nodeArgs ?? [])],
    memoryCgroup,
  });
  const pid = operator.pid!;
  env.log?.(`  operator ready in ${Math.round(operator.readyMs ?? NaN)} ms with ${count} pods to list`);

  // The bench's view of completion: one informer on the namespace's NodeBounces.
  const custom = env.kc.makeApiClient(CustomObjectsApi);
  const doneAt = new Map<string, { at: number; phase: string; reason?: string; message?: string }>();
  const createdAt = new Map<string, number>();
  const informer = makeInformer<KubernetesObject>(
    env.kc,
    `/apis/bounce.express.dev/v1alpha1/namespaces/${ns}/nodebounces`,
    () =>
      custom.listNamespacedCustomObject({
        group: 'bounce.express.dev',
        version: 'v1alpha1',
        plural: 'nodebounces',
        namespace: ns,
      }) as never,
  );
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const seen = new Map<string, Partial<Record<TimelinePhase, number>>>();
  let t0 = 0;
  const onNb = (nb: NodeBounce) => {
    const phase = nb.status?.phase;
    if (phase && t0 > 0) {
      const times = seen.get(nb.metadata.name) ?? {};
      if (times[phase] === undefined) times[phase] = Date.now() - t0;
      seen.set(nb.metadata.name, times);
    }
    if ((phase === 'Succeeded' || phase === 'Failed') && !doneAt.has(nb.metadata.name)) {
      doneAt.set(nb.metadata.name, { at: Date.now(), phase, reason: nb.status?.reason, message: nb.status?.message });
      if (doneAt.size >= count) resolveAll();
    }
  };
  informer.on('add', (o) => onNb(o as unknown as NodeBounce));
  informer.on('update', (o) => onNb(o as unknown as NodeBounce));
  await informer.start();
  // When each pod's replacement (a UID other than the one before the creates) was first seen Ready, by the bench's
  // own watch: a ReadyTimeout whose replacement was Ready only after the bench saw the NodeBounce fail was kwok's or
  // the simulator's slowness, not the operator's (blameOf). The audit log (Metadata level) can't say Ready.
  const core = env.kc.makeApiClient(CoreV1Api);
  const replacementReadyAt = new Map<string, number>();
  const uidBefore = new Map<string, string>();
  const podInformer = makeInformer<V1Pod>(env.kc, `/api/v1/namespaces/${ns}/pods`, () =>
    core.listNamespacedPod({ namespace: ns }),
  );
  const onPod = (pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    if (t0 === 0) uidBefore.set(name, uid);
    else if (uid !== uidBefore.get(name) && isReady(pod) && !replacementReadyAt.has(name))
      replacementReadyAt.set(name, Date.now());
  };
  podInformer.on('add', onPod);
  podInformer.on('update', onPod);
  await podInformer.start();
  for (const pod of podInformer.list()) onPod(pod);

  let peakRssKb = 0;
  const sampler = setInterval(() => {
    const s = procStat(pid);
    if (s) peakRssKb = Math.max(peakRssKb, s.rssKb, s.hwmKb);
  }, 100);
  // From /metrics every 2 s: V8 heap used, external memory (outside the V8 heap: Buffers, ...) and of that the
  // ArrayBuffers, each in MB; their peaks are reported apart, next to the RSS.
  const memoryMb = async (): Promise<{ heap?: number; external?: number; arrayBuffers?: number }> => {
    try {
      const { body } = await operator.metrics();
      const metric = (name: string) => {
        const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(body);
        return m ? Math.round(Number(m[1]) / 2 ** 20) : undefined;
      };
      return {
        heap: metric('nodejs_heap_size_used_bytes'),
        external: metric('nodejs_external_memory_bytes'),
        arrayBuffers: metric('nodejs_array_buffers_bytes'),
      };
    } catch {
      return {};
    }
  };
  const heap: NonNullable<ScaleResult['operatorHeapUsedMb']> = { afterStart: (await memoryMb()).heap };
  const memoryPeaks: NonNullable<ScaleResult['operatorMemoryPeakMb']> = {};
  const heapSampler = setInterval(() => {
    void memoryMb().then((m) => {
      if (m.heap !== undefined) heap.peak = Math.max(heap.peak ?? 0, m.heap);
      for (const k of ['heap', 'external', 'arrayBuffers'] as const)
        if (m[k] !== undefined) memoryPeaks[k] = Math.max(memoryPeaks[k] ?? 0, m[k]);
    });
  }, 2000);
  const idleFrom = procStat(pid);
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  const idleTo = procStat(pid);
  const idleCpuMsPerS =
    idleFrom && idleTo ? ((idleTo.cpuMs - idleFrom.cpuMs) * 1000) / (performance.now() - idleT0) : undefined;
  const before = procStat(pid);
  const linesBeforeCreates = operator.lines.length;
  t0 = Date.now();
  await pool(names, 64, async (pod, i) => {
    createdAt.set(`nb-${i}`, Date.now());
    await custom.createNamespacedCustomObject({
      group: 'bounce.express.dev',
      version: 'v1alpha1',
      plural: 'nodebounces',
      namespace: ns,
      body: {
        apiVersion: 'bounce.express.dev/v1alpha1',
        kind: 'NodeBounce',
        metadata: { name: `nb-${i}`, namespace: ns },
        spec: { podName: pod },
      },
    });
  });
  const createAllMs = Date.now() - t0;
  env.log?.(`  ${count} NodeBounces created in ${createAllMs} ms`);
  const timeoutMs = opts.timeoutMs ?? delays.shutdownMs + delays.startupMs + 300_000;
  let timer: NodeJS.Timeout | undefined;
  const progress = setInterval(
    () => env.log?.(`  ... ${doneAt.size}/${count} finished after ${Math.round((Date.now() - t0) / 1000)} s`),
    5000,
  );
  await Promise.race([allDone, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  clearInterval(progress);
  const t1 = doneAt.size > 0 ? Math.max(...[...doneAt.values()].map((d) => d.at)) : Date.now();
  const after = procStat(pid);
  clearInterval(sampler);
  clearInterval(heapSampler);
  if (after) peakRssKb = Math.max(peakRssKb, after.hwmKb, after.rssKb);
  await informer.stop();
  await podInformer.stop();
  await operator.stop();
  const cgroupPeak = memoryCgroup?.peakBytes();
  const memoryLimit = memoryCgroup
    ? {
        limitMb: opts.memoryLimitMb!,
        cgroupPeakMb: cgroupPeak !== undefined ? Math.round(cgroupPeak / 104857.6) / 10 : undefined,
        oomKills: memoryCgroup.oomKills(),
      }
    : undefined;
  memoryCgroup?.remove();

  await new Promise((r) => setTimeout(r, 500));
  const events = await readAudit(env.auditLogPath, { mustContain: [`"namespace":"${ns}"`] });
  const requests = countOperatorRequests(events, t0 - 5, t1 + 50);
  const floors: number[] = [];
  const shut: number[] = [];
  const start: number[] = [];
  const gaps: number[] = [];
  const c2e: number[] = [];
  const r2s: number[] = [];
  const walls: number[] = [];
  const byPod = new Map<string, AuditEvent[]>();
  for (const e of events) {
    const o = e.objectRef;
    const key = o?.resource === 'pods' ? `p/${o.name}` : o?.resource === 'nodebounces' ? `n/${o.name}` : undefined;
    if (!key) continue;
    const list = byPod.get(key) ?? [];
    list.push(e);
    byPod.set(key, list);
  }
  names.forEach((pod, i) => {
    const nbName = `nb-${i}`;
    const t = podTimeline(byPod.get(`p/${pod}`) ?? [], ns, pod, t0 - 5, t1 + 50);
    const f = floorOf(t);
    if (f) {
      floors.push(f.floorMs);
      shut.push(f.shutdownMs);
      start.push(f.startupMs);
      gaps.push(f.recreateGapMs);
    }
    const d = decisionLatencies(
      [...(byPod.get(`n/${nbName}`) ?? []), ...(byPod.get(`p/${pod}`) ?? [])].sort((a, b) => a.stageMs - b.stageMs),
      ns,
      nbName,
      pod,
      t.readyAt,
      t.readyReceivedAt,
    );
    if (d.createdToEvictMs !== undefined) c2e.push(d.createdToEvictMs);
    if (d.readyToSucceededMs !== undefined) r2s.push(d.readyToSucceededMs);
    const done = doneAt.get(nbName);
    const created = createdAt.get(nbName);
    if (done && created) walls.push(done.at - created);
  });
  const phases = [...doneAt.values()].map((d) => d.phase);
  const failedBounces: FailedBounce[] = names.flatMap((pod, i) => {
    const d = doneAt.get(`nb-${i}`);
    if (d?.phase !== 'Failed') return [];
    const blame = blameOf(d.reason, d.at, replacementReadyAt.get(pod));
    return [{ method: 'operator' as const, pod, nodeBounce: `nb-${i}`, reason: d.reason, message: d.message, blame }];
  });
  const cpuMs = before && after ? after.cpuMs - before.cpuMs : undefined;
  const perBounce = (n: number) => Math.round((n / count) * 100) / 100;
  const floorP = percentiles(floors);
  return {
    count,
    concurrency: opts.concurrency,
    nodeArgs: opts.nodeArgs?.length ? opts.nodeArgs : undefined,
    delays,
    setupMs: Math.round(setupMs),
    operatorReadyMs: operator.readyMs !== undefined ? Math.round(operator.readyMs) : undefined,
    createAllMs,
    totalMs: t1 - t0,
    succeeded: phases.filter((p) => p === 'Succeeded').length,
    failed: phases.filter((p) => p === 'Failed').length,
    failedBounces,
    failedByEnvironment: failedBounces.filter((b) => b.blame === 'environment').length,
    notFinished: count - doneAt.size,
    floorMs: floorP,
    shutdownMs: percentiles(shut),
    startupMs: percentiles(start),
    recreateGapMs: percentiles(gaps),
    createdToEvictMs: percentiles(c2e),
    readyToSucceededMs: percentiles(r2s),
    operatorShareP99Ms: operatorShareP99(percentiles(c2e), percentiles(r2s)),
    bounceWallMs: percentiles(walls),
    totalMinusMaxFloorMs: floorP ? Math.round(t1 - t0 - floorP.max) : undefined,
    operatorPeakRssMb: peakRssKb ? Math.round(peakRssKb / 102.4) / 10 : undefined,
    memoryLimit,
    operatorHeapUsedMb: heap,
    operatorMemoryPeakMb: memoryPeaks,
    operatorLiveHeapMb: opts.traceGc ? liveHeap(operator.lines, linesBeforeCreates) : undefined,
    operatorCpuMs: cpuMs,
    operatorCpuMsPerBounce: cpuMs !== undefined ? Math.round((cpuMs / count) * 10) / 10 : undefined,
    operatorIdleCpuMsPerS: idleCpuMsPerS !== undefined ? Math.round(idleCpuMsPerS * 10) / 10 : undefined,
    operatorCpuMsPerBounceNetOfIdle:
      cpuMs !== undefined && idleCpuMsPerS !== undefined
        ? Math.round(((cpuMs - (idleCpuMsPerS * (t1 - t0)) / 1000) / count) * 10) / 10
        : undefined,
    timeline: {
      bounces: names.map((_, i) => {
        const name = `nb-${i}`;
        const created = createdAt.get(name);
        return { name, created: created === undefined ? undefined : created - t0, ...seen.get(name) };
      }),
    },
    requests: {
      total: requests.total,
      perBounce: perBounce(requests.total),
      byVerb: requests.byVerb,
      byKind: requests.byKind,
      byVerbPerBounce: Object.fromEntries(Object.entries(requests.byVerb).map(([k, v]) => [k, perBounce(v)])),
    },
  };
}

/** One method's batch in the burst scenario: `count` bounces started at once, one per pod. */
export interface BurstBatch {
  method: Method;
  /** Epoch ms: the first request of the batch, and the last bounce known finished (Ready / Succeeded) by its caller. */
  firstRequestAt: number;
  lastDoneAt: number;
  /** First request -> last bounce finished. */
  totalMs: number;
  /** The largest per-pod floor (shutdown + startup, from the audit log) in the batch. */
  maxFloorMs?: number;
  /** totalMs - maxFloorMs: what the method adds to the slowest pod's own time. */
  totalMinusMaxFloorMs?: number;
  /** Per bounce: wall, floor, wall - floor, recreate gap; for the operator also its decision latencies. */
  summary: MethodSummary;
  /** createdToEvictMs.p99 + readyToSucceededMs.p99 (operator only). */
  operatorShareP99Ms?: number;
  /** The operator's requests per bounce over the batch, by "verb resource" (operator only). */
  operatorRequests?: { total: number; perBounce: number; byKind: Record<string, number> };
}

export interface BurstResult {
  count: number;
  delays: Delays;
  /** The operator's maxConcurrentReconciles (undefined: its default). */
  concurrency?: number;
  /** ExpressNodes created -> every pod Ready. */
  setupMs: number;
  /** Batches in the order they ran, each on the same `count` pods once all were Ready again. */
  batches: BurstBatch[];
  runs: AnalysedRun[];
}

/** Waits until each named pod exists, is not terminating and is Ready (between the burst's batches). */
async function waitPodsReady(kc: KubeConfig, ns: string, names: string[], timeoutMs: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await core.listNamespacedPod({ namespace: ns });
    const ready = new Set(
      pods.items.filter((p) => !p.metadata?.deletionTimestamp && isReady(p)).map((p) => p.metadata?.name),
    );
    const missing = names.filter((n) => !ready.has(n));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${missing.length} pods in ${ns} not Ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * `count` pods bounced at once, once per method, side by side in one run: the operator (`count` NodeBounces
 * created at once, each awaited like `kubectl wait --for=condition=Succeeded`) and the kubectl-like baseline
 * (`count` concurrent `delete --wait && wait --for=condition=Ready` pipelines). Each batch starts when every pod is
 * Ready again; the operator runs (and holds its caches) throughout, as it would in a cluster.
 */
export async function runBurst(
  env: BenchEnv,
  opts: {
    namespace: string;
    count: number;
    delays: Delays;
    methods?: Array<'operator' | 'kubectl'>;
    timeoutMs?: number;
    concurrency?: number;
  },
): Promise<BurstResult> {
  const { count, delays } = opts;
  const methods = opts.methods ?? ['operator', 'kubectl'];
  const timeoutMs = opts.timeoutMs ?? delays.shutdownMs + delays.startupMs + 120_000;
  const ns = await createNamespace(env.kc, opts.namespace);
  const names = Array.from({ length: count }, (_, i) => `b-${i}`);
  const tSetup = performance.now();
  await createExpressNodes(env.kc, ns, names, delays, 300_000);
  const setupMs = performance.now() - tSetup;
  env.log?.(`  ${count} ExpressNodes with Ready pods in ${Math.round(setupMs)} ms`);
  const operator = await env.startOperator({ concurrency: opts.concurrency });
  const runs: BounceRun[] = [];
  try {
    for (const method of methods) {
      await waitPodsReady(env.kc, ns, names, 300_000);
      // Let kwok and the simulator go quiet after the previous batch (their last status writes, the audit flush).
      await new Promise((r) => setTimeout(r, 1000));
      const batch = await Promise.all(
        names.map((pod, i) => {
          const nb = `${method === 'operator' ? 'nb' : 'k'}-${i}`;
          return method === 'operator'
            ? orFailure(method, pod, () => bounceWithOperator(env.kc, ns, pod, nb, timeoutMs), nb)
            : orFailure(method, pod, () => bounceLikeKubectl(env.kc, ns, pod, timeoutMs));
        }),
      );
      runs.push(...batch);
      const first = Math.min(...batch.map((r) => r.startedAt));
      const last = Math.max(...batch.map((r) => r.endedAt));
      const failed = batch.filter((r) => !r.ok);
      env.log?.(
        `  ${method.padEnd(8)} ${count} at once: ${Math.round(last - first)} ms first request -> last done` +
          (failed.length ? `, ${failed.length} FAILED` : ''),
      );
      for (const r of failed) env.log?.(`    FAILED ${r.nodeBounce ?? r.pod}: ${r.reason}: ${r.message}`);
    }
  } finally {
    await operator.stop();
  }
  // kwok's last status write and the audit backend's flush can trail the caller by a few ms.
  await new Promise((r) => setTimeout(r, 500));
  const events = await readAudit(env.auditLogPath, { mustContain: [`"namespace":"${ns}"`] });
  const analysed = await analyse(env, ns, runs, events);
  const batchStarts = methods.map((m) => Math.min(...analysed.filter((r) => r.method === m).map((r) => r.startedAt)));
  const batches = methods.map((method, mi): BurstBatch => {
    const mine = analysed.filter((r) => r.method === method);
    const firstRequestAt = Math.min(...mine.map((r) => r.startedAt));
    const lastDoneAt = Math.max(...mine.map((r) => r.endedAt));
    const floors = mine.map((r) => r.floorMs).filter((x): x is number => typeof x === 'number');
    const maxFloorMs = floors.length ? Math.max(...floors) : undefined;
    const totalMs = lastDoneAt - firstRequestAt;
    const summary = summarise(analysed, method);
    const b: BurstBatch = {
      method,
      firstRequestAt,
      lastDoneAt,
      totalMs: Math.round(totalMs),
      maxFloorMs: maxFloorMs !== undefined ? Math.round(maxFloorMs) : undefined,
      totalMinusMaxFloorMs: maxFloorMs !== undefined ? Math.round(totalMs - maxFloorMs) : undefined,
      summary,
    };
    if (method === 'operator') {
      b.operatorShareP99Ms = operatorShareP99(summary.createdToEvictMs, summary.readyToSucceededMs);
      // Up to the next batch (or 1 s after the last Succeeded): the writes that follow Succeeded count too.
      const until = Math.min(batchStarts[mi + 1] ?? Infinity, lastDoneAt + 1000);
      const req = countOperatorRequests(events, firstRequestAt - 5, until);
      b.operatorRequests = {
        total: req.total,
        perBounce: Math.round((req.total / mine.length) * 100) / 100,
        byKind: req.byKind,
      };
      summary.operatorRequestsPerBounce = b.operatorRequests.perBounce;
    }
    return b;
  });
  return { count, delays, concurrency: opts.concurrency, setupMs: Math.round(setupMs), batches, runs: analysed };
}

export type { V1Pod };
