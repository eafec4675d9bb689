import { describe, expect, it } from 'vitest';
import { pinnedGoSum } from '../harness/build.js';
import {
  KUBERNETES_VERSION_ENV,
  SUPPORTED_KUBERNETES,
  VERSIONS,
  resolveKubernetesRelease,
  stagingVersion,
} from '../harness/versions.js';

describe('supported Kubernetes releases', () => {
  it('lists one patch per minor, newest first, three consecutive minors', () => {
    const minors = SUPPORTED_KUBERNETES.map((r) => Number(/^v1\.(\d+)\.\d+$/.exec(r.kubernetes)?.[1]));
    expect(minors).toHaveLength(3);
    expect(minors).toEqual([minors[0], minors[0]! - 1, minors[0]! - 2]);
  });

  it('defaults to the newest; VERSIONS follows the override', () => {
    expect(VERSIONS.kubernetes).toBe(resolveKubernetesRelease(process.env[KUBERNETES_VERSION_ENV]).kubernetes);
    expect(resolveKubernetesRelease(undefined)).toBe(SUPPORTED_KUBERNETES[0]);
    expect(resolveKubernetesRelease(' ')).toBe(SUPPORTED_KUBERNETES[0]);
    expect(VERSIONS.kubernetesStaging).toBe(stagingVersion(VERSIONS.kubernetes));
  });

  it('selects a release by exact version or by minor, with or without the v', () => {
    const oldest = SUPPORTED_KUBERNETES[SUPPORTED_KUBERNETES.length - 1]!;
    const bare = oldest.kubernetes.slice(1);
    expect(resolveKubernetesRelease(bare)).toEqual(oldest);
    expect(resolveKubernetesRelease(oldest.kubernetes)).toEqual(oldest);
    expect(resolveKubernetesRelease(bare.replace(/\.\d+$/, ''))).toBe(oldest);
  });

  it("an unlisted patch of a supported minor keeps that minor's etcd and kwok", () => {
    const r = SUPPORTED_KUBERNETES[1]!;
    const minor = r.kubernetes.replace(/\.\d+$/, '');
    expect(resolveKubernetesRelease(`${minor}.99`)).toEqual({ ...r, kubernetes: `${minor}.99` });
  });

  it('rejects an unsupported minor or a malformed version, naming the supported ones', () => {
    expect(() => resolveKubernetesRelease('1.20.1')).toThrow(/not a supported minor.*v1\.\d+\.\d+/);
    expect(() => resolveKubernetesRelease('latest')).toThrow(/not a Kubernetes version/);
    expect(() => resolveKubernetesRelease('2.0.0')).toThrow(/not a Kubernetes version/);
  });

  it('maps v1.X.Y to the staging modules v0.X.Y', () => {
    expect(stagingVersion('v1.35.4')).toBe('v0.35.4');
  });

  it('pins one go.sum per binary and version; every k8s.io/kubernetes binary shares kube-apiserver’s', () => {
    const k = { module: 'k8s.io/kubernetes', version: 'v1.35.4' };
    expect(pinnedGoSum({ ...k, name: 'kubelet' })).toBe(pinnedGoSum({ ...k, name: 'kube-apiserver' }));
    expect(pinnedGoSum({ ...k, name: 'kubelet' })).toMatch(/go\/kube-apiserver\/v1\.35\.4\/go\.sum$/);
    expect(pinnedGoSum({ name: 'etcd', module: 'go.etcd.io/etcd/server/v3', version: 'v3.7.4' })).toMatch(
      /go\/etcd\/v3\.7\.4\/go\.sum$/,
    );
  });
});
