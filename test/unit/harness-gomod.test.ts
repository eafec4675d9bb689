import { describe, expect, it } from 'vitest';
import { kubeVersionVars, ldflags, parseGoMod, renderWrapperGoMod, wrapperGoModFor } from '../harness/gomod.js';
import { VERSIONS, cacheKey } from '../harness/versions.js';

const K8S_GOMOD = `// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
	github.com/spf13/cobra v1.9.1
	k8s.io/api v0.0.0
	k8s.io/apiserver v0.0.0 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apiserver => ./staging/src/k8s.io/apiserver // staging
	github.com/foo/bar => github.com/foo/bar v1.2.3
)

replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl
`;

describe('harness go.mod generation', () => {
  it('parses go version, godebug and local replaces', () => {
    const info = parseGoMod(K8S_GOMOD);
    expect(info.module).toBe('k8s.io/kubernetes');
    expect(info.goVersion).toBe('1.24.0');
    expect(info.godebug).toEqual(['default=go1.24']);
    expect(info.localReplaces).toEqual(['k8s.io/api', 'k8s.io/apiserver', 'k8s.io/kubectl']);
  });

  it('pins every locally replaced staging module in the wrapper', () => {
    const text = wrapperGoModFor({
      wrapperModule: 'nodebounce.local/controlplane/kube-apiserver',
      dep: 'k8s.io/kubernetes',
      version: 'v1.34.4',
      depGoMod: parseGoMod(K8S_GOMOD),
      localReplaceVersion: 'v0.34.4',
    });
    expect(text).toContain('module nodebounce.local/controlplane/kube-apiserver');
    expect(text).toContain('go 1.24.0');
    expect(text).toContain('\tdefault=go1.24');
    expect(text).toContain('\tk8s.io/kubernetes v1.34.4');
    expect(text).toContain('\tk8s.io/api => k8s.io/api v0.34.4');
    expect(text).toContain('\tk8s.io/kubectl => k8s.io/kubectl v0.34.4');
    expect(text).not.toContain('github.com/foo/bar');
    // Round trip: the generated file parses and has no local replaces.
    expect(parseGoMod(text).localReplaces).toEqual([]);
  });

  it('repeats the module replaces of a dependency when asked (Argo CD pins k8s.io/* by replace)', () => {
    const dep = parseGoMod(
      K8S_GOMOD +
        'replace (\n\t// comment\n\tk8s.io/client-go => k8s.io/client-go v0.37.0\n\tx.io/y v1.0.0 => x.io/y v1.0.1\n)\n',
    );
    expect(dep.moduleReplaces).toEqual([
      { from: 'github.com/foo/bar', to: 'github.com/foo/bar', version: 'v1.2.3' },
      { from: 'k8s.io/client-go', to: 'k8s.io/client-go', version: 'v0.37.0' },
    ]);
    const text = wrapperGoModFor({
      wrapperModule: 'nodebounce.local/tools/argocd',
      dep: 'github.com/argoproj/argo-cd/v3',
      version: 'v3.6.1',
      depGoMod: dep,
      repeatModuleReplaces: true,
    });
    expect(text).toContain('\tgithub.com/foo/bar => github.com/foo/bar v1.2.3');
    expect(text).toContain('\tk8s.io/client-go => k8s.io/client-go v0.37.0');
    // Local replaces stay out (the dependency's own go.mod requires the tagged versions).
    expect(text).not.toContain('k8s.io/api =>');
    expect(parseGoMod(text).moduleReplaces).toHaveLength(2);
    expect(wrapperGoModFor({ wrapperModule: 'w', dep: 'd', version: 'v1', depGoMod: dep })).not.toContain('replace');
  });

  it('adds no replaces when not asked to (etcd: its local replaces are ignored in dependencies)', () => {
    const text = wrapperGoModFor({
      wrapperModule: 'w',
      dep: 'go.etcd.io/etcd/server/v3',
      version: 'v3.6.16',
      depGoMod: parseGoMod(
        'module go.etcd.io/etcd/server/v3\n\ngo 1.26.0\n\nreplace go.etcd.io/etcd/api/v3 => ../api\n',
      ),
    });
    expect(text).not.toContain('replace');
    expect(text).toContain('go 1.26.0');
  });

  it('renders deterministically', () => {
    const spec = {
      module: 'm',
      goVersion: '1.24.0',
      require: [{ path: 'a', version: 'v1' }],
      replace: [
        { from: 'z', to: 'z', version: 'v1' },
        { from: 'b', to: 'b', version: 'v1' },
      ],
    };
    expect(renderWrapperGoMod(spec)).toBe(renderWrapperGoMod({ ...spec, replace: [...spec.replace].reverse() }));
  });

  it('sets the version ldflags like hack/lib/version.sh', () => {
    const vars = kubeVersionVars('v1.34.4');
    expect(vars['k8s.io/component-base/version.gitVersion']).toBe('v1.34.4');
    expect(vars['k8s.io/client-go/pkg/version.gitMinor']).toBe('34');
    expect(ldflags({ 'a.b': 'c' })).toBe('-s -w -X a.b=c');
    expect(() => kubeVersionVars('latest')).toThrow();
  });

  it('keys the cache by every pinned version', () => {
    expect(VERSIONS.kubernetesStaging).toBe(VERSIONS.kubernetes.replace(/^v1\./, 'v0.'));
    for (const v of [VERSIONS.kubernetes, VERSIONS.etcd, VERSIONS.kwok]) expect(cacheKey()).toContain(v);
  });
});
