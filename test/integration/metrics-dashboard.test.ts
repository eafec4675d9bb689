// The Grafana dashboard against a running operator (issue 14): after a few bounces, one failure, one bounce held
// by a PodDisruptionBudget and one waiting behind it, /metrics exports every metric a panel names, and every
// selector of every panel (its label matchers, less the namespace/job labels Prometheus adds when scraping)
// matches at least one exported series; then a real Prometheus scrapes the operator and every panel's query must
// return series (no empty panel). Both go through /metrics as shipped: HTTPS with a bearer token the operator checks
// (TokenReview, SubjectAccessReview), from a ServiceAccount bound to nodebounce-metrics-reader.
import { PolicyV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardMetricNames,
  dashboardQueries,
  matches,
  parseExposition,
  readDashboard,
  SAMPLE_VARIABLES,
  selectorsOf,
} from '../harness/grafana.js';
import { kubeConfigForServiceAccount, uniqueName, waitUntil } from '../harness/kube.js';
import { startPrometheus } from '../harness/prometheus.js';
import { useOperatorEnv } from './support/env.js';
import { RolloutFixture } from './support/rollout.js';

/** Labels Prometheus attaches at scrape time (target labels), not the operator. */
const TARGET_LABELS = new Set(['namespace', 'job', 'instance', 'pod', 'service', 'endpoint', 'container']);
/** Series Prometheus makes itself. */
const PROMETHEUS_OWN = new Set(['up']);

