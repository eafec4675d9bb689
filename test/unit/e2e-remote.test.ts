import { describe, expect, it } from 'vitest';
import { diffSnapshots, remoteConfig } from '../e2e/remote.js';

describe('e2e remote mode configuration', () => {
  it('local mode (the default) when NODEBOUNCE_E2E_KUBECONFIG is unset', () => {
    expect(remoteConfig({ NODEBOUNCE_E2E_IMAGE: 'r.example/op:1' })).toBeUndefined();
  });

  it('needs both images from a registry, and says so', () => {
    expect(() => remoteConfig({ NODEBOUNCE_E2E_KUBECONFIG: '/k' })).toThrow(
      /NODEBOUNCE_E2E_IMAGE and NODEBOUNCE_E2E_APP_IMAGE/,
    );
    expect(() =>
      remoteConfig({
        NODEBOUNCE_E2E_KUBECONFIG: '/k',
        NODEBOUNCE_E2E_IMAGE: 'r.example/op',
        NODEBOUNCE_E2E_APP_IMAGE: 'r.example/app:1',
      }),
    ).toThrow(/NODEBOUNCE_E2E_IMAGE must be registry\/repository:tag/);
  });

  it('reads context, pull policy and the cluster-scoped flag (off unless exactly "true")', () => {
    const base = {
      NODEBOUNCE_E2E_KUBECONFIG: '/k',
      NODEBOUNCE_E2E_IMAGE: 'r.example:5000/op:1',
      NODEBOUNCE_E2E_APP_IMAGE: 'r.example/app:2',
    };
    expect(remoteConfig(base)).toEqual({
      kubeconfig: '/k',
      context: undefined,
      image: 'r.example:5000/op:1',
      appImage: 'r.example/app:2',
      pullPolicy: 'IfNotPresent',
      installClusterScoped: false,
    });
    expect(
      remoteConfig({
        ...base,
        NODEBOUNCE_E2E_CONTEXT: 'c',
        NODEBOUNCE_E2E_IMAGE_PULL_POLICY: 'Always',
        NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED: 'true',
      }),
    ).toMatchObject({
      context: 'c',
      pullPolicy: 'Always',
      installClusterScoped: true,
    });
    expect(remoteConfig({ ...base, NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED: '1' })?.installClusterScoped).toBe(false);
  });

  it('diffs cluster snapshots by kind', () => {
    const a = { namespaces: ['default', 'x'], crds: ['a'], clusterRoles: [], clusterRoleBindings: [] };
    expect(diffSnapshots(a, a)).toEqual({});
    expect(diffSnapshots(a, { ...a, namespaces: ['default', 'y'] })).toEqual({
      namespaces: { added: ['y'], removed: ['x'] },
    });
  });
});
