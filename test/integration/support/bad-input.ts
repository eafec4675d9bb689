// Bad input for the reliability suite: generated NodeBounce specs (fast-check), malformed Express resources.
import { CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { NodeBounce } from '../../../src/api/nodebounce.js';
import { KubeRequestError, kubeRequest } from '../../harness/index.js';
import { pool, sleep } from './reliability.js';

const NB_PATH = (ns: string) => `/apis/bounce.express.dev/v1alpha1/namespaces/${ns}/nodebounces`;

/** Any JSON value, small. */
const anyJson = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const seconds = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -2, max: 120 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2 ** 31 - 3, max: Number.MAX_SAFE_INTEGER }) },
  { weight: 1, arbitrary: anyJson },
);
const dnsName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/);

/** Mostly `valid`, sometimes anything else. */
const mostly = <T>(valid: fc.Arbitrary<T>, weight = 8) =>
  fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
const podNames = fc.oneof(
  { weight: 3, arbitrary: dnsName },
  { weight: 2, arbitrary: fc.constantFrom('sentinel', 'missing-pod') },
);
const validSeconds = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 900 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2 ** 31 - 3, max: Number.MAX_SAFE_INTEGER }) },
);

/** Specs the API schema accepts (types and bounds right); cross-field rules and int32 limits are the operator's. */
const schemaValidSpec = fc.record(
  {
    podName: podNames,
    force: fc.boolean(),
    reason: fc.string({ maxLength: 1024 }),
    mode: fc.constantFrom('Evict', 'Delete'),
    gracePeriodSeconds: validSeconds,
    terminationTimeoutSeconds: validSeconds,
    readyTimeoutSeconds: validSeconds,
    dryRun: fc.boolean(),
    ttlSecondsAfterFinished: fc.integer({ min: 0, max: 5 }),
  },
  { requiredKeys: ['podName'] },
);

/** Anything: any subset of the fields, each usually valid, sometimes not, plus unknown fields. */
const anySpec = fc.record(
  {
    podName: fc.oneof(
      { weight: 6, arbitrary: dnsName },
      { weight: 3, arbitrary: fc.constantFrom('sentinel', 'missing-pod', '', 'Sentinel', 'a'.repeat(254)) },
      { weight: 1, arbitrary: fc.string() },
      { weight: 1, arbitrary: anyJson },
    ),
    force: mostly(fc.boolean()),
    reason: mostly(
      fc.oneof(
        { weight: 5, arbitrary: fc.string({ maxLength: 40 }) },
        { weight: 1, arbitrary: fc.string({ minLength: 1020, maxLength: 1030 }) },
      ),
    ),
    mode: mostly(fc.constantFrom('Evict', 'Delete', 'evict', '', 'Force')),
    gracePeriodSeconds: seconds,
    terminationTimeoutSeconds: seconds,
    readyTimeoutSeconds: seconds,
    dryRun: mostly(fc.boolean()),
    ttlSecondsAfterFinished: seconds,
    unknownField: anyJson,
  },
  { requiredKeys: [] },
);

/** A NodeBounce spec: half schema-valid (to reach the operator), half anything (to reach the API's validation). */
export const nodeBounceSpecArb = fc
  .oneof(schemaValidSpec as fc.Arbitrary<Record<string, unknown>>, anySpec as fc.Arbitrary<Record<string, unknown>>)
  // The sentinel pod exists: a valid spec naming it would (rightly) bounce it. Keep those to dry runs.
  .map((spec) => (spec.podName === 'sentinel' ? { ...spec, dryRun: true } : spec));

/** Where each accepted NodeBounce may end. */
export const ALLOWED_ENDS = [
  'Failed/InvalidSpec',
  'Failed/PodNotFound',
  'Failed/ExpressResourceNotFound',
  'Succeeded/DryRunPassed',
];

export interface FuzzReport {
  specs: number;
  rejectedByApi: number;
  rejectedCodes: Record<string, number>;
  ends: Record<string, number>;
}

/** Records the last status of every NodeBounce in a namespace, from a watch (TTL may delete them right away). */
async function recordEnds(kc: KubeConfig, ns: string): Promise<{ last: Map<string, NodeBounce>; stop(): void }> {
  const last = new Map<string, NodeBounce>();
  const req = await new Watch(kc).watch(
    NB_PATH(ns),
    {},
    (_t, obj: NodeBounce) => last.set(obj.metadata.name, obj),
    () => undefined,
  );
  return { last, stop: () => req.abort() };
}

/**
 * `batches` x `batchSize` generated specs (fast-check property: every batch is created in parallel, then every
 * NodeBounce must be rejected by the API with a 4xx and a message, or end in one of ALLOWED_ENDS).
 */
