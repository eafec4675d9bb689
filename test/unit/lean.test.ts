// What the watch caches keep (src/bounce/lean.ts, leanExpress in src/express/view.ts): the fields the operator reads
// survive, managedFields and the rest do not, and every reader decides the same on the lean object as on the whole.
import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_UID_ANNOTATION,
  NODEBOUNCE_FINALIZER,
  RELEASE_PROTECTION_ANNOTATION,
  type NodeBounce,
} from '../../src/api/nodebounce.js';
import { defaultArgoCdConfig, defaultExpressConfig, type ExpressConfig } from '../../src/config/schema.js';
import { hasWorkLeft, NodeBounceStore } from '../../src/controller/store.js';
import { estimateFromProbes } from '../../src/controller/rollout-reconciler.js';
import { decide } from '../../src/bounce/decide.js';
import { LAST_APPLIED_ANNOTATION, leanNodeBounce, leanPod, managedFieldsFor } from '../../src/bounce/lean.js';
import { describePodState, isPodReady, readyTimeoutFromProbes, type PodLike } from '../../src/bounce/pod.js';
import { annotationSetBy } from '../../src/bounce/restore.js';
import {
  ARGOCD_TRACKING_ANNOTATION,
  expressNameForPod,
  isArgoTracked,
  leanExpress,
  readExpress,
  type UnstructuredObject,
} from '../../src/express/view.js';
import { EXPRESS, NS, POD, at, found, iso, makeNodeBounce, makeObserved, step } from './fixtures.js';

/** A pod as the API server sends it (kwok-like): everything the operator reads, and much it does not. */
function fullPod(
  o: {
    name?: string;
    uid?: string;
    ready?: boolean;
    deleting?: boolean;
    created?: number;
    waiting?: boolean;
  } = {},
): PodLike {
  const ready = o.ready ?? true;
  const probe = (initialDelaySeconds: number) => ({
    httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' },
    initialDelaySeconds,
    periodSeconds: 5,
    failureThreshold: 30,
    timeoutSeconds: 1,
    successThreshold: 1,
  });
  const pod: unknown = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? POD,
      generateName: 'node-a-',
      namespace: NS,
      uid: o.uid ?? 'uid-old-1111',
      resourceVersion: '4242',
      creationTimestamp: iso(o.created ?? -3600),
      ...(o.deleting ? { deletionTimestamp: iso(30), deletionGracePeriodSeconds: 30 } : {}),
      labels: { 'express.dev/node': EXPRESS, app: 'express', 'pod-template-hash': '5d4f' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': iso(-7200), 'prometheus.io/scrape': 'true' },
      ownerReferences: [
        { apiVersion: 'express.dev/v1alpha1', kind: 'ExpressNode', name: EXPRESS, uid: 'ex-uid', controller: true },
      ],
      managedFields: [
        {
          manager: 'express-operator',
          operation: 'Update',
          apiVersion: 'v1',
          time: iso(-3600),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': {} } },
        },
        {
          manager: 'kwok',
          operation: 'Update',
          apiVersion: 'v1',
          time: iso(-3590),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:podIP': {} } },
          subresource: 'status',
        },
      ],
    },
    spec: {
      nodeName: 'kwok-node-1',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
      containers: [
        {
          name: 'express',
          image: 'express:1.2.3',
          env: [{ name: 'MODE', value: 'prod' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
          startupProbe: probe(10),
          readinessProbe: probe(0),
          volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets' }],
        },
        { name: 'sidecar', image: 'envoy:1', readinessProbe: { ...probe(0), periodSeconds: 20 } },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.1',
      podIP: '10.244.0.7',
      podIPs: [{ ip: '10.244.0.7' }],
      qosClass: 'Burstable',
      startTime: iso(-3590),
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: iso(-3590) },
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastProbeTime: null,
          lastTransitionTime: iso(-3580),
          ...(ready ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [express]' }),
        },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(-3600) },
      ],
      containerStatuses: [
        {
          name: 'express',
          image: 'express:1.2.3',
          imageID: 'docker-pullable://express@sha256:abc',
          containerID: 'containerd://123',
          ready,
          started: true,
          restartCount: 2,
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: iso(-4000) } },
          state: o.waiting
            ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } }
            : { running: { startedAt: iso(-3585) } },
        },
        {
          name: 'sidecar',
          image: 'envoy:1',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: iso(-3585) } },
        },
      ],
    },
  };
  return pod as PodLike;
}

