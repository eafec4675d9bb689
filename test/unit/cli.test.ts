// The CLI's pure parts: durations, tables, what a bounce waits for, error reading, usage errors.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import { run } from '../../src/cli/app.js';
import { apiErrorInfo } from '../../src/cli/errors.js';
import { defaultNamespace, loadKubeConfig, NodeBounceClient } from '../../src/cli/kube.js';
import { humanDuration, listTable, parseDuration, statusStory } from '../../src/cli/format.js';
import { PlainDisplay, waitingFor } from '../../src/cli/follow.js';

function nb(name: string, status: NodeBounce['status'], created = '2026-01-01T00:00:00Z'): NodeBounce {
  return {
    metadata: { name, namespace: 'team', uid: `uid-${name}`, creationTimestamp: created },
    spec: { podName: 'ex-0' },
    status,
  };
}

describe('durations', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['1500ms', 1500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'abc', '5 m', '10x', '-1s', 's'])('rejects %j', (text) =>
    expect(() => parseDuration(text)).toThrow(/is not a duration/),
  );

  it.each([
    [850, '850ms'],
    [12_000, '12s'],
    [245_000, '4m5s'],
    [300_000, '5m'],
    [3 * 3_600_000 + 12 * 60_000, '3h12m'],
    [52 * 3_600_000, '2d4h'],
  ])('shows %d ms as %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});

describe('tables and the story', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const done = nb('done', {
    phase: 'Succeeded',
    reason: 'PodRestarted',
    startTime: '2026-01-01T00:00:01Z',
    completionTime: '2026-01-01T00:00:13Z',
    message: 'ok',
  });
  const running = nb(
    'running',
    { phase: 'Terminating', reason: 'BlockedByPDB', startTime: '2026-01-01T00:09:00Z' },
    '2026-01-01T00:09:00Z',
  );
  const fresh = nb('fresh', undefined, '2026-01-01T00:09:59Z');

  it('list: duration when finished, running time with + otherwise', () => {
    expect(listTable([done, running, fresh], { allNamespaces: false, wide: false, now })).toBe(
      [
        'NAME      TARGET   PHASE         REASON         DURATION   AGE',
        'done      ex-0     Succeeded     PodRestarted   12s        10m',
        'running   ex-0     Terminating   BlockedByPDB   1m+        1m',
        'fresh     ex-0     Pending                      1s+        1s',
      ].join('\n'),
    );
    expect(listTable([done], { allNamespaces: true, wide: true, now }).split('\n')[0]).toMatch(
      /^NAMESPACE\s+NAME.*AGE\s+MESSAGE$/,
    );
  });

  it('status: a NodeBounce the operator has not seen yet says so', () => {
    const s = statusStory(fresh, [], now);
    expect(s).toContain('Phase:                Pending (not picked up by the operator yet)');
    expect(s).toContain('Events:\n  <none>');
  });
});