export async function fuzzNodeBounceSpecs(
  kc: KubeConfig,
  ns: string,
  opts: { batches: number; batchSize: number; seed: number },
): Promise<FuzzReport> {
  const report: FuzzReport = { specs: 0, rejectedByApi: 0, rejectedCodes: {}, ends: {} };
  const rec = await recordEnds(kc, ns);
  let seq = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(nodeBounceSpecArb, { minLength: opts.batchSize, maxLength: opts.batchSize }),
        async (specs) => {
          const created: string[] = [];
          await pool(specs, 8, async (spec) => {
            const name = `fz-${seq++}`;
            report.specs++;
            try {
              await kubeRequest(kc, 'POST', NB_PATH(ns), {
                apiVersion: 'bounce.express.dev/v1alpha1',
                kind: 'NodeBounce',
                metadata: { name },
                spec,
              });
              created.push(name);
            } catch (err) {
              if (!(err instanceof KubeRequestError)) throw err;
              expect([400, 422], `${JSON.stringify(spec)}: ${err.message}`).toContain(err.code);
              expect(err.message.length).toBeGreaterThan(10);
              report.rejectedByApi++;
              report.rejectedCodes[err.code] = (report.rejectedCodes[err.code] ?? 0) + 1;
            }
          });
          const deadline = Date.now() + 60_000;
          for (;;) {
            const pending = created.filter(
              (n) => !['Succeeded', 'Failed'].includes(rec.last.get(n)?.status?.phase ?? ''),
            );
            if (pending.length === 0) break;
            if (Date.now() > deadline)
              throw new Error(
                `not finished after 60 s: ${pending.map((n) => `${n} ${JSON.stringify(rec.last.get(n)?.spec)} ${JSON.stringify(rec.last.get(n)?.status)}`).join('\n')}`,
              );
            await sleep(50);
          }
          for (const n of created) {
            const nb = rec.last.get(n)!;
            const end = `${nb.status?.phase}/${nb.status?.reason}`;
            expect(ALLOWED_ENDS, `${n} ${JSON.stringify(nb.spec)}: ${nb.status?.message}`).toContain(end);
            expect(nb.status?.message?.length ?? 0).toBeGreaterThan(10);
            report.ends[end] = (report.ends[end] ?? 0) + 1;
          }
        },
      ),
      { numRuns: opts.batches, seed: opts.seed, endOnFailure: true },
    );
  } finally {
    rec.stop();
  }
  return report;
}

export interface MalformedCase {
  name: string;
  /** ExpressNode spec (undefined: no spec at all) and status.state to set afterwards. */
  spec?: Record<string, unknown>;
  statusState?: unknown;
  /**
   * A pod created by the test instead of the simulator: with a controller ownerReference to an ExpressNode that
   * does not exist (no label, so the simulator, which garbage-collects labelled pods of missing nodes, ignores
   * it), or with no mapping at all (null).
   */
  strayPodOwner?: string | null;
  expect: string;
}

export const MALFORMED_EXPRESS: MalformedCase[] = [
  { name: 'state-number', spec: { state: 42 }, expect: 'Failed/ExpressResourceInvalid' },
  { name: 'state-object', spec: { state: { up: true } }, expect: 'Failed/ExpressResourceInvalid' },
  { name: 'state-list', spec: { state: ['up'] }, expect: 'Failed/ExpressResourceInvalid' },
  {
    name: 'protection-string',
    spec: { state: 'up', shutdownProtection: 'yes' },
    expect: 'Failed/ExpressResourceInvalid',
  },
  { name: 'protection-number', spec: { state: 'up', shutdownProtection: 1 }, expect: 'Failed/ExpressResourceInvalid' },
  { name: 'runtime-list', spec: { state: 'up' }, statusState: ['running'], expect: 'Failed/ExpressResourceInvalid' },
  { name: 'runtime-number', spec: { state: 'up' }, statusState: 7, expect: 'Failed/ExpressResourceInvalid' },
  {
    name: 'runtime-object',
    spec: { state: 'up' },
    statusState: { phase: 'rebuilding' },
    expect: 'Failed/ExpressResourceInvalid',
  },
  { name: 'stray-owner-ghost', strayPodOwner: 'ghost-node', expect: 'Failed/ExpressResourceNotFound' },
  { name: 'stray-no-mapping', strayPodOwner: null, expect: 'Failed/ExpressResourceNotFound' },
];

export async function createStrayPod(
  kc: KubeConfig,
  ns: string,
  name: string,
  owner: string | null,
  nodeName: string,
): Promise<void> {
  const ownerReferences = owner
    ? [
        {
          apiVersion: 'express.dev/v1alpha1',
          kind: 'ExpressNode',
          name: owner,
          uid: '00000000-0000-0000-0000-000000000001',
          controller: true,
        },
      ]
    : undefined;
  await kc.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: ns,
    body: {
      metadata: {
        name,
        labels: { app: 'stray' },
        ownerReferences,
        annotations: { 'kwok.nodebounce.dev/startup-delay': '100ms' },
      },
      spec: {
        nodeName,
        automountServiceAccountToken: false,
        containers: [{ name: 'c', image: 'registry.invalid/stray:1' }],
      },
    },
  });
}
