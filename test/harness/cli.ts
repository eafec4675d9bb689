/**
 * npm run cluster -- build            build (or verify) the control-plane binaries and the deploy tools
 * npm run cluster -- up [--nodes N] [--express N] [--no-audit] [--no-simulator] [--verbose]
 *                                     run a local control plane + Express simulator in the foreground; with
 *                                     --express N also the operator (under deploy/'s RBAC) and a `playground`
 *                                     namespace with N ready Express nodes, and prints the commands to try
 * npm run cluster -- up --real [--operator-image] [--no-simulator] [--verbose]
 *                                     run the real-node cluster (real kubelet, containerd, controllers; needs
 *                                     root) with the Express test-app image loaded, and the Express simulator in
 *                                     StatefulSet mode; --operator-image also builds and loads the operator image
 * npm run cluster -- cleanup --real   remove whatever a killed real-node cluster left on this host
 */
import { binaryVersions, ensureControlPlaneBinaries, ensureNodeBinaries, versionDir } from './build.js';
import { startControlPlane } from './controlplane.js';
import { startExpressSimulator } from './express-simulator.js';
import { ensureTool, ensureTools, toolsCacheRoot } from './tools.js';
import { cleanupRealClusterHost, startRealCluster } from './realcluster.js';
import { expressAppImageArchive } from './images.js';
import { buildOperatorImage } from './docker.js';
import { keepDefaultServiceAccounts, playgroundCommands, setUpPlayground } from './playground.js';
import { installOperatorIdentity, OperatorProcess } from '../integration/support/operator.js';