describe('leanPod', () => {
  it('keeps what the operator reads and drops managedFields, annotations and the rest', () => {
    const pod = fullPod({ deleting: true, waiting: true, ready: false });
    const before = structuredClone(pod);
    const lean = leanPod(pod);
    expect(pod).toEqual(before); // the argument is not modified
    expect(lean).toEqual({
      metadata: {
        name: POD,
        namespace: NS,
        uid: 'uid-old-1111',
        resourceVersion: '4242',
        creationTimestamp: iso(-3600),
        deletionTimestamp: iso(30),
        deletionGracePeriodSeconds: 30,
        labels: pod.metadata!.labels,
        ownerReferences: pod.metadata!.ownerReferences,
      },
      spec: {
        containers: [
          {
            name: 'express',
            startupProbe: { initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 30 },
            readinessProbe: { initialDelaySeconds: 0, periodSeconds: 5, failureThreshold: 30 },
          },
          { name: 'sidecar', readinessProbe: { initialDelaySeconds: 0, periodSeconds: 20, failureThreshold: 30 } },
        ],
      },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          {
            type: 'Ready',
            status: 'False',
            reason: 'ContainersNotReady',
            message: 'containers with unready status: [express]',
          },
          { type: 'PodScheduled', status: 'True' },
        ],
        containerStatuses: [
          {
            name: 'express',
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } },
          },
          { name: 'sidecar', ready: true, restartCount: 0, state: { running: { startedAt: iso(-3585) } } },
        ],
      },
    });
    expect(JSON.stringify(lean)).not.toContain('managedFields');
    expect(JSON.stringify(lean).length).toBeLessThan(JSON.stringify(pod).length / 2);
  });

  it('every pod reader answers the same on the lean pod', () => {
    for (const pod of [
      fullPod(),
      fullPod({ ready: false, waiting: true }),
      fullPod({ deleting: true }),
      { metadata: { name: 'bare' } },
      {},
    ] as PodLike[]) {
      const lean = leanPod(pod);
      expect(isPodReady(lean)).toBe(isPodReady(pod));
      expect(describePodState(lean)).toBe(describePodState(pod));
      expect(readyTimeoutFromProbes(lean)).toEqual(readyTimeoutFromProbes(pod));
      expect(expressNameForPod(lean, defaultExpressConfig)).toEqual(expressNameForPod(pod, defaultExpressConfig));
      expect(estimateFromProbes(lean)).toBe(estimateFromProbes(pod));
    }
  });

  it('a whole bounce decides the same on lean pods as on whole ones, step by step', () => {
    // The cluster over time: the old pod, then terminating, then gone with a replacement of another name that
    // starts unready (crash-looping) and becomes Ready.
    const replacement = (ready: boolean) =>
      fullPod({ name: 'node-a-1', uid: 'uid-new-2222', created: 40, ready, waiting: !ready });
    const world: Array<{ t: number; pod?: PodLike; expressPods: PodLike[] }> = [
      { t: 0, pod: fullPod(), expressPods: [] },
      { t: 1, pod: fullPod(), expressPods: [] },
      { t: 2, pod: fullPod(), expressPods: [] },
      { t: 20, pod: fullPod({ deleting: true }), expressPods: [] },
      { t: 45, pod: undefined, expressPods: [replacement(false)] },
      { t: 60, pod: undefined, expressPods: [replacement(false)] },
      { t: 90, pod: undefined, expressPods: [replacement(true)] },
      { t: 91, pod: undefined, expressPods: [replacement(true)] },
    ];
    let nb = makeNodeBounce();
    const phases: string[] = [];
    for (const w of world) {
      const whole = makeObserved({ pod: w.pod ?? null, expressPods: w.expressPods, express: found() });
      const lean = makeObserved({
        pod: w.pod ? leanPod(w.pod) : null,
        expressPods: w.expressPods.map(leanPod),
        express: found(),
      });
      expect(decide(nb, lean, at(w.t))).toEqual(decide(nb, whole, at(w.t)));
      nb = step(nb, whole, at(w.t)).nb;
      phases.push(nb.status?.phase ?? '-');
    }
    // The walk went through the whole lifecycle, so every branch above was compared.
    expect(phases).toContain('Terminating');
    expect(phases).toContain('Starting');
    expect(phases.at(-1)).toBe('Succeeded');
  });
});

