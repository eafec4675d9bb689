// The README's scripted example, run as written (with kubectl, against the real control plane): the wait on the
// Finished condition returns at once when the bounce fails, and the phase check then fails the script; on a good
// bounce the script exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** The README's first sh block, for namespace `ns` (the example's pod is node-a). */
function readmeScript(ns: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  expect(block).toContain('kubectl wait --for=condition=Finished nb/node-a-kernel-patch');
  return `set -e\n${block.replaceAll('express-prod', ns)}`;
}

function bash(script: string, kubeconfig: string): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn('bash', ['-c', script], {
    env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig, HOME: process.env.HOME ?? '/' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, ms: Date.now() - t0 })));
}

describe.skipIf(!hasKubectl && !process.env.CI)(
  "README's scripted example (kubectl wait --for=condition=Finished)",
  () => {
    const env = useOperatorEnv();

    it('a failed bounce (no such pod): the wait returns at once and the script fails on the phase', async () => {
      const ns = await env.namespace('readme-fail');
      const r = await bash(readmeScript(ns), inject('kubeconfigPath'));
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toContain('condition met');
      // The wait says 15m; it came back as soon as the bounce failed.
      expect(r.ms).toBeLessThan(90_000);
      expect((await env.fx.getNodeBounce(ns, 'node-a-kernel-patch'))?.status).toMatchObject({
        phase: 'Failed',
        reason: 'PodNotFound',
      });
    });

    it('a good bounce: the script exits 0', async () => {
      const ns = await env.namespace('readme-ok');
      await env.fx.readyExpressNode(ns, 'node-a');
      const r = await bash(readmeScript(ns), inject('kubeconfigPath'));
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('Succeeded');
    });
  },
);
