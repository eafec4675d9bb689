// The reliability scenarios of issue 5 as functions: short versions run in `npm test`
// (test/integration/reliability-*.test.ts), long ones in `npm run test:chaos` (test/chaos/).
import { expect } from 'vitest';
import type { KubeConfig } from '@kubernetes/client-node';
import type { NodeBounce } from '../../../src/api/nodebounce.js';
import {
  createNamespace,
  startControlPlane,
  startExpressSimulator,
  uniqueName,
  type ControlPlane,
} from '../../harness/index.js';
import type { OperatorEnv } from './env.js';
import { startFaultProxy, type FaultProxyStats } from './fault-proxy.js';
import { OperatorProcess, installOperatorIdentity } from './operator.js';
import {
  checkBounces,
  createNodeBounce,
  createReadyNodes,
  pool,
  randomBetween,
  sleep,
  waitAllFinished,
  watchNodeBounces,
  type BounceOutcomeCheck,
} from './reliability.js';

export interface ScenarioReport {
  scenario: string;
  bounces: number;
  durationMs: number;
  check: BounceOutcomeCheck;
  [k: string]: unknown;
}

/** Prints one line per scenario (collected into docs/reliability.md by hand) and asserts the common checks. */
export function assertAndReport(report: ScenarioReport): void {
  console.log(
    `[reliability] ${JSON.stringify({ ...report, check: { ...report.check, failed: report.check.failed.length } })}`,
  );
  // The count above keeps the report short; what failed, and why, is what a reader of a red run needs.
  if (report.check.failed.length) console.log(`[reliability] failed:\n  ${report.check.failed.join('\n  ')}`);
  expect(report.check.failed, 'every NodeBounce Succeeded with PodRestarted').toEqual([]);
  expect(report.check.succeeded).toBe(report.bounces);
  expect(report.check.notReplacedOnce, 'each pod replaced exactly once').toEqual([]);
  expect(report.check.replacementMismatch, 'old UID recorded, current pod is the recorded replacement').toEqual([]);
  expect(report.check.protectionNotRestored, 'shutdown protection restored everywhere').toEqual([]);
}

const delaysFor = (i: number) => ({ startup: 200 + ((i * 137) % 1300), shutdown: 200 + ((i * 89) % 1300) });

function assertNoCrash(op: OperatorProcess): void {
  const bad = op.lines.filter((l) => /unhandled rejection|uncaught/i.test(l));
  expect(bad, 'no unhandled rejection').toEqual([]);
  expect(op.process?.exitCode ?? null, 'operator still running').toBeNull();
}

/**
 * Crash: `bounces` bounces (one per pod, shutdown protection on), created in waves while the operator is
 * SIGKILLed `kills` times at random moments and started again.
 */
export async function crashScenario(
  env: OperatorEnv,
  auditLogPath: string,
  opts: { bounces: number; kills: number; seed?: number },
): Promise<ScenarioReport> {
  const ns = await env.namespace('rel-crash');
  const names = Array.from({ length: opts.bounces }, (_, i) => `c-${i}`);
  const pods = await createReadyNodes(env.kc, ns, names, {
    shutdownProtection: true,
    delays: delaysFor,
    timeoutMs: 300_000,
  });
  const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
  const view = await watchNodeBounces(env.kc, ns);
  const t0 = Date.now();
  const waves = opts.kills + 1;
  const perWave = Math.ceil(opts.bounces / waves);
  const phasesAtKill: Array<Record<string, number>> = [];
  let seed = opts.seed ?? 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let w = 0; w < waves; w++) {
    const batch = names.slice(w * perWave, (w + 1) * perWave);
    await pool(batch, 8, (pod) => createNodeBounce(env.kc, ns, `nb-${pod}`, pod));
    if (w < opts.kills) {
      await sleep(randomBetween(100, 1500, random));
      const phases: Record<string, number> = {};
      for (const nb of view.list()) phases[nb.status?.phase ?? 'New'] = (phases[nb.status?.phase ?? 'New'] ?? 0) + 1;
      phasesAtKill.push(phases);
      await env.operator.kill();
      await sleep(randomBetween(0, 500, random));
      await env.restartOperator();
    }
  }
  const nbs = await waitAllFinished(
    view,
    names.map((n) => `nb-${n}`),
    300_000,
  );
  await view.stop();
  assertNoCrash(env.operator);
  await sleep(300); // let the audit log catch up
  const check = await checkBounces(env.kc, ns, nbs, originals, auditLogPath, t0, true);
  return {
    scenario: 'crash',
    bounces: opts.bounces,
    kills: opts.kills,
    durationMs: Date.now() - t0,
    phasesAtKill,
    check,
  };
}

