// kubectl habits the command line accepts before commander parses it: a subcommand after the global flags
// (`-n ns list`), `-o=json`, and a mistyped subcommand named as such (with a suggestion) instead of being taken
// for a pod name.
import { CliError, ExitCode } from './errors.js';

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest subcommand within 2 edits (or a prefix of one), if any. */
export function suggest(word: string, commands: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of commands) {
    const d = name.startsWith(word) && word.length >= 2 ? 0 : editDistance(word, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * Rewrites argv for commander (`valueFlags`: the flags that take the next word as their value): `-x=value` becomes `-x value`; a subcommand found after leading global flags moves
 * to the front. Without a subcommand the default (bounce) takes exactly one pod: a first word that is not a
 * subcommand followed by more words is a mistyped subcommand, reported with the closest name.
 */
export function normalizeArgv(
  argv: readonly string[],
  commands: readonly string[],
  valueFlags: ReadonlySet<string>,
): string[] {
  const args = argv.flatMap((a) => {
    const m = /^(-[a-zA-Z])=(.*)$/.exec(a);
    return m ? [m[1]!, m[2]!] : [a];
  });
  const positionals: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      if (valueFlags.has(a)) i++;
      continue;
    }
    positionals.push(i);
  }
  const first = positionals[0];
  if (first === undefined) return args;
  const word = args[first]!;
  if (commands.includes(word)) {
    if (first === 0) return args;
    return [word, ...args.slice(0, first), ...args.slice(first + 1)];
  }
  if (positionals.length > 1) {
    const close = suggest(word, commands);
    throw new CliError(
      `unknown command "${word}"${close ? `; did you mean "${close}"?` : ''} (a bounce takes one pod name; run with --help for the commands)`,
      ExitCode.Usage,
    );
  }
  return args;
}
