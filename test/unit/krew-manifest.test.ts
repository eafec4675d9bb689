import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildCli, COMPLETION_SCRIPT } from '../../scripts/build-cli.js';
import { pathToFileURL } from 'node:url';
import {
  KREW_MANIFEST,
  krewManifestSchema,
  krewTemplateSchema,
  readKrewTemplate,
  renderKrewManifest,
} from '../../scripts/krew-manifest.js';

const root = join(import.meta.dirname, '..', '..');

const ARCHIVE = '/tmp/out/kubectl-nodebounce-linux-amd64.tar.gz';
const RELEASE = 'https://example.com/r/v0.1.0/kubectl-nodebounce-linux-amd64.tar.gz';

describe('krew plugin manifest (deploy/krew/nodebounce.yaml)', () => {
  const template = readKrewTemplate();
  const manifest = krewManifestSchema.parse(
    parse(renderKrewManifest(template, { archive: ARCHIVE, sha256: 'ab'.repeat(32) })),
  );

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
    const raw = structuredClone(manifest) as unknown as { spec: Record<string, unknown> };
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
    expect(bad((m) => (m.spec.platforms[0]!.uri = 'ftp://x/y.tar.gz'))).toBe(false);
    expect(bad((m) => (m.spec.platforms[0]!.uri = 'https://x/y.tar.gz'))).toBe(true);
    expect(bad((m) => (m.spec.shortDescription = 'two\nlines'))).toBe(false);
    expect(bad((m) => (m.spec.shortDescription = 'x'.repeat(51)))).toBe(false);
  });

  it('the committed file holds no download URL, checksum or homepage: no release exists; a build supplies them', () => {
    const raw = readFileSync(join(root, KREW_MANIFEST), 'utf8');
    expect(raw).not.toMatch(/^\s*(uri|sha256|homepage):/m);
    expect(raw).not.toMatch(/https?:\/\/(?!krew\.sigs\.k8s\.io)/);
    // A placeholder put back is refused by the template's schema (strict: only what a build cannot know is allowed).
    const withUri = parse(raw) as { spec: { platforms: Array<Record<string, unknown>> } };
    withUri.spec.platforms[0]!.uri = RELEASE;
    expect(krewTemplateSchema.safeParse(withUri).success).toBe(false);
    const withHomepage = parse(raw) as { spec: Record<string, unknown> };
    withHomepage.spec.homepage = 'https://example.com';
    expect(krewTemplateSchema.safeParse(withHomepage).success).toBe(false);
  });

  it("the built manifest: the archive's sha256, the release URL and homepage given, else the local archive's file URL", () => {
    const sha256 = 'cd'.repeat(32);
    const released = parse(
      renderKrewManifest(template, {
        archive: ARCHIVE,
        sha256,
        releaseUrl: RELEASE,
        homepage: 'https://example.com/p',
      }),
    ) as typeof manifest;
    expect(krewManifestSchema.parse(released).spec.homepage).toBe('https://example.com/p');
    expect(released.spec.platforms[0]).toMatchObject({ sha256, uri: RELEASE });
    const local = parse(renderKrewManifest(template, { archive: ARCHIVE, sha256 })) as typeof manifest;
    expect(local.spec.platforms[0]!.uri).toBe(pathToFileURL(ARCHIVE).href);
    expect(local.spec).not.toHaveProperty('homepage');
  });

  it('a bad --release-url or --homepage is refused, naming the flag', () => {
    const render = (b: { releaseUrl?: string; homepage?: string }) => () =>
      renderKrewManifest(template, { archive: ARCHIVE, sha256: 'ab'.repeat(32), ...b });
    expect(render({ releaseUrl: 'http://example.com/kubectl-nodebounce-linux-amd64.tar.gz' })).toThrow(
      /--release-url must be an https URL/,
    );
    expect(render({ releaseUrl: 'https://example.com/other.tar.gz' })).toThrow(
      /--release-url must end with the archive's name \/kubectl-nodebounce-linux-amd64\.tar\.gz/,
    );
    expect(render({ homepage: 'example.com' })).toThrow(/--homepage must be an http\(s\) URL/);
  });

  it('npm run build:cli refuses a bad --release-url before it builds anything', async () => {
    const out = join(root, 'node_modules', '.cache', 'never-built');
    await expect(buildCli(out, { releaseUrl: 'https://example.com/kubectl-nodebounce.zip' })).rejects.toThrow(
      /--release-url must end with the archive's name/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('the completion helper hands the words to the plugin, as kubectl expects of kubectl_complete-<plugin>', () => {
    expect(COMPLETION_SCRIPT.split('\n')[0]).toBe('#!/bin/sh');
    expect(COMPLETION_SCRIPT).toContain('exec kubectl-nodebounce __complete "$@"');
  });
});
