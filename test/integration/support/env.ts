// One operator (under deploy/'s RBAC) plus the Express simulator per test file.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { createNamespace, startExpressSimulator, uniqueName, type ExpressSimulator } from '../../harness/index.js';
import { BounceFixture } from './bounce.js';
import { removeBounces } from './leftovers.js';
import { OperatorProcess, installOperatorIdentity } from './operator.js';

export interface OperatorEnv {
  kc: KubeConfig;
  fx: BounceFixture;
  operator: OperatorProcess;
  operatorKc: KubeConfig;
  namespace(prefix: string): Promise<string>;
  /** Creates the namespace `name` exactly (for an operator told in advance which namespaces to watch). */
  namedNamespace(name: string): Promise<string>;
  /** Starts another operator process with the same identity (e.g. after a kill); waits up to timeoutMs (90 s). */
  restartOperator(timeoutMs?: number): Promise<OperatorProcess>;
}

export function useOperatorEnv(opts: { env?: Record<string, string>; args?: string[] } = {}): OperatorEnv {
  const kc = new KubeConfig();
  let sim: ExpressSimulator | undefined;
  const processes: OperatorProcess[] = [];
  const namespaces = new Set<string>();
  const env: OperatorEnv = {
    kc,
    fx: undefined as unknown as BounceFixture,
    operator: undefined as unknown as OperatorProcess,
    operatorKc: undefined as unknown as KubeConfig,
    namespace: (prefix: string) => env.namedNamespace(uniqueName(prefix)),
    async namedNamespace(name: string) {
      namespaces.add(await createNamespace(kc, name));
      return name;
    },
    async restartOperator(timeoutMs?: number): Promise<OperatorProcess> {
      const p = new OperatorProcess({ kubeConfig: env.operatorKc, env: opts.env, args: opts.args });
      processes.push(p);
      await p.start(timeoutMs);
      env.operator = p;
      return p;
    },
  };

  beforeAll(async () => {
    kc.loadFromFile(inject('kubeconfigPath'));
    env.fx = new BounceFixture(kc);
    sim = await startExpressSimulator(kc);
    env.operatorKc = await installOperatorIdentity(kc);
    // A tsx start-up on a saturated machine (2 cores shared) has taken over 30 s.
    await env.restartOperator(120_000);
  });

  afterAll(async () => {
    // A clean SIGTERM exits 0 (killed ones are already gone).
    const code = await env.operator?.stop();
    for (const p of processes) {
      await p.kill();
      p.cleanup();
    }
    await sim?.stop();
    // Not fatal: a failed clean-up leaves leftovers, which scoped tests do not see anyway.
    await removeBounces(kc, namespaces).catch((err: unknown) => console.warn(`leftover clean-up: ${String(err)}`));
    expect(code).toBe(0);
  });

  return env;
}
