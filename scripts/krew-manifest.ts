// The krew plugin manifest (deploy/krew/nodebounce.yaml): its schema, as krew's manifest documentation describes it
// (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/), and the copy `npm run build:cli` writes with the
// archive's sha256. Krew itself rejects a manifest whose name differs from its file name, a version without the
// leading v, a platform without a selector, uri or sha256, and an archive whose sha256 differs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export const krewManifestSchema = z
  .object({
    apiVersion: z.literal('krew.googlecontainertools.github.com/v1alpha2'),
    kind: z.literal('Plugin'),
    metadata: z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/) }).strict(),
    spec: z
      .object({
        version: z.string().regex(/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'semver with a leading v'),
        homepage: z.string().url().optional(),
        shortDescription: z.string().min(1).max(50),
        description: z.string().optional(),
        caveats: z.string().optional(),
        platforms: z
          .array(
            z
              .object({
                selector,
                uri: z.string().regex(/^https:\/\/.+\.(tar\.gz|zip)$/, 'an https URL of a .tar.gz or .zip'),
                sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
                files: z.array(z.object({ from: z.string().min(1), to: z.string().min(1) }).strict()).optional(),
                bin: z.string().min(1),
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
  })
  .strict();

export type KrewManifest = z.infer<typeof krewManifestSchema>;

/** The committed manifest, parsed and checked (throws with the problems). */
export function readKrewManifest(file = join(root, KREW_MANIFEST)): KrewManifest {
  return krewManifestSchema.parse(parse(readFileSync(file, 'utf8')));
}

/** The manifest for one built archive: its sha256, and its release URL when given. */
export function renderKrewManifest(manifest: KrewManifest, archive: { sha256: string; uri?: string }): string {
  const out: KrewManifest = structuredClone(manifest);
  for (const p of out.spec.platforms) {
    p.sha256 = archive.sha256;
    if (archive.uri) p.uri = archive.uri;
  }
  return stringify(krewManifestSchema.parse(out));
}
