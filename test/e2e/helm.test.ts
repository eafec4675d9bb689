/**
 * The operator installed with its Helm chart (two replicas, leader election), running from its own image on the
 * real node, bouncing Express pods that real StatefulSets own. Locally with the delegation policy on and the
 * metrics served as shipped: HTTPS to a ServiceAccount token bound to nodebounce-metrics-reader (metrics.readers).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setHeaderOptions, PatchStrategy } from '@kubernetes/client-node';
import {
  EXPRESS_GROUP,
  EXPRESS_PLURAL,
  EXPRESS_VERSION,
  SIM_DRAIN_SECONDS_ANNOTATION,
  SIM_PAUSED_ANNOTATION,
  SIM_READY_INITIAL_ANNOTATION,
  SIM_STARTUP_DELAY_ANNOTATION,
} from '../harness/express-simulator.js';
import { isPodReady, readPod, waitUntil } from '../harness/kube.js';
import {
  type E2E,
  type Installation,
  collectOnFailure,
  createNamespace,
  createNodeBounce,
  deleteNamespace,
  e2e,
  expressNode,
  followLog,
  getExpressNode,
  httpsGet,
  installWithHelm,
  leaderPod,
  operatorPods,
  podHttp,
  serviceGet,
  podLog,
  secondsBetween,
  skipReason,
  watchNodeBounce,
} from './support.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const METRICS_READER = 'metrics-e2e';

describe.skipIf(!!skipReason())('operator installed with Helm on a real node', () => {
  let env: E2E;
  let install: Installation | undefined;
  const namespaces: string[] = [];
  const ns = async (prefix: string) => {
    const n = await createNamespace(env, prefix);
    namespaces.push(n);
    return n;
  };
  collectOnFailure(
    () => env,
    () => namespaces,
  );

  beforeAll(async () => {
    env = e2e();
    const t = Date.now();
    // The delegation policy is cluster-wide: only on the local node, not in a remote run's shared cluster.
    install = await installWithHelm(env, {
      replicas: 2,
      set: env.remote
        ? []
        : [
            'delegationPolicy.enabled=true',
            `metrics.readers[0].name=${METRICS_READER}`,
            `metrics.readers[0].namespace=${env.operatorNs}`,
          ],
    });
    console.log(`[e2e] helm install: 2 operator replicas Ready after ${Date.now() - t}ms`);
  });

  afterAll(async () => {
    // In parallel: each waits for its pods' drain and grace period.
    await Promise.all(
      namespaces.map((n) => deleteNamespace(env, n).catch((e: unknown) => console.log(`[e2e] ${String(e)}`))),
    );
    await install?.uninstall();
  });

  it('plain bounce: Pending -> Terminating -> Starting -> Succeeded; SIGTERM drained, startup probe passed, protection restored', async () => {
    const n = await ns('e2e-plain');
    const drain = 4;
    const startup = 3;
    const old = await expressNode(env, n, 'plain', {
      annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: String(drain), [SIM_STARTUP_DELAY_ANNOTATION]: String(startup) },
    });
    const oldLog = await followLog(env.kc, n, 'plain-0');
    // Shutdown protection over time (the operator disables it before the eviction and restores it afterwards).
    const protection: Array<{ t: number; value: unknown }> = [];
    const t0 = Date.now();
    const poll = setInterval(() => {
      void getExpressNode(env, n, 'plain').then(
        (en) => {
          const v = en.spec?.shutdownProtection;
          if (protection[protection.length - 1]?.value !== v) protection.push({ t: Date.now() - t0, value: v });
        },
        () => undefined,
      );
    }, 100);
    const w = watchNodeBounce(env, n, 'plain-bounce');
    try {
      await createNodeBounce(env, n, { podName: 'plain-0', reason: 'e2e plain bounce' }, 'plain-bounce');
      const done = await w.finished(120_000);
      const wall = Date.now() - t0;
      expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
      expect(done.status?.reason).toBe('PodRestarted');
      expect(w.phases()).toEqual(['Pending', 'Terminating', 'Starting', 'Succeeded']);

      // The old container got SIGTERM from the real kubelet and drained for its full time before exiting.
      const text = await oldLog.ended_(30_000);
      expect(text).toContain(`SIGTERM received: draining for ${drain}s`);
      expect(text).toContain('drained, exiting');
      // The StatefulSet controller recreated the pod under the same name, with a new UID, which passed its startup
      // probe (only then is it Ready) and logged its start after the startup delay.
      const fresh = await readPod(env.kc, n, 'plain-0');
      expect(fresh?.metadata?.uid).not.toBe(old.metadata?.uid);
      expect(done.status?.replacementPodUID).toBe(fresh?.metadata?.uid);
      expect(fresh?.status?.containerStatuses?.[0]?.started).toBe(true);
      expect(isPodReady(fresh)).toBe(true);
      expect(await podLog(env, n, 'plain-0')).toContain('started: serving /healthz and /ready');
      expect(fresh?.spec?.containers[0]?.startupProbe?.httpGet?.path).toBe('/healthz');

      // Shutdown protection: true -> false (disabled by the operator) -> true (restored), and the status says so.
      await waitUntil(() => protection[protection.length - 1]?.value === true, {
        timeoutMs: 5_000,
        description: 'protection restored',
      });
      // The watch may start after the operator already turned it off: then the first value seen is false.
      const seen = protection.map((p) => p.value);
      expect(seen[0] === true ? seen : [true, ...seen]).toEqual([true, false, true]);
      expect(done.status?.shutdownProtection).toMatchObject({
        wasEnabled: true,
        disabledByOperator: true,
        restored: true,
      });

      const s = done.status ?? {};
      const terminating = secondsBetween(s.terminatingTime, s.terminatedTime);
      const starting = secondsBetween(s.terminatedTime, s.readyTime);
      const floor = drain + startup;
      console.log(
        `[e2e] plain bounce: wall ${wall}ms (floor ${floor}s = ${drain}s drain + ${startup}s startup delay); ` +
          `status: terminating ${terminating}s, starting ${starting}s, total ${secondsBetween(s.startTime, s.completionTime)}s; ` +
          `timeline ${JSON.stringify(w.entries)}; protection ${JSON.stringify(protection)}`,
      );
      expect(wall).toBeGreaterThanOrEqual(floor * 1000);
    } finally {
      clearInterval(poll);
      w.stop();
      oldLog.stop();
    }
  });

  it('real PDB (minAvailable 1 of 2): BlockedByPDB while the other replica is not Ready, then the eviction goes through', async () => {
    const n = await ns('e2e-pdb');
    const group = { 'e2e.nodebounce.dev/pdb': 'pair' };
    const a = await expressNode(env, n, 'pa', { labels: group, annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: '2' } });
    // The second replica runs but reports not Ready until we say so.
    const b = await expressNode(env, n, 'pb', {
      labels: group,
      annotations: { [SIM_READY_INITIAL_ANNOTATION]: 'false' },
      waitReady: false,
    });
    await env.policy.createNamespacedPodDisruptionBudget({
      namespace: n,
      body: { metadata: { name: 'pair' }, spec: { minAvailable: 1, selector: { matchLabels: group } } },
    });
    // The real disruption controller computes the budget: 1 healthy of 2, none may go.
    await waitUntil(
      async () => {
        const pdb = await env.policy.readNamespacedPodDisruptionBudget({ namespace: n, name: 'pair' });
        const st = pdb.status;
        return (
          st?.observedGeneration === pdb.metadata?.generation &&
          st?.expectedPods === 2 &&
          st?.currentHealthy === 1 &&
          st?.disruptionsAllowed === 0
        );
      },
      { timeoutMs: 30_000, description: 'PDB status expectedPods 2, currentHealthy 1, disruptionsAllowed 0' },
    );
    const t0 = Date.now();
    const w = watchNodeBounce(env, n, 'pdb-bounce');
    try {
      await createNodeBounce(env, n, { podName: 'pa-0', reason: 'e2e pdb' }, 'pdb-bounce');
      await w.until((nb) => nb.status?.reason === 'BlockedByPDB', 60_000, 'to be BlockedByPDB');
      const blockedAt = Date.now() - t0;
      // Blocked for a while: the pod is untouched (same UID, not terminating) and the operator keeps retrying.
      await new Promise((r) => setTimeout(r, 5_000));
      const still = await readPod(env.kc, n, 'pa-0');
      expect(still?.metadata?.uid).toBe(a.metadata?.uid);
      expect(still?.metadata?.deletionTimestamp).toBeUndefined();
      expect(w.last?.status?.reason).toBe('BlockedByPDB');
      expect(w.last?.status?.eviction?.attempts ?? 0).toBeGreaterThanOrEqual(2);

      // The other replica becomes Ready (its readinessProbe now passes) -> the budget allows one disruption.
      const readyAt = Date.now() - t0;
      expect((await podHttp(env, b, 8080, '/admin/ready?value=true', 'POST')).status).toBe(200);
      const done = await w.finished(120_000);
      const doneAt = Date.now() - t0;
      expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
      const evictedAt = done.status?.terminatingTime ? Date.parse(done.status.terminatingTime) - t0 : undefined;
      console.log(
        `[e2e] PDB timeline (ms after the NodeBounce was created): BlockedByPDB at ${blockedAt}, other replica made Ready at ${readyAt}, ` +
          `evicted at ~${evictedAt} (status.terminatingTime, 1 s resolution), Succeeded at ${doneAt}; eviction attempts ${done.status?.eviction?.attempts}; ` +
          `timeline ${JSON.stringify(w.entries)}`,
      );
      expect(w.entries.map((e) => e.reason)).toEqual(expect.arrayContaining(['BlockedByPDB', 'PodRestarted']));
      const fresh = await readPod(env.kc, n, 'pa-0');
      expect(fresh?.metadata?.uid).not.toBe(a.metadata?.uid);
    } finally {
      w.stop();
    }
  });

  it('real PDB that never allows: TerminationTimeout, pod untouched', async () => {
    const n = await ns('e2e-pdbnever');
    const group = { 'e2e.nodebounce.dev/pdb': 'never' };
    const a = await expressNode(env, n, 'na', { labels: group });
    await env.policy.createNamespacedPodDisruptionBudget({
      namespace: n,
      body: { metadata: { name: 'never' }, spec: { maxUnavailable: 0, selector: { matchLabels: group } } },
    });
    await waitUntil(
      async () => {
        const pdb = await env.policy.readNamespacedPodDisruptionBudget({ namespace: n, name: 'never' });
        return pdb.status?.observedGeneration === pdb.metadata?.generation && pdb.status?.expectedPods === 1;
      },
      { timeoutMs: 30_000, description: 'PDB observed' },
    );
    const w = watchNodeBounce(env, n, 'never-bounce');
    try {
      await createNodeBounce(env, n, { podName: 'na-0', terminationTimeoutSeconds: 15 }, 'never-bounce');
      const done = await w.finished(90_000);
      expect(done.status?.phase).toBe('Failed');
      expect(done.status?.reason).toBe('TerminationTimeout');
      expect(w.entries.map((e) => e.reason)).toContain('BlockedByPDB');
      const pod = await readPod(env.kc, n, 'na-0');
      expect(pod?.metadata?.uid).toBe(a.metadata?.uid);
      expect(pod?.metadata?.deletionTimestamp).toBeUndefined();
      // Protection was put back even though the bounce failed.
      expect((await getExpressNode(env, n, 'na')).spec?.shutdownProtection).toBe(true);
    } finally {
      w.stop();
    }
  });

  it('RollingBounce, maxUnavailable 1, one member failing its readiness probe: waits, evicts nothing, then finishes once it is Ready', async () => {
    const n = await ns('e2e-rollout');
    const group = { 'e2e.nodebounce.dev/rollout': 'trio' };
    const names = ['ra', 'rb', 'rc'];
    const before = new Map<string, string | undefined>();
    for (const name of names) {
      const pod = await expressNode(env, n, name, {
        labels: group,
        annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: '1', [SIM_STARTUP_DELAY_ANNOTATION]: '1' },
      });
      before.set(name, pod.metadata?.uid);
    }
    // rc-0 starts failing its readinessProbe (the app answers 503 on /ready): the kubelet marks it NotReady.
    const rc = (await readPod(env.kc, n, 'rc-0'))!;
    expect((await podHttp(env, rc, 8080, '/admin/ready?value=false', 'POST')).status).toBe(200);
    await waitUntil(
      async () =>
        (await readPod(env.kc, n, 'rc-0'))?.metadata?.uid === rc.metadata?.uid &&
        !isPodReady(await readPod(env.kc, n, 'rc-0')),
      {
        timeoutMs: 60_000,
        description: 'rc-0 NotReady by its readiness probe',
      },
    );
    const rbApi = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'rollingbounces', namespace: n };
    type Rollout = { status?: { phase?: string; reason?: string; message?: string; progress?: string } };
    const read = async () => (await env.custom.getNamespacedCustomObject({ ...rbApi, name: 'trio' })) as Rollout;
    await env.custom.createNamespacedCustomObject({
      ...rbApi,
      body: {
        apiVersion: 'bounce.express.dev/v1alpha1',
        kind: 'RollingBounce',
        metadata: { name: 'trio', namespace: n },
        spec: { members: { selector: { matchLabels: group } }, maxUnavailable: 1, healthGate: { stableSeconds: 0 } },
      },
    });
    // The rollout holds: rc-0 is down, so no other member may go.
    const waiting = await waitUntil(
      async () => {
        const rb = await read();
        return rb.status?.phase === 'WaitingForHealth' && /\brc(-0)?: /.test(rb.status.message ?? '') ? rb : undefined;
      },
      { timeoutMs: 60_000, description: 'RollingBounce trio WaitingForHealth naming rc' },
    );
    const heldAt = Date.now();
    // Held for a while (several of the operator's rechecks): every pod is the one it was, none terminating.
    await new Promise((r) => setTimeout(r, 8_000));
    for (const name of names) {
      const pod = await readPod(env.kc, n, `${name}-0`);
      expect(pod?.metadata?.uid, `${name}-0 untouched while rc-0 is down`).toBe(before.get(name));
      expect(pod?.metadata?.deletionTimestamp, `${name}-0 not terminating`).toBeUndefined();
    }
    expect((await read()).status?.phase).toBe('WaitingForHealth');

    // rc-0 passes its probe again: the rollout bounces all three, one at a time, and finishes.
    expect((await podHttp(env, rc, 8080, '/admin/ready?value=true', 'POST')).status).toBe(200);
    const done = await waitUntil(
      async () => {
        const rb = await read();
        return rb.status?.phase === 'Succeeded' || rb.status?.phase === 'Failed' ? rb : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000, description: 'RollingBounce trio finished' },
    );
    console.log(
      `[e2e] rollout with a NotReady member: waited with "${waiting.status?.reason}: ${waiting.status?.message}", ` +
        `held ${((Date.now() - heldAt) / 1000).toFixed(1)}s before the member was made Ready; ended ${done.status?.phase}/${done.status?.reason} ${done.status?.progress}`,
    );
    expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
    for (const name of names) {
      const pod = await readPod(env.kc, n, `${name}-0`);
      expect(pod?.metadata?.uid, `${name}-0 replaced`).not.toBe(before.get(name));
    }
  });

  it('IntentionallyDown and NodeRebuilding: refused, nothing touched', async () => {
    const n = await ns('e2e-refuse');
    const sleepy = await expressNode(env, n, 'sleepy');
    const busy = await expressNode(env, n, 'busy');
    // A node that should be down while its pod is still there (the simulator is told to leave it alone, as a real
    // Express operator shutting it down would not have removed it yet).
    await env.custom.patchNamespacedCustomObject(
      {
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        plural: EXPRESS_PLURAL,
        namespace: n,
        name: 'sleepy',
        body: { metadata: { annotations: { [SIM_PAUSED_ANNOTATION]: 'true' } } },
      },
      mergePatch,
    );
    await env.custom.patchNamespacedCustomObject(
      {
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        plural: EXPRESS_PLURAL,
        namespace: n,
        name: 'sleepy',
        body: { spec: { state: 'down' } },
      },
      mergePatch,
    );
    await env.custom.patchNamespacedCustomObjectStatus(
      {
        group: EXPRESS_GROUP,
        version: EXPRESS_VERSION,
        plural: EXPRESS_PLURAL,
        namespace: n,
        name: 'busy',
        body: { status: { state: 'rebuilding' } },
      },
      mergePatch,
    );
    const rv = {
      sleepy: (await getExpressNode(env, n, 'sleepy')).metadata?.resourceVersion,
      busy: (await getExpressNode(env, n, 'busy')).metadata?.resourceVersion,
    };
    const w1 = watchNodeBounce(env, n, 'down-bounce');
    const w2 = watchNodeBounce(env, n, 'rebuild-bounce');
    try {
      await createNodeBounce(env, n, { podName: 'sleepy-0', force: true }, 'down-bounce');
      await createNodeBounce(env, n, { podName: 'busy-0' }, 'rebuild-bounce');
      const [d1, d2] = await Promise.all([w1.finished(60_000), w2.finished(60_000)]);
      expect(d1.status).toMatchObject({ phase: 'Failed', reason: 'IntentionallyDown' });
      expect(d2.status).toMatchObject({ phase: 'Failed', reason: 'NodeRebuilding' });
      for (const [name, pod] of [
        ['sleepy', sleepy],
        ['busy', busy],
      ] as const) {
        const now = await readPod(env.kc, n, `${name}-0`);
        expect(now?.metadata?.uid).toBe(pod.metadata?.uid);
        expect(now?.metadata?.deletionTimestamp).toBeUndefined();
        expect(now?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
        expect((await getExpressNode(env, n, name)).metadata?.resourceVersion).toBe(rv[name]);
      }
    } finally {
      w1.stop();
      w2.stop();
    }
  });

  it('leader failover: the leader pod is deleted mid-bounce, the next lease holder finishes the bounce', async () => {
    const n = await ns('e2e-failover');
    const old = await expressNode(env, n, 'lf', { annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: '10' } });
    const leader = await waitUntil(() => leaderPod(env), { timeoutMs: 30_000, description: 'a lease holder' });
    const w = watchNodeBounce(env, n, 'lf-bounce');
    const t0 = Date.now();
    try {
      await createNodeBounce(env, n, { podName: 'lf-0', reason: 'e2e failover' }, 'lf-bounce');
      await w.until((nb) => nb.status?.phase === 'Terminating', 60_000, 'to be Terminating');
      // Delete the leader as `kubectl delete pod` does (graceful: SIGTERM, it releases the Lease).
      await env.core.deleteNamespacedPod({ namespace: env.operatorNs, name: leader });
      const killedAt = Date.now() - t0;
      const newLeader = await waitUntil(
        async () => {
          const l = await leaderPod(env);
          return l && l !== leader ? l : undefined;
        },
        { timeoutMs: 60_000, description: 'a new lease holder' },
      );
      const takeoverAt = Date.now() - t0;
      const done = await w.finished(120_000);
      expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
      const now = await readPod(env.kc, n, 'lf-0');
      expect(now?.metadata?.uid).not.toBe(old.metadata?.uid);
      // One disruption across the failover: the pod running now is the replacement the bounce recorded.
      expect(done.status?.replacementPodUID).toBe(now?.metadata?.uid);
      // Whoever asks first after the release wins the Lease: the standby (it retries every retryPeriod) or the
      // Deployment's replacement of the deleted pod (it asks as soon as it starts). Either is a correct failover;
      // what must hold is that the deleted pod is not the one that finished and the new leader is a live pod.
      const pods = await operatorPods(env);
      const finisher = pods.find((p) => p.metadata?.name === newLeader);
      expect(finisher, `new leader ${newLeader} among ${pods.map((p) => p.metadata?.name).join(', ')}`).toBeDefined();
      expect(finisher?.metadata?.deletionTimestamp).toBeUndefined();
      const finisherCreated = Date.parse(String(finisher?.metadata?.creationTimestamp));
      // creationTimestamp has whole seconds: "before t0" is only sure when it is a full second earlier.
      const kind = finisherCreated < t0 - 1000 ? 'standby replica' : "Deployment's replacement";
      expect((await getExpressNode(env, n, 'lf')).spec?.shutdownProtection).toBe(true);
      console.log(
        `[e2e] failover: leader ${leader} deleted at ${killedAt}ms (bounce Terminating), ${newLeader} (${kind}) leads ` +
          `at ${takeoverAt}ms, bounce Succeeded at ${Date.now() - t0}ms; timeline ${JSON.stringify(w.entries)}`,
      );
    } finally {
      w.stop();
    }
  });

  it('metrics through the Service, /readyz as the kubelet sees it, non-root and read-only root filesystem', async () => {
    const svc = await env.core.readNamespacedService({
      namespace: env.operatorNs,
      name: 'nodebounce-operator-metrics',
    });
    const ip = svc.spec?.clusterIP;
    // HTTPS with a bearer token (remotely the API server's service proxy, which passes no token: 401 proves the
    // check is on, and the counts below cannot be read that way).
    if (env.remote) {
      const res = await serviceGet(env, env.operatorNs, 'https:nodebounce-operator-metrics', ip, 8443, '/metrics');
      expect(res.status).toBe(401);
      return;
    }
    await env.core
      .createNamespacedServiceAccount({ namespace: env.operatorNs, body: { metadata: { name: METRICS_READER } } })
      .catch(() => undefined);
    const token = (
      await env.core.createNamespacedServiceAccountToken({
        namespace: env.operatorNs,
        name: METRICS_READER,
        body: { spec: { expirationSeconds: 600, audiences: [] } },
      })
    ).status?.token;
    expect((await httpsGet(`https://${ip}:8443/metrics`)).status).toBe(401);
    // Through the ClusterIP (kube-proxy's iptables rules pick a replica) until the leader answered: only the leader
    // has bounce counts and leader_election_master_status 1.
    let bounces = '';
    await waitUntil(
      async () => {
        const res = await httpsGet(`https://${ip}:8443/metrics`, token);
        if (res.status !== 200) throw new Error(`GET /metrics through the Service: ${res.status}`);
        if (!/^leader_election_master_status(?:\{[^}]*\})? 1/m.test(res.body)) return false;
        bounces = res.body
          .split('\n')
          .filter((l) => l.startsWith('nodebounce_bounces_total'))
          .join('\n');
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: "the leader's metrics through the Service" },
    );
    // The leader has counted the bounces of the earlier tests.
    expect(bounces).toMatch(/nodebounce_bounces_total(?:\{[^}]*\})? [1-9]/);

    const pods = (await operatorPods(env)).filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const p of pods) {
      // Ready = the kubelet's readinessProbe on /readyz passed.
      const c = p.spec?.containers[0];
      expect(c?.readinessProbe?.httpGet?.path).toBe('/readyz');
      await waitUntil(async () => isPodReady(await readPod(env.kc, env.operatorNs, p.metadata?.name ?? '')), {
        timeoutMs: 60_000,
        description: `operator pod ${p.metadata?.name} Ready`,
      });
      expect((await podHttp(env, p, 8081, '/readyz')).status).toBe(200);
      if (env.remote) {
        // The host's /proc shows only local containers: remotely, what was asked of the runtime is checked instead.
        const sc = { ...p.spec?.securityContext, ...c?.securityContext };
        expect(sc).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 65532,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
        expect(c?.securityContext?.capabilities?.drop).toContain('ALL');
        console.log(
          `[e2e] remote: ${p.metadata?.name}: securityContext of the spec checked; the running process (uid, CapEff, ro root) is checked only locally (/proc)`,
        );
        continue;
      }
      // What the runtime really did: the container's process runs as uid 65532 with a read-only root mount.
      const proc = findContainerProcess(p.metadata?.uid ?? '', 'dist/nodebounce-operator.mjs');
      expect(proc, `no process of pod ${p.metadata?.name} found`).toBeDefined();
      const status = readFileSync(`/proc/${proc}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('65532');
      const rootMount = readFileSync(`/proc/${proc}/mountinfo`, 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === '/');
      expect(rootMount?.split(' ')[5]?.split(',')).toContain('ro');
      expect(/^CapEff:\s+0+$/m.test(status)).toBe(true);
    }
  });
});

/** PID of a process of the pod (by its cgroup, which contains the pod UID) whose command line includes `needle`. */
function findContainerProcess(podUid: string, needle: string): number | undefined {
  const uidPart = podUid.replace(/-/g, '_');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cg = readFileSync(`/proc/${e}/cgroup`, 'utf8');
      if (!cg.includes(podUid) && !cg.includes(uidPart)) continue;
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) return Number(e);
    } catch {
      /* gone */
    }
  }
  return undefined;
}
