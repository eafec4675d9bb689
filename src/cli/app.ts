// kubectl-nodebounce: the command line. `run()` parses, does the work and returns the exit code;
// main.ts only wires it to the process.
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  NODEBOUNCE_GROUP,
  NODEBOUNCE_PLURAL,
  type BounceMode,
  type NodeBounce,
  type NodeBounceSpec,
} from '../api/nodebounce.js';
import { CliError, ExitCode } from './errors.js';
import {
  MAX_ROLLINGBOUNCE_NAME,
  type LabelSelector,
  type RollingBounce,
  type RollingBounceSpec,
} from '../api/rollingbounce.js';
import {
  asList,
  durationSeconds,
  humanDuration,
  listTable,
  membersTable,
  parseDuration,
  render,
  rolloutFrame,
  rolloutListTable,
  rolloutStory,
  planTable,
  statusStory,
  type OutputFormat,
} from './format.js';
import { follow, PlainDisplay, SilentDisplay, TtyDisplay, type Display } from './follow.js';
import { normalizeArgv } from './argv.js';
import { complete } from './complete.js';
import { canDrawLive, LiveScreen, type ScreenOut } from './screen.js';
import { defaultNamespace, loadKubeConfig, NodeBounceClient } from './kube.js';

export interface Stream extends ScreenOut {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
  /** Emits SIGINT (Ctrl-C). */
  signals: NodeJS.EventEmitter;
}

interface CommonOptions {
  namespace?: string;
  output?: string;
  kubeconfig?: string;
  context?: string;
}

interface BounceOptions extends CommonOptions {
  force?: boolean;
  reason?: string;
  dryRun?: boolean;
  mode?: BounceMode;
  timeout?: number;
  wait?: boolean;
  gracePeriod?: number;
  terminationTimeout?: number;
  readyTimeout?: number;
  ttl?: number;
}

const RESOURCE = `${NODEBOUNCE_PLURAL}.${NODEBOUNCE_GROUP}`;

/** The operator's messages tell a manifest's author to set spec.force; on the command line that is --force. */
export function forCli(message: string): string {
  return message
    .replace(/create a new NodeBounce with spec\.force: true/g, 'bounce it again with --force')
    .replace(/`?spec\.force(?::\s*true)?`?/g, '--force');
}

interface RolloutOptions extends CommonOptions {
  selector?: string;
  name?: string;
  maxUnavailable?: string;
  last?: string;
  reverse?: boolean;
  settle?: number;
  stable?: number;
  healthyStates?: string;
  prometheusEndpoint?: string;
  prometheusQuery?: string;
  maxFailures?: number;
  force?: boolean;
  reason?: string;
  mode?: BounceMode;
  dryRun?: boolean;
  paused?: boolean;
  timeout?: number;
  wait?: boolean;
}

/** kubectl-style selector text: `a=b,c!=d,e,!f`, plus `k in (x,y)` / `k notin (x,y)`. */
export function parseSelector(text: string): LabelSelector {
  const sel: LabelSelector = {};
  const parts = text.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw))) {
      (sel.matchExpressions ??= []).push({
        key: m[1]!,
        operator: m[2] === 'in' ? 'In' : 'NotIn',
        values: m[3]!
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      });
    } else if ((m = /^([\w./-]+)\s*!=\s*([\w.-]*)$/.exec(raw))) {
      (sel.matchExpressions ??= []).push({ key: m[1]!, operator: 'NotIn', values: [m[2]!] });
    } else if ((m = /^([\w./-]+)\s*==?\s*([\w.-]*)$/.exec(raw))) {
      (sel.matchLabels ??= {})[m[1]!] = m[2]!;
    } else if ((m = /^!([\w./-]+)$/.exec(raw))) {
      (sel.matchExpressions ??= []).push({ key: m[1]!, operator: 'DoesNotExist' });
    } else if ((m = /^([\w./-]+)$/.exec(raw))) {
      (sel.matchExpressions ??= []).push({ key: m[1]!, operator: 'Exists' });
    } else throw new CliError(`cannot parse selector ${JSON.stringify(raw)}`, ExitCode.Usage);
  }
  return sel;
}

