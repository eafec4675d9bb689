// Checks of deploy/ files that need no rendering tool: the Prometheus alert rules, the Dockerfile and
// .dockerignore (no Docker engine here, so the image can't be built: these keep it consistent with the repo),
// and the kind e2e script.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { REPO_ROOT } from '../harness/index.js';
import { LICENSES_FILE, OPERATOR_BUNDLE } from '../../scripts/bundle.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');

// The metric names issue 4 (section 5) fixes.
const METRICS = [
  'nodebounce_bounces_total',
  'nodebounce_bounce_duration_seconds',
  'nodebounce_active_bounces',
  'nodebounce_protection_unrestored',
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'controller_runtime_reconcile_time_seconds',
  'workqueue_depth',
  'leader_election_master_status',
  'up',
];

describe('deploy/prometheus/alerts.yaml', () => {
  const rule = parse(read('deploy/prometheus/alerts.yaml'));
  const rules: any[] = rule.spec.groups.flatMap((g: any) => g.rules);

  it('is a PrometheusRule whose alerts are complete', () => {
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^NodeBounce[A-Za-z]+$/);
      expect(typeof r.expr).toBe('string');
      expect(['warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smh]$/);
    }
  });

  it('covers failing bounces, a bounce active too long, reconcile errors, operator down and no leader', () => {
    const exprs = rules.map((r) => r.expr as string).join('\n');
    expect(exprs).toContain('nodebounce_bounces_total{result="failed"}');
    expect(exprs).toContain('nodebounce_active_bounces');
    expect(exprs).toContain('nodebounce_protection_unrestored');
    expect(exprs).toContain('controller_runtime_reconcile_errors_total');
    expect(exprs).toContain('leader_election_master_status');
    expect(exprs).toMatch(/absent\(up\{/);
  });

  it("parses with Prometheus' own PromQL grammar and uses only metric names the operator exports", () => {
    const exported = existsSync(join(REPO_ROOT, 'src/observability/metrics.ts'))
      ? read('src/observability/metrics.ts')
      : undefined;
    for (const r of rules) {
      const expr: string = r.expr;
      const tree = promql.parse(expr);
      const errors: number[] = [];
      const metrics: string[] = [];
      tree.iterate({
        enter: (n) => {
          if (n.type.isError) errors.push(n.from);
          // The metric name of a vector selector is its Identifier child.
          if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector')
            metrics.push(expr.slice(n.from, n.to));
        },
      });
      expect(errors, `${r.alert}: syntax error in ${expr}`).toEqual([]);
      expect(metrics.length, r.alert).toBeGreaterThan(0);
      for (const m of metrics) {
        expect(METRICS, `${r.alert}: ${m}`).toContain(m);
        // When the metrics module exists, the name must be registered there (not `up`, Prometheus' own).
        if (exported && m !== 'up') expect(exported, `${m} in src/observability/metrics.ts`).toContain(`'${m}'`);
      }
    }
    // The check is live: a broken expression has error nodes.
    let broken = false;
    promql.parse('sum(rate(x[5m]) > ').iterate({ enter: (n) => void (n.type.isError && (broken = true)) });
    expect(broken).toBe(true);
  });
});

describe('Dockerfile', () => {
  const df = read('Dockerfile');
  const stages = [...df.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({ image: m[1]!, name: m[2] }));
  const lastStage = df.slice(df.lastIndexOf('\nFROM '));

  it('builds in one stage and runs the bundle alone on a small runtime base, as non-root', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // The bases are build args (the e2e tier passes local equivalents); their defaults are the public images.
    expect(stages.at(-1)!.image).toBe('${RUNTIME_IMAGE}');
    expect(df).toMatch(/^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs\$\{NODE_MAJOR\}-debian12:nonroot$/m);
    expect(df).toMatch(/^ARG BUILD_IMAGE=node:\$\{NODE_MAJOR\}-bookworm-slim$/m);
    expect(df).toMatch(/RUN npm ci\b[^\n]*\n/);
    expect(df).toMatch(/RUN npm run build/);
    expect(lastStage).toMatch(/^USER 65532:65532$/m);
    expect(lastStage).not.toMatch(/^RUN /m); // distroless has no shell
    // The runtime stage runs the esbuild bundle with its source map (scripts/bundle.ts), which holds every
    // dependency: no node_modules, and no package.json (.mjs is an ES module by its name).
    expect(lastStage).toMatch(/^CMD \["--enable-source-maps", "dist\/nodebounce-operator\.mjs"\]$/m);
    expect(OPERATOR_BUNDLE).toBe('dist/nodebounce-operator.mjs');
    // COPY --from=build /app/dist/<file> ... ./dist/: the bundle, its map and the bundled packages' licences.
    const copied = [...lastStage.matchAll(/^COPY --from=build (.+) \.\/dist\/$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copied.sort()).toEqual(
      [OPERATOR_BUNDLE, `${OPERATOR_BUNDLE}.map`, LICENSES_FILE].map((f) => `/app/${f}`).sort(),
    );
    expect(lastStage).not.toMatch(/node_modules|package\.json/);
    expect(lastStage.match(/^COPY /gm)).toHaveLength(1);
  });

  it('builds the bundle where the runtime stage expects it (npm run build: tsc, then scripts/bundle.ts)', () => {
    const cfg = JSON.parse(read('tsconfig.build.json'));
    expect(cfg.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(REPO_ROOT, 'src/main.ts'))).toBe(true);
    expect(JSON.parse(read('package.json'))).toMatchObject({
      type: 'module',
      scripts: {
        build: 'tsc -p tsconfig.build.json && tsx scripts/bundle.ts',
        start: `npm run build && node --enable-source-maps ${OPERATOR_BUNDLE}`,
      },
    });
    // The build stage has what `npm run build` reads.
    expect(df).toMatch(/^COPY scripts\/bundle\.ts \.\/scripts\/bundle\.ts$/m);
  });

  it('sends every file the COPY lines need through .dockerignore', () => {
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    expect(read('.dockerignore')).toMatch(/^\*$/m);
    const sources = [...df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)]
      .flatMap((m) => m[1]!.split(/\s+/))
      .map((s) => s.replace(/\/$/, ''));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(allowed, s).toContain(s);
      expect(existsSync(join(REPO_ROOT, s)), s).toBe(true);
    }
  });
});

describe('test/e2e/kind', () => {
  it('run.sh is strict bash that skips cleanly without docker or kind', () => {
    const sh = read('test/e2e/kind/run.sh');
    expect(sh.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(sh).toMatch(/^set -euo pipefail$/m);
    expect(sh).toMatch(/^for tool in docker kind kubectl; do\n\s+if ! command -v "\$tool"/m);
    expect(sh).toMatch(/docker info/);
    expect(sh).toMatch(/kind delete cluster/);
  });
});
