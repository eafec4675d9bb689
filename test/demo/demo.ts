/**
 * npm run demo: the whole product on the embedded local control plane, in one command.
 *
 * Starts kube-apiserver + etcd + kwok (built from the Go module proxy on first use), installs the CRDs,
 * starts the Express operator simulator and the nodebounce operator (as its own process, under the RBAC
 * that deploy/ ships), then asks for four bounces and streams every phase change:
 *   plain      a normal bounce                                  -> Succeeded / PodRestarted
 *   refused    the node is rebuilding its cache                 -> Failed / NodeRebuilding (nothing touched)
 *   forced     rebuilding too, but spec.force: true             -> Succeeded / PodRestarted
 *   protected  shutdown protection on: disabled, then restored  -> Succeeded / PodRestarted
 * Then a rolling bounce of four more nodes (RollingBounce): the leader goes last, and one member is rebuilding when
 * the rollout starts, so the health gate visibly holds the rollout until it runs again.
 * Exits 0 when every bounce ended as expected, 1 otherwise.
 */
import { Watch } from '@kubernetes/client-node';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import { isTerminal } from '../../src/api/nodebounce.js';
import {
  createNamespace,
  ensureControlPlaneBinaries,
  readPod,
  startControlPlane,
  startExpressSimulator,
} from '../harness/index.js';
import { BounceFixture } from '../integration/support/bounce.js';
import { OperatorProcess, installOperatorIdentity } from '../integration/support/operator.js';
import { RolloutFixture } from '../integration/support/rollout.js';

const NS = 'express-demo';
const DELAYS = { startupDelay: '3s', shutdownDelay: '2s' };

interface Scenario {
  bounce: string;
  node: string;
  what: string;
  express: Parameters<BounceFixture['createExpressNode']>[2];
  spec: Record<string, unknown>;
  expect: { phase: string; reason: string; restarted: boolean; protectionRestored?: boolean };
}

const SCENARIOS: Scenario[] = [
  {
    bounce: 'plain',
    node: 'node-a',
    what: 'a normal bounce',
    express: { ...DELAYS },
    spec: { reason: 'demo: weekly restart' },
    expect: { phase: 'Succeeded', reason: 'PodRestarted', restarted: true },
  },
  {
    bounce: 'refused',
    node: 'node-b',
    what: 'node rebuilding its cache, no force',
    express: { ...DELAYS, runtimeState: 'rebuilding' },
    spec: { reason: 'demo: should be refused' },
    expect: { phase: 'Failed', reason: 'NodeRebuilding', restarted: false },
  },
  {
    bounce: 'forced',
    node: 'node-c',
    what: 'node rebuilding, force: true',
    express: { ...DELAYS, runtimeState: 'rebuilding' },
    spec: { force: true, reason: 'demo: forced while rebuilding' },
    expect: { phase: 'Succeeded', reason: 'PodRestarted', restarted: true },
  },
  {
    bounce: 'protected',
    node: 'node-d',
    what: 'shutdown protection on',
    express: { ...DELAYS, shutdownProtection: true },
    spec: { reason: 'demo: protected node' },
    expect: { phase: 'Succeeded', reason: 'PodRestarted', restarted: true, protectionRestored: true },
  },
];

const t0 = Date.now();
const clock = () => new Date().toISOString().slice(11, 23);
const say = (line: string) => console.log(`${clock()}  ${line}`);
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

