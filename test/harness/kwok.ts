/**
 * kwok (https://kwok.sigs.k8s.io) as the kubelet simulator of the local control plane: it manages
 * fake Nodes created here and drives pods on them through the stages in kwok-stages.yaml.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { ManagedProcess } from './procs.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export const KWOK_STAGES_FILE = join(HERE, 'kwok-stages.yaml');
/** Annotation (and value) marking Nodes that kwok manages. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';
/** Go duration until a pod becomes Running+Ready (default 1s), or "never". */
export const STARTUP_DELAY_ANNOTATION = 'kwok.nodebounce.dev/startup-delay';
/** Go duration a deleted pod stays Terminating (default 1s), or "never". */
export const SHUTDOWN_DELAY_ANNOTATION = 'kwok.nodebounce.dev/shutdown-delay';
export const KWOK_ANNOTATION_PREFIX = 'kwok.nodebounce.dev/';
export const NEVER = 'never';

export function kwokNodeName(i: number): string {
  return `kwok-node-${i}`;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration string ("1.5s", "1m30s", "250ms") into milliseconds; undefined if invalid. */
export function parseGoDuration(value: string): number | undefined {
  const s = value.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  return matched === s.length && matched > 0 ? total : undefined;
}

/** Formats milliseconds as a Go duration string kwok understands ("1500ms"). */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`invalid duration: ${ms}`);
  return `${Math.round(ms)}ms`;
}

/** Milliseconds, a Go duration string, or NEVER ('never'). */
export type KwokDelay = number | string;

function delayValue(d: KwokDelay): string {
  if (typeof d === 'number') return formatGoDuration(d);
  if (d === NEVER) return NEVER;
  if (parseGoDuration(d) === undefined) throw new Error(`not a Go duration or "never": ${d}`);
  return d;
}

/**
 * Pod annotations for kwok's simulated kubelet. Numbers are milliseconds; strings are Go durations;
 * "never" = never Ready / never finishes terminating.
 */
export function kwokDelayAnnotations(opts: { startup?: KwokDelay; shutdown?: KwokDelay }): Record<string, string> {
  const a: Record<string, string> = {};
  if (opts.startup !== undefined) a[STARTUP_DELAY_ANNOTATION] = delayValue(opts.startup);
  if (opts.shutdown !== undefined) a[SHUTDOWN_DELAY_ANNOTATION] = delayValue(opts.shutdown);
  return a;
}

export function kwokNodeManifest(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE, 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    spec: {},
  };
}

/** Creates (or keeps) the fake Nodes kwok-node-0..count-1; returns their names. */
export async function createKwokNodes(kc: KubeConfig, count: number): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const names = Array.from({ length: count }, (_, i) => kwokNodeName(i));
  await Promise.all(
    names.map(async (name) => {
      try {
        await core.createNode({ body: kwokNodeManifest(name) });
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }),
  );
  return names;
}

export function startKwok(opts: {
  bin: string;
  kubeconfigPath: string;
  logFile: string;
  log?: (line: string) => void;
}): ManagedProcess {
  return ManagedProcess.spawn(
    'kwok',
    opts.bin,
    [
      `--kubeconfig=${opts.kubeconfigPath}`,
      `--config=${KWOK_STAGES_FILE}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
      '--node-ip=10.254.0.1',
      '--cidr=10.244.0.1/16',
      '--node-lease-duration-seconds=40',
    ],
    { logFile: opts.logFile, log: opts.log },
  );
}

function isReady(node: V1Node | undefined): boolean {
  return !!node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Waits until kwok has marked every named Node Ready. */
export async function waitForNodesReady(
  kc: KubeConfig,
  names: string[],
  opts: { timeoutMs?: number; proc?: ManagedProcess } = {},
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    let items: V1Node[] = [];
    try {
      items = (await core.listNode({ labelSelector: 'type=kwok' })).items;
    } catch {
      // API server still starting: try again.
    }
    const pending = names.filter((n) => !isReady(items.find((i) => i.metadata?.name === n)));
    if (pending.length === 0) return;
    if (opts.proc && !opts.proc.running) {
      throw new Error(`kwok ${opts.proc.describeExit()} before nodes became Ready:\n${opts.proc.tail()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`kwok nodes not Ready in time: ${pending.join(', ')}\n${opts.proc?.tail() ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
