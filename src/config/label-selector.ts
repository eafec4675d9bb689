/**
 * Label selector strings as the API server reads them (apimachinery `labels.Parse`): checked at start, so a bad
 * `podLabelSelector` stops start-up with its own message instead of a pod LIST that the API server refuses forever;
 * and matched, so a bounce of a pod the operator cannot watch is refused before anything is touched.
 *
 * Grammar: requirements separated by commas; each is `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key>n`, `key<n`,
 * `key in (v1,v2)` or `key notin (v1,v2)`.
 */

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INTEGER = /^-?[0-9]+$/;

export type SelectorOperator = 'exists' | 'doesNotExist' | 'in' | 'notin' | 'gt' | 'lt';

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** `in`/`notin`: the set (`=`/`==` is `in` one value, `!=` is `notin` one); `gt`/`lt`: the one integer. */
  values: string[];
}

export interface ParsedSelector {
  /** The selector as written (for messages). */
  text: string;
  requirements: SelectorRequirement[];
  /** One message per bad requirement; empty when the API server would accept the selector. */
  problems: string[];
}

export function parseLabelSelector(selector: string): ParsedSelector {
  const parts = splitRequirements(selector);
  if (parts === undefined) return { text: selector, requirements: [], problems: ['unbalanced parentheses'] };
  const requirements: SelectorRequirement[] = [];
  const problems: string[] = [];
  for (const raw of parts) {
    const text = raw.trim();
    if (text === '') {
      problems.push('empty requirement (two commas in a row, or a comma at either end)');
      continue;
    }
    const parsed = parseRequirement(text);
    if (parsed.problems.length) problems.push(...parsed.problems);
    else if (parsed.requirement) requirements.push(parsed.requirement);
  }
  return { text: selector, requirements, problems };
}

/** Problems with `selector`, one message each; empty when the API server would accept it. */
export function labelSelectorProblems(selector: string): string[] {
  return parseLabelSelector(selector).problems;
}

/** Whether `labels` satisfy every requirement (an empty selector matches everything), as the API server decides. */
export function selectorMatches(requirements: SelectorRequirement[], labels: Record<string, string> = {}): boolean {
  return requirements.every(({ key, operator, values }) => {
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const value = labels[key];
    switch (operator) {
      case 'exists':
        return has;
      case 'doesNotExist':
        return !has;
      case 'in':
        return has && values.includes(value ?? '');
      case 'notin':
        return !has || !values.includes(value ?? '');
      case 'gt':
      case 'lt': {
        if (!has || !INTEGER.test(value ?? '')) return false;
        const [n, bound] = [Number(value), Number(values[0])];
        return operator === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

/** Splits on commas outside parentheses; undefined when parentheses do not pair up. */
function splitRequirements(selector: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth < 0 || depth > 1) return undefined;
    if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(selector.slice(start));
  return parts;
}

function parseRequirement(text: string): { requirement?: SelectorRequirement; problems: string[] } {
  if (text.startsWith('!')) {
    const key = text.slice(1).trim();
    return { requirement: { key, operator: 'doesNotExist', values: [] }, problems: keyProblems(key, text) };
  }
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const [, key = '', op = 'in', list = ''] = set;
    // `()` is the set of the empty value, as the API server reads it (not an error).
    const values = list.split(',').map((v) => v.trim());
    const problems = keyProblems(key, text);
    for (const value of values) problems.push(...valueProblems(value, text));
    return { requirement: { key, operator: op === 'in' ? 'in' : 'notin', values }, problems };
  }
  const compare = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(text);
  if (compare) {
    const [, key = '', op = '=', value = ''] = compare;
    const problems = keyProblems(key, text);
    if (op === '>' || op === '<') {
      if (!INTEGER.test(value)) problems.push(`"${text}": ${op} needs an integer value`);
      return { requirement: { key, operator: op === '>' ? 'gt' : 'lt', values: [value] }, problems };
    }
    problems.push(...valueProblems(value, text));
    return { requirement: { key, operator: op === '!=' ? 'notin' : 'in', values: [value] }, problems };
  }
  if (/\s/.test(text)) {
    return { problems: [`"${text}": expected key, !key, key=value, key!=value, key in (...) or key notin (...)`] };
  }
  return { requirement: { key: text, operator: 'exists', values: [] }, problems: keyProblems(text, text) };
}

function keyProblems(key: string, context: string): string[] {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const problems: string[] = [];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    problems.push(`"${context}": key prefix "${prefix}" must be a DNS subdomain (lower case, at most 253 characters)`);
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    problems.push(
      `"${context}": key name "${name}" must be 1-63 characters of letters, digits, '-', '_' or '.', ` +
        'starting and ending with a letter or digit',
    );
  }
  return problems;
}

function valueProblems(value: string, context: string): string[] {
  if (value === '') return [];
  if (value.length > 63 || !NAME.test(value)) {
    return [
      `"${context}": value "${value}" must be at most 63 characters of letters, digits, '-', '_' or '.', ` +
        'starting and ending with a letter or digit',
    ];
  }
  return [];
}