/** kube-apiserver killed (SIGKILL) or stopped (SIGTERM) and restarted on the same etcd, `restarts` times, during `bounces` bounces. */
export async function apiServerRestartScenario(opts: {
  bounces: number;
  restarts: number;
  seed?: number;
}): Promise<ScenarioReport> {
  let cp: ControlPlane | undefined;
  let op: OperatorProcess | undefined;
  let sim: { stop(): Promise<void> } | undefined;
  try {
    cp = await startControlPlane({
      auditPolicy: true,
      kwokNodes: 2,
      log: process.env.NODEBOUNCE_CONTROLPLANE_VERBOSE ? (l) => console.log(`[controlplane] ${l}`) : undefined,
    });
    const kc: KubeConfig = cp.kubeConfig;
    sim = await startExpressSimulator(kc);
    const operatorKc = await installOperatorIdentity(kc);
    op = new OperatorProcess({ kubeConfig: operatorKc });
    await op.start(60_000);
    const ns = await createNamespace(kc, uniqueName('rel-apiserver'));
    const names = Array.from({ length: opts.bounces }, (_, i) => `a-${i}`);
    const pods = await createReadyNodes(kc, ns, names, {
      shutdownProtection: true,
      delays: (i) => ({ startup: 500 + ((i * 137) % 1500), shutdown: 500 + ((i * 89) % 1500) }),
      timeoutMs: 300_000,
    });
    const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
    const t0 = Date.now();
    const restarts: Array<{ how: string; downMs: number }> = [];
    const creating = pool(names, 8, (pod) =>
      createNodeBounce(kc, ns, `nb-${pod}`, pod).catch(async () => {
        // The apiserver may be down right now: try again until it is back.
        for (;;) {
          await sleep(250);
          try {
            await createNodeBounce(kc, ns, `nb-${pod}`, pod);
            return;
          } catch (err) {
            if ((err as { code?: number }).code === 409) return;
          }
        }
      }),
    );
    for (let r = 0; r < opts.restarts; r++) {
      await sleep(300 + ((r * 811) % 1500));
      const t = Date.now();
      if (r % 2 === 0) {
        await cp.killApiServer();
        await sleep(200);
        await cp.startApiServer();
        restarts.push({ how: 'SIGKILL', downMs: Date.now() - t });
      } else {
        await cp.restartApiServer();
        restarts.push({ how: 'SIGTERM', downMs: Date.now() - t });
      }
    }
    await creating;
    const view = await watchNodeBounces(kc, ns);
    const nbs = await waitAllFinished(
      view,
      names.map((n) => `nb-${n}`),
      300_000,
    );
    await view.stop();
    assertNoCrash(op);
    await sleep(300);
    const check = await checkBounces(kc, ns, nbs, originals, cp.auditLogPath!, t0, true);
    return { scenario: 'apiserver-restart', bounces: opts.bounces, restarts, durationMs: Date.now() - t0, check };
  } finally {
    await op?.stop();
    op?.cleanup();
    await sim?.stop();
    await cp?.stop();
  }
}

/**
 * Faults: the operator talks to the apiserver only through the fault proxy, which answers 500/429/409 to a share
 * of requests, loses the response of a share of writes, and cuts watches every 1-4 s.
 */
export async function faultScenario(
  kc: KubeConfig,
  auditLogPath: string,
  opts: {
    bounces: number;
    errorRate: number;
    lostResponseRate: number;
    seed: number;
    watchCut?: 'clean' | 'reset' | 'mixed';
  },
): Promise<ScenarioReport & { proxy: Omit<FaultProxyStats, 'writes'> & { writes: number } }> {
  const proxy = await startFaultProxy({
    upstream: kc,
    errorRate: opts.errorRate,
    lostResponseRate: opts.lostResponseRate,
    watchCutMs: [1000, 4000],
    watchCut: opts.watchCut,
    seed: opts.seed,
  });
  let op: OperatorProcess | undefined;
  const sim = await startExpressSimulator(kc);
  try {
    const operatorKc = await installOperatorIdentity(kc);
    op = new OperatorProcess({ kubeConfig: proxy.kubeConfigFor(operatorKc) });
    await op.start(120_000);
    const ns = await createNamespace(kc, uniqueName('rel-faults'));
    const names = Array.from({ length: opts.bounces }, (_, i) => `f-${i}`);
    const pods = await createReadyNodes(kc, ns, names, {
      shutdownProtection: true,
      delays: delaysFor,
      timeoutMs: 300_000,
    });
    const originals = new Map(names.map((n) => [n, pods.get(n)!.metadata!.uid!]));
    const view = await watchNodeBounces(kc, ns);
    const t0 = Date.now();
    await pool(names, 4, async (pod) => {
      await createNodeBounce(kc, ns, `nb-${pod}`, pod);
      await sleep(100);
    });
    const nbs: NodeBounce[] = await waitAllFinished(
      view,
      names.map((n) => `nb-${n}`),
      300_000,
    );
    await view.stop();
    assertNoCrash(op);
    await sleep(300);
    const check = await checkBounces(kc, ns, nbs, originals, auditLogPath, t0, true);
    const retries = op.lines.filter((l) => l.includes('retrying with backoff')).length;
    const watchRestarts = op.lines.filter((l) => l.includes('watch failed; restarting')).length;
    return {
      scenario: 'faults',
      bounces: opts.bounces,
      seed: opts.seed,
      watchCut: opts.watchCut ?? 'mixed',
      durationMs: Date.now() - t0,
      proxy: { ...proxy.stats, writes: proxy.stats.writes.length },
      operatorRetries: retries,
      watchRestarts,
      check,
    };
  } finally {
    await op?.stop();
    op?.cleanup();
    await sim.stop();
    await proxy.stop();
  }
}
