import { z } from 'zod';
import type { NodeBounceStatus } from '../api/nodebounce.js';

// The status is the operator's memory: every step and deadline is derived from it. It is validated like the spec,
// because anyone allowed to write nodebounces/status (or an older CRD without the schema) can hand-edit it, and a
// missing or garbled timestamp used to make a deadline NaN. Per phase: what that phase needs to go on.

const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 timestamp');
const count = z.number().int().min(0);

const condition = z.object({
  type: z.string().min(1),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: count.optional(),
});

/** Fields any phase may carry: when present they must be usable. */
const common = z.object({
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: count.optional(),
  expressResourceName: z.string().min(1).optional(),
  podUID: z.string().min(1).optional(),
  replacementPodName: z.string().optional(),
  replacementPodUID: z.string().optional(),
  effectiveTimeouts: z
    .object({
      terminationSeconds: z.number().int().min(1),
      readySeconds: z.number().int().min(1),
      readySource: z.enum(['Spec', 'StartupProbe', 'Default']),
    })
    .optional(),
  shutdownProtection: z
    .object({
      wasEnabled: z.boolean(),
      disabledByOperator: z.boolean(),
      restored: z.boolean(),
      lastError: z.string().optional(),
      restoreAttempts: count.optional(),
      lastRestoreAttemptTime: timestamp.optional(),
      restoreFailingSince: timestamp.optional(),
      restoreFailed: z.boolean().optional(),
      releasedTime: timestamp.optional(),
      releasedBy: z.string().optional(),
    })
    .optional(),
  eviction: z
    .object({
      attempts: count,
      lastAttemptTime: timestamp.optional(),
      lastError: z.string().optional(),
      nextAttemptTime: timestamp.optional(),
    })
    .optional(),
  lastObservedPodState: z.string().optional(),
  ttlSkipped: z.boolean().optional(),
  startTime: timestamp.optional(),
  terminatingTime: timestamp.optional(),
  podDeletedTime: timestamp.optional(),
  terminatedTime: timestamp.optional(),
  terminatedTimeEstimated: z.boolean().optional(),
  readyTime: timestamp.optional(),
  completionTime: timestamp.optional(),
  conditions: z.array(condition).optional(),
});

/** What each phase needs: Terminating and Starting run against deadlines computed from these timestamps. */
export const nodeBounceStatusSchema = z.discriminatedUnion(
  'phase',
  [
    common.extend({ phase: z.literal('Pending') }),
    common.extend({ phase: z.literal('Terminating'), podUID: z.string().min(1), terminatingTime: timestamp }),
    common.extend({
      phase: z.literal('Starting'),
      podUID: z.string().min(1),
      terminatingTime: timestamp,
      terminatedTime: timestamp,
    }),
    common.extend({ phase: z.literal('Succeeded') }),
    common.extend({ phase: z.literal('Failed') }),
  ],
  {
    errorMap: (issue, ctx) => ({
      message:
        issue.code === 'invalid_union_discriminator' ? `must be one of ${issue.options.join(', ')}` : ctx.defaultError,
    }),
  },
);

export type StatusValidation = { ok: true } | { ok: false; problems: string[] };

/** Checks a status that has a phase (a status without one is a new request). */
export function validateStatus(status: NodeBounceStatus): StatusValidation {
  const result = nodeBounceStatusSchema.safeParse(status);
  if (result.success) return { ok: true };
  return {
    ok: false,
    problems: result.error.issues.map((i) => {
      const path = `status.${i.path.join('.')}`;
      return i.code === 'invalid_type' && i.received === 'undefined'
        ? `${path} is missing (required in phase ${String(status.phase)})`
        : `${path}: ${i.message}`;
    }),
  };
}

/** The fields of a status that are valid on their own (the phase left out): what an invalid status still tells. */
export function salvageStatus(status: NodeBounceStatus): NodeBounceStatus {
  const kept: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(common.shape)) {
    const value = (status as Record<string, unknown>)[key];
    if (value !== undefined && (schema as z.ZodTypeAny).safeParse(value).success) kept[key] = value;
  }
  return kept;
}
