// A real Argo CD (TOOL_VERSIONS.argocd: repo-server, application-controller and API server as host processes, see
// test/harness/argocd.ts) syncs ExpressNodes, NodeBounces and a RollingBounce from a Git repository served on
// loopback, on the local control plane, with the operator under deploy/'s RBAC. What docs/argocd.md promises is
// checked here: health Progressing -> Healthy / Degraded, one bounce per NodeBounce whatever Argo CD does
// afterwards (self-heal, hard refresh, another sync, prune; the TTL skipped on a tracked NodeBounce), an immutable
// spec changed in Git failing the sync with what to do, and the `bounce` action bouncing exactly one pod.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { type ArgoCd, startArgoCd } from '../harness/argocd.js';
import { isNotFound, waitUntil } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';
import { countPodDisruptions } from './support/pods.js';

const APP = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', namespace: 'argocd' };
const NB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'nodebounces' };
const RB = { group: 'bounce.express.dev', version: 'v1alpha1', plural: 'rollingbounces' };
const MIN = 60_000;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Application {
  metadata: { annotations?: Record<string, string> };
  status?: {
    health?: { status?: string; message?: string };
    sync?: { status?: string; revision?: string };
    operationState?: {
      operation?: { sync?: { revision?: string } };
      phase?: string;
      message?: string;
      finishedAt?: string;
      syncResult?: { revision?: string; resources?: Array<{ name?: string; kind?: string; message?: string }> };
    };
    resources?: Array<{ kind?: string; name?: string; health?: { status?: string } }>;
  };
}

