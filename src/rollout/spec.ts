import { z } from 'zod';
import type { RollingBounceSpec } from '../api/rollingbounce.js';
import { nodeBounceSpecSchema } from '../bounce/spec.js';

// Second line of defence behind the CRD schema (an older CRD may be installed, or the schema skipped), plus the
// rules the schema can't say: a real IANA time zone, a window that is not empty, selector operators with the right
// values, a bounce template a NodeBounce would accept.

/**
 * The most members a RollingBounce may have (pod names, or Express resources its selector matches): status holds one
 * row per member, and the object must stay well below etcd's 1.5 MiB limit (docs/rollingbounce.md).
 */
export const MAX_ROLLOUT_MEMBERS = 500;

/** A member row repeats at most this much of its NodeBounce's message (the NodeBounce holds all of it). */
export const MAX_MEMBER_MESSAGE = 256;

export function clipMemberMessage(message: string | undefined): string | undefined {
  return message !== undefined && message.length > MAX_MEMBER_MESSAGE
    ? `${message.slice(0, MAX_MEMBER_MESSAGE - 1)}…`
    : message;
}

const seconds = z.number().int().min(0).max(86_400);

const requirement = z
  .object({
    key: z.string().min(1).max(317),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z.array(z.string().max(63)).max(64).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const needsValues = r.operator === 'In' || r.operator === 'NotIn';
    if (needsValues && !r.values?.length)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `operator ${r.operator} needs values` });
    if (!needsValues && r.values?.length)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `operator ${r.operator} takes no values` });
  });

export const labelSelectorSchema = z
  .object({
    matchLabels: z.record(z.string().max(63)).optional(),
    matchExpressions: z.array(requirement).max(16).optional(),
  })
  .strict();

/** Zones found valid: building an Intl.DateTimeFormat costs about half a millisecond, and every decide validates. */
const knownTimeZones = new Set<string>();

