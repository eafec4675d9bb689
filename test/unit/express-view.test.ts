import { describe, expect, it } from 'vitest';
import {
  argoCdConfigSchema,
  defaultExpressConfig,
  expressConfigSchema,
  type ExpressConfig,
} from '../../src/config/schema.js';
import {
  expressNameForPod,
  getPath,
  isArgoTracked,
  readExpress,
  shutdownProtectionPatch,
  type UnstructuredObject,
} from '../../src/express/view.js';

const cfg = defaultExpressConfig;

/** An object shaped like the sample ExpressNode (express.dev/v1alpha1). */
function expressNode(
  o: { spec?: Record<string, unknown>; status?: Record<string, unknown>; meta?: Record<string, unknown> } = {},
): UnstructuredObject {
  return {
    apiVersion: 'express.dev/v1alpha1',
    kind: 'ExpressNode',
    metadata: { name: 'node-a', namespace: 'express-prod', ...o.meta },
    spec: { state: 'up', shutdownProtection: true, ...o.spec },
    status: { state: 'running', ...o.status },
  };
}

describe('getPath', () => {
  const obj = { a: { b: { c: 1, n: null, arr: [1, 2] } }, top: 'x' };
  const table: Array<[string, unknown]> = [
    ['top', 'x'],
    ['a.b.c', 1],
    ['a.b.n', null],
    ['a.b.arr', [1, 2]],
    ['a.b.arr.0', undefined],
    ['a.missing.c', undefined],
    ['top.length', undefined],
    ['a.b.c.d', undefined],
  ];
  it.each(table)('%s', (path, expected) => expect(getPath(obj, path)).toEqual(expected));
  it('null and primitives yield undefined', () => {
    expect(getPath(null, 'a')).toBeUndefined();
    expect(getPath(5, 'a')).toBeUndefined();
  });
});

describe('isArgoTracked', () => {
  /** What Helm puts on everything it installs: app.kubernetes.io/instance is the release name. */
  const helm = {
    labels: {
      'app.kubernetes.io/instance': 'my-release',
      'app.kubernetes.io/managed-by': 'Helm',
      'helm.sh/chart': 'express-1.2.0',
    },
    annotations: { 'meta.helm.sh/release-name': 'my-release' },
  };
  const annotated = { annotations: { 'argocd.argoproj.io/tracking-id': 'app:bounce.express.dev/NodeBounce:ns/x' } };
  const table: Array<[string, Parameters<typeof isArgoTracked>[0], boolean]> = [
    ['undefined metadata', undefined, false],
    ['no labels or annotations', {}, false],
    ['tracking-id annotation', annotated, true],
    ['a Helm-installed resource (app.kubernetes.io/instance label) is not Argo CD', helm, false],
    ['empty tracking-id value', { annotations: { 'argocd.argoproj.io/tracking-id': '' } }, false],
    ['unrelated metadata', { labels: { app: 'x' }, annotations: { 'argocd.argoproj.io/sync-wave': '1' } }, false],
  ];
  it.each(table)('default (annotation tracking): %s', (_, meta, expected) =>
    expect(isArgoTracked(meta)).toBe(expected),
  );

  it('annotation+label tracking: still the annotation (Argo CD tracks by it; the label is informational)', () => {
    const cfg = argoCdConfigSchema.parse({ trackingMethod: 'annotation+label' });
    expect(isArgoTracked(helm, cfg)).toBe(false);
    expect(isArgoTracked(annotated, cfg)).toBe(true);
  });

  it('label tracking configured: the instance label counts, under its configured key', () => {
    const label = argoCdConfigSchema.parse({ trackingMethod: 'label' });
    expect(isArgoTracked(helm, label)).toBe(true);
    expect(isArgoTracked(annotated, label)).toBe(true);
    expect(isArgoTracked({ labels: { 'app.kubernetes.io/instance': '' } }, label)).toBe(false);
    const customKey = argoCdConfigSchema.parse({
      trackingMethod: 'label',
      instanceLabelKey: 'argocd.argoproj.io/instance',
    });
    expect(isArgoTracked(helm, customKey)).toBe(false);
    expect(isArgoTracked({ labels: { 'argocd.argoproj.io/instance': 'my-app' } }, customKey)).toBe(true);
  });
});

