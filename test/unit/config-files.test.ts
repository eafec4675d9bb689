// The shipped operator config files (deploy/base's, and the custom-Express example's) are complete examples:
// the operator accepts them, and they list every key the schema has a default for.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { operatorConfigSchema } from '../../src/config/schema.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILES = ['deploy/base/operator-config.yaml', 'deploy/examples/custom-express/config/operator-config.yaml'];
// Left out on purpose: set, it would keep a webhook URL given later through the environment from enabling them.
const OPTIONAL = new Set(['notifications.enabled']);

/** Dot paths of every non-array leaf and mapping in a plain object. */
function keyPaths(o: unknown, prefix = ''): string[] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [];
  return Object.entries(o).flatMap(([k, v]) => [`${prefix}${k}`, ...keyPaths(v, `${prefix}${k}.`)]);
}

describe.each(FILES)('%s', (file) => {
  const raw = parse(readFileSync(join(ROOT, file), 'utf8'));

  it('is accepted by the operator', () => {
    expect(() => operatorConfigSchema.parse(raw)).not.toThrow();
  });

  it('lists every key that has a default', () => {
    const present = new Set(keyPaths(raw));
    const missing = keyPaths(operatorConfigSchema.parse({})).filter((k) => !present.has(k) && !OPTIONAL.has(k));
    expect(missing).toEqual([]);
  });
});