describe('leanExpress', () => {
  const whole = (o: { state?: unknown; tracking?: boolean; instance?: boolean } = {}): UnstructuredObject => ({
    apiVersion: 'express.dev/v1alpha1',
    kind: 'ExpressNode',
    metadata: {
      name: EXPRESS,
      namespace: NS,
      uid: 'ex-uid',
      resourceVersion: '77',
      generation: 3,
      creationTimestamp: iso(-9000),
      labels: { tier: 'gold', ...(o.instance ? { 'app.kubernetes.io/instance': 'express-prod' } : {}) },
      annotations: {
        [LAST_APPLIED_ANNOTATION]: '{"a":"very long copy of the object"}',
        ...(o.tracking ? { [ARGOCD_TRACKING_ANNOTATION]: 'app:express.dev/ExpressNode:express-prod/node-a' } : {}),
      },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
    },
    spec: {
      state: o.state ?? 'up',
      shutdownProtection: true,
      image: 'express:1.2.3',
      replicas: 1,
      config: { big: 'x'.repeat(1000) },
    },
    status: { state: 'running', runtime: { phase: 'catchup', since: iso(-5) }, history: [1, 2, 3] },
  });

  it('keeps identity, labels, the Argo CD tracking annotation and the configured fields only', () => {
    const obj = whole({ tracking: true });
    const before = structuredClone(obj);
    const lean = leanExpress(obj, defaultExpressConfig);
    expect(obj).toEqual(before);
    expect(lean).toEqual({
      apiVersion: 'express.dev/v1alpha1',
      kind: 'ExpressNode',
      metadata: {
        name: EXPRESS,
        namespace: NS,
        uid: 'ex-uid',
        resourceVersion: '77',
        generation: 3,
        creationTimestamp: iso(-9000),
        labels: { tier: 'gold' },
        annotations: { [ARGOCD_TRACKING_ANNOTATION]: 'app:express.dev/ExpressNode:express-prod/node-a' },
      },
      spec: { state: 'up', shutdownProtection: true },
      status: { state: 'running' },
    });
  });

  it('readExpress and Argo CD tracking read the same on the lean object, whatever the configured paths', () => {
    const custom: ExpressConfig = {
      ...defaultExpressConfig,
      desiredState: { path: 'spec.state', downValues: ['down'] },
      runtimeState: { path: 'status.runtime.phase', rebuildingValues: ['rebuilding'], catchupValues: ['catchup'] },
      shutdownProtection: { path: 'metadata.labels.tier' },
    };
    const labelTracking = { ...defaultArgoCdConfig, trackingMethod: 'label' as const };
    for (const cfg of [defaultExpressConfig, custom]) {
      for (const obj of [
        whole(),
        whole({ state: 'down', tracking: true }),
        whole({ state: 42 }),
        whole({ instance: true }),
        { metadata: {} },
      ]) {
        const lean = leanExpress(obj, cfg);
        for (const argocd of [defaultArgoCdConfig, labelTracking]) {
          expect(readExpress(lean, cfg, argocd)).toEqual(readExpress(obj, cfg, argocd));
          expect(isArgoTracked(lean.metadata, argocd)).toBe(isArgoTracked(obj.metadata, argocd));
        }
        expect(JSON.stringify(lean)).not.toContain('managedFields');
        expect(JSON.stringify(lean)).not.toContain('very long copy');
      }
    }
    // A configured path inside metadata is kept, and the original's labels are not modified.
    const obj = whole();
    const lean = leanExpress(obj, custom);
    expect((lean.metadata as { labels: Record<string, string> }).labels).toEqual({ tier: 'gold' });
    expect(lean.status).toEqual({ runtime: { phase: 'catchup' } });
    expect(lean.metadata!.labels).not.toBe(obj.metadata!.labels);
  });
});