describe('what it waits for', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [undefined, 1000, 'waiting for the operator to pick it up'],
    [undefined, 11_000, 'waiting for the operator to pick it up (is it running, and watching this namespace?)'],
    [
      {
        phase: 'Pending',
        reason: 'WaitingForOtherBounce',
        message: 'Waiting for NodeBounce other-1 (Terminating) to finish',
      },
      0,
      'queued behind NodeBounce other-1 (one bounce per pod at a time)',
    ],
    [{ phase: 'Pending', reason: 'Accepted' }, 0, 'running preflight checks'],
    [
      {
        phase: 'Terminating',
        reason: 'WaitingForTermination',
        terminatingTime: '2026-01-01T00:00:00Z',
        effectiveTimeouts: { terminationSeconds: 600, readySeconds: 30, readySource: 'Spec' },
      },
      0,
      'waiting for pod ex-0 to terminate, 9m50s left of 600s',
    ],
    [
      {
        phase: 'Terminating',
        reason: 'BlockedByPDB',
        terminatingTime: '2026-01-01T00:00:00Z',
        effectiveTimeouts: { terminationSeconds: 5, readySeconds: 30, readySource: 'Spec' },
      },
      0,
      'eviction blocked by a PodDisruptionBudget, retrying, 5s deadline reached',
    ],
    [
      {
        phase: 'Terminating',
        reason: 'EvictionThrottled',
        terminatingTime: '2026-01-01T00:00:00Z',
        effectiveTimeouts: { terminationSeconds: 600, readySeconds: 30, readySource: 'Spec' },
      },
      0,
      'eviction throttled by the API server (not a PodDisruptionBudget), retrying, 9m50s left of 600s',
    ],
    [
      {
        phase: 'Starting',
        reason: 'WaitingForReady',
        terminatedTime: '2026-01-01T00:00:05Z',
        effectiveTimeouts: { terminationSeconds: 600, readySeconds: 30, readySource: 'StartupProbe' },
      },
      0,
      'waiting for the replacement of ex-0 to be Ready, 25s left of 30s',
    ],
  ] as const)('%o', (status, sinceCreate, text) => {
    expect(waitingFor(nb('x', status as NodeBounce['status']), t0 + 10_000, sinceCreate)).toBe(text);
  });

  it('plain display: one line per transition, none for repeats', () => {
    const lines: string[] = [];
    const d = new PlainDisplay({ write: (s: string) => lines.push(s) });
    d.update(nb('x', undefined));
    d.update(nb('x', { phase: 'Pending', reason: 'Accepted', message: 'accepted\nnow' }));
    d.update(nb('x', { phase: 'Pending', reason: 'Accepted', message: 'accepted\nnow' }));
    d.update(nb('x', { phase: 'Terminating', reason: 'Evicting' }));
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'Pending Accepted: accepted now\n',
      'Terminating Evicting\n',
    ]);
  });
});

describe('errors', () => {
  it('reads a Status body (as client-node hands it over, a JSON string)', () => {
    const err = {
      code: 403,
      body: JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'nodebounces is forbidden: no' }),
    };
    expect(apiErrorInfo(err)).toEqual({
      code: 403,
      message: 'nodebounces is forbidden: no',
      reason: 'Forbidden',
      isStatus: true,
    });
  });

  it('a bare 404 (no such API) is not a Status', () => {
    expect(apiErrorInfo({ code: 404, body: '404 page not found\n' })).toMatchObject({
      code: 404,
      message: '404 page not found',
      isStatus: false,
    });
  });

  it('a transport error keeps its cause code', () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(apiErrorInfo(err).message).toBe('fetch failed (ECONNREFUSED)');
  });
});

describe('usage', () => {
  async function cli(args: string[]) {
    let out = '';
    let err = '';
    const code = await run(args, {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: { HOME: '/nonexistent-home' },
      signals: new EventEmitter(),
    });
    return { code, out, err };
  }

  it('--help lists the commands and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bounce \[options\] <pod>/);
    expect(r.out).toMatch(/list\|ls/);
    expect(r.out).toMatch(/status \[options\] <name>/);
  });

  it.each([
    [['p', '--mode', 'Nuke'], "argument 'Nuke' is invalid. must be Evict or Delete."],
    [['p', '--timeout', 'soon'], '"soon" is not a duration'],
    [['p', '--grace-period', '0'], 'must be a whole number of seconds, at least 1.'],
    [['list', '-o', 'xml'], "argument 'xml' is invalid. Allowed choices are json, yaml, name, wide."],
    [['p', '--frobnicate'], "unknown option '--frobnicate'"],
  ])('%o exits 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('API server unreachable: one line naming the server and the reason, exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodebounce-cli-'));
    try {
      const server = await new Promise<Server>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
      });
      const port = (server.address() as AddressInfo).port;
      await new Promise((r) => server.close(r)); // a port nothing listens on
      const file = join(dir, 'kubeconfig');
      writeFileSync(
        file,
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\n` +
          'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: demo}}]\ncurrent-context: x\n',
      );
      const r = await cli(['list', '--kubeconfig', file]);
      expect(r.code).toBe(3);
      expect(r.err).toBe(
        `error: cannot reach the Kubernetes API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no kubeconfig: one line, exit 3', async () => {
    const r = await cli(['list']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^error: no kubeconfig: /);
  });
});

