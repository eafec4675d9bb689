// Scenarios where the API server does not answer (hardening issue): a black hole between the operator and the
// apiserver, a watch that stays open and silent, and a Lease renewal that hangs while everything else works.
// Short versions run in `npm test` (test/integration/reliability-hangs.test.ts), long ones in test/chaos.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { createNamespace, startExpressSimulator, uniqueName } from '../../harness/index.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { OperatorProcess, OPERATOR_NAMESPACE, installOperatorIdentity } from './operator.js';
import {
  checkBounces,
  createNodeBounce,
  createReadyNodes,
  pool,
  sleep,
  waitAllFinished,
  watchNodeBounces,
} from './reliability.js';
import type { ScenarioReport } from './reliability-scenarios.js';

/** Writes an operator config file; returns its path and a cleanup. */
function configFile(config: Record<string, unknown>): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-config-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls /healthz once a second; records every answer that was not 200 (including no answer within 2 s). */
function watchHealth(op: OperatorProcess): {
  stop(): Promise<Array<{ at: number; status: number | 'no answer'; body: string }>>;
} {
  const bad: Array<{ at: number; status: number | 'no answer'; body: string }> = [];
  let stopped = false;
  const loop = (async () => {
    const port = await op.portOf('health probes listening');
    while (!stopped) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.status !== 200) bad.push({ at: Date.now(), status: res.status, body: await res.text() });
      } catch (err) {
        if (!stopped) bad.push({ at: Date.now(), status: 'no answer', body: String(err) });
      }
      await sleep(1000);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return bad;
    },
  };
}

const delaysFor = (i: number) => ({ startup: 800 + ((i * 137) % 1500), shutdown: 800 + ((i * 89) % 1500) });

/** Deadlines short enough for a test to see them act (the defaults are 10 s / 60 s / 90 s / 120 s). */
const TEST_API = {
  requestTimeoutSeconds: 3,
  listTimeoutSeconds: 10,
  watchIdleTimeoutSeconds: 8,
  reconcileStuckSeconds: 30,
};

/**
 * What every hang scenario stands on: `proxyCount` fault proxies (faults off), an operator config file, the Express
 * simulator and the operator's identity. `operator(proxy)` makes an operator process that talks through that proxy
 * (or straight to the API server without one); `cleanup()` stops everything made here, operators first.
 */