async function main(): Promise<number> {
  say('nodebounce-operator demo: building/locating the local control plane (first run builds from source, ~10 min)');
  await ensureControlPlaneBinaries({ log: (l) => say(`[build] ${l}`) });
  const cp = await startControlPlane({ kwokNodes: 2 });
  let operator: OperatorProcess | undefined;
  let sim: Awaited<ReturnType<typeof startExpressSimulator>> | undefined;
  try {
    say(`control plane up in ${(cp.startupMs / 1000).toFixed(1)}s at ${cp.server} (CRDs installed)`);
    sim = await startExpressSimulator(cp.kubeConfig, { namespaces: [NS] });
    operator = new OperatorProcess({
      kubeConfig: await installOperatorIdentity(cp.kubeConfig),
      env: { NODEBOUNCE_LOG_LEVEL: 'info' },
    });
    await operator.start();
    say(
      `operator running as system:serviceaccount:nodebounce-system:nodebounce-operator (deploy/ RBAC), pid ${operator.pid}`,
    );

    const fx = new BounceFixture(cp.kubeConfig);
    await createNamespace(cp.kubeConfig, NS);
    await Promise.all(SCENARIOS.map((s) => fx.readyExpressNode(NS, s.node, s.express)));
    const before = new Map<string, string | undefined>();
    for (const s of SCENARIOS) before.set(s.node, (await readPod(cp.kubeConfig, NS, s.node))?.metadata?.uid);
    say(`ExpressNodes ready in namespace ${NS}: ${SCENARIOS.map((s) => `${s.node} (${s.what})`).join(', ')}`);

    // Stream every phase change as the API server reports it.
    const latest = new Map<string, NodeBounce>();
    let settle: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (settle = resolve));
    const seen = new Map<string, string>();
    const watch = await new Watch(cp.kubeConfig).watch(
      `/apis/bounce.express.dev/v1alpha1/namespaces/${NS}/nodebounces`,
      {},
      (_type, nb: NodeBounce) => {
        latest.set(nb.metadata.name, nb);
        const step = `${nb.status?.phase ?? '-'}/${nb.status?.reason ?? '-'}`;
        if (nb.status?.phase && seen.get(nb.metadata.name) !== step) {
          seen.set(nb.metadata.name, step);
          say(`${pad(nb.metadata.name, 10)} ${pad(step, 36)} ${nb.status?.message ?? ''}`);
        }
        if (SCENARIOS.every((s) => isTerminal(latest.get(s.bounce)?.status?.phase))) settle();
      },
      () => undefined,
    );

    for (const s of SCENARIOS) await fx.createNodeBounce(NS, { podName: s.node, ...s.spec }, { name: s.bounce });
    say(`created ${SCENARIOS.length} NodeBounces; waiting for them to finish...`);
    const timeout = setTimeout(() => settle(), 120_000);
    await allDone;
    clearTimeout(timeout);
    watch.abort();

    // Final table.
    console.log('');
    const header = [
      'NODEBOUNCE',
      'TARGET',
      'PHASE',
      'REASON',
      'DURATION',
      'POD UID (OLD -> NEW)',
      'PROTECTION',
      'AS EXPECTED',
    ];
    const rows: string[][] = [];
    let ok = true;
    for (const s of SCENARIOS) {
      const nb = await fx.getNodeBounce(NS, s.bounce);
      const st = nb?.status;
      const nowUid = (await readPod(cp.kubeConfig, NS, s.node))?.metadata?.uid;
      const restarted =
        !!st?.replacementPodUID && st.replacementPodUID !== before.get(s.node) && nowUid === st.replacementPodUID;
      const ex = await fx.getExpressNode(NS, s.node);
      const protection = s.express?.shutdownProtection
        ? ex.spec.shutdownProtection === true
          ? 'restored'
          : 'NOT RESTORED'
        : '-';
      const good =
        st?.phase === s.expect.phase &&
        st?.reason === s.expect.reason &&
        restarted === s.expect.restarted &&
        (s.expect.restarted || nowUid === before.get(s.node)) &&
        (!s.expect.protectionRestored || protection === 'restored');
      ok &&= good;
      const duration =
        st?.startTime && st.completionTime
          ? `${((Date.parse(st.completionTime) - Date.parse(st.startTime)) / 1000).toFixed(1)}s`
          : '-';
      const uids = `${(before.get(s.node) ?? '?').slice(0, 8)} -> ${restarted ? (st?.replacementPodUID ?? '?').slice(0, 8) : 'unchanged'}`;
      rows.push([
        s.bounce,
        `pod/${s.node}`,
        st?.phase ?? '?',
        st?.reason ?? '?',
        duration,
        uids,
        protection,
        good ? 'yes' : `NO (wanted ${s.expect.phase}/${s.expect.reason})`,
      ]);
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows]) console.log(r.map((c, i) => pad(c, widths[i]!)).join('  '));
    console.log('');
    ok = (await rollingDemo(cp.kubeConfig, fx)) && ok;
    say(
      `${ok ? 'all bounces ended as expected' : 'SOME BOUNCES DID NOT END AS EXPECTED'} (demo took ${((Date.now() - t0) / 1000).toFixed(1)}s)`,
    );
    if (!ok) console.log(operator.lines.slice(-40).join('\n'));
    return ok ? 0 : 1;
  } finally {
    await operator?.stop();
    operator?.cleanup();
    await sim?.stop();
    await cp.stop();
  }
}

