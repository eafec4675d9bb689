import { KubeConfig } from '@kubernetes/client-node';

// Where the operator's connection to the API server comes from. The rest of the operator only passes the
// KubeConfig on to src/kube (runtime, client, leader election); it never looks inside.

export type { KubeConfig };

/** In-cluster config, else $KUBECONFIG or ~/.kube/config (client-node's default order). */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** The API server the config points at, for the start-up log line. */
export function serverOf(kubeConfig: KubeConfig): string | undefined {
  return kubeConfig.getCurrentCluster()?.server;
}