describe('leanNodeBounce', () => {
  const released = (): NodeBounce =>
    makeNodeBounce({
      status: { phase: 'Succeeded', reason: 'PodRestarted', expressResourceName: EXPRESS },
      finalizer: true,
      meta: {
        resourceVersion: '99',
        ownerReferences: [{ apiVersion: 'bounce.express.dev/v1alpha1', kind: 'RollingBounce', name: 'r', uid: 'u' }],
        labels: { team: 'a' },
        annotations: {
          [RELEASE_PROTECTION_ANNOTATION]: 'true',
          'argocd.argoproj.io/hook': 'PostSync',
          [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}',
        },
        managedFields: [
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            time: iso(-600),
            fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:argocd.argoproj.io/hook': {} } }, 'f:spec': {} },
          },
          {
            manager: 'nodebounce-operator',
            operation: 'Update',
            time: iso(-60),
            fieldsV1: { 'f:status': { 'f:phase': {}, 'f:conditions': {} } },
          },
          {
            manager: 'kubectl-annotate',
            operation: 'Update',
            time: iso(-5),
            fieldsV1: {
              'f:metadata': { 'f:annotations': { [`f:${RELEASE_PROTECTION_ANNOTATION}`]: {}, 'f:other': {} } },
            },
          },
        ],
      },
    });

  it('keeps spec, status and metadata but managedFields (except who set the release annotation) and last-applied', () => {
    const nb = released();
    const before = structuredClone(nb);
    const lean = leanNodeBounce(nb);
    expect(nb).toEqual(before);
    expect(lean.spec).toEqual(nb.spec);
    expect(lean.status).toEqual(nb.status);
    expect(lean.apiVersion).toBe(nb.apiVersion);
    const { managedFields, annotations, ...meta } = lean.metadata;
    const { managedFields: _m, annotations: _a, ...wholeMeta } = nb.metadata;
    expect(meta).toEqual(wholeMeta);
    expect(meta.finalizers).toEqual([NODEBOUNCE_FINALIZER]);
    // The acceptance marker stays in the cache: decide() reads it (src/bounce/status-lost.ts).
    expect(annotations).toEqual({
      [ACCEPTED_UID_ANNOTATION]: nb.metadata.uid,
      [RELEASE_PROTECTION_ANNOTATION]: 'true',
      'argocd.argoproj.io/hook': 'PostSync',
    });
    expect(managedFields).toEqual([
      {
        manager: 'kubectl-annotate',
        operation: 'Update',
        time: iso(-5),
        fieldsV1: { 'f:metadata': { 'f:annotations': { [`f:${RELEASE_PROTECTION_ANNOTATION}`]: {} } } },
      },
    ]);
  });

  it('who released it reads the same on the lean NodeBounce', () => {
    const nb = released();
    const lean = leanNodeBounce(nb);
    expect(annotationSetBy(lean.metadata, RELEASE_PROTECTION_ANNOTATION)).toBe(
      annotationSetBy(nb.metadata, RELEASE_PROTECTION_ANNOTATION),
    );
    expect(annotationSetBy(lean.metadata, RELEASE_PROTECTION_ANNOTATION)).toBe(
      `field manager "kubectl-annotate" (Update at ${iso(-5)})`,
    );
    // Without an owner of the annotation no managedFields are kept at all.
    expect(
      leanNodeBounce(makeNodeBounce({ meta: { managedFields: nb.metadata.managedFields!.slice(0, 2) } })).metadata,
    ).not.toHaveProperty('managedFields');
    expect(managedFieldsFor(undefined, [RELEASE_PROTECTION_ANNOTATION])).toBeUndefined();
  });

  it('decides the same on the lean NodeBounce', () => {
    for (const nb of [released(), makeNodeBounce(), leanNodeBounce(released())]) {
      const lean = leanNodeBounce(nb);
      expect(decide(lean, makeObserved(), at(10))).toEqual(decide(nb, makeObserved(), at(10)));
    }
  });
});

describe('NodeBounceStore indexes hold only NodeBounces with work left', () => {
  it('a finished NodeBounce leaves the indexes; one holding a finalizer or being deleted stays', () => {
    const items = new Map<string, NodeBounce>();
    const store = new NodeBounceStore({
      get: (_ns: string, name: string) => items.get(name),
      list: () => [...items.values()],
      listAll: () => [...items.values()],
    });
    const put = (nb: NodeBounce, type: 'add' | 'update' = 'update') => {
      items.set(nb.metadata.name, nb);
      store.track(nb, type);
    };
    const a = makeNodeBounce({ name: 'a' });
    put(a, 'add');
    expect(store.namesForPod(NS, POD)).toEqual(['a']);
    expect(store.namesForExpress(NS, EXPRESS)).toEqual(['a']); // unresolved

    // Failed before resolving its Express resource, finalizer still held: stays (it has something to undo).
    const failedHolding = makeNodeBounce({ name: 'a', status: { phase: 'Failed' }, finalizer: true });
    expect(hasWorkLeft(failedHolding)).toBe(true);
    put(failedHolding);
    expect(store.namesForPod(NS, POD)).toEqual(['a']);
    expect(store.listForPod(NS, POD).map((n) => n.metadata.name)).toEqual(['a']);

    // Finalizer released: finished, out of every index (no longer "unresolved" for every Express event).
    const finished = makeNodeBounce({ name: 'a', status: { phase: 'Failed' } });
    expect(hasWorkLeft(finished)).toBe(false);
    put(finished);
    expect(store.namesForPod(NS, POD)).toEqual([]);
    expect(store.namesForExpress(NS, EXPRESS)).toEqual([]);
    expect(store.listForPod(NS, POD)).toEqual([]);
    // Still in the cache (get, list, counting).
    expect(store.get(NS, 'a')).toBe(finished);
    expect(store.listAll()).toHaveLength(1);

    // Someone else's finalizer, or a deletion in progress: work left again, back in the indexes.
    const deleting = makeNodeBounce({
      name: 'a',
      status: { phase: 'Succeeded', expressResourceName: EXPRESS },
      meta: { deletionTimestamp: iso(5), finalizers: ['example.com/keep'] },
    });
    put(deleting);
    expect(store.namesForPod(NS, POD)).toEqual(['a']);
    expect(store.namesForExpress(NS, EXPRESS)).toEqual(['a']);
    store.track(deleting, 'delete');
    expect(store.namesForPod(NS, POD)).toEqual([]);
  });
});