function validTimeZone(tz: string): boolean {
  if (knownTimeZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  if (knownTimeZones.size < 1000) knownTimeZones.add(tz);
  return true;
}

const hhmm = (max: number) =>
  z.string().refine((s) => {
    const m = /^(\d\d):(\d\d)$/.exec(s);
    return !!m && Number(m[1]) * 60 + Number(m[2]) <= max && Number(m[2]) < 60;
  }, 'must be HH:MM');

const windowSchema = z
  .object({
    days: z
      .array(z.enum(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']))
      .max(7)
      .optional(),
    start: hhmm(23 * 60 + 59),
    end: hhmm(24 * 60),
    timeZone: z
      .string()
      .default('UTC')
      .refine(validTimeZone, (tz) => ({
        message: `unknown time zone ${JSON.stringify(tz)} (use an IANA name such as Europe/Paris)`,
      })),
  })
  .strict()
  .refine((w) => w.start !== w.end, { message: 'start and end are equal: the window would be empty' });

const templateSchema = z
  .object({
    force: z.boolean().optional(),
    reason: z.string().max(1024).optional(),
    mode: z.enum(['Evict', 'Delete']).optional(),
    gracePeriodSeconds: z.number().int().min(1).optional(),
    terminationTimeoutSeconds: z.number().int().min(1).optional(),
    readyTimeoutSeconds: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    // What a NodeBounce would say about these fields (e.g. gracePeriodSeconds < terminationTimeoutSeconds).
    const r = nodeBounceSpecSchema.safeParse({ podName: 'x', ...t });
    if (!r.success)
      for (const i of r.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, path: i.path, message: i.message });
  });

const maxUnavailableSchema = z.union([
  z.number().int().min(1),
  z
    .string()
    .regex(/^\d{1,3}%$/, 'must be an integer or a percentage such as "25%"')
    .refine((s) => Number(s.slice(0, -1)) >= 1 && Number(s.slice(0, -1)) <= 100, 'percentage must be from 1% to 100%'),
]);

export const rollingBounceSpecSchema = z
  .object({
    members: z
      .object({
        selector: labelSelectorSchema.optional(),
        podNames: z
          .array(
            z
              .string()
              .min(1)
              .max(253)
              .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a valid pod name'),
          )
          .min(1)
          .max(MAX_ROLLOUT_MEMBERS)
          .optional(),
      })
      .strict()
      .refine(
        (m) => (m.selector === undefined) !== (m.podNames === undefined),
        'needs exactly one of selector or podNames',
      )
      .refine((m) => !m.podNames || new Set(m.podNames).size === m.podNames.length, 'podNames has duplicates'),
    maxUnavailable: maxUnavailableSchema.default(1),
    order: z.enum(['byName', 'reverse']).default('byName'),
    last: labelSelectorSchema.optional(),
    settleSeconds: seconds.default(0),
    healthGate: z
      .object({
        healthyStates: z
          .array(z.string().min(1).max(63))
          .min(1, 'healthyStates must name at least one state')
          .max(32)
          .default(['running']),
        stableSeconds: seconds.default(30),
        prometheus: z
          .object({
            // A name from the operator's config (prometheus.endpoints): who may edit a namespace must not choose
            // where the operator sends requests from its network position (docs/rollingbounce.md).
            endpoint: z.string().min(1).max(63).optional(),
            // v1alpha1's free URL: refused (validateRolloutSpec names the allowed endpoints).
            url: z.string().optional(),
            query: z.string().min(1).max(4096),
            timeoutSeconds: z.number().int().min(1).max(60).default(5),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    maintenanceWindows: z.array(windowSchema).max(16).default([]),
    paused: z.boolean().default(false),
    maxFailures: z.number().int().min(0).max(10_000).default(0),
    bounceTemplate: templateSchema.default({}),
    dryRun: z.boolean().default(false),
  })
  .strict();

export type ValidRolloutSpec = z.output<typeof rollingBounceSpecSchema>;

export type RolloutSpecValidation = { ok: true; spec: ValidRolloutSpec } | { ok: false; problems: string[] };

export interface RolloutSpecContext {
  /** The Prometheus endpoint names the operator's config allows (prometheus.endpoints); none when unset. */
  prometheusEndpoints?: readonly string[];
}

function prometheusProblems(prom: ValidRolloutSpec['healthGate']['prometheus'], allowed: readonly string[]): string[] {
  if (!prom) return [];
  const names = allowed.length
    ? `one of: ${[...allowed].sort().join(', ')}`
    : 'none is configured (the operator config has no prometheus.endpoints: ask whoever installed the operator)';
  const field = 'spec.healthGate.prometheus';
  if (prom.url !== undefined)
    return [
      `${field}.url: a free URL is no longer accepted (the operator would fetch whatever a namespace editor names); set ${field}.endpoint to a Prometheus endpoint from the operator config, ${names}`,
    ];
  if (prom.endpoint === undefined) return [`${field}.endpoint: required, ${names}`];
  if (!allowed.includes(prom.endpoint))
    return [`${field}.endpoint: unknown endpoint ${JSON.stringify(prom.endpoint)}; the allowed endpoints are ${names}`];
  return [];
}

export function validateRolloutSpec(
  spec: RollingBounceSpec | undefined,
  context: RolloutSpecContext = {},
): RolloutSpecValidation {
  const result = rollingBounceSpecSchema.safeParse(spec ?? {});
  if (result.success) {
    // Without the config's endpoint names (callers that only read the spec's shape), the endpoint is not checked.
    const problems =
      context.prometheusEndpoints === undefined
        ? []
        : prometheusProblems(result.data.healthGate.prometheus, context.prometheusEndpoints);
    return problems.length ? { ok: false, problems } : { ok: true, spec: result.data };
  }
  return {
    ok: false,
    problems: result.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.map((k) => ['spec', ...i.path, k].join('.')).join(', ')}`
        : `${['spec', ...i.path].join('.')}: ${i.message}`,
    ),
  };
}

/** maxUnavailable as a number of members: a percentage of `total` rounded down, at least 1. */
export function resolveMaxUnavailable(value: number | string, total: number): number {
  if (typeof value === 'number') return Math.max(1, value);
  const pct = Number(value.replace('%', ''));
  return Math.max(1, Math.floor((total * pct) / 100));
}