describe('Grafana dashboard vs. a running operator', () => {
  // The counters below are exact, so this operator watches only the file's own namespaces: on the shared control
  // plane an earlier file can leave a NodeBounce unfinished, and an operator watching every namespace finishes it
  // and counts it (CI once saw 5 successes for 4 here).
  const bounceNs = uniqueName('dash');
  const rolloutNs = uniqueName('dash-rb');
  const env = useOperatorEnv({
    env: { NODEBOUNCE_METRICS_SECURE: 'true', NODEBOUNCE_WATCH_NAMESPACES: `${bounceNs},${rolloutNs}` },
  });
  const dashboard = readDashboard();
  let token = '';
  let readerNs = '';
  beforeAll(async () => {
    readerNs = await env.namespace('dash-reader');
    await env.kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: `${readerNs}-prometheus` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'nodebounce-metrics-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: readerNs }],
      },
    });
    token = (await kubeConfigForServiceAccount(env.kc, readerNs, 'prometheus')).getCurrentUser()?.token ?? '';
  });
  afterAll(async () => {
    await env.kc
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteClusterRoleBinding({ name: `${readerNs}-prometheus` })
      .catch(() => undefined);
  });
  const metrics = () => env.operator.secureMetrics(token);

  const scrape = async () => {
    const { status, body } = await metrics();
    expect(status).toBe(200);
    return parseExposition(body);
  };
  const value = async (name: string, labels: Record<string, string>) => {
    const { body } = await metrics();
    const line = body
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('exports every metric and series the panels read, after bounces, a failure and a PDB block', async () => {
    const ns = await env.namedNamespace(bounceNs);
    for (const n of ['d1', 'd2', 'held']) await env.fx.readyExpressNode(ns, n);
    // What an earlier file may leave behind: a bounce in a namespace this operator does not watch. It must stay
    // untouched and uncounted.
    const strayNs = await env.namespace('dash-stray');
    await env.fx.readyExpressNode(strayNs, 'stray');
    const stray = await env.fx.createNodeBounce(strayNs, { podName: 'stray' });

    // Two bounces that succeed, one that fails (no such pod).
    const done = [];
    for (const podName of ['d1', 'd2', 'missing'])
      done.push((await env.fx.createNodeBounce(ns, { podName })).metadata.name);
    for (const name of done) await env.fx.waitFinished(ns, name);

    // Without a disruption controller on this control plane, any PDB makes the Eviction API answer 429.
    const policy = env.kc.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'hold' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { 'express.dev/node': 'held' } } },
      },
    });
    const blocked = await env.fx.createNodeBounce(ns, { podName: 'held' }, { name: 'a-blocked' });
    await env.fx.waitNodeBounce(
      ns,
      blocked.metadata.name,
      (o) => o.status?.reason === 'BlockedByPDB',
      20_000,
      'BlockedByPDB',
    );
    const waiter = await env.fx.createNodeBounce(ns, { podName: 'held' }, { name: 'b-waiter' });
    await env.fx.waitNodeBounce(
      ns,
      waiter.metadata.name,
      (o) => o.status?.reason === 'WaitingForOtherBounce',
      20_000,
      'WaitingForOtherBounce',
    );

    // While they wait, the waiting panels have something to show.
    expect(await value('nodebounce_active_bounces_by_reason', { phase: 'Terminating', reason: 'BlockedByPDB' })).toBe(
      1,
    );
    expect(
      await value('nodebounce_active_bounces_by_reason', { phase: 'Pending', reason: 'WaitingForOtherBounce' }),
    ).toBe(1);
    expect(
      await value('nodebounce_active_bounces_by_reason', { phase: 'Terminating', reason: 'EvictionThrottled' }),
    ).toBe(0);
    const samples = await scrape();
    expect(samples.find((s) => s.name === 'nodebounce_active_bounces')).toBeDefined();

    // Every metric name a panel or variable names is exported ...
    const exported = new Set(samples.map((s) => s.name));
    const names = dashboardMetricNames(dashboard);
    expect(names.length).toBeGreaterThan(15);
    const missing = names.filter((m) => !PROMETHEUS_OWN.has(m) && !exported.has(m));
    expect(missing, 'metric names the dashboard reads but the operator does not export').toEqual([]);

    // ... and every selector matches at least one exported series (so no panel filters itself empty, e.g. on a
    // label value the operator never sets).
    const empty: string[] = [];
    for (const q of dashboardQueries(dashboard)) {
      for (const sel of selectorsOf(q.expr)) {
        if (PROMETHEUS_OWN.has(sel.metric)) continue;
        const own = sel.matchers.filter((m) => !TARGET_LABELS.has(m.name));
        if (!samples.some((s) => s.name === sel.metric && matches(s.labels, own)))
          empty.push(`${q.where}: ${sel.metric}${JSON.stringify(own)}`);
      }
    }
    expect(empty, 'selectors matching no exported series').toEqual([]);

    // Once the budget is gone both finish, and the waiting gauges drop back to 0.
    await policy.deleteNamespacedPodDisruptionBudget({ namespace: ns, name: 'hold' });
    await env.fx.waitFinished(ns, blocked.metadata.name, 60_000);
    await env.fx.waitFinished(ns, waiter.metadata.name, 60_000);
    expect(await value('nodebounce_active_bounces_by_reason', { phase: 'Terminating', reason: 'BlockedByPDB' })).toBe(
      0,
    );
    expect(
      await value('nodebounce_active_bounces_by_reason', { phase: 'Pending', reason: 'WaitingForOtherBounce' }),
    ).toBe(0);
    expect(await value('nodebounce_bounces_total', { result: 'succeeded', reason: 'PodRestarted' })).toBe(4);
    expect(await value('nodebounce_bounces_total', { result: 'failed', reason: 'PodNotFound' })).toBe(1);
    expect((await env.fx.getNodeBounce(strayNs, stray.metadata.name))?.status).toBeUndefined();
  });

  it('no empty panel: every query of the dashboard returns series from a real Prometheus scraping the operator', async () => {
    // A small rollout first, so the RollingBounce panels have finished rollouts to show too.
    const ns = await env.namedNamespace(rolloutNs);
    await env.fx.readyExpressNode(ns, 'r1');
    const rf = new RolloutFixture(env.kc);
    await rf.create(ns, 'dash-rollout', { members: { podNames: ['r1'] }, healthGate: { stableSeconds: 0 } });
    await rf.waitFinished(ns, 'dash-rollout');

    const port = await env.operator.portOf('metrics listening');
    const prometheus = await startPrometheus({
      targets: [
        {
          job: SAMPLE_VARIABLES.job!,
          target: `127.0.0.1:${port}`,
          labels: { namespace: SAMPLE_VARIABLES.namespace! },
          https: { token },
        },
      ],
    });
    try {
      // rate() over $__rate_interval needs two samples of every series: a few scrapes (1 s apart).
      await waitUntil(async () => (await prometheus.query('count_over_time(up[1m])'))[0]?.value[1] === '4', {
        timeoutMs: 30_000,
        description: 'four scrapes of the operator',
      });
      const empty: string[] = [];
      for (const q of dashboardQueries(dashboard)) {
        if ((await prometheus.query(q.expr)).length === 0) empty.push(`${q.where}: ${q.expr}`);
      }
      expect(empty, 'dashboard queries that return no series').toEqual([]);
    } finally {
      await prometheus.stop();
    }
  });
});
