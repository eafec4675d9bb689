// The krew plugin manifest: its schema, as krew's manifest documentation describes it
// (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/); the committed template deploy/krew/nodebounce.yaml
// (no uri, sha256 or homepage: only a build and a release know them); and the complete manifest `npm run build:cli`
// writes from it, the archive's sha256 and its --release-url / --homepage. Krew itself rejects a manifest whose name differs from its file name, a version without the
// leading v, a platform without a selector, uri or sha256, and an archive whose sha256 differs.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KREW_MANIFEST = 'deploy/krew/nodebounce.yaml';

const os = z.enum(['linux', 'darwin', 'windows']);
const arch = z.enum(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x']);
const selector = z
  .object({
    matchLabels: z.object({ os, arch: arch.optional() }).strict().optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.enum(['os', 'arch']),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .refine((s) => s.matchLabels || s.matchExpressions?.length, 'a selector needs matchLabels or matchExpressions');

const platform = z
  .object({
    selector,
    // Krew needs some uri (it downloads from it unless `--archive` is given); a release's is https, a local build's
    // the file:// URL of its archive.
    uri: z
      .string()
      .regex(/^(https:\/\/|file:\/\/\/).+\.(tar\.gz|zip)$/, 'an https (or a local file://) URL of a .tar.gz or .zip'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    files: z.array(z.object({ from: z.string().min(1), to: z.string().min(1) }).strict()).optional(),
    bin: z.string().min(1),
  })
  .strict();

const spec = z
  .object({
    version: z.string().regex(/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'semver with a leading v'),
    homepage: z.string().url().optional(),
    shortDescription: z
      .string()
      .min(1)
      .max(50)
      .regex(/^[^\r\n]+$/, 'one line'),
    description: z.string().optional(),
    caveats: z.string().optional(),
    platforms: z.array(platform).min(1),
  })
  .strict();

const envelope = {
  apiVersion: z.literal('krew.googlecontainertools.github.com/v1alpha2'),
  kind: z.literal('Plugin'),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/) }).strict(),
};

/** A complete manifest, as krew reads it. */
export const krewManifestSchema = z.object({ ...envelope, spec }).strict();

/**
 * The committed deploy/krew/nodebounce.yaml: the manifest without what only a build knows (each platform's uri and
 * sha256) and without a homepage (the project publishes none yet; a release passes one).
 */
export const krewTemplateSchema = z
  .object({
    ...envelope,
    spec: spec
      .omit({ homepage: true, platforms: true })
      .extend({ platforms: z.array(platform.omit({ uri: true, sha256: true })).min(1) })
      .strict(),
  })
  .strict();

export type KrewManifest = z.infer<typeof krewManifestSchema>;
export type KrewTemplate = z.infer<typeof krewTemplateSchema>;

/** The committed template, parsed and checked (throws with the problems). */
export function readKrewTemplate(file = join(root, KREW_MANIFEST)): KrewTemplate {
  return krewTemplateSchema.parse(parse(readFileSync(file, 'utf8')));
}

export interface KrewBuild {
  /** The archive the build wrote (an absolute path); its file name must end the release URL. */
  archive: string;
  sha256: string;
  /** Where the release publishes the archive (https); without it, the archive's own file:// URL. */
  releaseUrl?: string;
  homepage?: string;
}

/** The complete manifest for one built archive, checked as krew would; throws naming the bad input. */
export function renderKrewManifest(template: KrewTemplate, build: KrewBuild): string {
  const name = basename(build.archive);
  if (build.releaseUrl !== undefined && !/^https:\/\/[^/]+\/./.test(build.releaseUrl))
    throw new Error(`--release-url must be an https URL, not ${JSON.stringify(build.releaseUrl)}`);
  if (build.releaseUrl !== undefined && !build.releaseUrl.endsWith(`/${name}`))
    throw new Error(`--release-url must end with the archive's name /${name}: ${build.releaseUrl}`);
  if (build.homepage !== undefined && !/^https?:\/\/[^/]+/.test(build.homepage))
    throw new Error(`--homepage must be an http(s) URL, not ${JSON.stringify(build.homepage)}`);
  const { version, ...rest } = template.spec;
  const manifest: KrewManifest = {
    ...template,
    spec: {
      version,
      ...(build.homepage !== undefined ? { homepage: build.homepage } : {}),
      ...rest,
      platforms: template.spec.platforms.map(({ selector: sel, ...p }) => ({
        selector: sel,
        uri: build.releaseUrl ?? pathToFileURL(build.archive).href,
        sha256: build.sha256,
        ...p,
      })),
    },
  };
  return `# Written by npm run build:cli from ${KREW_MANIFEST} and ${name}.\n${stringify(krewManifestSchema.parse(manifest))}`;
}
