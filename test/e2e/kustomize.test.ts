/**
 * The operator installed from deploy/base with kustomize (one replica; only the image set, as docs/deploy.md
 * tells users), running from its own image on the real node; and the CLI (`kubectl nodebounce`) bouncing a pod
 * there the way an operator on call would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_DRAIN_SECONDS_ANNOTATION } from '../harness/express-simulator.js';
import { readPod } from '../harness/kube.js';
import { type BuiltCli, buildCli, runCli } from '../integration/support/cli.js';
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
  installWithKustomize,
  skipReason,
  watchNodeBounce,
} from './support.js';

// Remote mode (docs/e2e.md, "Running against your own cluster"): deploy/base made namespaced as deploy/namespaced
// does it (no ClusterRole/binding, CRD or Namespace), into the run's namespaces.
describe.skipIf(!!skipReason())('operator installed with kustomize (deploy/base) on a real node', () => {
  let env: E2E;
  let install: Installation | undefined;
  let cli: BuiltCli | undefined;
  const namespaces: string[] = [];
  collectOnFailure(
    () => env,
    () => namespaces,
  );

  beforeAll(async () => {
    env = e2e();
    const t = Date.now();
    [install, cli] = await Promise.all([installWithKustomize(env), buildCli()]);
    console.log(`[e2e] kustomize install: operator Ready after ${Date.now() - t}ms`);
  });

  afterAll(async () => {
    // In parallel: each waits for its pods' drain and grace period.
    await Promise.all(
      namespaces.map((n) => deleteNamespace(env, n).catch((e: unknown) => console.log(`[e2e] ${String(e)}`))),
    );
    await install?.uninstall();
    cli?.cleanup();
  });

  it('plain bounce: the StatefulSet pod is replaced after draining', async () => {
    const n = await createNamespace(env, 'e2e-kplain');
    namespaces.push(n);
    const old = await expressNode(env, n, 'kp', { annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: '2' } });
    const oldLog = await followLog(env.kc, n, 'kp-0');
    const w = watchNodeBounce(env, n, 'kp-bounce');
    try {
      await createNodeBounce(env, n, { podName: 'kp-0', reason: 'e2e kustomize' }, 'kp-bounce');
      const done = await w.finished(120_000);
      expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
      expect(w.phases()).toEqual(['Pending', 'Terminating', 'Starting', 'Succeeded']);
      expect(await oldLog.ended_(30_000)).toContain('drained, exiting');
      expect((await readPod(env.kc, n, 'kp-0'))?.metadata?.uid).not.toBe(old.metadata?.uid);
    } finally {
      w.stop();
      oldLog.stop();
    }
  });

  it('the CLI bounces a pod and reports success', async () => {
    const n = await createNamespace(env, 'e2e-cli');
    namespaces.push(n);
    const old = await expressNode(env, n, 'cp', { annotations: { [SIM_DRAIN_SECONDS_ANNOTATION]: '2' } });
    const res = await runCli(
      cli as BuiltCli,
      ['bounce', 'cp-0', '-n', n, '--reason', 'e2e cli', '--wait', '--timeout', '2m'],
      {
        kubeconfig: env.kubeconfigPath,
      },
    );
    console.log(`[e2e] CLI bounce took ${res.ms}ms; stdout: ${res.stdout.trim().split('\n').slice(-2).join(' | ')}`);
    expect(res.code, res.stderr).toBe(0);
    // Without --wait (and no terminal) the CLI only creates the NodeBounce: the first run of this test caught that.
    expect(res.stdout).toMatch(/cp-0/);
    expect(`${res.stdout}\n${res.stderr}`).toMatch(/Succeeded|PodRestarted/);
    const fresh = await readPod(env.kc, n, 'cp-0');
    expect(fresh?.metadata?.uid).not.toBe(old.metadata?.uid);
  });
});
