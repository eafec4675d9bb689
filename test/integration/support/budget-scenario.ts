// The group-promise chaos scenario (issue 17), shared by the short integration version and `npm run test:chaos`:
// a seeded random schedule of 3 overlapping RollingBounces (maxUnavailable 1 and 2) over one group of ExpressNodes,
// users' NodeBounces of random members, replacements that never become Ready, pods killed from outside and the
// operator SIGKILLed and restarted. Afterwards, from the kube-apiserver audit log (every eviction the operator sent,
// every pod delete) and our own pod watch (readiness), checkBudget() counts the other unavailable members at each
// eviction.
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  EXPRESS_GROUP,
  EXPRESS_PLURAL,
  EXPRESS_VERSION,
  isPodReady,
  STARTUP_DELAY_ANNOTATION,
} from '../../harness/index.js';
import { checkBudget, describeVerdict, type BudgetReport, type Group, type PodSample } from './budget-check.js';
import { auditRequests, watchNodeBounceLifetimes } from './cancel.js';
import type { OperatorEnv } from './env.js';
import { sleep } from './reliability.js';
import { RolloutFixture } from './rollout.js';

const EX = { group: EXPRESS_GROUP, version: EXPRESS_VERSION, plural: EXPRESS_PLURAL };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface BudgetChaosOptions {
  seed: number;
  /** How long the random schedule runs (ms); the rollouts are deleted afterwards, finished or not. */
  durationMs: number;
  nodes?: number;
}

export interface BudgetChaosResult {
  seed: number;
  report: BudgetReport;
  schedule: string[];
  rollouts: string[];
  /** One line per problem. */
  problems: string[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Watches a namespace's pods: a sample each time a pod's availability (Ready, not terminating) is seen to change. */
async function samplePods(env: OperatorEnv, ns: string): Promise<{ samples: PodSample[]; stop(): Promise<void> }> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<KubernetesObject>(env.kc, `/api/v1/namespaces/${ns}/pods`, () =>
    core.listNamespacedPod({ namespace: ns }),
  );
  const samples: PodSample[] = [];
  const last = new Map<string, boolean>();
  const note = (pod: string, up: boolean) => {
    if (last.get(pod) === up) return;
    last.set(pod, up);
    samples.push({ pod, at: Date.now(), up });
  };
  const onPod = (obj: KubernetesObject) => {
    const p = obj as V1Pod;
    note(p.metadata!.name!, isPodReady(p) && !p.metadata?.deletionTimestamp);
  };
  informer.on('add', onPod);
  informer.on('update', onPod);
  informer.on('delete', (obj) => note(obj.metadata!.name!, false));
  let stopped = false;
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void (!stopped && informer.start().catch(() => undefined)), 500);
  });
  await informer.start();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}

