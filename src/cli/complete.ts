// `kubectl-nodebounce __complete <words...>`: shell completion for kubectl's plugin completion (kubectl >= 1.26
// runs kubectl_complete-nodebounce, which calls this). Prints one candidate per line, then `:4` (Cobra's
// ShellCompDirectiveNoFileComp: no file names). The words are those after `kubectl nodebounce`; the last one is
// the word being completed (empty after a space). Names come from the cluster with the CLI's short request
// deadline; when that fails there are just no names.
import type { Command } from 'commander';
import type { NodeBounceClient } from './kube.js';

const NO_FILE_COMP = 4;

export interface CompleteDeps {
  out(s: string): void;
  connect(): { client: NodeBounceClient; namespace: string };
}

/** What to offer for the word being completed, given the words before it. */
export function staticCandidates(program: Command, words: readonly string[]): string[] | 'names' | 'pods' {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const commands = program.commands.filter((c) => c.name() !== '__complete');
  const sub = commands.find((c) => before.some((w) => w === c.name() || c.aliases().includes(w)));
  const prev = before.at(-1);
  const cmd = sub ?? commands.find((c) => c.name() === 'bounce')!;
  const option = prev ? cmd.options.find((o) => o.short === prev || o.long === prev) : undefined;
  if (option && (option.required || option.optional)) {
    const choices = (option as { argChoices?: string[] }).argChoices;
    return (choices ?? []).filter((c) => c.startsWith(current));
  }
  if (current.startsWith('-'))
    return cmd.options
      .flatMap((o) => [o.long, o.short])
      .filter((f): f is string => !!f && f.startsWith(current))
      .sort();
  if (!sub) {
    // First word: a subcommand, or a pod (bounce is the default). A flag's value (`-n ns`) is not a word here.
    if (positionals(cmd, before).length) return [];
    return 'pods';
  }
  if (['status', 'watch', 'pause', 'resume'].includes(sub.name())) return 'names';
  if (sub.name() === 'rollout') return 'pods';
  return [];
}

export async function complete(program: Command, words: string[], deps: CompleteDeps): Promise<number> {
  const current = words.at(-1) ?? '';
  const what = staticCandidates(program, words.length ? words : ['']);
  let candidates: string[] = [];
  if (Array.isArray(what)) candidates = what;
  else {
    const namespace = namespaceOf(words);
    try {
      const { client, namespace: dflt } = deps.connect();
      const ns = namespace ?? dflt;
      if (what === 'pods') {
        candidates = await client.podNames(ns);
        if (words.length <= 1)
          candidates = [
            ...program.commands.map((c) => c.name()).filter((n) => n !== 'bounce' && n !== '__complete'),
            ...candidates,
          ];
      } else {
        const [nbs, rbs] = await Promise.all([
          client.list(ns).then((r) => r.items.map((i) => i.metadata.name)),
          client
            .listRollingBounces(ns)
            .then((r) => r.items.map((i) => `rb/${i.metadata.name}`))
            .catch(() => []),
        ]);
        candidates = [...nbs, ...rbs];
      }
    } catch {
      if (what === 'pods' && words.length <= 1)
        candidates = program.commands.map((c) => c.name()).filter((n) => n !== 'bounce' && n !== '__complete');
    }
    candidates = candidates.filter((c) => c.startsWith(current));
  }
  deps.out(`${candidates.join('\n')}${candidates.length ? '\n' : ''}:${NO_FILE_COMP}\n`);
  return 0;
}

/** The words that are not flags nor a flag's value (`-n ns`, `--output json`; `-o=json` is one word). */
function positionals(cmd: Command, words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('-')) out.push(w);
    else if (!w.includes('=')) {
      const o = cmd.options.find((opt) => opt.short === w || opt.long === w);
      if (o && (o.required || o.optional)) i++;
    }
  }
  return out;
}

function namespaceOf(words: readonly string[]): string | undefined {
  for (let i = 0; i < words.length - 1; i++) {
    const w = words[i]!;
    if (w === '-n' || w === '--namespace') return words[i + 1];
    const m = /^(?:-n=?|--namespace=)(.+)$/.exec(w);
    if (m) return m[1];
  }
  return undefined;
}