describe('KUBECONFIG with several files: kubectl merge rules', () => {
  const kubeconfig = (o: {
    current?: string;
    clusters: Array<[string, string]>;
    users?: Array<[string, string]>;
    contexts: Array<[string, string, string?]>;
  }) =>
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [${o.clusters.map(([n, server]) => `{name: ${n}, cluster: {server: "${server}"}}`).join(', ')}]`,
      `users: [${(o.users ?? [['u', 't']]).map(([n, token]) => `{name: ${n}, user: {token: ${token}}}`).join(', ')}]`,
      `contexts: [${o.contexts.map(([n, cluster, ns]) => `{name: ${n}, context: {cluster: ${cluster}, user: u${ns ? `, namespace: ${ns}` : ''}}}`).join(', ')}]`,
      ...(o.current ? [`current-context: ${o.current}`] : []),
      '',
    ].join('\n');

  function withFiles(files: Record<string, string>, fn: (paths: Record<string, string>) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'nodebounce-kubeconfig-'));
    try {
      const paths: Record<string, string> = {};
      for (const [name, text] of Object.entries(files)) writeFileSync((paths[name] = join(dir, name)), text);
      fn(paths);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // a: context "prod" on cluster "shared" (prod server); b: sets another current-context, and redefines
  // "shared" and "prod" to point at the staging server, plus a context only it has.
  const a = kubeconfig({
    current: 'prod',
    clusters: [['shared', 'https://prod.example:6443']],
    contexts: [['prod', 'shared', 'team-a']],
  });
  const b = kubeconfig({
    current: 'staging',
    clusters: [
      ['shared', 'https://staging.example:6443'],
      ['stg', 'https://staging.example:6443'],
    ],
    users: [['u', 'other-token']],
    contexts: [
      ['prod', 'stg', 'team-b'],
      ['staging', 'stg'],
    ],
  });

  it("the first file that sets current-context wins; duplicate names keep the first file's entry", () => {
    withFiles({ a, b }, (p) => {
      const kc = loadKubeConfig({ env: { KUBECONFIG: [p.a, p.b].join(delimiter) } });
      expect(kc.getCurrentContext()).toBe('prod');
      expect(kc.getCurrentCluster()?.server).toBe('https://prod.example:6443');
      expect(defaultNamespace(kc)).toBe('team-a');
      expect(kc.getCurrentUser()?.token).toBe('t');
      expect(new NodeBounceClient(kc).server).toBe('https://prod.example:6443');
      // later files add new names
      expect(kc.getContextObject('staging')?.cluster).toBe('stg');
      expect(kc.getCluster('stg')?.server).toBe('https://staging.example:6443');
    });
  });

  it('order matters: b first acts on staging, like kubectl', () => {
    withFiles({ a, b }, (p) => {
      const kc = loadKubeConfig({ env: { KUBECONFIG: [p.b, p.a].join(delimiter) } });
      expect(kc.getCurrentContext()).toBe('staging');
      expect(kc.getCurrentCluster()?.server).toBe('https://staging.example:6443');
      // --context prod picks b's "prod" (first definition), on the staging cluster "stg"
      expect(
        loadKubeConfig({ env: { KUBECONFIG: [p.b, p.a].join(delimiter) }, context: 'prod' }).getCurrentCluster()?.name,
      ).toBe('stg');
    });
  });

  it('a file without current-context, an empty file and a missing file are skipped for current-context', () => {
    const noCurrent = kubeconfig({
      clusters: [['other', 'https://other.example:6443']],
      contexts: [['other', 'other']],
    });
    withFiles({ empty: '', noCurrent, a }, (p) => {
      const kc = loadKubeConfig({
        env: { KUBECONFIG: [p.empty, join(tmpdir(), 'does-not-exist-kubeconfig'), p.noCurrent, p.a].join(delimiter) },
      });
      expect(kc.getCurrentContext()).toBe('prod');
      expect(kc.getCurrentCluster()?.server).toBe('https://prod.example:6443');
    });
  });
});
