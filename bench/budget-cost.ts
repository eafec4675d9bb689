// `npm run bench:budget`: what the disruption budget and the finalizer-first start cost, side by side on one
// control plane. Three kinds of bounce, interleaved round by round (one at a time, so each one's requests can be
// told apart in the audit log):
//   fast     a plain NodeBounce, no budget configured (the fast path, docs/adr/0006)
//   member   a RollingBounce of one member: its NodeBounce checks the group's budget (docs/adr/0007)
//   budget   a plain NodeBounce with the cross-group budget configured (disruptionBudget.maxPerNamespace)
// Two operators run at once, each watching its own namespace (fast and member: no budget config; budget: with it).
// Per bounce, from the kube-apiserver audit log: the operator's requests from the NodeBounce's (or RollingBounce's)
// create until 1 s after it finished, and NodeBounce created -> eviction request received. It prints; nothing fails
// on a timing. Options: --rounds N (10), --delays S/U (kwok shutdown/startup delays, ms; 0/0).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { NodeBounce } from '../src/api/nodebounce.js';
import { createNamespace, startControlPlane, startExpressSimulator } from '../test/harness/index.js';
import { BounceFixture } from '../test/integration/support/bounce.js';
import { installOperatorIdentity, OperatorProcess } from '../test/integration/support/operator.js';
import { RolloutFixture } from '../test/integration/support/rollout.js';
import { AUDIT_POLICY, isOperator, readAudit, requestKind, type AuditEvent } from './audit.js';
import { percentiles } from './scenarios.js';

