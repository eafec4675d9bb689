// Helpers to check the Grafana dashboard (deploy/grafana/nodebounce-operator.json): its queries with Grafana's
// variables replaced by sample values, parsed with Prometheus' own PromQL grammar (@prometheus-io/lezer-promql).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { REPO_ROOT } from './index.js';

export const DASHBOARD_PATH = 'deploy/grafana/nodebounce-operator.json';

export function readDashboard(path = DASHBOARD_PATH): any {
  return JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8'));
}

/** Sample values for Grafana's built-in and the dashboard's own variables. */
export const SAMPLE_VARIABLES: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '30s',
  __range: '6h',
  datasource: 'prometheus',
  namespace: 'nodebounce-system',
  job: 'nodebounce-operator-metrics',
};

/** Replaces $name, ${name} and [[name]] with the sample values; throws on a variable it doesn't know. */
export function substituteVariables(expr: string, vars = SAMPLE_VARIABLES): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (m, a, b, c) => {
    const name = a ?? b ?? c;
    const v = vars[name];
    if (v === undefined) throw new Error(`unknown Grafana variable ${m} in ${expr}`);
    return v;
  });
}

export interface PromqlCheck {
  /** Offsets of syntax errors (empty: it parses). */
  errors: number[];
  /** Metric names of its vector selectors, as written (histograms with _bucket/_sum/_count). */
  metrics: string[];
  /** The text of every vector selector. */
  selectors: string[];
}

export function checkPromql(expr: string): PromqlCheck {
  const out: PromqlCheck = { errors: [], metrics: [], selectors: [] };
  promql.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) out.errors.push(n.from);
      if (n.name === 'VectorSelector') out.selectors.push(expr.slice(n.from, n.to));
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector')
        out.metrics.push(expr.slice(n.from, n.to));
    },
  });
  return out;
}

export interface DashboardQuery {
  /** Where: a panel title, or `variable <name>`. */
  where: string;
  /** As written in the dashboard. */
  raw: string;
  /** PromQL with the variables substituted. */
  expr: string;
}

/** Every PromQL expression of the dashboard: panel targets, and the selectors inside label_values() variables. */
export function dashboardQueries(d: any): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const panels = (d.panels ?? []).flatMap((p: any) => [p, ...(p.panels ?? [])]);
  for (const p of panels) {
    for (const t of p.targets ?? []) out.push({ where: p.title, raw: t.expr, expr: substituteVariables(t.expr) });
  }
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const def: string = typeof v.query === 'string' ? v.query : v.query.query;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(def);
    if (!m) throw new Error(`variable ${v.name}: expected label_values(selector, label), got ${def}`);
    out.push({ where: `variable ${v.name}`, raw: m[1]!, expr: substituteVariables(m[1]!) });
  }
  return out;
}

/** The metric names the dashboard's queries read. */
export function dashboardMetricNames(d: any): string[] {
  return [...new Set(dashboardQueries(d).flatMap((q) => checkPromql(q.expr).metrics))].sort();
}

export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** The vector selectors of an expression: metric name and label matchers. */
export function selectorsOf(expr: string): { metric: string; matchers: LabelMatcher[] }[] {
  const out: { metric: string; matchers: LabelMatcher[] }[] = [];
  promql.parse(expr).iterate({
    enter: (n) => {
      if (n.name !== 'VectorSelector') return;
      const sel = { metric: '', matchers: [] as LabelMatcher[] };
      const c = n.node.cursor();
      const text = (from: number, to: number) => expr.slice(from, to);
      const walk = (node: typeof n.node) => {
        for (let ch = node.firstChild; ch; ch = ch.nextSibling) {
          if (ch.name === 'Identifier') sel.metric = text(ch.from, ch.to);
          else if (ch.name === 'UnquotedLabelMatcher') {
            const name = ch.getChild('LabelName')!;
            const op = ch.getChild('MatchOp')!;
            const str = ch.getChild('StringLiteral')!;
            sel.matchers.push({
              name: text(name.from, name.to),
              op: text(op.from, op.to) as LabelMatcher['op'],
              value: JSON.parse(text(str.from, str.to)),
            });
          } else walk(ch);
        }
      };
      walk(c.node);
      out.push(sel);
    },
  });
  return out;
}

/** Samples of a Prometheus text exposition: name and labels. */
export function parseExposition(text: string): { name: string; labels: Record<string, string> }[] {
  const out: { name: string; labels: Record<string, string> }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels });
  }
  return out;
}

/** Whether a sample matches label matchers (PromQL semantics: a missing label is ""; regexes are anchored). */
export function matches(labels: Record<string, string>, matchers: LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}