/** Set by the standalone build (scripts/build-cli.ts), whose bundle has no package.json next to it. */
declare const __NODEBOUNCE_VERSION__: string | undefined;

function version(): string {
  if (typeof __NODEBOUNCE_VERSION__ === 'string') return __NODEBOUNCE_VERSION__;
  try {
    // src/cli/app.ts and dist/cli/app.js are both two levels below the package root.
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function parseMode(value: string): BounceMode {
  const v = value.toLowerCase();
  if (v === 'evict') return 'Evict';
  if (v === 'delete') return 'Delete';
  throw new InvalidArgumentError('must be Evict or Delete.');
}

function parseDurationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

function parseDurationSecondsArg(value: string): number {
  try {
    return durationSeconds(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

function parseTtl(value: string): number {
  if (/^0+$/.test(value.trim())) return 0;
  return parseDurationSecondsArg(value);
}

function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number of seconds, at least 1.');
  return Number(value);
}

function withCommon(cmd: Command, formats: string[] = ['json', 'yaml', 'name']): Command {
  return cmd
    .option('-n, --namespace <namespace>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .addOption(new Option('-o, --output <format>', 'output format').choices(formats))
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use');
}

export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = ExitCode.Ok;
  const out = (s: string) => io.stdout.write(s);
  const err = (s: string) => io.stderr.write(s);

  // The connection options of the command being run (followers reconnect with them).
  let lastCommon: CommonOptions = {};
  const connect = (o: CommonOptions) => {
    lastCommon = { kubeconfig: o.kubeconfig, context: o.context, namespace: o.namespace };
    const kc = loadKubeConfig({ kubeconfig: o.kubeconfig, context: o.context, env: io.env });
    return { client: new NodeBounceClient(kc), namespace: o.namespace ?? defaultNamespace(kc) };
  };

  const program = new Command('kubectl-nodebounce')
    .usage(
      '[bounce] <pod> [options] | rollout [pods...] [options] | list [options] | status <name> [options] | pause|resume <rollingbounce>',
    )
    .description('Bounce (safely restart) the pod of an Express node through a NodeBounce, and follow it.')
    .version(version(), '--version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  withCommon(
    program
      .command('bounce <pod>', { isDefault: true })
      .description('create a NodeBounce for <pod> and, on a terminal, follow it until it finishes')
      .option('--force', 'bounce even though the Express node is rebuilding its cache')
      .option('--reason <text>', 'why: copied into events, logs and notifications')
      .option('--dry-run', 'run every check and report, but touch nothing (spec.dryRun; the NodeBounce is created)')
      .addOption(new Option('--mode <mode>', 'Evict (respects PodDisruptionBudgets) or Delete').argParser(parseMode))
      .addOption(
        new Option(
          '--timeout <duration>',
          'stop waiting after this long (e.g. 90s, 10m); the bounce goes on',
        ).argParser(parseDurationMs),
      )
      .addOption(new Option('--wait', 'follow until it finishes (default on a terminal)'))
      .addOption(new Option('--no-wait', 'create it and return (default when stdout is not a terminal)'))
      .addOption(
        new Option('--grace-period <seconds>', "grace period for the eviction/delete (default: the pod's)").argParser(
          parsePositiveInt,
        ),
      )
      .addOption(
        new Option('--termination-timeout <duration>', 'how long the old pod may take to go (default 10m)').argParser(
          parseDurationSecondsArg,
        ),
      )
      .addOption(
        new Option(
          '--ready-timeout <duration>',
          'how long the replacement may take to be Ready (default: from its startup probe)',
        ).argParser(parseDurationSecondsArg),
      )
      .addOption(
        new Option('--ttl <duration>', 'delete the NodeBounce this long after it finishes').argParser(parseTtl),
      ),
  ).action(async (pod: string, o: BounceOptions) => {
    code = await bounce(pod, o);
  });

  withCommon(
    program
      .command('list')
      .alias('ls')
      .description('list NodeBounces and RollingBounces, with their duration')
      .option('-A, --all-namespaces', 'list across all namespaces')
      .option('--kind <kind>', 'nodebounce (nb), rollingbounce (rb) or all (default: all)'),
    ['json', 'yaml', 'name', 'wide'],
  ).action(async (o: CommonOptions & { allNamespaces?: boolean; kind?: string }) => {
    const { client, namespace } = connect(o);
    const ns = o.allNamespaces ? undefined : namespace;
    const kind = (o.kind ?? 'all').toLowerCase();
    const wantNb = ['all', 'nb', 'nodebounce', 'nodebounces'].includes(kind);
    const wantRb = ['all', 'rb', 'rollingbounce', 'rollingbounces'].includes(kind);
    if (!wantNb && !wantRb)
      throw new CliError('--kind must be nodebounce (nb), rollingbounce (rb) or all', ExitCode.Usage);
    const { items, resourceVersion } = wantNb
      ? await client.list(ns)
      : { items: [] as NodeBounce[], resourceVersion: undefined };
    // RollingBounces too, unless asked not to; with --kind all a cluster without the RollingBounce CRD (or
    // without the right to read them) just has none.
    let rbs: RollingBounce[] = [];
    if (wantRb) {
      try {
        rbs = (await client.listRollingBounces(ns)).items;
      } catch (e) {
        if (kind !== 'all') throw e;
      }
    }
    if (o.output === 'json' || o.output === 'yaml' || o.output === 'name')
      return void out(render(asList([...items, ...rbs], resourceVersion), o.output));
    const opts = { allNamespaces: !ns, wide: o.output === 'wide' };
    if (wantNb) {
      if (items.length === 0) err(ns ? `No NodeBounces found in namespace ${ns}.\n` : 'No NodeBounces found.\n');
      else out(`${listTable(items, opts)}\n`);
    }
    if (rbs.length > 0) out(`${wantNb && items.length > 0 ? '\n' : ''}${rolloutListTable(rbs, opts)}\n`);
    else if (wantRb && kind !== 'all')
      err(ns ? `No RollingBounces found in namespace ${ns}.\n` : 'No RollingBounces found.\n');
  });

  withCommon(
    program
      .command('status <name>')
      .description(
        'the whole story of one NodeBounce (or RollingBounce: rb/<name>): status, timeline, members, conditions, events',
      ),
  ).action(async (name: string, o: CommonOptions) => {
    const { client, namespace } = connect(o);
    const found = await resolve(client, namespace, name);
    if (found.kind === 'RollingBounce') return void (await showRollout(found.rb, o));
    const nb = found.nb;
    if (o.output) return void out(render(nb, o.output as OutputFormat));
    const events = await client.events(namespace, nb.metadata.name, nb.metadata.uid);
    out(`${statusStory(nb, events)}\n`);
  });

  withCommon(
    program
      .command('watch <name>')
      .description(
        'follow a NodeBounce or RollingBounce (rb/<name>) live until it finishes: re-attaches after Ctrl-C, --timeout or --no-wait',
      )
      .addOption(
        new Option('--timeout <duration>', 'stop watching after this long; the bounce goes on').argParser(
          parseDurationMs,
        ),
      ),
  ).action(async (name: string, o: CommonOptions & { timeout?: number }) => {
    const { client, namespace } = connect(o);
    const found = await resolve(client, namespace, name);
    const format = o.output as OutputFormat | undefined;
    if (found.kind === 'RollingBounce') {
      code = await followRollout(namespace, found.rb.metadata.name, format, o.timeout, 'Watching');
      return;
    }
    code = await followBounce(found.nb, found.nb.spec.podName, format, o.timeout, 'Watching');
  });

  /** A name as `status` and `watch` take it: rb/<name>, nb/<name>, or a bare name (a NodeBounce, else a RollingBounce). */
  async function resolve(
    client: NodeBounceClient,
    namespace: string,
    name: string,
  ): Promise<{ kind: 'NodeBounce'; nb: NodeBounce } | { kind: 'RollingBounce'; rb: RollingBounce }> {
    const kindMatch =
      /^(rb|rollingbounces?(?:\.bounce\.express\.dev)?|nb|nodebounces?(?:\.bounce\.express\.dev)?)\/(.+)$/i.exec(name);
    const asRollout = kindMatch ? kindMatch[1]!.toLowerCase().startsWith('r') : undefined;
    const bare = kindMatch ? kindMatch[2]! : name;
    if (asRollout === true) return { kind: 'RollingBounce', rb: await client.getRollingBounce(namespace, bare) };
    try {
      return { kind: 'NodeBounce', nb: await client.get(namespace, bare) };
    } catch (e) {
      // A bare name that is no NodeBounce may be a RollingBounce.
      if (asRollout === false || !(e instanceof CliError) || !/not found/.test(e.message)) throw e;
      const rb = await client.getRollingBounce(namespace, bare).catch(() => undefined);
      if (!rb) throw e;
      return { kind: 'RollingBounce', rb };
    }
  }

  async function showRollout(rb: RollingBounce, o: CommonOptions): Promise<void> {
    if (o.output) return void out(render(rb, o.output as OutputFormat));
    const { client } = connect(o);
    const events = await client.events(rb.metadata.namespace, rb.metadata.name, rb.metadata.uid, 'RollingBounce');
    out(`${rolloutStory(rb, new Date(), events)}\n`);
  }

  withCommon(
    program
      .command('rollout [pods...]')
      .description(
        'create a RollingBounce (members: -l selector over Express resources, or pod names) and follow it with a live per-member table',
      )
      .option(
        '-l, --selector <selector>',
        'label selector over Express resources, e.g. app=express,tier!=witness... (k=v, k!=v, k, !k)',
      )
      .option('--name <name>', 'name of the RollingBounce (default: generated)')
      .option('--max-unavailable <n>', 'members in flight at once: a number or a percentage (default 1)')
      .option('--last <selector>', 'members whose Express resource matches go last (e.g. role=leader)')
      .option('--reverse', 'reverse name order')
      .addOption(new Option('--settle <duration>', 'wait after each member').argParser(parseDurationSecondsArg))
      .addOption(
        new Option('--stable <duration>', 'the health gate must hold this long (default 30s)').argParser(parseTtl),
      )
      .option('--healthy-states <states>', 'comma-separated healthy runtime states (default running)')
      .option('--prometheus-endpoint <name>', 'Prometheus endpoint of the operator config (prometheus.endpoints)')
      .option('--prometheus-query <promql>', 'a query that must return no series')
      .addOption(
        new Option('--max-failures <n>', 'failed members tolerated (default 0)').argParser((v) =>
          /^\d+$/.test(v)
            ? Number(v)
            : (() => {
                throw new InvalidArgumentError('must be a whole number.');
              })(),
        ),
      )
      .option('--force', 'bounce members even while rebuilding')
      .option('--reason <text>', 'why: copied into each NodeBounce')
      .addOption(new Option('--mode <mode>', 'Evict (respects PodDisruptionBudgets) or Delete').argParser(parseMode))
      .option('--dry-run', 'write the plan (status.plan) and create nothing')
      .option('--paused', 'create it paused')
      .addOption(
        new Option('--timeout <duration>', 'stop waiting after this long; the rollout goes on').argParser(
          parseDurationMs,
        ),
      )
      .addOption(new Option('--wait', 'follow until it finishes (default on a terminal)'))
      .addOption(new Option('--no-wait', 'create it and return')),
  ).action(async (pods: string[], o: RolloutOptions) => {
    code = await rollout(pods, o);
  });

  for (const [cmdName, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    withCommon(
      program
        .command(`${cmdName} <rollingbounce>`)
        .description(
          `${paused ? 'pause a RollingBounce (in-flight members finish)' : 'resume a paused RollingBounce'}`,
        ),
    ).action(async (name: string, o: CommonOptions) => {
      const { client, namespace } = connect(o);
      const rb = await client.setRollingBouncePaused(namespace, name.replace(/^(rb|rollingbounces?)\//i, ''), paused);
      if (o.output) return void out(render(rb, o.output as OutputFormat));
      out(`rollingbounce.bounce.express.dev/${rb.metadata.name} ${paused ? 'paused' : 'resumed'}\n`);
    });
  }

  async function rollout(pods: string[], o: RolloutOptions): Promise<number> {
    if (pods.length > 0 === !!o.selector)
      throw new CliError('give either pod names or --selector (exactly one)', ExitCode.Usage);
    if (o.name !== undefined && o.name.length > MAX_ROLLINGBOUNCE_NAME)
      throw new CliError(
        `--name ${o.name} has ${o.name.length} characters; at most ${MAX_ROLLINGBOUNCE_NAME}: each member NodeBounce carries it as a label value`,
        ExitCode.Usage,
      );
    const { client, namespace } = connect(o);
    const spec: RollingBounceSpec = {
      members: o.selector ? { selector: parseSelector(o.selector) } : { podNames: pods },
    };
    if (o.maxUnavailable)
      spec.maxUnavailable = /^\d+$/.test(o.maxUnavailable) ? Number(o.maxUnavailable) : o.maxUnavailable;
    if (o.last) spec.last = parseSelector(o.last);
    if (o.reverse) spec.order = 'reverse';
    if (o.settle !== undefined) spec.settleSeconds = o.settle;
    if (o.stable !== undefined || o.healthyStates || o.prometheusEndpoint || o.prometheusQuery) {
      if (!!o.prometheusEndpoint !== !!o.prometheusQuery)
        throw new CliError('--prometheus-endpoint and --prometheus-query go together', ExitCode.Usage);
      spec.healthGate = {
        ...(o.stable !== undefined ? { stableSeconds: o.stable } : {}),
        ...(o.healthyStates
          ? {
              healthyStates: o.healthyStates
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean),
            }
          : {}),
        ...(o.prometheusEndpoint ? { prometheus: { endpoint: o.prometheusEndpoint, query: o.prometheusQuery! } } : {}),
      };
    }
    if (o.maxFailures !== undefined) spec.maxFailures = o.maxFailures;
    if (o.force || o.reason || o.mode)
      spec.bounceTemplate = {
        ...(o.force ? { force: true } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
        ...(o.mode ? { mode: o.mode } : {}),
      };
    if (o.dryRun) spec.dryRun = true;
    if (o.paused) spec.paused = true;
    // Like a single bounce: pods that are not there are reported before anything is created.
    const missing: string[] = [];
    for (const pod of pods) if ((await client.checkPod(namespace, pod)) === 'NotFound') missing.push(pod);
    if (missing.length > 0)
      throw new CliError(
        `${missing.length === 1 ? 'pod' : 'pods'} ${missing.map((p) => `"${p}"`).join(', ')} not found in namespace ${namespace}; nothing was created`,
      );
    const created = await client.createRollingBounce(
      namespace,
      spec,
      o.name ? { name: o.name } : { generateName: 'rollout-' },
    );
    const name = created.metadata.name;
    const format = o.output as OutputFormat | undefined;
    const wait = o.wait ?? !!io.stdout.isTTY;
    if (!wait) {
      out(format ? render(created, format) : `rollingbounce.bounce.express.dev/${name} created\n`);
      return ExitCode.Ok;
    }
    return followRollout(
      namespace,
      name,
      format,
      o.timeout,
      `RollingBounce ${namespace}/${name} created${spec.dryRun ? ' (dry run)' : ''}.`,
    );
  }

  /** Follows a RollingBounce until it finishes: a live full-screen table on a terminal, one line per change otherwise. */
  async function followRollout(
    namespace: string,
    name: string,
    format: OutputFormat | undefined,
    timeoutMs: number | undefined,
    intro: string,
  ): Promise<number> {
    const { client } = connect({ ...lastCommon });
    const progress = format ? io.stderr : io.stdout;
    const live = canDrawLive(progress, io.env);
    const introLine = `${intro === 'Watching' ? `Watching RollingBounce ${namespace}/${name}.` : intro} Following it; Ctrl-C stops following, the rollout goes on.`;
    // On a terminal the intro is the frame's first line, so all that stays on the screen afterwards is printed when
    // the live view ends (a terminal may drop or rewrap what was there before, e.g. on a resize).
    const screen = live ? new LiveScreen(progress) : undefined;
    if (!screen) progress.write(`${introLine}\n`);
    let interrupted = false;
    let wake: (() => void) | undefined;
    const onSigint = () => {
      interrupted = true;
      wake?.();
    };
    io.signals.on('SIGINT', onSigint);
    const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : undefined;
    let lastShown = '';
    let rb: RollingBounce;
    try {
      for (;;) {
        rb = await client.getRollingBounce(namespace, name).catch((e) => {
          if (e instanceof CliError && /not found/.test(e.message))
            throw new CliError(`RollingBounce ${namespace}/${name} was deleted before it finished`);
          throw e;
        });
        const st = rb.status;
        if (screen) screen.draw([introLine, ...rolloutFrame(rb)]);
        else {
          const line = rolloutFrame(rb)[0]!;
          // Without a terminal: one line per change of phase, reason, progress or message (no countdown).
          const key = `${st?.phase}/${st?.reason}/${st?.progress}/${st?.message}`;
          if (key !== lastShown) progress.write(`${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')} ${line}\n`);
          lastShown = key;
        }
        const finished =
          (st?.phase === 'Succeeded' || st?.phase === 'Failed') &&
          !(st.members ?? []).some((m) => m.phase === 'InProgress');
        if (finished) break;
        if (interrupted) {
          screen?.close();
          err(
            `Stopped following RollingBounce ${namespace}/${name}; the rollout goes on: kubectl nodebounce watch rb/${name} -n ${namespace}\n`,
          );
          return ExitCode.Interrupted;
        }
        if (deadline !== undefined && Date.now() > deadline) {
          screen?.close();
          err(
            `error: timed out after ${humanDuration(timeoutMs ?? 0)} waiting for RollingBounce ${namespace}/${name} (${st?.phase ?? 'Pending'} ${st?.progress ?? ''}); the rollout goes on: kubectl nodebounce watch rb/${name} -n ${namespace}\n`,
          );
          return ExitCode.Timeout;
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, 1000);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        wake = undefined;
      }
    } finally {
      io.signals.off('SIGINT', onSigint);
      screen?.close();
    }
    if (format) out(render(rb, format));
    if (!screen && !format)
      out(`${rb.spec.dryRun && rb.status?.plan ? planTable(rb.status.plan) : membersTable(rb)}\n`);
    if (rb.status?.phase === 'Succeeded') return ExitCode.Ok;
    err(
      `error: rollout ${namespace}/${name} failed: ${rb.status?.reason ?? ''}: ${forCli(rb.status?.message ?? '')}\n`,
    );
    return ExitCode.BounceFailed;
  }

  async function bounce(pod: string, o: BounceOptions): Promise<number> {
    const { client, namespace } = connect(o);
    const format = o.output as OutputFormat | undefined;
    // Say so right away instead of creating a request that can only fail with PodNotFound. When we may not
    // read pods (403), go ahead: the operator checks anyway.
    if ((await client.checkPod(namespace, pod)) === 'NotFound')
      throw new CliError(`pod "${pod}" not found in namespace ${namespace}`);
    const spec: NodeBounceSpec = { podName: pod };
    if (o.force) spec.force = true;
    if (o.reason) spec.reason = o.reason;
    if (o.mode) spec.mode = o.mode;
    if (o.dryRun) spec.dryRun = true;
    if (o.gracePeriod !== undefined) spec.gracePeriodSeconds = o.gracePeriod;
    if (o.terminationTimeout !== undefined) spec.terminationTimeoutSeconds = o.terminationTimeout;
    if (o.readyTimeout !== undefined) spec.readyTimeoutSeconds = o.readyTimeout;
    if (o.ttl !== undefined) spec.ttlSecondsAfterFinished = o.ttl;
    const nb = await client.create(namespace, spec, `${pod.slice(0, 57)}-`);
    const { name } = nb.metadata;
    const ref = `${RESOURCE}/${name}`;

    const wait = o.wait ?? !!io.stdout.isTTY;
    if (!wait) {
      if (format) out(render(nb, format));
      else out(`${ref} created\n`);
      return ExitCode.Ok;
    }
    return followBounce(nb, pod, format, o.timeout, spec.dryRun ? 'created (dry run)' : 'created');
  }

  /** Follows a NodeBounce until it finishes (or --timeout, Ctrl-C): `bounce --wait` and `watch`. */
  async function followBounce(
    nb: NodeBounce,
    pod: string,
    format: OutputFormat | undefined,
    timeoutMs: number | undefined,
    how: 'created' | 'created (dry run)' | 'Watching',
  ): Promise<number> {
    const { client } = connect({ ...lastCommon });
    const { name, namespace } = nb.metadata;
    const ref = `${RESOURCE}/${name}`;
    const statusHint = `kubectl nodebounce status ${name} -n ${namespace}`;
    // Progress goes to stdout, or to stderr when stdout carries -o json|yaml.
    const progress = format ? io.stderr : io.stdout;
    const tty = canDrawLive(progress, io.env);
    const useColor = tty && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
    const display: Display = tty
      ? new TtyDisplay(progress, { color: useColor })
      : format
        ? new SilentDisplay()
        : new PlainDisplay(progress);
    if (tty)
      progress.write(
        `${how === 'Watching' ? `Watching NodeBounce ${namespace}/${name} of pod ${pod}` : `NodeBounce ${namespace}/${name} ${how.replace('created', 'created for pod ' + pod)}`}. Following it; Ctrl-C stops following, the bounce goes on.\n`,
      );
    else if (!format) progress.write(how === 'Watching' ? `Watching ${ref}\n` : `${ref} created\n`);

    const result = await follow({ client, initial: nb, display, timeoutMs, signals: io.signals });
    const last = result.nb;
    const st = last.status;
    const took =
      st?.startTime && st.completionTime
        ? humanDuration(new Date(st.completionTime).getTime() - new Date(st.startTime).getTime())
        : undefined;
    if (format && (result.kind === 'Finished' || result.kind === 'TimedOut' || result.kind === 'Interrupted'))
      out(render(last, format));
    switch (result.kind) {
      case 'Finished':
        if (st?.phase === 'Succeeded') {
          if (tty) {
            const what =
              st.reason === 'DryRunPassed'
                ? 'Dry run passed: every check passed, nothing was touched'
                : `Pod ${pod} restarted`;
            progress.write(
              `${useColor ? '\x1b[32m✔\x1b[0m' : '✔'} ${what}${took ? ` in ${took}` : ''} (NodeBounce ${namespace}/${name}).\n`,
            );
          }
          return ExitCode.Ok;
        }
        err(
          `error: bounce of pod ${pod} failed${took ? ` after ${took}` : ''}: ${st?.reason ?? 'Unknown'}: ${forCli(st?.message ?? '')} (NodeBounce ${namespace}/${name})\n`,
        );
        return ExitCode.BounceFailed;
      case 'Interrupted':
        err(
          `\nStopped following NodeBounce ${namespace}/${name} (${st?.phase ?? 'Pending'}${st?.reason ? `/${st.reason}` : ''}). The bounce goes on; check it with: ${statusHint}\n`,
        );
        return ExitCode.Interrupted;
      case 'TimedOut':
        err(
          `error: timed out after ${humanDuration(timeoutMs ?? 0)} waiting for NodeBounce ${namespace}/${name} (still ${st?.phase ?? 'Pending'}${st?.reason ? `/${st.reason}` : ''}). The bounce goes on; check it with: ${statusHint}\n`,
        );
        return ExitCode.Timeout;
      case 'Deleted':
        err(
          `error: NodeBounce ${namespace}/${name} was deleted before it finished (last seen ${st?.phase ?? 'Pending'}${st?.reason ? `/${st.reason}` : ''})\n`,
        );
        return ExitCode.Error;
    }
  }

  try {
    if (argv[0] === '__complete')
      return await complete(program, argv.slice(1), { out, connect: () => connect(lastCommon) });
    const commands = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    const valueFlags = program.commands
      .flatMap((c) => c.options)
      .filter((opt) => opt.required || opt.optional)
      .flatMap((opt) => [opt.short, opt.long])
      .filter((f): f is string => !!f);
    await program.parseAsync(normalizeArgv(argv, commands, new Set(valueFlags)), { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message (or the help / version).
      return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (e instanceof CliError) {
      err(`error: ${e.message}\n`);
      return e.exitCode;
    }
    err(`error: ${(e as Error)?.message ?? String(e)}\n`);
    return ExitCode.Error;
  }
}