type Kind = 'fast' | 'member' | 'budget';
interface Run {
  kind: Kind;
  ns: string;
  /** The NodeBounce that bounced the pod. */
  nodeBounce: string;
  /** What the caller created (the NodeBounce, or the RollingBounce), and when it saw it finished. */
  startMs: number;
  endMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, delays: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 10);
  const [shutdown, startup] = (values.delays ?? '0/0').split('/').map((x) => `${Number(x)}ms`);
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-bench-budget-'));
  const policyFile = join(dir, 'audit-policy.yaml');
  writeFileSync(policyFile, AUDIT_POLICY);
  const load0 = loadavg();
  const cp = await startControlPlane({ auditPolicy: policyFile, kwokNodes: 1 });
  const sim = await startExpressSimulator(cp.kubeConfig);
  const operators: OperatorProcess[] = [];
  try {
    const kc: KubeConfig = cp.kubeConfig;
    const fx = new BounceFixture(kc);
    const rf = new RolloutFixture(kc);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const nsA = await createNamespace(kc, 'bench-nobudget');
    const nsB = await createNamespace(kc, 'bench-budget');
    const opts = { startupDelay: startup, shutdownDelay: shutdown };
    await Promise.all([
      fx.readyExpressNode(nsA, 'plain', opts),
      fx.readyExpressNode(nsA, 'member', { ...opts, labels: { role: 'member' } }),
      fx.readyExpressNode(nsB, 'plain', opts),
    ]);
    const operatorKc = await installOperatorIdentity(kc);
    const start = async (env: Record<string, string>) => {
      const p = new OperatorProcess({ kubeConfig: operatorKc, env: { NODEBOUNCE_LOG_LEVEL: 'info', ...env } });
      operators.push(p);
      await p.start(120_000);
    };
    await start({ NODEBOUNCE_WATCH_NAMESPACES: nsA });
    await start({ NODEBOUNCE_WATCH_NAMESPACES: nsB, NODEBOUNCE_DISRUPTION_BUDGET_PER_NAMESPACE: '1000' });

    const nbDone = (ns: string, name: string) =>
      until(
        async () => {
          const nb = (await custom.getNamespacedCustomObject({
            group: 'bounce.express.dev',
            version: 'v1alpha1',
            plural: 'nodebounces',
            namespace: ns,
            name,
          })) as NodeBounce;
          const phase = nb.status?.phase;
          if (phase === 'Failed') throw new Error(`${ns}/${name} failed: ${nb.status?.message}`);
          return phase === 'Succeeded' ? nb : undefined;
        },
        120_000,
        `${ns}/${name} Succeeded`,
      );
    const runs: Run[] = [];
    const plain = async (kind: Kind, ns: string, i: number) => {
      const name = `${kind}-${i}`;
      const startMs = Date.now();
      await fx.createNodeBounce(ns, { podName: 'plain' }, { name });
      await nbDone(ns, name);
      runs.push({ kind, ns, nodeBounce: name, startMs, endMs: Date.now() });
    };
    const member = async (i: number) => {
      const name = `rollout-${i}`;
      const startMs = Date.now();
      await rf.create(nsA, name, {
        members: { selector: { matchLabels: { role: 'member' } } },
        healthGate: { stableSeconds: 0 },
      });
      const done = await until(
        async () => {
          const rb = await rf.get(nsA, name);
          const phase = rb?.status?.phase;
          if (phase === 'Failed') throw new Error(`${name} failed: ${rb?.status?.message}`);
          return phase === 'Succeeded' ? rb : undefined;
        },
        120_000,
        `${name} Succeeded`,
      );
      runs.push({
        kind: 'member',
        ns: nsA,
        nodeBounce: done.status!.members![0]!.nodeBounce!,
        startMs,
        endMs: Date.now(),
      });
    };
    for (let i = 0; i < rounds; i++) {
      // Rotate the order each round, so no kind always follows the same one.
      const order: Array<() => Promise<void>> = [
        () => plain('fast', nsA, i),
        () => member(i),
        () => plain('budget', nsB, i),
      ];
      for (let k = 0; k < order.length; k++) {
        await order[(k + i) % order.length]!();
        await sleep(1000); // the trailing writes (finalizer off) land in this bounce's window
      }
      process.stdout.write(`round ${i + 1}/${rounds}\n`);
    }
    await sleep(1000);

    const events = await readAudit(cp.auditLogPath!, { keep: (e) => isOperator(e) || e.verb === 'create' });
    const rows: Record<Kind, { requests: number[]; toEvict: number[]; kinds: Record<string, number> }> = {
      fast: { requests: [], toEvict: [], kinds: {} },
      member: { requests: [], toEvict: [], kinds: {} },
      budget: { requests: [], toEvict: [], kinds: {} },
    };
    for (const r of runs) {
      const mine = events.filter(
        (e: AuditEvent) =>
          isOperator(e) &&
          e.objectRef?.namespace === r.ns &&
          e.receivedMs >= r.startMs - 5 &&
          e.receivedMs <= r.endMs + 1000 &&
          e.verb !== 'watch',
      );
      const row = rows[r.kind];
      row.requests.push(mine.length);
      for (const e of mine) row.kinds[requestKind(e)] = (row.kinds[requestKind(e)] ?? 0) + 1;
      const created = events.find(
        (e) => e.verb === 'create' && e.objectRef?.resource === 'nodebounces' && e.objectRef.name === r.nodeBounce,
      );
      const evict = events.find(
        (e) =>
          isOperator(e) &&
          e.verb === 'create' &&
          e.objectRef?.subresource === 'eviction' &&
          e.objectRef.namespace === r.ns &&
          created !== undefined &&
          e.receivedMs >= created.receivedMs &&
          e.receivedMs <= r.endMs,
      );
      if (created && evict) row.toEvict.push(evict.receivedMs - created.receivedMs);
    }
    const fmt = (p: ReturnType<typeof percentiles>) =>
      p ? `${p.p50.toFixed(1)} / ${p.p95.toFixed(1)} / ${p.max.toFixed(1)}` : '-';
    console.log(
      `\nload average at start ${load0.map((x) => x.toFixed(1)).join(' ')}, end ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      '| bounce | n | operator requests per bounce (p50, min-max) | NodeBounce created -> eviction ms (p50 / p95 / max) |',
    );
    console.log('| --- | --- | --- | --- |');
    for (const [kind, row] of Object.entries(rows)) {
      const req = percentiles(row.requests);
      console.log(
        `| ${kind} | ${row.requests.length} | ${req ? `${req.p50} (${req.min}-${req.max})` : '-'} | ${fmt(percentiles(row.toEvict))} |`,
      );
    }
    for (const [kind, row] of Object.entries(rows)) {
      const n = row.requests.length || 1;
      const kinds = Object.entries(row.kinds)
        .sort((a, b) => b[1] - a[1])
        .map(([k, c]) => `${k} ${(c / n).toFixed(1)}`);
      console.log(`${kind}: ${kinds.join(', ')}`);
    }
  } finally {
    for (const p of operators) await p.stop().catch(() => undefined);
    await sim.stop();
    await cp.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