/** A RollingBounce of four nodes: leader last, and a health-gate wait while one member rebuilds. */
async function rollingDemo(kc: Parameters<typeof createNamespace>[0], fx: BounceFixture): Promise<boolean> {
  const nodes = ['ring-1', 'ring-2', 'ring-3', 'ring-4'];
  say(
    `rolling bounce: ExpressNodes ${nodes.join(', ')} (ring-1 is the leader: it goes last; ring-3 is rebuilding its cache)`,
  );
  await Promise.all(
    nodes.map((n) =>
      fx.readyExpressNode(NS, n, {
        startupDelay: '2s',
        shutdownDelay: '1s',
        labels: { 'express.dev/cluster': 'ring', ...(n === 'ring-1' ? { 'express.dev/role': 'leader' } : {}) },
      }),
    ),
  );
  await fx.setRuntimeState(NS, 'ring-3', 'rebuilding');
  const rf = new RolloutFixture(kc);
  await rf.create(NS, 'ring-restart', {
    members: { selector: { matchLabels: { 'express.dev/cluster': 'ring' } } },
    last: { matchLabels: { 'express.dev/role': 'leader' } },
    healthGate: { stableSeconds: 2 },
    bounceTemplate: { reason: 'demo: rolling restart' },
  });
  let last = '';
  let healed = false;
  const deadline = Date.now() + 120_000;
  let rb: Awaited<ReturnType<typeof rf.get>>;
  for (;;) {
    rb = await rf.get(NS, 'ring-restart');
    const st = rb?.status;
    const line = `${pad('ring-restart', 12)} ${pad(`${st?.progress ?? '-'} ${st?.phase ?? '-'}/${st?.reason ?? '-'}`, 44)} ${st?.message ?? ''}`;
    if (line !== last && st?.phase) say(line);
    last = line;
    // The gate waits for ring-3; after a few seconds of that, its rebuild "finishes".
    if (!healed && st?.reason === 'MembersUnhealthy') {
      healed = true;
      setTimeout(() => {
        say('ring-3 finished rebuilding (status.state: running)');
        void fx.setRuntimeState(NS, 'ring-3', 'running');
      }, 4000);
    }
    if (
      (st?.phase === 'Succeeded' || st?.phase === 'Failed') &&
      !(st.members ?? []).some((m) => m.phase === 'InProgress')
    )
      break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const order = (rb?.status?.members ?? []).map((m) => `${m.pod}:${m.phase}`).join(' -> ');
  const good =
    rb?.status?.phase === 'Succeeded' &&
    rb.status.reason === 'AllMembersBounced' &&
    (rb.status.members ?? []).at(-1)?.pod === 'ring-1' &&
    healed;
  console.log('');
  console.log(
    `ROLLINGBOUNCE ring-restart: ${rb?.status?.phase}/${rb?.status?.reason} ${rb?.status?.progress}; order ${order}; health gate waited: ${healed ? 'yes' : 'no'}; as expected: ${good ? 'yes' : 'NO'}`,
  );
  console.log('');
  return good;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(`demo failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  });