function usage(): never {
  console.error(
    'usage: npm run cluster -- <build|up> [--nodes N] [--express N] [--no-audit] [--no-simulator] [--verbose]\n' +
      '       npm run cluster -- up --real [--operator-image] [--no-simulator] [--verbose]\n' +
      '       npm run cluster -- cleanup --real',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const flag = (name: string) => rest.includes(name);
  const value = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const log = (l: string) => console.log(`[controlplane build] ${l}`);

  if (cmd === 'build') {
    const t0 = Date.now();
    const bins = await ensureControlPlaneBinaries({ log });
    console.log(
      `${bins.built ? 'built' : 'already built (cached)'}: ${bins.binDir}` +
        (bins.built ? ` in ${Math.round((Date.now() - t0) / 1000)}s` : ''),
    );
    for (const [k, v] of Object.entries(await binaryVersions(bins))) console.log(`  ${k.padEnd(15)} ${v}`);
    console.log(`cache: ${versionDir()} (override with NODEBOUNCE_CONTROLPLANE_CACHE)`);
    // kustomize and helm for the deploy tests (test/harness/tools.ts).
    const tools = await ensureTools((l) => console.log(`[tools] ${l}`));
    for (const [k, v] of Object.entries(tools)) console.log(`  ${k.padEnd(15)} ${v}`);
    // Prometheus for the alert-gate, metrics-auth and dashboard integration tests (no service discovery: tools.ts).
    console.log(`  ${'prometheus'.padEnd(15)} ${await ensureTool('prometheus', (l) => console.log(`[tools] ${l}`))}`);
    // Argo CD for the deploy tier's Lua checks and its e2e (test/integration/argocd.test.ts): ~10-25 min cold.
    console.log(`  ${'argocd'.padEnd(15)} ${await ensureTool('argocd', (l) => console.log(`[tools] ${l}`))}`);
    // kube-controller-manager (its garbage collector finishes Argo CD's foreground prunes in that e2e; the real-node
    // tier needs it too): mostly a link step once kube-apiserver's packages are in the Go build cache.
    const kcm = await ensureNodeBinaries({ only: ['kube-controller-manager'], log });
    console.log(`  ${'kube-controller-manager'.padEnd(15)} ${kcm.paths['kube-controller-manager']}`);
    console.log(`tools cache: ${toolsCacheRoot()} (override with NODEBOUNCE_TOOLS_CACHE)`);
    return;
  }

  if (cmd === 'cleanup' && flag('--real')) {
    const left = await cleanupRealClusterHost((l) => console.log(l));
    if (left.length) throw new Error(`could not remove:\n  ${left.join('\n  ')}`);
    console.log('host is clean');
    return;
  }

  if (cmd === 'up' && flag('--real')) {
    const verbose = flag('--verbose');
    const rc = await startRealCluster({ log: (l) => (verbose || !l.startsWith('[') ? console.log(l) : undefined) });
    const loadMs = await rc.loadImage(await expressAppImageArchive());
    let operator = '';
    if (flag('--operator-image')) {
      const img = await buildOperatorImage((l) => console.log(l));
      operator = `${img.tag} (${Math.round(img.sizeBytes / 1e6)} MB, loaded in ${await rc.loadImage(img.archive)}ms)`;
    }
    const sim = flag('--no-simulator')
      ? undefined
      : await startExpressSimulator(rc.kubeConfig, { mode: 'statefulset', log: (l) => console.log(l) });
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping the real-node cluster...`);
      await sim?.stop();
      await rc.stop();
      console.log('stopped; nothing left on the host.');
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    console.log('');
    console.log(`Real-node cluster is up (${rc.server}, node ${rc.nodeName}, started in ${rc.startupMs}ms).`);
    console.log(`Express test app image loaded in ${loadMs}ms${operator ? `; operator image ${operator}` : ''}.`);
    console.log(`component logs: ${Object.values(rc.logFiles)[0]?.replace(/[^/]+$/, '')}`);
    console.log(sim ? 'Express simulator: StatefulSet mode (all namespaces)' : 'Express simulator: off');
    console.log('');
    console.log(`export KUBECONFIG=${rc.kubeconfigPath}`);
    console.log('');
    console.log('Press Ctrl-C to stop.');
    await new Promise(() => undefined);
    return;
  }

  if (cmd === 'up') {
    const verbose = flag('--verbose');
    const nodes = Number(value('--nodes') ?? 3);
    await ensureControlPlaneBinaries({ log });
    const cp = await startControlPlane({
      kwokNodes: nodes,
      auditPolicy: !flag('--no-audit'),
      log: verbose ? (l) => console.log(l) : (l) => (l.startsWith('[') ? undefined : console.log(l)),
    });
    // Namespaces made by hand get their `default` ServiceAccount (no kube-controller-manager here), so pods start.
    const serviceAccounts = keepDefaultServiceAccounts(cp.kubeConfig, (l) => console.log(l));
    const express = value('--express');
    if (express !== undefined && !/^\d+$/.test(express)) usage();
    const sim =
      flag('--no-simulator') && express === undefined
        ? undefined
        : await startExpressSimulator(cp.kubeConfig, { log: (l) => console.log(l) });
    let operator: OperatorProcess | undefined;
    let playground: { namespace: string; nodes: string[] } | undefined;
    if (express !== undefined) {
      operator = new OperatorProcess({ kubeConfig: await installOperatorIdentity(cp.kubeConfig) });
      await operator.start(120_000);
      playground = await setUpPlayground(cp.kubeConfig, { express: Number(express) });
    }
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping the control plane...`);
      serviceAccounts.stop();
      await operator?.stop();
      operator?.cleanup();
      await sim?.stop();
      await cp.stop();
      console.log('stopped.');
      process.exit(0);
    };
    // Registered before the harness' own handlers run? Either way both kill the children; ours
    // additionally stops the simulator and exits 0.
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    console.log('');
    console.log(`Local control plane is up (${cp.server}, started in ${cp.startupMs}ms).`);
    console.log(`kubeconfig: ${cp.kubeconfigPath}`);
    if (cp.auditLogPath) console.log(`audit log:  ${cp.auditLogPath}`);
    console.log(`kwok nodes: ${cp.nodeNames.join(', ') || '(none)'}`);
    console.log(sim ? 'Express simulator: running (all namespaces)' : 'Express simulator: off');
    if (operator) console.log(`operator: running (pid ${operator.pid}, under deploy/'s RBAC)`);
    console.log('');
    console.log(`export KUBECONFIG=${cp.kubeconfigPath}`);
    if (playground) {
      console.log('');
      console.log(
        `Playground: namespace ${playground.namespace}, Express nodes ${playground.nodes.join(', ')} (all Ready). Try:`,
      );
      for (const c of playgroundCommands(playground.namespace, playground.nodes)) console.log(`  ${c}`);
    }
    console.log('');
    console.log('Press Ctrl-C to stop.');
    await new Promise(() => undefined);
    return;
  }
  usage();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