describe('readExpress with the default (sample ExpressNode) config', () => {
  const table: Array<[string, UnstructuredObject, Record<string, unknown>]> = [
    [
      'running, protected',
      expressNode(),
      {
        name: 'node-a',
        desiredState: 'up',
        intentionallyDown: false,
        runtimeState: 'running',
        rebuilding: false,
        catchingUp: false,
        shutdownProtection: true,
        gitOpsManaged: false,
      },
    ],
    ['desired down', expressNode({ spec: { state: 'down' } }), { intentionallyDown: true, desiredState: 'down' }],
    ['desired stopped', expressNode({ spec: { state: 'stopped' } }), { intentionallyDown: true }],
    ['desired Down (case matters)', expressNode({ spec: { state: 'Down' } }), { intentionallyDown: false }],
    ['rebuilding', expressNode({ status: { state: 'rebuilding' } }), { rebuilding: true, catchingUp: false }],
    ['catchup', expressNode({ status: { state: 'catchup' } }), { rebuilding: false, catchingUp: true }],
    ['efficient-catchup', expressNode({ status: { state: 'efficient-catchup' } }), { catchingUp: true }],
    ['protection false', expressNode({ spec: { shutdownProtection: false } }), { shutdownProtection: false }],
    [
      'protection absent',
      { metadata: { name: 'n' } },
      {
        shutdownProtection: undefined,
        desiredState: undefined,
        runtimeState: undefined,
        intentionallyDown: false,
        rebuilding: false,
      },
    ],
    ['protection null', expressNode({ spec: { shutdownProtection: null } }), { shutdownProtection: undefined }],
    [
      'Argo annotation',
      expressNode({ meta: { annotations: { 'argocd.argoproj.io/tracking-id': 'x' } } }),
      { gitOpsManaged: true },
    ],
    [
      'Helm instance label only: not GitOps-managed',
      expressNode({ meta: { labels: { 'app.kubernetes.io/instance': 'x' } } }),
      { gitOpsManaged: false },
    ],
  ];
  it.each(table)('%s', (_, obj, expected) => {
    const r = readExpress(obj, cfg);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.view).toMatchObject(expected);
  });

  it('the instance label makes it GitOps-managed only with label tracking configured', () => {
    const labelled = expressNode({ meta: { labels: { 'app.kubernetes.io/instance': 'x' } } });
    const r = readExpress(labelled, cfg, argoCdConfigSchema.parse({ trackingMethod: 'label' }));
    expect(r.ok && r.view.gitOpsManaged).toBe(true);
  });

  const invalid: Array<[string, UnstructuredObject, string[]]> = [
    ['no name', { spec: { state: 'up' } }, ['metadata.name is missing']],
    ['state is a number', expressNode({ spec: { state: 3 } }), ['spec.state must be a string, found 3']],
    [
      'status.state is an object',
      expressNode({ status: { state: { phase: 'x' } } }),
      ['status.state must be a string, found {"phase":"x"}'],
    ],
    [
      'protection is a string',
      expressNode({ spec: { shutdownProtection: 'true' } }),
      ['spec.shutdownProtection must be a boolean, found "true"'],
    ],
    [
      'several problems at once',
      { metadata: {}, spec: { state: false, shutdownProtection: 1 }, status: { state: [] } },
      [
        'metadata.name is missing',
        'spec.state must be a string, found false',
        'status.state must be a string, found []',
        'spec.shutdownProtection must be a boolean, found 1',
      ],
    ],
  ];
  it.each(invalid)('invalid: %s', (_, obj, problems) => {
    expect(readExpress(obj, cfg)).toEqual({ ok: false, problems });
  });

  it('follows configured field paths and values', () => {
    const custom: ExpressConfig = expressConfigSchema.parse({
      desiredState: { path: 'spec.desired.mode', downValues: ['off'] },
      runtimeState: { path: 'status.phase', rebuildingValues: ['Resync'], catchupValues: [] },
      shutdownProtection: { path: 'spec.safety.protect' },
    });
    const obj: UnstructuredObject = {
      metadata: { name: 'x' },
      spec: { desired: { mode: 'off' }, safety: { protect: true }, state: 'down' },
      status: { phase: 'Resync', state: 'catchup' },
    };
    const r = readExpress(obj, custom);
    expect(r).toEqual({
      ok: true,
      view: {
        name: 'x',
        desiredState: 'off',
        intentionallyDown: true,
        runtimeState: 'Resync',
        rebuilding: true,
        catchingUp: false,
        shutdownProtection: true,
        gitOpsManaged: false,
      },
    });
  });
});

