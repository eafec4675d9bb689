// kubectl-nodebounce: the command line. `run()` parses, does the work and returns the exit code;
// main.ts only wires it to the process.
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { NODEBOUNCE_GROUP, NODEBOUNCE_PLURAL, type BounceMode, type NodeBounceSpec } from '../api/nodebounce.js';
import { CliError, ExitCode } from './errors.js';
import {
  asList,
  durationSeconds,
  humanDuration,
  listTable,
  parseDuration,
  render,
  statusStory,
  type OutputFormat,
} from './format.js';
import { follow, PlainDisplay, SilentDisplay, TtyDisplay, type Display } from './follow.js';
import { defaultNamespace, loadKubeConfig, NodeBounceClient } from './kube.js';

export interface Stream {
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

function version(): string {
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

function withCommon(cmd: Command, formats: string[] = ['json', 'yaml']): Command {
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

  const connect = (o: CommonOptions) => {
    const kc = loadKubeConfig({ kubeconfig: o.kubeconfig, context: o.context, env: io.env });
    return { client: new NodeBounceClient(kc), namespace: o.namespace ?? defaultNamespace(kc) };
  };

  const program = new Command('kubectl-nodebounce')
    .usage('[bounce] <pod> [options] | list [options] | status <name> [options]')
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
      .description('list NodeBounces, with their duration')
      .option('-A, --all-namespaces', 'list across all namespaces'),
    ['json', 'yaml', 'wide'],
  ).action(async (o: CommonOptions & { allNamespaces?: boolean }) => {
    const { client, namespace } = connect(o);
    const ns = o.allNamespaces ? undefined : namespace;
    const { items, resourceVersion } = await client.list(ns);
    if (o.output === 'json' || o.output === 'yaml') return void out(render(asList(items, resourceVersion), o.output));
    if (items.length === 0)
      return void err(ns ? `No NodeBounces found in namespace ${ns}.\n` : 'No NodeBounces found.\n');
    out(`${listTable(items, { allNamespaces: !ns, wide: o.output === 'wide' })}\n`);
  });

  withCommon(
    program
      .command('status <name>')
      .description('the whole story of one NodeBounce: status, timeline, conditions, events'),
  ).action(async (name: string, o: CommonOptions) => {
    const { client, namespace } = connect(o);
    const nb = await client.get(namespace, name);
    if (o.output) return void out(render(nb, o.output as OutputFormat));
    const events = await client.events(namespace, name, nb.metadata.uid);
    out(`${statusStory(nb, events)}\n`);
  });

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
    const statusHint = `kubectl nodebounce status ${name} -n ${namespace}`;

    const wait = o.wait ?? !!io.stdout.isTTY;
    if (!wait) {
      if (format) out(render(nb, format));
      else out(`${ref} created\n`);
      return ExitCode.Ok;
    }

    // Progress goes to stdout, or to stderr when stdout carries -o json|yaml.
    const progress = format ? io.stderr : io.stdout;
    const tty = !!progress.isTTY;
    const useColor = tty && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
    const display: Display = tty
      ? new TtyDisplay(progress, { color: useColor })
      : format
        ? new SilentDisplay()
        : new PlainDisplay(progress);
    if (tty)
      progress.write(
        `NodeBounce ${namespace}/${name} created for pod ${pod}${spec.dryRun ? ' (dry run)' : ''}. Following it; Ctrl-C stops following, the bounce goes on.\n`,
      );
    else if (!format) progress.write(`${ref} created\n`);

    const result = await follow({ client, initial: nb, display, timeoutMs: o.timeout, signals: io.signals });
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
          `error: bounce of pod ${pod} failed${took ? ` after ${took}` : ''}: ${st?.reason ?? 'Unknown'}: ${st?.message ?? ''} (NodeBounce ${namespace}/${name})\n`,
        );
        return ExitCode.BounceFailed;
      case 'Interrupted':
        err(
          `\nStopped following NodeBounce ${namespace}/${name} (${st?.phase ?? 'Pending'}${st?.reason ? `/${st.reason}` : ''}). The bounce goes on; check it with: ${statusHint}\n`,
        );
        return ExitCode.Interrupted;
      case 'TimedOut':
        err(
          `error: timed out after ${humanDuration(o.timeout ?? 0)} waiting for NodeBounce ${namespace}/${name} (still ${st?.phase ?? 'Pending'}${st?.reason ? `/${st.reason}` : ''}). The bounce goes on; check it with: ${statusHint}\n`,
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
    await program.parseAsync(argv, { from: 'user' });
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