async function hangSetup(kc: KubeConfig, config: Record<string, unknown>, proxyCount = 1) {
  const proxies: FaultProxy[] = [];
  const cfg = configFile(config);
  const ops: OperatorProcess[] = [];
  let sim: Awaited<ReturnType<typeof startExpressSimulator>> | undefined;
  const cleanup = async () => {
    for (const op of ops) {
      await op.stop();
      op.cleanup();
    }
    await sim?.stop();
    for (const p of proxies) await p.stop();
    cfg.remove();
  };
  // Each proxy tags the User-Agent of what it forwards, so the audit log tells the instances apart (same identity).
  const tags = Array.from({ length: proxyCount }, (_, i) => `${uniqueName('via-proxy')}-${i}`);
  try {
    for (let i = 0; i < proxyCount; i++) {
      const proxy = await startFaultProxy({ upstream: kc, errorRate: 0, lostResponseRate: 0, userAgentTag: tags[i] });
      proxy.setFaults(false);
      proxies.push(proxy);
    }
    sim = await startExpressSimulator(kc);
    const operatorKc = await installOperatorIdentity(kc);
    const operator = (proxy?: FaultProxy): OperatorProcess => {
      const op = new OperatorProcess({
        kubeConfig: proxy ? proxy.kubeConfigFor(operatorKc) : operatorKc,
        env: { NODEBOUNCE_CONFIG: cfg.path },
      });
      ops.push(op);
      return op;
    };
    return { proxies, tags, operator, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Black hole: `bounces` bounces (shutdown protection on) start; after a moment every request from the operator is
 * accepted and never answered, and its open watches go silent, for `holeMs`; then the hole lifts (the silenced
 * watches stay silent: only the idle watchdog gets them back). Every bounce must succeed, each pod disrupted once,
 * and /healthz must stay 200 (no reconcile stuck past its deadlines) the whole time.
 */
export async function blackHoleScenario(
  kc: KubeConfig,
  auditLogPath: string,
  opts: { bounces: number; holeMs: number },
): Promise<ScenarioReport & Record<string, unknown>> {
  const setup = await hangSetup(kc, { api: TEST_API });
  const proxy = setup.proxies[0]!;
  const op = setup.operator(proxy);
  try {
    await op.start(120_000);
    const ns = await createNamespace(kc, uniqueName('rel-blackhole'));
    const names = Array.from({ length: opts.bounces }, (_, i) => `b-${i}`);
    const pods = await createReadyNodes(kc, ns, names, {
      shutdownProtection: true,
      delays: delaysFor,
      timeoutMs: 300_000,
    });
    const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
    const view = await watchNodeBounces(kc, ns);
    const health = watchHealth(op);
    const t0 = Date.now();
    await pool(names, 8, (pod) => createNodeBounce(kc, ns, `nb-${pod}`, pod));
    // The hole opens while the operator is still taking the bounces through their first steps (live reads, intent
    // and protection writes, evictions), so requests really hang and must be cut by their deadlines: since the fast
    // path (ADR 0006) 1.2 s later every bounce was already waiting for its pod, with no request to hang.
    await sleep(100);
    const phasesAtHole: Record<string, number> = {};
    for (const nb of view.list())
      phasesAtHole[nb.status?.phase ?? 'New'] = (phasesAtHole[nb.status?.phase ?? 'New'] ?? 0) + 1;
    const holeStart = Date.now();
    proxy.setBlackHole(true);
    await sleep(opts.holeMs);
    proxy.setBlackHole(false);
    const lifted = Date.now();
    const nbs = await waitAllFinished(
      view,
      names.map((n) => `nb-${n}`),
      300_000,
    );
    const allDone = Date.now();
    await view.stop();
    const unhealthy = await health.stop();
    await sleep(300);
    const check = await checkBounces(kc, ns, nbs, originals, auditLogPath, t0, true);
    const firstWriteAfterLift = proxy.stats.writes.find((w) => w.at >= lifted)?.at;
    const deadlineAborts = op.lines.filter((l) => /aborted due to timeout|TimeoutError/.test(l)).length;
    return {
      scenario: 'black-hole',
      bounces: opts.bounces,
      holeMs: lifted - holeStart,
      phasesAtHole,
      blackHoled: proxy.stats.blackHoled,
      watchesSilenced: proxy.stats.watchesSilenced,
      deadlineAborts,
      firstWriteAfterLiftMs: firstWriteAfterLift !== undefined ? firstWriteAfterLift - lifted : undefined,
      recoveredAllMs: allDone - lifted,
      durationMs: allDone - t0,
      unhealthy,
      operatorExitCode: op.process?.exitCode ?? null,
      check,
    };
  } finally {
    await setup.cleanup();
  }
}

/**
 * Silent watch: once the operator has synced, its open watches stop delivering anything while staying open. A
 * NodeBounce created then is seen only after the idle watchdog (8 s here) restarts the watches; the bounce must
 * complete well before client-node's own 30 s inactivity timer could have rescued it.
 */
export async function silentWatchScenario(kc: KubeConfig): Promise<{
  seenAfterMs: number;
  succeededAfterMs: number;
  watchesBefore: number;
  watchesAfter: number;
  phase?: string;
  reason?: string;
}> {
  const setup = await hangSetup(kc, { api: TEST_API });
  const proxy = setup.proxies[0]!;
  try {
    await setup.operator(proxy).start(120_000);
    const ns = await createNamespace(kc, uniqueName('rel-silent'));
    await createReadyNodes(kc, ns, ['s-0'], { delays: () => ({ startup: 300, shutdown: 300 }) });
    await sleep(500);
    const watchesBefore = proxy.stats.watches;
    proxy.silenceWatches();
    const t0 = Date.now();
    await createNodeBounce(kc, ns, 'nb-s-0', 's-0');
    const view = await watchNodeBounces(kc, ns);
    let seenAt: number | undefined;
    const deadline = t0 + 60_000;
    for (;;) {
      const nb = view.get('nb-s-0');
      if (seenAt === undefined && nb?.status?.phase) seenAt = Date.now();
      if (nb?.status?.phase === 'Succeeded' || nb?.status?.phase === 'Failed' || Date.now() > deadline) {
        await view.stop();
        return {
          seenAfterMs: (seenAt ?? Date.now()) - t0,
          succeededAfterMs: Date.now() - t0,
          watchesBefore,
          watchesAfter: proxy.stats.watches,
          phase: nb?.status?.phase,
          reason: nb?.status?.reason,
        };
      }
      await sleep(100);
    }
  } finally {
    await setup.cleanup();
  }
}

function firstLogTime(op: OperatorProcess, pred: (msg: string) => boolean): number | undefined {
  const rec = op.records().find((r) => typeof r.msg === 'string' && pred(r.msg));
  return typeof rec?.time === 'number' ? rec.time : undefined;
}

interface AuditWrite {
  /** When the apiserver received it, and when it answered (ms, audit log clock). */
  receivedMs: number;
  doneMs: number;
  verb: string;
  resource: string;
  name: string;
  code: number;
}

/** Successful writes in the kube-apiserver audit log whose User-Agent carries `tag` (one proxy's instance). */
function auditWritesVia(auditLogPath: string, tag: string): AuditWrite[] {
  const out: AuditWrite[] = [];
  for (const line of readFileSync(auditLogPath, 'utf8').split('\n')) {
    if (!line.includes(tag) || !line.includes('"ResponseComplete"')) continue;
    let e: {
      stage?: string;
      verb?: string;
      userAgent?: string;
      objectRef?: { resource?: string; subresource?: string; name?: string };
      responseStatus?: { code?: number };
      requestReceivedTimestamp?: string;
      stageTimestamp?: string;
    };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    const code = e.responseStatus?.code ?? 0;
    if (e.stage !== 'ResponseComplete' || !e.userAgent?.includes(tag) || code < 200 || code >= 300) continue;
    if (!['create', 'update', 'patch', 'delete'].includes(e.verb ?? '')) continue;
    out.push({
      receivedMs: Date.parse(e.requestReceivedTimestamp ?? ''),
      doneMs: Date.parse(e.stageTimestamp ?? ''),
      verb: e.verb ?? '',
      resource: [e.objectRef?.resource, e.objectRef?.subresource].filter(Boolean).join('/'),
      name: e.objectRef?.name ?? '',
      code,
    });
  }
  return out.sort((a, b) => a.receivedMs - b.receivedMs);
}

/**
 * The hand-over as the audit log saw it: the old leader's successful writes that completed after the new leader's
 * first write was received (must be none), and the gap between the old leader's last write and the new one's first.
 */
function handOverInAudit(auditLogPath: string, oldTag: string, newTag: string, sinceMs: number) {
  const old = auditWritesVia(auditLogPath, oldTag).filter((w) => w.receivedMs >= sinceMs);
  const next = auditWritesVia(auditLogPath, newTag).filter((w) => w.receivedMs >= sinceMs);
  const newFirst = next[0];
  const oldLast = old.reduce<AuditWrite | undefined>((a, w) => (!a || w.doneMs > a.doneMs ? w : a), undefined);
  return {
    newLeaderFirstWrite: newFirst && `${newFirst.verb} ${newFirst.resource}/${newFirst.name}`,
    oldLeaderWritesAfterNewLeader: newFirst
      ? old.filter((w) => w.doneMs > newFirst.receivedMs).map((w) => `${w.verb} ${w.resource}/${w.name}`)
      : [],
    auditGapMs: newFirst && oldLast ? newFirst.receivedMs - oldLast.doneMs : undefined,
    oldLeaderWrites: old.length,
    newLeaderWrites: next.length,
  };
}

/**
 * Hung Lease renewal: two instances under leader election (lease 15 s, renew deadline 10 s), each through its own
 * proxy. Mid-bounce, only the leader's Lease requests disappear into a black hole while everything else it does
 * still works. The leader must stop acting by its renew deadline, before the lease expires for the standby, so
 * that none of its writes reaches the apiserver after the new leader's first write.
 */
export async function hungLeaseScenario(
  kc: KubeConfig,
  auditLogPath: string,
  opts: { bounces: number },
): Promise<ScenarioReport & Record<string, unknown>> {
  const lease = {
    enabled: true,
    namespace: OPERATOR_NAMESPACE,
    leaseName: uniqueName('hung-lease'),
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
  };
  const setup = await hangSetup(kc, { api: TEST_API, leaderElection: lease }, 2);
  try {
    const [pa, pb] = setup.proxies as [FaultProxy, FaultProxy];
    const [a, b] = [setup.operator(pa), setup.operator(pb)];
    await a.start(120_000);
    await b.start(120_000, 'leader election: standing by');
    const ns = await createNamespace(kc, uniqueName('rel-lease'));
    const names = Array.from({ length: opts.bounces }, (_, i) => `l-${i}`);
    // Long startups: bounces are still in flight when leadership moves.
    const pods = await createReadyNodes(kc, ns, names, {
      shutdownProtection: true,
      delays: (i) => ({ startup: 14_000 + i * 3000, shutdown: 1000 }),
      timeoutMs: 300_000,
    });
    const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
    const view = await watchNodeBounces(kc, ns);
    const t0 = Date.now();
    // Those start-ups outlast the simulated startup probe (the ready deadline derived from it is ~14 s), so each
    // request sets its own: the test is about who acts when, not about a replacement that is late.
    await pool(names, 8, (pod) => createNodeBounce(kc, ns, `nb-${pod}`, pod, { readyTimeoutSeconds: 120 }));
    await sleep(1500);
    const isLease = (_m: string, path: string) => path.includes('/leases/') || path.endsWith('/leases');
    const lastLeaseWriteBefore = [...pa.stats.writes].reverse().find((w) => isLease(w.method, w.path))?.at;
    const hungAt = Date.now();
    pa.setBlackHole(true, isLease);
    const nbs = await waitAllFinished(
      view,
      names.map((n) => `nb-${n}`),
      300_000,
    );
    await view.stop();
    const aStopped = firstLogTime(a, (m) => m.includes('could not renew the lease in time'));
    // A standby only reads the Lease: its first write is taking the lease over.
    const bFirstWrite = pb.stats.writes[0]?.at;
    const aLastWrite = pa.stats.writes.at(-1)?.at;
    await sleep(300);
    const check = await checkBounces(kc, ns, nbs, originals, auditLogPath, t0, true);
    const audit = handOverInAudit(auditLogPath, setup.tags[0]!, setup.tags[1]!, t0);
    return {
      scenario: 'hung-lease',
      audit,
      bounces: opts.bounces,
      durationMs: Date.now() - t0,
      leaderStoppedAfterHangMs: aStopped !== undefined ? aStopped - hungAt : undefined,
      leaderStoppedAfterLastRenewMs:
        aStopped !== undefined && lastLeaseWriteBefore !== undefined ? aStopped - lastLeaseWriteBefore : undefined,
      oldLeaderExitCode: a.process?.exitCode ?? null,
      newLeaderFirstWriteAfterHangMs: bFirstWrite !== undefined ? bFirstWrite - hungAt : undefined,
      oldLeaderLastWriteAfterHangMs: aLastWrite !== undefined ? aLastWrite - hungAt : undefined,
      gapBetweenLeadersMs: bFirstWrite !== undefined && aLastWrite !== undefined ? bFirstWrite - aLastWrite : undefined,
      oldLeaderLog: a
        .records()
        .filter((r) => typeof r.msg === 'string' && /leader|lease|shutting/.test(r.msg))
        .map((r) => `${String(r.time)} ${String(r.msg)}`),
      check,
    };
  } finally {
    await setup.cleanup();
  }
}

/**
 * SIGTERM while the API server does not answer: every bounce is in a reconcile whose request hangs. The operator
 * must still exit 0 within its documented 10 s (running reconciles are left after a few seconds: their state is in
 * status), and a new operator must finish the bounces once the API answers again.
 */
export async function sigtermInBlackHoleScenario(
  kc: KubeConfig,
  auditLogPath: string,
  opts: { bounces: number },
): Promise<ScenarioReport & Record<string, unknown>> {
  // The default deadlines (10 s per request), not TEST_API's: with 3 s requests a shutdown that simply waited for
  // its hung requests would also exit within 10 s, so only the defaults show that the drain itself is bounded.
  const setup = await hangSetup(kc, {
    leaderElection: { enabled: true, namespace: OPERATOR_NAMESPACE, leaseName: uniqueName('sigterm-lease') },
  });
  const proxy = setup.proxies[0]!;
  const first = setup.operator(proxy);
  const second = setup.operator();
  try {
    await first.start(120_000);
    const ns = await createNamespace(kc, uniqueName('rel-sigterm'));
    const names = Array.from({ length: opts.bounces }, (_, i) => `t-${i}`);
    const pods = await createReadyNodes(kc, ns, names, {
      shutdownProtection: true,
      delays: () => ({ startup: 2000, shutdown: 1500 }),
      timeoutMs: 300_000,
    });
    const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
    const view = await watchNodeBounces(kc, ns);
    // Every new request disappears; the operator's open watches keep delivering, so it sees the NodeBounces and
    // each reconcile hangs on its first request (the live reads). That is the state SIGTERM must get out of.
    proxy.setBlackHole(true, () => true);
    const t0 = Date.now();
    await pool(names, 8, (pod) => createNodeBounce(kc, ns, `nb-${pod}`, pod));
    const hungBefore = proxy.stats.blackHoled;
    for (const until = Date.now() + 5000; proxy.stats.blackHoled - hungBefore < opts.bounces && Date.now() < until;)
      await sleep(50);
    await sleep(500);
    const hungAtTerm = proxy.stats.blackHoled - hungBefore;
    const termAt = Date.now();
    const exitCode = await first.stop();
    const exitMs = Date.now() - termAt;
    proxy.setBlackHole(false);
    const left = first
      .records()
      .find((r) => r.msg === 'reconciles still running at shutdown; leaving them (their state is in status)');
    // The lease was not released (the API did not answer): the successor waits for it to expire, then finishes.
    await second.start(120_000);
    const nbs = await waitAllFinished(
      view,
      names.map((n) => `nb-${n}`),
      300_000,
    );
    await view.stop();
    await sleep(300);
    const check = await checkBounces(kc, ns, nbs, originals, auditLogPath, t0, true);
    return {
      scenario: 'sigterm-in-black-hole',
      bounces: opts.bounces,
      durationMs: Date.now() - t0,
      exitCode,
      exitMs,
      hungAtTerm,
      reconcilesLeftAtShutdown: typeof left?.running === 'number' ? left.running : 0,
      check,
    };
  } finally {
    await setup.cleanup();
  }
}

/**
 * SIGTERM hand-over with the old leader's requests held (issue 18 item 5): two instances under leader election,
 * each through its own proxy; mid-bounce every request of the leader but its Lease requests is held in its proxy
 * (reconciles hang on them), then it gets SIGTERM: it gives its reconciles a few seconds, stops acting, releases
 * the Lease and drains its notifications (a webhook that never answers keeps it alive for the rest of its grace).
 * The standby takes the Lease; right after that first write the hold is released: every held request whose client
 * is still connected goes on to the apiserver, late. Aborting every request in flight before the release means
 * none is: the audit log must show no write of the old leader completing after the new leader's first write.
 */
export async function heldHandOverScenario(
  kc: KubeConfig,
  auditLogPath: string,
  opts: { bounces: number },
): Promise<ScenarioReport & Record<string, unknown>> {
  // A webhook that accepts and never answers: the old leader's notifier drain keeps it running after the release.
  const hung = new Set<ServerResponse>();
  const sink = createServer((req, res) => {
    req.resume();
    hung.add(res);
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
  const lease = {
    enabled: true,
    namespace: OPERATOR_NAMESPACE,
    leaseName: uniqueName('held-lease'),
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 1,
  };
  // Default request deadlines (10 s): held requests are still waiting when the hold is released.
  const setup = await hangSetup(
    kc,
    {
      leaderElection: lease,
      notifications: { url: sinkUrl, format: 'json', timeoutMs: 60_000, drainTimeoutMs: 8000 },
    },
    2,
  );
  try {
    const [pa, pb] = setup.proxies as [FaultProxy, FaultProxy];
    const [a, b] = [setup.operator(pa), setup.operator(pb)];
    await a.start(120_000);
    await b.start(120_000, 'leader election: standing by');
    const ns = await createNamespace(kc, uniqueName('rel-held'));
    const names = Array.from({ length: opts.bounces }, (_, i) => `h-${i}`);
    const pods = await createReadyNodes(kc, ns, names, {
      shutdownProtection: true,
      delays: (i) => ({ startup: 3000 + i * 500, shutdown: 1500 }),
      timeoutMs: 300_000,
    });
    const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
    const view = await watchNodeBounces(kc, ns);
    const t0 = Date.now();
    await pool(names, 8, (pod) => createNodeBounce(kc, ns, `nb-${pod}`, pod, { readyTimeoutSeconds: 120 }));
    // Bounces under way (one evicted: its BounceStarted notification is queued for the webhook that never
    // answers), then hold everything of the leader's but the Lease.
    const started = () =>
      names.some((n) => ['Terminating', 'Starting'].includes(view.get(`nb-${n}`)?.status?.phase ?? ''));
    for (const until = Date.now() + 30_000; !started() && Date.now() < until;) await sleep(50);
    const isLease = (_m: string, path: string) => path.includes('/leases/') || path.endsWith('/leases');
    pa.hold((m, path) => !isLease(m, path));
    const heldAt = Date.now();
    for (const until = Date.now() + 15_000; pa.stats.held < 1 && Date.now() < until;) await sleep(50);
    await sleep(500);
    const heldAtTerm = pa.stats.held;
    const termAt = Date.now();
    const exited = a.stop().then((code) => ({ code, at: Date.now() }));
    // The standby's first write is taking the Lease over; release the hold right after it.
    for (const until = Date.now() + 30_000; pb.stats.writes.length === 0 && Date.now() < until;) await sleep(20);
    const newLeaderAt = pb.stats.writes[0]?.at;
    const released = pa.release();
    const releasedAt = Date.now();
    const { code: exitCode, at: exitAt } = await exited;
    const exitMs = exitAt - termAt;
    const nbs = await waitAllFinished(
      view,
      names.map((n) => `nb-${n}`),
      300_000,
    );
    await view.stop();
    await sleep(500);
    const check = await checkBounces(kc, ns, nbs, originals, auditLogPath, t0, true);
    const audit = handOverInAudit(auditLogPath, setup.tags[0]!, setup.tags[1]!, t0);
    const leaseReleased = firstLogTime(a, (m) => m.includes('released') && m.includes('lease'));
    // The new leader's take-over: from leading to a synced cache (its watches start only once it leads).
    const bLeads = firstLogTime(b, (m) => m.includes('became leader'));
    const bSynced = firstLogTime(b, (m) => m.startsWith('caches synced'));
    return {
      scenario: 'held-hand-over',
      bounces: opts.bounces,
      durationMs: Date.now() - t0,
      exitCode,
      exitMs,
      heldBeforeTermMs: termAt - heldAt,
      heldAtTerm,
      held: pa.stats.held,
      released,
      newLeaderFirstWriteAfterTermMs: newLeaderAt !== undefined ? newLeaderAt - termAt : undefined,
      releasedAfterNewLeaderMs: newLeaderAt !== undefined ? releasedAt - newLeaderAt : undefined,
      oldLeaderExitAfterReleaseMs: exitAt - releasedAt,
      notificationsQueued: a.records().some((r) => r.msg === 'notifications still queued at shutdown were dropped'),
      bounceSeconds: [...nbs.values()].map((nb) =>
        Math.round((Date.parse(nb.status?.completionTime ?? '') - Date.parse(nb.status?.startTime ?? '')) / 1000),
      ),
      leaseReleasedAfterTermMs: leaseReleased !== undefined ? leaseReleased - termAt : undefined,
      newLeaderSyncMs: bLeads !== undefined && bSynced !== undefined ? bSynced - bLeads : undefined,
      audit,
      oldLeaderLog: a
        .records()
        .filter((r) => typeof r.msg === 'string' && (r.time as number) >= termAt)
        .map((r) => `+${(r.time as number) - termAt}ms ${String(r.msg)}`),
      check,
    };
  } finally {
    await setup.cleanup();
    for (const res of hung) res.destroy();
    sink.closeAllConnections();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
}
