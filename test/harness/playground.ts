// The playground of `npm run cluster -- up --express N`: a namespace with ready-to-bounce Express nodes on the
// local control plane, and the `default` ServiceAccount every namespace needs for pods (the local control plane
// runs no kube-controller-manager, whose ServiceAccount controller would create it).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ensureDefaultServiceAccount } from './controlplane.js';
import { createExpressNode } from './express-simulator.js';
import { createNamespace, isConflict, isPodReady, readPod, waitUntil } from './kube.js';

export const PLAYGROUND_NAMESPACE = 'playground';

/** Creates the namespace and `n` ExpressNodes express-0.. (label app=express); waits until their pods are Ready. */
export async function setUpPlayground(
  kc: KubeConfig,
  opts: { namespace?: string; express: number; timeoutMs?: number },
): Promise<{ namespace: string; nodes: string[] }> {
  const namespace = await createNamespace(kc, opts.namespace ?? PLAYGROUND_NAMESPACE);
  const nodes = Array.from({ length: opts.express }, (_, i) => `express-${i}`);
  for (const name of nodes) {
    try {
      await createExpressNode(kc, namespace, name, { labels: { app: 'express' }, spec: { state: 'up' } });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  for (const name of nodes)
    await waitUntil(async () => (isPodReady(await readPod(kc, namespace, name)) ? true : undefined), {
      timeoutMs: opts.timeoutMs ?? 60_000,
      description: `pod ${namespace}/${name} Ready`,
    });
  return { namespace, nodes };
}

/**
 * Gives every namespace a `default` ServiceAccount, as kube-controller-manager would, so a namespace a user creates
 * by hand gets pods too. Checks every `everyMs`; stop() ends it.
 */
export function keepDefaultServiceAccounts(
  kc: KubeConfig,
  log: (line: string) => void,
  everyMs = 2000,
): { stop(): void } {
  const core = kc.makeApiClient(CoreV1Api);
  const done = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const list = await core.listNamespace({ timeoutSeconds: 10 });
      for (const ns of list.items) {
        const name = ns.metadata?.name;
        if (!name || done.has(name) || ns.status?.phase === 'Terminating') continue;
        await ensureDefaultServiceAccount(kc, name);
        done.add(name);
      }
    } catch (err) {
      log(
        `playground: could not check namespaces for a default ServiceAccount: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (!stopped) timer = setTimeout(() => void tick(), everyMs);
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** What to try, printed by `up --express`. */
export function playgroundCommands(namespace: string, nodes: readonly string[]): string[] {
  const first = nodes[0] ?? 'express-0';
  return [
    `kubectl get expressnodes,pods -n ${namespace}`,
    `kubectl nodebounce ${first} -n ${namespace}                      # after npm run build && npm link, or npm run build:cli (dist/kubectl-nodebounce)`,
    `kubectl nodebounce rollout -n ${namespace} -l app=express --stable 5s`,
    `kubectl nodebounce list -n ${namespace}`,
    `kubectl create -f examples/                                        # an ExpressNode, a NodeBounce, a RollingBounce`,
    `kubectl wait --for=condition=Finished nb/express-0-example -n ${namespace} --timeout=2m`,
    `kubectl nodebounce watch rb/express-rollout -n ${namespace}`,
  ];
}
