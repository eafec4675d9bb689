// deploy/argocd: the NodeBounce health check, run for real in Argo CD's Lua runtime (gopher-lua, Lua 5.1, with
// the libraries Argo CD opens for argocd-cm health checks) by test/tools/argocd-lua; see docs/adr/0003.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_DIR, REPO_ROOT, ensureTool } from '../harness/index.js';

const exec = promisify(execFile);
const ARGO = join(DEPLOY_DIR, 'argocd');
const HEALTH_LUA = join(ARGO, 'health.lua');

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}
interface LuaResult {
  status?: string;
  message?: string;
  error?: string;
}

let runner: string;
beforeAll(async () => {
  runner = await ensureTool('argocd-lua');
}, 10 * 60_000);

async function runHealth(objects: unknown[], script = HEALTH_LUA, openLibs = false): Promise<LuaResult[]> {
  const child = exec(runner, [...(openLibs ? ['-open-libs'] : []), script]);
  child.child.stdin!.end(JSON.stringify(objects));
  const { stdout } = await child;
  return JSON.parse(stdout) as LuaResult[];
}

const tests = (parse(readFileSync(join(ARGO, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
const load = (p: string) => parse(readFileSync(join(ARGO, p), 'utf8')) as Record<string, any>;

describe('deploy/argocd/health.lua', () => {
  it.each(tests.map((t) => [t.inputPath, t] as const))('%s', async (_path, t) => {
    const [res] = await runHealth([load(t.inputPath)]);
    expect(res).toEqual(t.healthStatus);
  });

  it('has a fixture for every phase of the CRD, and for a missing status', () => {
    const crd = parse(readFileSync(join(REPO_ROOT, 'crds', 'bounce.express.dev_nodebounces.yaml'), 'utf8'));
    const phases: string[] = crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.phase.enum;
    const covered = new Set(tests.map((t) => load(t.inputPath).status?.phase ?? '(none)'));
    for (const p of [...phases, '(none)']) expect(covered, p).toContain(p);
  });

  it('behaves the same with all standard libraries open (useOpenLibs: true)', async () => {
    const objs = tests.map((t) => load(t.inputPath));
    expect(await runHealth(objs, HEALTH_LUA, true)).toEqual(tests.map((t) => t.healthStatus));
  });

  it('the runner is faithful: no string library without useOpenLibs, invalid statuses become Unknown', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'argocd-lua-'));
    try {
      const usesString = join(dir, 'string.lua');
      writeFileSync(usesString, 'return { status = "Healthy", message = string.format("%d", 1) }');
      const [err] = await runHealth([{}], usesString);
      expect(err!.error).toMatch(/string/);
      const [ok] = await runHealth([{}], usesString, true);
      expect(ok).toEqual({ status: 'Healthy', message: '1' });
      const invalid = join(dir, 'invalid.lua');
      writeFileSync(invalid, 'return { status = "Fine" }');
      expect(await runHealth([{}], invalid)).toEqual([
        { status: 'Unknown', message: 'Lua returned an invalid health status' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const RB_DIR = join(ARGO, 'rollingbounce');
const RB_LUA = join(RB_DIR, 'health.lua');
const rbTests = (parse(readFileSync(join(RB_DIR, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
const loadRb = (p: string) => parse(readFileSync(join(RB_DIR, p), 'utf8')) as Record<string, any>;

describe('deploy/argocd/rollingbounce/health.lua', () => {
  it.each(rbTests.map((t) => [t.inputPath, t] as const))('%s', async (_path, t) => {
    const [res] = await runHealth([loadRb(t.inputPath)], RB_LUA);
    expect(res).toEqual(t.healthStatus);
  });

  it('has a fixture for every phase of the CRD (Paused is Suspended), and for a missing status', () => {
    const crd = parse(readFileSync(join(REPO_ROOT, 'crds', 'bounce.express.dev_rollingbounces.yaml'), 'utf8'));
    const phases: string[] = crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.phase.enum;
    const covered = new Set(rbTests.map((t) => loadRb(t.inputPath).status?.phase ?? '(none)'));
    for (const p of [...phases, '(none)']) expect(covered, p).toContain(p);
    expect(rbTests.find((t) => loadRb(t.inputPath).status?.phase === 'Paused')?.healthStatus.status).toBe('Suspended');
  });

  it('behaves the same with all standard libraries open', async () => {
    expect(
      await runHealth(
        rbTests.map((t) => loadRb(t.inputPath)),
        RB_LUA,
        true,
      ),
    ).toEqual(rbTests.map((t) => t.healthStatus));
  });
});

describe('deploy/argocd/argocd-cm.yaml', () => {
  it('carries each health.lua verbatim under the key Argo CD looks up for its kind', () => {
    const cm = parse(readFileSync(join(ARGO, 'argocd-cm.yaml'), 'utf8'));
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
    expect(Object.keys(cm.data)).toEqual([
      'resource.customizations.health.bounce.express.dev_NodeBounce',
      'resource.customizations.health.bounce.express.dev_RollingBounce',
    ]);
    expect(cm.data['resource.customizations.health.bounce.express.dev_NodeBounce']).toBe(
      readFileSync(HEALTH_LUA, 'utf8'),
    );
    expect(cm.data['resource.customizations.health.bounce.express.dev_RollingBounce']).toBe(
      readFileSync(RB_LUA, 'utf8'),
    );
  });
});
