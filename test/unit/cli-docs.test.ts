// docs/cli.md and friends say what the CLI does: checked against the CLI itself.
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/app.js';
import { MIN_NODE } from '../../src/cli/node-version.js';
import { parseAllDocuments } from 'yaml';
import { PLAYGROUND_NAMESPACE, playgroundCommands } from '../harness/playground.js';

const root = join(import.meta.dirname, '..', '..');
const doc = (f: string) => readFileSync(join(root, f), 'utf8');

async function help(): Promise<string> {
  let out = '';
  await run(['--help'], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => undefined },
    env: {},
    signals: new EventEmitter(),
  });
  return out;
}

describe('docs/cli.md', () => {
  const cli = doc('docs/cli.md');

  it('names every subcommand as a reserved pod name', async () => {
    const commands = [...(await help()).matchAll(/^ {2}([a-z]+)(?:\|([a-z]+))?(?= |$)/gm)].flatMap((m) =>
      [m[1]!, m[2]].filter((x): x is string => !!x),
    );
    expect(commands).toEqual(
      expect.arrayContaining(['bounce', 'list', 'ls', 'status', 'watch', 'rollout', 'pause', 'resume']),
    );
    const reserved = /literally named like a subcommand: ([^.]+)\./.exec(cli.replace(/\s+/g, ' '))![1]!;
    expect([...reserved.matchAll(/`([a-z]+)`/g)].map((m) => m[1]).sort()).toEqual([...commands].sort());
  });

  it('says which Node.js the npm way needs, and the three ways to install', () => {
    expect(cli).toContain(`Node.js >= ${MIN_NODE}`);
    expect(cli).toContain('npm run build:cli');
    expect(cli).toContain('kubectl krew install --manifest=dist/nodebounce.yaml');
    expect(cli).toContain('npm link');
  });

  it('a new user finds the playground and the standalone CLI; the commands it prints name what examples/ creates', () => {
    for (const f of ['README.md', 'docs/local-control-plane.md']) {
      expect(doc(f)).toContain('npm run cluster -- up --express 3');
      expect(doc(f)).toContain('npm run build:cli');
    }
    const examples = readdirSync(join(root, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(doc(`examples/${f}`)).map((d) => d.toJS() as Record<string, any>));
    for (const e of examples) expect(e.metadata.namespace).toBe(PLAYGROUND_NAMESPACE);
    const made = new Set(examples.map((e) => `${e.kind}/${e.metadata.name}`));
    const printed = playgroundCommands(PLAYGROUND_NAMESPACE, ['express-0', 'express-1']).join('\n');
    expect(printed).toContain('kubectl create -f examples/');
    const named = [...printed.matchAll(/\b(nb|rb)\/([a-z0-9-]+)/g)].map(
      ([, k, n]) => `${k === 'nb' ? 'NodeBounce' : 'RollingBounce'}/${n}`,
    );
    expect(named.length).toBeGreaterThan(0);
    for (const n of named) expect(made, n).toContain(n);
  });

  it("says a release must fill the krew manifest's URL and homepage, with the flags build:cli has", () => {
    const flat = cli.replace(/\s+/g, ' ');
    expect(flat).toContain('This project publishes no release yet, so the manifest names no download URL or homepage');
    expect(flat).toMatch(
      /npm run build:cli -- --release-url https:\S+\/kubectl-nodebounce-linux-amd64\.tar\.gz --homepage /,
    );
    // The flags as the script parses them (its command line).
    const script = readFileSync(join(root, 'scripts', 'build-cli.ts'), 'utf8');
    expect(script).toMatch(/'release-url': \{ type: 'string' \}, homepage: \{ type: 'string' \}/);
  });

  it("the users' RBAC covers RollingBounces too", () => {
    const rbac = /## RBAC for users\n\n```yaml\n([\s\S]*?)```/.exec(cli)![1]!;
    expect(rbac).toContain('resources: [nodebounces, rollingbounces]');
    expect(rbac).toMatch(/resources: \[rollingbounces\][^\n]*\n\s+verbs: \[patch\]/);
  });

  it('sample output shows what the fast path writes (Evicting), not WaitingForTermination', () => {
    expect(cli).not.toContain('WaitingForTermination');
    expect(doc('docs/rollingbounce.md')).not.toContain('Terminating/WaitingForTermination');
  });
});

describe('other docs', () => {
  it('docs/argocd.md mentions the RollingBounce health check it ships', () => {
    expect(existsSync(join(root, 'deploy/argocd/rollingbounce/health.lua'))).toBe(true);
    expect(doc('docs/argocd.md')).toMatch(/`rollingbounce\/`.*RollingBounce.*health check/);
  });

  it("the README's scripted example waits on Finished, then checks the phase", () => {
    const block = /```sh\n([\s\S]*?)```/.exec(doc('README.md'))![1]!;
    expect(block).toContain('kubectl wait --for=condition=Finished');
    expect(block).toMatch(/jsonpath='\{\.status\.phase\}'\)" = Succeeded/);
  });
});
