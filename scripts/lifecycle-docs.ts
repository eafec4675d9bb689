// Renders the NodeBounce lifecycle (src/bounce/lifecycle.ts) into the docs: a Mermaid state diagram, the
// transitions table and the reasons table, each between <!-- lifecycle-<part>:begin/end --> markers. Pure, so
// the unit test can compare the committed files with what this would write.
import { REASONS, TRANSITIONS, isTerminalReason, type StatusReason } from '../src/bounce/lifecycle.js';
import { ROLLOUT_REASONS, ROLLOUT_TRANSITIONS, type RolloutReason } from '../src/rollout/lifecycle.js';

export const FILES = ['README.md', 'docs/api.md', 'docs/rollingbounce.md'] as const;
export const FIX_COMMAND = 'npm run docs:lifecycle';
const NOTE = `<!-- generated from src/bounce/lifecycle.ts by \`${FIX_COMMAND}\`; edit the table there, not here -->`;

type Part = 'diagram' | 'transitions' | 'reasons' | 'rollout_diagram' | 'rollout_transitions' | 'rollout_reasons';
const ROLLOUT_NOTE = `<!-- generated from src/rollout/lifecycle.ts by \`${FIX_COMMAND}\`; edit the table there, not here -->`;

const cell = (s: string) => s.replace(/\|/g, '\\|');
const node = (s: string) => (s === 'New' ? '[*]' : s);

function diagram(): string {
  // One arrow per (from, to) pair, labelled with all its reasons, in table order.
  const edges = new Map<string, string[]>();
  for (const rule of TRANSITIONS) {
    for (const from of rule.from) {
      const k = `${node(from)} --> ${rule.to}`;
      edges.set(k, [...(edges.get(k) ?? []), ...rule.reasons.filter((r) => !edges.get(k)?.includes(r))]);
    }
  }
  const lines = [...edges].map(([k, reasons]) => `    ${k}: ${reasons.join(', ')}`);
  return ['```mermaid', 'stateDiagram-v2', ...lines, '    Succeeded --> [*]', '    Failed --> [*]', '```'].join('\n');
}

function transitionsTable(): string {
  const rows = TRANSITIONS.map(
    (t) =>
      `| ${t.from.map((f) => (f === 'New' ? '(new)' : f)).join(', ')} | ${t.to} | ${t.reasons.map((r) => `\`${r}\``).join(', ')} | ${cell(t.trigger)} |`,
  );
  return ['| from | to | reason | when |', '|---|---|---|---|', ...rows].join('\n');
}

function reasonsTable(): string {
  const rows = (Object.keys(REASONS) as StatusReason[]).map((r) => {
    const info = REASONS[r];
    return `| \`${r}\` | ${info.phase} | ${isTerminalReason(r) ? 'yes' : 'no'} | ${cell(info.meaning)} | ${cell(info.action || '—')} |`;
  });
  return ['| reason | phase | terminal | meaning | what to do |', '|---|---|---|---|---|', ...rows].join('\n');
}

function rolloutDiagram(): string {
  const edges = new Map<string, string[]>();
  for (const rule of ROLLOUT_TRANSITIONS) {
    for (const from of rule.from) {
      if (from === rule.to) continue;
      const k = `${node(from)} --> ${rule.to}`;
      edges.set(k, [...(edges.get(k) ?? []), ...rule.reasons.filter((r) => !edges.get(k)?.includes(r))]);
    }
  }
  const lines = [...edges].map(([k, reasons]) => `    ${k}: ${reasons.join(', ')}`);
  return ['```mermaid', 'stateDiagram-v2', ...lines, '    Succeeded --> [*]', '    Failed --> [*]', '```'].join('\n');
}

function rolloutTransitionsTable(): string {
  const rows = ROLLOUT_TRANSITIONS.map(
    (t) =>
      `| ${t.from.map((f) => (f === 'New' ? '(new)' : f)).join(', ')} | ${t.to} | ${t.reasons.map((r) => `\`${r}\``).join(', ')} | ${cell(t.trigger)} |`,
  );
  return ['| from | to | reason | when |', '|---|---|---|---|', ...rows].join('\n');
}

function rolloutReasonsTable(): string {
  const rows = (Object.keys(ROLLOUT_REASONS) as RolloutReason[]).map((r) => {
    const info = ROLLOUT_REASONS[r];
    return `| \`${r}\` | ${info.phase} | ${cell(info.meaning)} | ${cell(info.action || '—')} |`;
  });
  return ['| reason | phase | meaning | what to do |', '|---|---|---|---|', ...rows].join('\n');
}

const RENDER: Record<Part, () => string> = {
  diagram,
  transitions: transitionsTable,
  reasons: reasonsTable,
  rollout_diagram: rolloutDiagram,
  rollout_transitions: rolloutTransitionsTable,
  rollout_reasons: rolloutReasonsTable,
};

/** The text with every marker block re-rendered; throws when a file has no block at all or a block is unclosed. */
export function renderLifecycleBlocks(text: string, file: string): string {
  let found = 0;
  const out = text.replace(/<!-- lifecycle-(\w+):begin -->\n[\s\S]*?<!-- lifecycle-\1:end -->/g, (_m, part: string) => {
    if (!(part in RENDER))
      throw new Error(`${file}: unknown lifecycle block "${part}" (known: ${Object.keys(RENDER).join(', ')})`);
    found++;
    const note = part.startsWith('rollout_') ? ROLLOUT_NOTE : NOTE;
    return `<!-- lifecycle-${part}:begin -->\n${note}\n\n${RENDER[part as Part]()}\n\n<!-- lifecycle-${part}:end -->`;
  });
  const begins = text.match(/<!-- lifecycle-\w+:begin -->/g)?.length ?? 0;
  if (found === 0 || found !== begins)
    throw new Error(`${file}: expected closed <!-- lifecycle-<part>:begin/end --> blocks, found ${found} of ${begins}`);
  return out;
}
