import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMPLETION_SCRIPT } from '../../scripts/build-cli.js';
import {
  KREW_MANIFEST,
  krewManifestSchema,
  readKrewManifest,
  renderKrewManifest,
} from '../../scripts/krew-manifest.js';

const root = join(import.meta.dirname, '..', '..');

describe('krew plugin manifest (deploy/krew/nodebounce.yaml)', () => {
  const manifest = readKrewManifest();

  it("is valid per krew's manifest format; its name is its file name and its version package.json's", () => {
    expect(KREW_MANIFEST.endsWith(`/${manifest.metadata.name}.yaml`)).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(manifest.spec.version).toBe(`v${pkg.version}`);
  });

  it('installs the standalone executable and the completion helper, for linux/amd64 only', () => {
    expect(manifest.spec.platforms.map((p) => p.selector.matchLabels)).toEqual([{ os: 'linux', arch: 'amd64' }]);
    const [p] = manifest.spec.platforms;
    expect(p!.bin).toBe('kubectl-nodebounce');
    expect(p!.files?.map((f) => f.from).sort()).toEqual(['kubectl-nodebounce', 'kubectl_complete-nodebounce']);
    expect(p!.uri).toMatch(/\/kubectl-nodebounce-linux-amd64\.tar\.gz$/);
  });

  it('the schema rejects what krew rejects', () => {
    const raw = parse(readFileSync(join(root, KREW_MANIFEST), 'utf8')) as { spec: Record<string, unknown> };
    const bad = (edit: (m: typeof raw & { spec: { platforms: Array<Record<string, unknown>> } }) => void) => {
      const m = structuredClone(raw) as typeof raw & { spec: { platforms: Array<Record<string, unknown>> } };
      edit(m);
      return krewManifestSchema.safeParse(m).success;
    };
    expect(bad(() => {})).toBe(true);
    expect(bad((m) => (m.spec.version = '0.1.0'))).toBe(false);
    expect(bad((m) => delete m.spec.platforms[0]!.sha256)).toBe(false);
    expect(bad((m) => (m.spec.platforms[0]!.sha256 = 'abc'))).toBe(false);
    expect(bad((m) => delete m.spec.platforms[0]!.selector)).toBe(false);
    expect(bad((m) => (m.spec.platforms[0]!.uri = 'http://x/y.tar.gz'))).toBe(false);
    expect(bad((m) => (m.spec.shortDescription = 'x'.repeat(51)))).toBe(false);
  });

  it("the built copy carries the archive's sha256 and the release URL", () => {
    const sha256 = 'ab'.repeat(32);
    const out = parse(
      renderKrewManifest(manifest, { sha256, uri: 'https://example.com/r/kubectl-nodebounce-linux-amd64.tar.gz' }),
    ) as typeof manifest;
    expect(out.spec.platforms[0]).toMatchObject({
      sha256,
      uri: 'https://example.com/r/kubectl-nodebounce-linux-amd64.tar.gz',
    });
  });

  it('the completion helper hands the words to the plugin, as kubectl expects of kubectl_complete-<plugin>', () => {
    expect(COMPLETION_SCRIPT.split('\n')[0]).toBe('#!/bin/sh');
    expect(COMPLETION_SCRIPT).toContain('exec kubectl-nodebounce __complete "$@"');
  });
});
