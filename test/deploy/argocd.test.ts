// deploy/argocd on Argo CD itself: every health fixture and every resource action runs through the real `argocd`
// binary (TOOL_VERSIONS.argocd, built from the Go module proxy by test/harness/tools.ts) with the shipped
// deploy/argocd/argocd-cm.yaml: `argocd admin settings resource-overrides health | list-actions | run-action`.
// See docs/adr/0009-argocd-real-binary.md (it retired the stand-alone gopher-lua runner of ADR 0003).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACTIONS, ARGOCD_CM, HEALTH_CHECKS, FIX_COMMAND, renderArgocdCm } from '../../scripts/argocd-cm.js';
import { DEPLOY_DIR, REPO_ROOT, ensureTool } from '../harness/index.js';

const exec = promisify(execFile);
const ARGO = join(DEPLOY_DIR, 'argocd');

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}
interface ActionTests {
  discoveryTests: Array<{ inputPath: string; result: Array<{ name: string; disabled: boolean }> }>;
  actionTests: Array<{
    action: string;
    inputPath: string;
    operation: 'create' | 'patch';
    parameters?: Record<string, string>;
    expectedOutputPath: string;
  }>;
}

let argocd: string;
let tmp: string;
beforeAll(async () => {
  // Cold: `go mod download` + `go build` of Argo CD (see test/harness/tools.ts); cached afterwards.
  argocd = await ensureTool('argocd');
  tmp = mkdtempSync(join(tmpdir(), 'argocd-deploy-'));
}, 90 * 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `argocd admin settings resource-overrides <args> --argocd-cm-path <cm>`; stdout, or the failure. */
async function overrides(args: string[], cm = ARGOCD_CM): Promise<string> {
  const { stdout } = await exec(argocd, ['admin', 'settings', 'resource-overrides', ...args, '--argocd-cm-path', cm], {
    timeout: 60_000,
    env: { ...process.env, HOME: tmp },
  });
  return stdout;
}

async function health(inputPath: string, cm = ARGOCD_CM): Promise<{ status: string; message: string }> {
  const out = await overrides(['health', inputPath], cm);
  const status = /^STATUS: (.*)$/m.exec(out)?.[1];
  const message = /^MESSAGE: (.*)$/m.exec(out)?.[1];
  if (status === undefined || message === undefined) throw new Error(`unexpected argocd output:\n${out}`);
  return { status, message };
}

/** argocd-cm.yaml plus `resource.customizations.useOpenLibs.<key>: true` for every health check. */
function openLibsCm(): string {
  const cm = parse(readFileSync(ARGOCD_CM, 'utf8'));
  for (const key of Object.keys(HEALTH_CHECKS)) cm.data[`resource.customizations.useOpenLibs.${key}`] = 'true';
  const path = join(tmp, 'argocd-cm-open-libs.yaml');
  writeFileSync(path, stringify(cm));
  return path;
}

const healthSuites = [
  { dir: ARGO, kind: 'NodeBounce', crd: 'bounce.express.dev_nodebounces.yaml' },
  { dir: join(ARGO, 'rollingbounce'), kind: 'RollingBounce', crd: 'bounce.express.dev_rollingbounces.yaml' },
];

for (const suite of healthSuites) {
  const tests = (parse(readFileSync(join(suite.dir, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
  const load = (p: string) => parse(readFileSync(join(suite.dir, p), 'utf8')) as Record<string, any>;

  describe(`${suite.kind} health in argocd (argocd-cm.yaml)`, () => {
    it.each(tests.map((t) => [t.inputPath, t] as const))('%s', async (path, t) => {
      expect(await health(join(suite.dir, path))).toEqual(t.healthStatus);
    });

    it('has a fixture for every phase of the CRD, and for a missing status', () => {
      const crd = parse(readFileSync(join(REPO_ROOT, 'crds', suite.crd), 'utf8'));
      const phases: string[] = crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.phase.enum;
      const covered = new Set(tests.map((t) => load(t.inputPath).status?.phase ?? '(none)'));
      for (const p of [...phases, '(none)']) expect(covered, p).toContain(p);
    });

    it('gives the same results with all Lua libraries open (resource.customizations.useOpenLibs)', async () => {
      const cm = openLibsCm();
      for (const t of tests)
        expect(await health(join(suite.dir, t.inputPath), cm), t.inputPath).toEqual(t.healthStatus);
    });
  });
}

describe('resource actions in argocd (argocd-cm.yaml)', () => {
  for (const [key, { dir }] of Object.entries(ACTIONS)) {
    const base = join(ARGO, dir);
    const spec = parse(readFileSync(join(base, 'action_test.yaml'), 'utf8')) as ActionTests;

    it.each(spec.discoveryTests.map((t) => [key, t.inputPath, t] as const))(
      '%s: list-actions %s',
      async (_k, path, t) => {
        const out = await overrides(['list-actions', join(base, path)]);
        const rows = out
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.trim().split(/\s+/))
          .map(([name, disabled]) => ({ name, disabled: disabled === 'true' }));
        expect(rows).toEqual(t.result);
      },
    );

    it.each(spec.actionTests.map((t) => [key, t.action, t.inputPath, t] as const))(
      '%s: run-action %s on %s',
      async (_k, action, path, t) => {
        const params = Object.entries(t.parameters ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
        const out = await overrides(['run-action', join(base, path), action, ...params]);
        const expected = parse(readFileSync(join(base, t.expectedOutputPath), 'utf8'));
        if (t.operation === 'create') {
          const marker = 'Following resource was created:\n';
          expect(out).toContain(marker);
          expect(parse(out.slice(out.indexOf(marker) + marker.length))).toEqual(expected);
        } else {
          // A patch prints a diff of the source object; its changed lines must be exactly the expected change.
          expect(out).toContain('Following fields have been changed:');
          const before = stringify(parse(readFileSync(join(base, path), 'utf8'))).split('\n');
          const after = stringify(expected).split('\n');
          const added = after.filter((l) => !before.includes(l)).map((l) => l.trim());
          const removed = before.filter((l) => !after.includes(l)).map((l) => l.trim());
          const diff = out.split('\n');
          // argocd prints `diff` output: `> ` added lines, `< ` removed ones.
          const plus = diff.filter((l) => l.startsWith('> ')).map((l) => l.slice(2).trim());
          const minus = diff.filter((l) => l.startsWith('< ')).map((l) => l.slice(2).trim());
          expect(plus.length + minus.length).toBeGreaterThan(0);
          expect(plus).toEqual(added);
          expect(minus).toEqual(removed);
        }
      },
    );
  }

  it('a NodeBounce has no action (nothing that could bounce the pod a second time)', async () => {
    const out = await overrides(['list-actions', join(ARGO, 'testdata', 'succeeded.yaml')]);
    expect(out).toMatch(/Actions are not configured for 'bounce.express.dev\/NodeBounce'/);
  });
});

describe('deploy/argocd/argocd-cm.yaml', () => {
  it(`is generated from the Lua files (${FIX_COMMAND})`, () => {
    expect(readFileSync(ARGOCD_CM, 'utf8')).toBe(renderArgocdCm());
  });

  it('carries each script verbatim under the key Argo CD looks up for its kind', () => {
    const cm = parse(readFileSync(ARGOCD_CM, 'utf8'));
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
    for (const [key, file] of Object.entries(HEALTH_CHECKS)) {
      expect(cm.data[`resource.customizations.health.${key}`]).toBe(readFileSync(join(ARGO, file), 'utf8'));
    }
    for (const [key, { dir, actions }] of Object.entries(ACTIONS)) {
      const value = parse(cm.data[`resource.customizations.actions.${key}`]);
      expect(value['discovery.lua']).toBe(readFileSync(join(ARGO, dir, 'discovery.lua'), 'utf8'));
      expect(value.definitions.map((d: { name: string }) => d.name)).toEqual(actions);
      for (const d of value.definitions) {
        expect(d['action.lua']).toBe(readFileSync(join(ARGO, dir, d.name, 'action.lua'), 'utf8'));
      }
    }
  });
});