describe('Argo CD syncs bounces from Git (real argocd on the local control plane)', () => {
  const env = useOperatorEnv();
  let argo: ArgoCd;
  let custom: CustomObjectsApi;
  let ns: string;

  const expressNode = (name: string) =>
    stringify({
      apiVersion: 'express.dev/v1alpha1',
      kind: 'ExpressNode',
      metadata: {
        name,
        labels: { app: 'express' },
        // The simulated pod takes 6 s to start: long enough to see the bounce Progressing in Argo CD.
        annotations: { 'kwok.nodebounce.dev/startup-delay': '6s', 'kwok.nodebounce.dev/shutdown-delay': '300ms' },
      },
      spec: { state: 'up' },
    });
  const nodeBounce = (name: string, podName: string, extra: Record<string, unknown> = {}) =>
    stringify({
      apiVersion: 'bounce.express.dev/v1alpha1',
      kind: 'NodeBounce',
      metadata: { name, labels: { team: 'a' } },
      spec: { podName, reason: 'CHG-1: from Git', ...extra },
    });

  const readApp = async (name: string) =>
    (await custom.getNamespacedCustomObject({ ...APP, name })) as unknown as Application;
  const getNb = async (name: string) => {
    try {
      return (await custom.getNamespacedCustomObject({ ...NB, namespace: ns, name })) as {
        metadata: { uid: string; labels?: Record<string, string> };
        status?: { phase?: string; reason?: string; ttlSkipped?: boolean; completionTime?: string };
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const createApp = (name: string, path: string) =>
    custom.createNamespacedCustomObject({
      ...APP,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: 'argocd' },
        spec: {
          project: 'default',
          source: { repoURL: argo.git.url, targetRevision: 'main', path },
          destination: { server: 'https://kubernetes.default.svc', namespace: ns },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    });
  const refresh = (name: string, kind: 'normal' | 'hard' = 'normal') =>
    custom.patchNamespacedCustomObject(
      { ...APP, name, body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': kind } } } },
      mergePatch,
    );
  /** Waits until the app has synced `revision` (and is Synced), refreshing it so the controller looks at Git now. */
  const waitSynced = async (name: string, revision: string, timeoutMs = 5 * MIN) => {
    await refresh(name);
    return waitUntil(
      async () => {
        const app = await readApp(name);
        const op = app.status?.operationState;
        return app.status?.sync?.status === 'Synced' &&
          app.status.sync.revision === revision &&
          op?.phase === 'Succeeded' &&
          op.syncResult?.revision === revision
          ? app
          : undefined;
      },
      { timeoutMs, intervalMs: 500, description: `Application ${name} synced at ${revision.slice(0, 8)}` },
    );
  };
  const disruptions = (pod: string) => countPodDisruptions(inject('auditLogPath'), ns, pod);
  const waitHealth = (name: string, status: string, timeoutMs = 2 * MIN) =>
    waitUntil(async () => ((await readApp(name)).status?.health?.status === status ? true : undefined), {
      timeoutMs,
      intervalMs: 500,
      description: `Application ${name} health ${status}`,
    });

  beforeAll(async () => {
    custom = env.kc.makeApiClient(CustomObjectsApi);
    // Cold, this builds Argo CD (test/harness/tools.ts) and installs git and redis-server from Debian.
    argo = await startArgoCd({ kubeConfig: env.kc, kubeconfigPath: inject('kubeconfigPath') });
    ns = await env.namespace('argo');
  }, 90 * MIN);

  afterAll(async () => {
    await argo?.stop();
  });

  it(
    'an Application syncs ExpressNodes; the pods come up',
    async () => {
      const rev = await argo.git.commit(
        { 'express/node-a.yaml': expressNode('node-a'), 'express/node-b.yaml': expressNode('node-b') },
        'ExpressNodes',
      );
      await createApp('express', 'express');
      await waitSynced('express', rev);
      for (const p of ['node-a', 'node-b']) await env.fx.waitPodReady(ns, p, 2 * MIN);
    },
    10 * MIN,
  );

  it(
    'a NodeBounce and a RollingBounce from Git: Progressing while they run, Healthy after Succeeded',
    async () => {
      const rev = await argo.git.commit(
        {
          // ttlSecondsAfterFinished on a tracked NodeBounce: the operator must skip it (Argo CD would re-create it).
          'bounces/bounce-a-1.yaml': nodeBounce('bounce-a-1', 'node-a', { ttlSecondsAfterFinished: 3 }),
          'bounces/rollout-1.yaml': stringify({
            apiVersion: 'bounce.express.dev/v1alpha1',
            kind: 'RollingBounce',
            metadata: { name: 'rollout-1' },
            // 5 s of ExpressNode health after each member instead of the default 30 s: the same checks, sooner.
            spec: { members: { podNames: ['node-b'] }, healthGate: { stableSeconds: 5 } },
          }),
        },
        'bounce node-a, roll node-b',
      );
      const seen: string[] = [];
      await createApp('bounces', 'bounces');
      await waitUntil(
        async () => {
          const h = (await readApp('bounces')).status?.health?.status;
          if (h && seen[seen.length - 1] !== h) seen.push(h);
          return h === 'Healthy' && (await getNb('bounce-a-1'))?.status?.phase === 'Succeeded' ? true : undefined;
        },
        { timeoutMs: 5 * MIN, intervalMs: 250, description: 'Application bounces Healthy after the bounces' },
      );
      expect(seen).toContain('Progressing');
      expect(seen.indexOf('Progressing')).toBeLessThan(seen.lastIndexOf('Healthy'));
      await waitSynced('bounces', rev);
      const rb = (await custom.getNamespacedCustomObject({ ...RB, namespace: ns, name: 'rollout-1' })) as {
        status?: { phase?: string };
      };
      expect(rb.status?.phase).toBe('Succeeded');
      expect(await disruptions('node-a')).toBe(1);
      expect(await disruptions('node-b')).toBe(1);
    },
    10 * MIN,
  );

  it(
    'the TTL of a tracked NodeBounce is skipped; self-heal, hard refresh and another sync never start a second bounce',
    async () => {
      const nb = await waitUntil(
        async () => {
          const o = await getNb('bounce-a-1');
          return o?.status?.completionTime ? o : undefined;
        },
        { timeoutMs: MIN, description: 'bounce-a-1 finished' },
      );
      // Past the 3 s TTL (+ 10 s: room for a deletion and Argo CD's self-heal to re-create it): still the same
      // object. Were the TTL applied, Argo CD would put the NodeBounce back from Git and it would bounce node-a again.
      const done = Date.parse(nb.status?.completionTime ?? '');
      await waitUntil(() => Date.now() > done + 13_000, { timeoutMs: MIN, description: 'TTL expiry + 10 s' });
      expect((await getNb('bounce-a-1'))?.metadata.uid).toBe(nb.metadata.uid);
      expect(await disruptions('node-a')).toBe(1);
      expect((await getNb('bounce-a-1'))?.status?.ttlSkipped).toBe(true);

      // Self-heal: drift on a field from Git is put back by Argo CD (a re-apply, no new object).
      await custom.patchNamespacedCustomObject(
        { ...NB, namespace: ns, name: 'bounce-a-1', body: { metadata: { labels: { team: 'b' } } } },
        mergePatch,
      );
      await waitUntil(async () => (await getNb('bounce-a-1'))?.metadata.labels?.team === 'a', {
        timeoutMs: 3 * MIN,
        intervalMs: 500,
        description: 'self-heal restores the label from Git',
      });

      // Hard refresh: the controller regenerates manifests and compares; it removes the annotation when done.
      await refresh('bounces', 'hard');
      await waitUntil(
        async () =>
          (await readApp('bounces')).metadata.annotations?.['argocd.argoproj.io/refresh'] ? undefined : true,
        { timeoutMs: 3 * MIN, intervalMs: 500, description: 'hard refresh done' },
      );

      // Another sync, through Argo CD's API server.
      const before = (await readApp('bounces')).status?.operationState?.finishedAt;
      const sync = await argo.cli(['app', 'sync', 'bounces', '--timeout', '120']);
      expect(sync.code, sync.stderr + sync.stdout).toBe(0);
      await waitUntil(
        async () => {
          const op = (await readApp('bounces')).status?.operationState;
          return op?.phase === 'Succeeded' && op.finishedAt !== before ? true : undefined;
        },
        { timeoutMs: 3 * MIN, intervalMs: 500, description: 'second sync Succeeded' },
      );

      expect((await getNb('bounce-a-1'))?.metadata.uid).toBe(nb.metadata.uid);
      // One eviction (or deletion) of node-a by the operator, in the kube-apiserver audit log.
      expect(await disruptions('node-a')).toBe(1);
    },
    10 * MIN,
  );

  it(
    'a changed NodeBounce spec in Git fails the sync saying to create a new NodeBounce; nothing is bounced',
    async () => {
      const rev = await argo.git.commit(
        {
          'bounces/bounce-a-1.yaml': nodeBounce('bounce-a-1', 'node-a', { ttlSecondsAfterFinished: 3, force: true }),
        },
        'change the spec of a finished NodeBounce',
      );
      await refresh('bounces');
      // An automated sync that fails is retried (Argo CD 3.x: 5 times, backoff from 5 s up to 3 min) with phase
      // Running in between; the failure and its reason are in the operation's message from the first attempt on.
      const app = await waitUntil(
        async () => {
          const a = await readApp('bounces');
          const op = a.status?.operationState;
          return op?.operation?.sync?.revision === rev && op.message?.includes('spec is immutable') ? a : undefined;
        },
        { timeoutMs: 5 * MIN, intervalMs: 500, description: 'the sync of the changed spec fails' },
      );
      const message = app.status?.operationState?.message ?? '';
      expect(message).toContain('NodeBounce.bounce.express.dev "bounce-a-1" is invalid');
      expect(message).toContain('Create a new NodeBounce');
      expect(app.status?.sync?.status).toBe('OutOfSync');
      // What a user does once they have read the message: stop the retries (the fix in Git comes next).
      const stop = await argo.cli(['app', 'terminate-op', 'bounces']);
      expect(stop.code, stop.stderr + stop.stdout).toBe(0);
      await waitUntil(
        async () => {
          const phase = (await readApp('bounces')).status?.operationState?.phase;
          return phase === 'Failed' || phase === 'Error' ? true : undefined;
        },
        { timeoutMs: 3 * MIN, intervalMs: 500, description: 'the retried operation terminated' },
      );
      expect(await disruptions('node-a')).toBe(1);
    },
    10 * MIN,
  );

  it(
    'a Failed bounce makes the Application Degraded; prune deletes finished NodeBounces without a bounce',
    async () => {
      const rev = await argo.git.commit(
        {
          // What the docs say to do instead of changing a spec: remove the old one, add one with a new name.
          'bounces/bounce-a-1.yaml': null,
          'bounces/bounce-ghost-1.yaml': nodeBounce('bounce-ghost-1', 'ghost'),
        },
        'prune bounce-a-1; bounce a pod that does not exist',
      );
      await waitSynced('bounces', rev);
      await waitHealth('bounces', 'Degraded');
      expect((await getNb('bounce-ghost-1'))?.status).toMatchObject({ phase: 'Failed', reason: 'PodNotFound' });
      expect(await getNb('bounce-a-1')).toBeUndefined();
      expect(await disruptions('node-a')).toBe(1);
      expect(await disruptions('node-b')).toBe(1);
    },
    10 * MIN,
  );

  it(
    'the bounce action, run through Argo CD, creates one NodeBounce and bounces exactly one pod',
    async () => {
      const res = await argo.cli([
        'app',
        'actions',
        'run',
        'express',
        'bounce',
        '--kind',
        'ExpressNode',
        '--group',
        'express.dev',
        '--resource-name',
        'node-b',
        '--namespace',
        ns,
      ]);
      expect(res.code, res.stderr + res.stdout).toBe(0);
      const created = await waitUntil(
        async () => {
          const list = (await custom.listNamespacedCustomObject({
            ...NB,
            namespace: ns,
            labelSelector: 'bounce.express.dev/requested-by=argocd-action',
          })) as {
            items: Array<{
              metadata: { name: string };
              spec: { podName: string };
              status?: { phase?: string; reason?: string };
            }>;
          };
          return list.items.length > 0 && list.items.every((i) => i.status?.phase === 'Succeeded')
            ? list.items
            : undefined;
        },
        { timeoutMs: 3 * MIN, intervalMs: 500, description: 'the action-created NodeBounce Succeeded' },
      );
      expect(created).toHaveLength(1);
      expect(created[0]!.spec.podName).toBe('node-b');
      expect(created[0]!.metadata.name).toMatch(/^node-b-/);
      expect(created[0]!.status?.reason).toBe('PodRestarted');
      expect(await disruptions('node-b')).toBe(2);
      expect(await disruptions('node-a')).toBe(1);
      // Not tracked by the Application: after a hard refresh the auto-pruning express app is still Synced, and the
      // NodeBounce is still there.
      await refresh('express', 'hard');
      await waitUntil(
        async () =>
          (await readApp('express')).metadata.annotations?.['argocd.argoproj.io/refresh'] ? undefined : true,
        { timeoutMs: 3 * MIN, intervalMs: 500, description: 'hard refresh of express done' },
      );
      expect((await readApp('express')).status?.sync?.status).toBe('Synced');
      expect(await getNb(created[0]!.metadata.name)).toBeDefined();
    },
    10 * MIN,
  );
});
