/**
 * vitest globalSetup of the integration project: builds the control-plane binaries when needed,
 * starts ONE local control plane for the whole run and hands its kubeconfig to the tests
 * (`inject('kubeconfigPath')`, also process.env.KUBECONFIG_TEST). Teardown stops it and fails if
 * any etcd / kube-apiserver / kwok process is left behind.
 */
import type { TestProject } from 'vitest/node';
import { ensureControlPlaneBinaries } from './build.js';
import { type ControlPlane, startControlPlane } from './controlplane.js';
import { findProcessesMentioning } from './procs.js';

let cp: ControlPlane | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const verbose = !!process.env.NODEBOUNCE_CONTROLPLANE_VERBOSE;
  const t0 = Date.now();
  const bins = await ensureControlPlaneBinaries({ log: (l) => console.log(`[controlplane build] ${l}`) });
  if (bins.built) console.log(`[controlplane] binaries built in ${Math.round((Date.now() - t0) / 1000)}s`);
  cp = await startControlPlane({
    auditPolicy: true,
    log: verbose ? (l) => console.log(`[controlplane] ${l}`) : undefined,
  });
  console.log(
    `[controlplane] kube-apiserver ${bins.versions.kubernetes}, etcd ${bins.versions.etcd}, kwok ${bins.versions.kwok}` +
      ` started in ${cp.startupMs}ms; KUBECONFIG=${cp.kubeconfigPath}`,
  );
  project.provide('kubeconfigPath', cp.kubeconfigPath);
  project.provide('kubeServer', cp.server);
  project.provide('kwokNodeNames', cp.nodeNames);
  project.provide('auditLogPath', cp.auditLogPath ?? '');
  process.env.KUBECONFIG_TEST = cp.kubeconfigPath;

  return async () => {
    const dataDir = cp?.dataDir;
    await cp?.stop();
    cp = undefined;
    if (!dataDir) return;
    const leftovers = findProcessesMentioning(dataDir);
    if (leftovers.length > 0) {
      throw new Error(
        `control-plane processes left behind after teardown:\n${leftovers.map((p) => `  ${p.pid} ${p.cmdline}`).join('\n')}`,
      );
    }
  };
}
