// The lifecycle diagram and tables in README.md and docs/api.md are generated from src/bounce/lifecycle.ts;
// this fails when the committed files differ from what `npm run docs:lifecycle` would write.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FILES, FIX_COMMAND, renderLifecycleBlocks } from '../../scripts/lifecycle-docs.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('generated lifecycle docs', () => {
  it.each(FILES)('%s is up to date', (file) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    expect(text, `${file} has no generated lifecycle block`).toMatch(/<!-- lifecycle-\w+:begin -->/);
    const fresh = renderLifecycleBlocks(text, file);
    expect(fresh === text, `${file} is out of date with src/bounce/lifecycle.ts: run \`${FIX_COMMAND}\``).toBe(true);
  });

  it('README.md carries the diagram; docs/api.md the diagram and both tables', () => {
    const blocks = (file: string) =>
      [...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(/<!-- lifecycle-(\w+):begin -->/g)].map((m) => m[1]);
    expect(blocks('README.md')).toEqual(['diagram']);
    expect(blocks('docs/api.md')).toEqual(['diagram', 'transitions', 'reasons']);
    expect(blocks('docs/rollingbounce.md')).toEqual(['rollout_diagram', 'rollout_transitions', 'rollout_reasons']);
  });

  it('rejects a file whose block is not closed, rather than leaving it stale', () => {
    expect(() => renderLifecycleBlocks('<!-- lifecycle-diagram:begin -->\nold\n', 'x.md')).toThrow(/found 0 of 1/);
    expect(() =>
      renderLifecycleBlocks('<!-- lifecycle-colours:begin -->\n<!-- lifecycle-colours:end -->', 'x.md'),
    ).toThrow(/unknown/);
  });
});