export async function budgetChaosScenario(
  env: OperatorEnv,
  auditLogPath: string,
  opts: BudgetChaosOptions,
): Promise<BudgetChaosResult> {
  const random = rng(opts.seed);
  const between = (a: number, b: number) => Math.round(a + random() * (b - a));
  const n = opts.nodes ?? 5;
  const ns = await env.namespace(`budget-${opts.seed}`);
  const names = Array.from({ length: n }, (_, i) => `m-${i}`);
  // Half of the group carries half=yes: the third rollout covers only those.
  await Promise.all(
    names.map((name, i) =>
      env.fx.readyExpressNode(ns, name, {
        labels: { group: 'g', ...(i % 2 === 0 ? { half: 'yes' } : {}) },
        startupDelay: `${between(500, 1200)}ms`,
        shutdownDelay: '300ms',
        shutdownProtection: random() < 0.5,
      }),
    ),
  );
  const pods = await samplePods(env, ns);
  const nbs = await watchNodeBounceLifetimes(env.kc, ns);
  const rf = new RolloutFixture(env.kc);
  const custom = env.kc.makeApiClient(CustomObjectsApi);
  const core = env.kc.makeApiClient(CoreV1Api);
  const from = Date.now() - 200;
  const t0 = Date.now();
  const schedule: string[] = [];
  const log = (what: string) => schedule.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

  const template = { readyTimeoutSeconds: 6, terminationTimeoutSeconds: 30 };
  // The three start within 300 ms of each other, so their first members are decided and disrupted at nearly the
  // same time (with 2 s and 4 s apart, the code without the check at eviction still passed: the gates had seen the
  // others' evictions by then).
  const rollouts: Array<{ name: string; maxUnavailable: number; startAt: number; spec: Record<string, unknown> }> = [
    {
      name: 'ra',
      maxUnavailable: 1,
      startAt: 0,
      spec: { members: { selector: { matchLabels: { group: 'g' } } } },
    },
    {
      name: 'rb',
      maxUnavailable: 2,
      startAt: between(0, 300),
      spec: { members: { selector: { matchLabels: { group: 'g' } } }, order: 'reverse' },
    },
    {
      name: 'rc',
      maxUnavailable: 1,
      startAt: between(0, 300),
      spec: { members: { selector: { matchLabels: { half: 'yes' } } } },
    },
  ];
  type Step = { at: number; run: () => Promise<void> };
  let restarting: Promise<void> = Promise.resolve();
  const steps: Step[] = rollouts.map((r) => ({
    at: r.startAt,
    run: async () => {
      log(`create RollingBounce ${r.name} maxUnavailable ${r.maxUnavailable}`);
      await rf.create(ns, r.name, {
        ...(r.spec as { members: { selector: { matchLabels: Record<string, string> } } }),
        maxUnavailable: r.maxUnavailable,
        maxFailures: 100,
        healthGate: { stableSeconds: 0 },
        bounceTemplate: template,
      });
    },
  }));
  const pick = () => names[Math.floor(random() * names.length)]!;
  const setStartupDelay = (name: string, value: string) =>
    custom.patchNamespacedCustomObject(
      { ...EX, namespace: ns, name, body: { metadata: { annotations: { [STARTUP_DELAY_ANNOTATION]: value } } } },
      mergePatch,
    );
  const d = opts.durationMs;
  for (let i = 0; i < 2; i++) {
    const pod = pick();
    steps.push({
      at: between(0, d * 0.8),
      run: async () => {
        log(`user NodeBounce of ${pod}`);
        await env.fx.createNodeBounce(ns, { podName: pod, ...template }, { generateName: `user-${pod}-` });
      },
    });
  }
  for (let i = 0; i < 2; i++) {
    const pod = pick();
    steps.push({
      at: between(0, d * 0.8),
      run: async () => {
        log(`kill pod ${pod}`);
        await core.deleteNamespacedPod({ namespace: ns, name: pod }).catch(() => undefined);
      },
    });
  }
  {
    // A node inside the orders whose replacements never become Ready for a good part of the run: its member's bounce ends
    // ReadyTimeout while the pod stays down; then it recovers (its stuck pod is killed).
    const pod = names[1 + Math.floor(random() * 3)]!;
    steps.push({
      at: 0,
      run: async () => {
        log(`replacements of ${pod} never Ready`);
        await setStartupDelay(pod, 'never');
      },
    });
    steps.push({
      at: between(d * 0.3, d * 0.6),
      run: async () => {
        log(`${pod} recovers`);
        await setStartupDelay(pod, '1s');
        const p = await core.readNamespacedPod({ namespace: ns, name: pod }).catch(() => undefined);
        if (p && !isPodReady(p)) await core.deleteNamespacedPod({ namespace: ns, name: pod }).catch(() => undefined);
      },
    });
  }
  {
    // One SIGKILL per run (a restart takes long on a loaded machine: the schedule goes on while it is down).
    const at = between(d * 0.2, d * 0.7);
    const down = between(200, 1500);
    steps.push({
      at,
      run: async () => {
        log(`SIGKILL operator (restart after ${down} ms)`);
        await env.operator.kill();
        await sleep(down);
        restarting = env.restartOperator(180_000).then(() => {
          log('operator restarted');
        });
      },
    });
  }
  steps.sort((a, b) => a.at - b.at);
  // Steps run one after the other at their times (a restart delays what follows it; the schedule says when each ran).
  for (const step of steps) {
    const wait = t0 + step.at - Date.now();
    if (wait > 0) await sleep(wait);
    await step.run();
  }
  const end = t0 + d;
  if (end > Date.now()) await sleep(end - Date.now());
  await restarting;
  const states: string[] = [];
  for (const r of rollouts) {
    const rb = await rf.get(ns, r.name);
    states.push(
      `${r.name}(max ${r.maxUnavailable}): ${rb?.status?.phase}/${rb?.status?.reason} ${rb?.status?.progress}`,
    );
  }
  // Members of each rollout, from its rows (what it snapshotted).
  const groups: Group[] = [];
  for (const r of rollouts) {
    const rb = await rf.get(ns, r.name);
    groups.push({
      name: r.name,
      members: (rb?.status?.members ?? []).map((m) => m.pod),
      maxUnavailable: r.maxUnavailable,
    });
    await rf.delete(ns, r.name).catch(() => undefined);
  }
  // Let in-flight evictions reach the audit log (blocking mode: written before the response) and the watch catch up.
  await sleep(1000);
  await pods.stop();
  nbs.stop();

  const requests = await auditRequests(auditLogPath, ns, from);
  const samples = [...pods.samples];
  // Every pod disruption the API server accepted (ours, the test's kills, kwok's) marks the pod down at that instant:
  // earlier than any watch can show it.
  for (const r of requests) {
    const disruption = (r.subresource === 'eviction' && r.verb === 'create') || (!r.subresource && r.verb === 'delete');
    if (r.resource === 'pods' && disruption) samples.push({ pod: r.name, at: r.at, up: false });
  }
  samples.sort((a, b) => a.at - b.at);
  const created = new Map(
    requests.filter((r) => r.resource === 'nodebounces' && r.verb === 'create').map((r) => [r.name, r.at]),
  );
  const lifetimes = nbs.all();
  const evictions = requests
    .filter(
      (r) =>
        r.resource === 'pods' &&
        r.user.includes('nodebounce-operator') &&
        ((r.subresource === 'eviction' && r.verb === 'create') || (!r.subresource && r.verb === 'delete')),
    )
    .map((r) => {
      // The NodeBounce it was for: the latest one for that pod created before it and not gone by then (a member
      // deleted with its rollout cannot have sent it; seed 13 of the long run blamed such a one of another rollout).
      const nb = lifetimes
        .filter(
          (l) =>
            l.pod === r.name &&
            (created.get(l.name) ?? l.addedAt) <= r.at &&
            (l.goneAt === undefined || l.goneAt > r.at),
        )
        .sort((a, b) => (created.get(b.name) ?? b.addedAt) - (created.get(a.name) ?? a.addedAt))[0];
      return {
        pod: r.name,
        at: r.at,
        ...(nb?.owner ? { owner: nb.owner } : {}),
        ...(nb ? { createdAt: created.get(nb.name) ?? nb.addedAt } : {}),
      };
    });
  const report = checkBudget(groups, samples, evictions);
  return {
    seed: opts.seed,
    report,
    schedule,
    rollouts: states,
    problems: report.violations.map(describeVerdict),
  };
}

export function describeRun(r: BudgetChaosResult): string {
  return `seed ${r.seed}: ${r.report.checked} member evictions checked (${r.report.unowned} by users' NodeBounces), ${r.report.races.length} races, ${r.report.violations.length} violations, longest wait ${(r.report.longestWaitMs / 1000).toFixed(1)}s; ${r.rollouts.join('; ')}`;
}
