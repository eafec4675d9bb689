/**
 * vitest globalSetup of the e2e tier: starts the real-node cluster (test/harness/realcluster.ts), builds the
 * operator image from the repository's Dockerfile (test/harness/docker.ts) and loads it and the Express test app
 * into the node, and runs the Express simulator in StatefulSet mode (it stands in for the Express operator, so it
 * runs on the host like the real one would run elsewhere). Teardown stops everything and fails if anything is
 * left on the host; component logs are always copied to test/e2e/.logs/<run>/ (the tests add operator pod logs
 * and NodeBounces of failed tests there).
 *
 * Where the machine cannot run a real node (not root, no cgroups) the tests are skipped with the reason, except
 * in CI (CI=true), where that is a failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../harness/controlplane.js';
import { buildOperatorImage } from '../harness/docker.js';
import { startExpressSimulator } from '../harness/express-simulator.js';
import { realNodeUnsupportedReason } from '../harness/hostdeps.js';
import { expressAppImageArchive } from '../harness/images.js';
import { type RealCluster, startRealCluster } from '../harness/realcluster.js';
import { diffSnapshots, prepareRemoteRun, remoteConfig, snapshot } from './remote.js';

declare module 'vitest' {
  export interface ProvidedContext {
    e2eSkipReason: string;
    e2eKubeconfig: string;
    e2eOperatorImage: string;
    e2eLogDir: string;
    e2eNodeIP: string;
    /** kube-apiserver's audit log of pod evictions and deletions (local node only; '' remotely). */
    e2eAuditLogPath: string;
    /** 'remote' against an existing cluster (docs/e2e.md, "Running against your own cluster"), '' locally. */
    e2eMode: string;
    /** The operator's namespace (local: nodebounce-system). */
    e2eOperatorNs: string;
    /** remote: the one namespace for all Express test objects (the operator watches only it). */
    e2eExpressNs: string;
    /** remote: the operator image's pull policy. */
    e2ePullPolicy: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const log = (l: string) => console.log(`[e2e] ${l}`);
  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  const logDir = join(REPO_ROOT, 'test', 'e2e', '.logs', runId);
  mkdirSync(logDir, { recursive: true });
  project.provide('e2eLogDir', logDir);

  const remote = remoteConfig();
  if (remote) return remoteSetup(project, remote, logDir, log);
  project.provide('e2eMode', '');
  project.provide('e2eOperatorNs', 'nodebounce-system');
  project.provide('e2eExpressNs', '');
  project.provide('e2ePullPolicy', '');

  const unsupported = realNodeUnsupportedReason();
  if (unsupported) {
    if (process.env.CI === 'true')
      throw new Error(`e2e: this CI machine cannot run the real-node tier: ${unsupported}`);
    console.log(`[e2e] SKIP: ${unsupported}. The e2e tests need a Linux machine with root and cgroups (docs/e2e.md).`);
    project.provide('e2eSkipReason', unsupported);
    for (const k of ['e2eKubeconfig', 'e2eOperatorImage', 'e2eNodeIP', 'e2eAuditLogPath'] as const)
      project.provide(k, '');
    return async () => undefined;
  }
  project.provide('e2eSkipReason', '');

  let rc: RealCluster | undefined;
  let sim: Awaited<ReturnType<typeof startExpressSimulator>> | undefined;
  const timings: Record<string, number | string> = {};
  const teardown = async () => {
    await sim?.stop().catch(() => undefined);
    await rc?.collectLogs(join(logDir, 'components')).catch(() => undefined);
    const t = Date.now();
    try {
      await rc?.stop();
    } finally {
      timings.clusterStopMs = Date.now() - t;
      timings.totalMs = Date.now() - t0;
      writeFileSync(join(logDir, 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
      log(`timings: ${JSON.stringify(timings)} (logs: ${logDir})`);
    }
  };
  try {
    // The image build and the cluster start are independent: overlap them (2 cores; both are mostly waiting).
    // allSettled: when one fails, the other must still finish (or fail) before teardown runs.
    const [clusterRes, imageRes] = await Promise.allSettled([
      startRealCluster({ log: (l) => (l.startsWith('[') ? undefined : log(l)) }),
      buildOperatorImage((l) => log(l)),
    ]);
    if (clusterRes.status === 'fulfilled') rc = clusterRes.value;
    if (clusterRes.status === 'rejected') throw clusterRes.reason;
    if (imageRes.status === 'rejected') throw imageRes.reason;
    const cluster = clusterRes.value;
    const image = imageRes.value;
    timings.clusterStartupMs = cluster.startupMs;
    timings.operatorImageBuildMs = image.buildMs;
    timings.operatorImageBytes = image.sizeBytes;
    timings.operatorImageNode = image.nodeVersion;
    timings.operatorImageLoadMs = await cluster.loadImage(image.archive);
    timings.expressAppImageLoadMs = await cluster.loadImage(await expressAppImageArchive());
    sim = await startExpressSimulator(cluster.kubeConfig, { mode: 'statefulset', log: (l) => log(l) });
    timings.setupMs = Date.now() - t0;
    log(`ready after ${timings.setupMs}ms: ${JSON.stringify(timings)}`);
    project.provide('e2eKubeconfig', cluster.kubeconfigPath);
    project.provide('e2eOperatorImage', image.tag);
    project.provide('e2eNodeIP', cluster.nodeIP);
    project.provide('e2eAuditLogPath', cluster.auditLogPath);
  } catch (err) {
    await teardown().catch((e: unknown) => log(`teardown after failed setup: ${String(e)}`));
    throw err;
  }
  return teardown;
}

/**
 * Remote mode: an existing cluster, images from registries, everything in the run's namespaces; the Express
 * simulator runs here and handles only the run's Express namespace. Teardown removes what the run created (also
 * after a failed setup or failed tests) and fails if the namespaces, CRDs, ClusterRoles or ClusterRoleBindings of
 * the cluster differ from before the run.
 */
async function remoteSetup(
  project: TestProject,
  cfg: NonNullable<ReturnType<typeof remoteConfig>>,
  logDir: string,
  log: (l: string) => void,
): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const run = await prepareRemoteRun(cfg, log);
  writeFileSync(join(logDir, 'remote-before.json'), JSON.stringify(run.before, null, 2) + '\n');
  let sim: Awaited<ReturnType<typeof startExpressSimulator>> | undefined;
  const teardown = async () => {
    await sim?.stop().catch(() => undefined);
    const t = Date.now();
    await run.cleanup(log);
    const after = await snapshot(run.kc);
    writeFileSync(join(logDir, 'remote-after.json'), JSON.stringify(after, null, 2) + '\n');
    const diff = diffSnapshots(run.before, after);
    log(
      `remote: cleanup took ${Date.now() - t}ms; cluster-scoped state before vs after: ${Object.keys(diff).length ? JSON.stringify(diff) : 'identical'} (${logDir}/remote-{before,after}.json)`,
    );
    if (Object.keys(diff).length) throw new Error(`e2e remote run left the cluster changed: ${JSON.stringify(diff)}`);
  };
  try {
    sim = await startExpressSimulator(run.kc, {
      mode: 'statefulset',
      namespaces: [run.expressNs],
      image: cfg.appImage,
      imagePullPolicy: cfg.pullPolicy,
      log: (l) => log(l),
    });
  } catch (err) {
    await teardown().catch((e: unknown) => log(`teardown after failed setup: ${String(e)}`));
    throw err;
  }
  project.provide('e2eSkipReason', '');
  project.provide('e2eMode', 'remote');
  project.provide('e2eKubeconfig', run.kubeconfigPath);
  project.provide('e2eOperatorImage', cfg.image);
  project.provide('e2eNodeIP', '');
  project.provide('e2eAuditLogPath', '');
  project.provide('e2eOperatorNs', run.operatorNs);
  project.provide('e2eExpressNs', run.expressNs);
  project.provide('e2ePullPolicy', cfg.pullPolicy);
  log(
    `remote: ready after ${Date.now() - t0}ms (operator image ${cfg.image}, Express app image ${cfg.appImage}, pull policy ${cfg.pullPolicy})`,
  );
  return teardown;
}
