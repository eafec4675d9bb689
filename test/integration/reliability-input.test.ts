import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, readPod, waitUntil } from '../harness/index.js';
import { MALFORMED_EXPRESS, createStrayPod, fuzzNodeBounceSpecs } from './support/bad-input.js';
import { useOperatorEnv } from './support/env.js';
import { auditPods, sleep } from './support/reliability.js';

// Bad input never touches a pod and never crashes the operator: generated NodeBounce specs, malformed Express
// resources, and (separately) a malformed operator config, which must stop start-up with a clear message.
describe('reliability: bad input', () => {
  const env = useOperatorEnv();

  it(
    '200 generated NodeBounce specs: each rejected by the API or ending with a named reason; no pod touched',
    { timeout: 300_000 },
    async () => {
      const ns = await env.namespace('rel-fuzz');
      const sentinel = await env.fx.readyExpressNode(ns, 'sentinel', { startupDelay: '100ms', shutdownDelay: '100ms' });
      const t0 = Date.now();
      const report = await fuzzNodeBounceSpecs(env.kc, ns, { batches: 10, batchSize: 20, seed: 20261122 });
      console.log(
        `[reliability] ${JSON.stringify({ scenario: 'fuzz-specs', ...report, durationMs: Date.now() - t0 })}`,
      );
      expect(report.specs).toBe(200);
      expect(report.rejectedByApi).toBeGreaterThan(0);
      expect(report.specs - report.rejectedByApi).toBeGreaterThan(50); // enough reach the operator
      expect((await readPod(env.kc, ns, 'sentinel'))?.metadata?.uid).toBe(sentinel.metadata?.uid);
      await sleep(300);
      const disruptions = [...(await auditPods(inject('auditLogPath'), ns, t0 - 1000)).values()].reduce(
        (a, p) => a + p.operatorDisruptions,
        0,
      );
      expect(disruptions).toBe(0);
      expect(env.operator.process?.exitCode ?? null).toBeNull();
      expect(env.operator.lines.filter((l) => /unhandled rejection/i.test(l))).toEqual([]);
    },
  );

  it(
    'malformed Express resources (wrong types, missing mapping): Failed with a named reason, pod untouched',
    { timeout: 120_000 },
    async () => {
      const ns = await env.namespace('rel-malformed');
      const node = inject('kwokNodeNames')[0]!;
      const uids = new Map<string, string | undefined>();
      for (const c of MALFORMED_EXPRESS) {
        if (c.strayPodOwner !== undefined) {
          await createStrayPod(env.kc, ns, c.name, c.strayPodOwner, node);
          uids.set(c.name, (await env.fx.waitPodReady(ns, c.name)).metadata?.uid);
          continue;
        }
        await env.fx.custom.createNamespacedCustomObject({
          group: 'express.dev',
          version: 'v1alpha1',
          plural: 'expressnodes',
          namespace: ns,
          body: {
            apiVersion: 'express.dev/v1alpha1',
            kind: 'ExpressNode',
            metadata: { name: c.name, annotations: { 'kwok.nodebounce.dev/startup-delay': '100ms' } },
            ...(c.spec ? { spec: c.spec } : {}),
          },
        });
        if (c.statusState !== undefined) {
          await waitUntil(async () => (await env.fx.getExpressNode(ns, c.name)).status?.state !== undefined, {
            description: 'status initialised',
          });
          await env.fx.setRuntimeState(ns, c.name, c.statusState);
        }
        uids.set(c.name, (await env.fx.waitPodReady(ns, c.name)).metadata?.uid);
      }
      const results = await Promise.all(
        MALFORMED_EXPRESS.map(async (c) => {
          const nb = await env.fx.createNodeBounce(ns, { podName: c.name }, { name: `nb-${c.name}` });
          const done = await env.fx.waitFinished(ns, nb.metadata.name, 60_000);
          return { c, end: `${done.status?.phase}/${done.status?.reason}`, message: done.status?.message ?? '' };
        }),
      );
      for (const r of results) {
        expect(r.end, `${r.c.name}: ${r.message}`).toBe(r.c.expect);
        expect(r.message.length).toBeGreaterThan(20);
        expect((await readPod(env.kc, ns, r.c.name))?.metadata?.uid, `${r.c.name} untouched`).toBe(uids.get(r.c.name));
      }
      console.log(
        `[reliability] ${JSON.stringify({ scenario: 'malformed-express', cases: results.map((r) => `${r.c.name}: ${r.end}`) })}`,
      );
      expect(env.operator.process?.exitCode ?? null).toBeNull();
    },
  );
});

describe('reliability: malformed operator config', () => {
  const run = (env: Record<string, string>): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts')], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KUBECONFIG: '/nonexistent', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  it(
    'exits 2 before touching the cluster, naming every bad key and where it came from',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nodebounce-badconfig-'));
      const badKeys = join(dir, 'bad-keys.yaml');
      writeFileSync(
        badKeys,
        'watchNamespaces: just-one\nexpress:\n  plural: Express Nodes\n  bogus: 1\nmaxConcurrentReconciles: 0\n',
      );
      const badYaml = join(dir, 'bad-yaml.yaml');
      writeFileSync(badYaml, 'express: [unclosed\n  plural: x\n');
      const [envCase, fileCase, yamlCase, missingCase] = await Promise.all([
        run({
          NODEBOUNCE_MAX_CONCURRENT_RECONCILES: 'lots',
          NODEBOUNCE_LOG_LEVEL: 'loud',
          NODEBOUNCE_LEADER_ELECT: 'maybe',
        }),
        run({ NODEBOUNCE_CONFIG: badKeys }),
        run({ NODEBOUNCE_CONFIG: badYaml }),
        run({ NODEBOUNCE_CONFIG: join(dir, 'missing.yaml') }),
      ]);
      for (const r of [envCase, fileCase, yamlCase, missingCase]) {
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/^nodebounce-operator: /m);
        expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
      }
      expect(envCase.stderr).toContain('maxConcurrentReconciles (from NODEBOUNCE_MAX_CONCURRENT_RECONCILES)');
      expect(envCase.stderr).toContain('logLevel (from NODEBOUNCE_LOG_LEVEL)');
      expect(envCase.stderr).toContain('leaderElection.enabled (from NODEBOUNCE_LEADER_ELECT)');
      for (const key of ['watchNamespaces', 'express.plural', 'express.bogus', 'maxConcurrentReconciles'])
        expect(fileCase.stderr).toContain(key);
      expect(yamlCase.stderr).toContain('is not valid YAML');
      expect(missingCase.stderr).toContain('cannot read config file');
      console.log(
        `[reliability] ${JSON.stringify({ scenario: 'bad-config', messages: [envCase, fileCase, yamlCase, missingCase].map((r) => r.stderr.trim()) })}`,
      );
    },
  );
});