describe('expressNameForPod', () => {
  const owner = (o: Record<string, unknown>) => ({
    metadata: {
      name: 'p',
      ownerReferences: [
        { apiVersion: 'express.dev/v1alpha1', kind: 'ExpressNode', name: 'owner-node', controller: true, ...o },
      ],
    },
  });
  const table: Array<[string, UnstructuredObject, ReturnType<typeof expressNameForPod>]> = [
    ['controller ownerReference', owner({}), { ok: true, name: 'owner-node', via: 'ownerReference' }],
    [
      'ownerReference of another version of the group',
      owner({ apiVersion: 'express.dev/v1' }),
      { ok: true, name: 'owner-node', via: 'ownerReference' },
    ],
    [
      'ownerReference wins over the label',
      {
        metadata: {
          labels: { 'express.dev/node': 'label-node' },
          ownerReferences: [
            { apiVersion: 'express.dev/v1alpha1', kind: 'ExpressNode', name: 'owner-node', controller: true },
          ],
        },
      },
      { ok: true, name: 'owner-node', via: 'ownerReference' },
    ],
    [
      'label only',
      { metadata: { labels: { 'express.dev/node': 'label-node' } } },
      { ok: true, name: 'label-node', via: 'label' },
    ],
    [
      'non-controller owner falls back to the label',
      {
        metadata: {
          labels: { 'express.dev/node': 'label-node' },
          ownerReferences: [{ apiVersion: 'express.dev/v1alpha1', kind: 'ExpressNode', name: 'o', controller: false }],
        },
      },
      { ok: true, name: 'label-node', via: 'label' },
    ],
    [
      'StatefulSet owner, no label',
      {
        metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'sts', controller: true }] },
      },
      {
        ok: false,
        message: 'pod has no controller ownerReference of kind ExpressNode (express.dev) and no label express.dev/node',
      },
    ],
    [
      'same kind, other group',
      owner({ apiVersion: 'other.dev/v1alpha1' }),
      {
        ok: false,
        message: 'pod has no controller ownerReference of kind ExpressNode (express.dev) and no label express.dev/node',
      },
    ],
    [
      'empty label value',
      { metadata: { labels: { 'express.dev/node': '' } } },
      {
        ok: false,
        message: 'pod has no controller ownerReference of kind ExpressNode (express.dev) and no label express.dev/node',
      },
    ],
    [
      'no metadata',
      {},
      {
        ok: false,
        message: 'pod has no controller ownerReference of kind ExpressNode (express.dev) and no label express.dev/node',
      },
    ],
  ];
  it.each(table)('%s', (_, pod, expected) => expect(expressNameForPod(pod, cfg)).toEqual(expected));
});

describe('shutdownProtectionPatch', () => {
  it.each([
    ['spec.shutdownProtection', false, { spec: { shutdownProtection: false } }],
    ['spec.shutdownProtection', true, { spec: { shutdownProtection: true } }],
    ['spec.safety.protect', true, { spec: { safety: { protect: true } } }],
    ['protect', false, { protect: false }],
  ] as const)('%s = %s', (path, enabled, expected) => {
    const c = expressConfigSchema.parse({ shutdownProtection: { path } });
    expect(shutdownProtectionPatch(c, enabled)).toEqual(expected);
  });

  it('does not mutate the config path', () => {
    const c = expressConfigSchema.parse({ shutdownProtection: { path: 'a.b.c' } });
    shutdownProtectionPatch(c, true);
    shutdownProtectionPatch(c, true);
    expect(c.shutdownProtection.path).toBe('a.b.c');
    expect(shutdownProtectionPatch(c, true)).toEqual({ a: { b: { c: true } } });
  });

  it('round-trips: the patch read back through getPath gives the value', () => {
    for (const path of ['spec.shutdownProtection', 'x', 'a.b.c.d']) {
      for (const enabled of [true, false]) {
        const c = expressConfigSchema.parse({ shutdownProtection: { path } });
        expect(getPath(shutdownProtectionPatch(c, enabled), path)).toBe(enabled);
      }
    }
  });
});
