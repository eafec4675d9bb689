import { z } from 'zod';
import type { NodeBounceSpec } from '../api/nodebounce.js';

// Second line of defence behind the CRD schema (an older CRD may be installed, or the schema skipped),
// plus the cross-field rules the schema doesn't express.

const seconds = z.number().int().min(1).max(2_147_483_647);

export const nodeBounceSpecSchema = z
  .object({
    podName: z
      .string({ required_error: 'podName is required' })
      .min(1)
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'podName must be a valid pod name (lowercase DNS subdomain)'),
    force: z.boolean().default(false),
    reason: z.string().max(1024).optional(),
    mode: z.enum(['Evict', 'Delete']).default('Evict'),
    gracePeriodSeconds: seconds.optional(),
    terminationTimeoutSeconds: seconds.default(600),
    readyTimeoutSeconds: seconds.optional(),
    dryRun: z.boolean().default(false),
    ttlSecondsAfterFinished: z.number().int().min(0).max(2_147_483_647).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.gracePeriodSeconds !== undefined && spec.gracePeriodSeconds >= spec.terminationTimeoutSeconds) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['gracePeriodSeconds'],
        message: `gracePeriodSeconds (${spec.gracePeriodSeconds}) must be less than terminationTimeoutSeconds (${spec.terminationTimeoutSeconds}), or the pod could never finish terminating in time`,
      });
    }
  });

export type ValidSpec = z.output<typeof nodeBounceSpecSchema>;

export type SpecValidation = { ok: true; spec: ValidSpec } | { ok: false; problems: string[] };

export function validateSpec(spec: NodeBounceSpec | undefined): SpecValidation {
  const result = nodeBounceSpecSchema.safeParse(spec ?? {});
  if (result.success) return { ok: true, spec: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.map((k) => `spec.${k}`).join(', ')}`
        : `spec.${i.path.join('.')}: ${i.message}`,
    ),
  };
}
