/**
 * Stands up a "remote" cluster on this machine for trying the e2e remote mode (docs/e2e.md, "Running against your
 * own cluster"): the real-node cluster (test/harness/realcluster.ts) with the operator image built from the
 * Dockerfile and the Express test app image loaded into the node UNDER REGISTRY-STYLE NAMES, since there is no
 * registry here. Remote mode's pods use imagePullPolicy IfNotPresent, so the kubelet finds them under those names
 * and never pulls: that is the simulation of "the image comes from a registry". No Express simulator runs (the
 * remote run brings its own, limited to its namespace).
 *
 *   npx tsx test/e2e/remote-sim.ts [--no-crds] [--exports-file <path>]
 *
 * --no-crds deletes the NodeBounce and ExpressNode CRDs the harness installs, for trying the cluster-scoped check
 * and NODEBOUNCE_E2E_INSTALL_CLUSTER_SCOPED=true. Prints (and writes to --exports-file) the NODEBOUNCE_E2E_* exports;
 * Ctrl-C / SIGTERM stops the cluster and cleans the host.
 */
import { writeFileSync } from 'node:fs';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { buildOperatorImage } from '../harness/docker.js';
import { EXPRESS_APP_IMAGE, expressAppImageArchive } from '../harness/images.js';
import { startRealCluster } from '../harness/realcluster.js';
import { REQUIRED_CRDS } from './remote.js';

export const SIM_REGISTRY = 'registry.nodebounce.test';

const args = process.argv.slice(2);
const envFile = args.includes('--exports-file') ? args[args.indexOf('--exports-file') + 1] : undefined;
const log = (l: string) => console.log(`[remote-sim] ${l}`);

const rc = await startRealCluster({ log: (l) => (l.startsWith('[') ? undefined : log(l)) });
let stopping = false;
const stop = async (why: string) => {
  if (stopping) return;
  stopping = true;
  log(`${why}: stopping the cluster`);
  await rc.stop();
  log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
try {
  const [img, app] = await Promise.all([buildOperatorImage(log), expressAppImageArchive(log)]);
  await rc.loadImage(img.archive);
  await rc.loadImage(app);
  const refs = (await rc.ctr(['images', 'ls', '-q']))
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const find = (name: string) => {
    const r = refs.find((x) => x === name || x.endsWith(`/${name}`) || x === `docker.io/library/${name}`);
    if (!r) throw new Error(`image ${name} not in the node (have: ${refs.join(', ')})`);
    return r;
  };
  const operatorImage = `${SIM_REGISTRY}/nodebounce/nodebounce-operator:e2e`;
  const appImage = `${SIM_REGISTRY}/nodebounce/express-app:1`;
  await rc.ctr(['images', 'tag', '--force', find(img.tag), operatorImage]);
  await rc.ctr(['images', 'tag', '--force', find(EXPRESS_APP_IMAGE), appImage]);
  if (args.includes('--no-crds')) {
    const ext = rc.kubeConfig.makeApiClient(ApiextensionsV1Api);
    for (const c of REQUIRED_CRDS) await ext.deleteCustomResourceDefinition({ name: c.name }).catch(() => undefined);
    log(`deleted the CRDs ${REQUIRED_CRDS.map((c) => c.name).join(', ')}`);
  }
  const exports = [
    `export NODEBOUNCE_E2E_KUBECONFIG=${rc.kubeconfigPath}`,
    `export NODEBOUNCE_E2E_CONTEXT=${rc.kubeConfig.getCurrentContext()}`,
    `export NODEBOUNCE_E2E_IMAGE=${operatorImage}`,
    `export NODEBOUNCE_E2E_APP_IMAGE=${appImage}`,
  ].join('\n');
  if (envFile) writeFileSync(envFile, exports + '\n');
  log(
    `ready; images pre-loaded as ${operatorImage} and ${appImage} (simulated registry: IfNotPresent finds them)\n${exports}`,
  );
} catch (err) {
  log(`failed: ${String(err)}`);
  await stop('error');
}
await new Promise(() => undefined);
