import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIN_NODE, unsupportedNode } from '../../src/cli/node-version.js';

describe('the Node.js version check that runs before the CLI loads', () => {
  it("MIN_NODE is package.json's engines.node", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(`>=${MIN_NODE}`).toBe(`${pkg.engines.node}.0`);
  });

  it.each(['24.11.0', '24.22.3', '25.0.0', '26.1.2'])('%s is enough', (v) =>
    expect(unsupportedNode(v)).toBeUndefined(),
  );

  it.each(['20.20.2', '22.15.0', '24.10.9', 'v18.0.0'])('%s gets one line naming the version needed', (v) => {
    const line = unsupportedNode(v)!;
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^error: kubectl-nodebounce needs Node\.js >= 24\.11\.0 \(this is v/);
    expect(line).toContain(`v${v.replace(/^v/, '')}`);
  });
});
