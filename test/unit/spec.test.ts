import { describe, expect, it } from 'vitest';
import type { NodeBounceSpec } from '../../src/api/nodebounce.js';
import { validateSpec } from '../../src/bounce/spec.js';

const ok = (spec: Record<string, unknown>) => validateSpec(spec as unknown as NodeBounceSpec);

describe('validateSpec: defaults', () => {
  it('fills the documented defaults for a minimal spec', () => {
    const r = ok({ podName: 'node-a-0' });
    expect(r).toEqual({
      ok: true,
      spec: { podName: 'node-a-0', force: false, mode: 'Evict', terminationTimeoutSeconds: 600, dryRun: false },
    });
  });

  it('keeps every explicitly given field', () => {
    const spec = {
      podName: 'a',
      force: true,
      reason: 'stuck',
      mode: 'Delete',
      gracePeriodSeconds: 30,
      terminationTimeoutSeconds: 31,
      readyTimeoutSeconds: 5,
      dryRun: true,
      ttlSecondsAfterFinished: 0,
    };
    expect(ok(spec)).toEqual({ ok: true, spec });
  });
});

describe('validateSpec: valid and invalid specs', () => {
  const valid: Array<[string, Record<string, unknown>]> = [
    ['single char name', { podName: 'a' }],
    ['dots and dashes', { podName: 'node-a.0-x' }],
    ['253 chars', { podName: 'a'.repeat(253) }],
    ['reason of 1024 chars', { podName: 'a', reason: 'x'.repeat(1024) }],
    ['grace 599 < default 600', { podName: 'a', gracePeriodSeconds: 599 }],
    ['grace 1 < timeout 2', { podName: 'a', gracePeriodSeconds: 1, terminationTimeoutSeconds: 2 }],
    ['ttl 0', { podName: 'a', ttlSecondsAfterFinished: 0 }],
    ['max int32 timeout', { podName: 'a', terminationTimeoutSeconds: 2_147_483_647 }],
    ['mode Delete', { podName: 'a', mode: 'Delete' }],
  ];
  it.each(valid)('accepts %s', (_, spec) => {
    expect(ok(spec).ok).toBe(true);
  });

  const invalid: Array<[string, Record<string, unknown> | undefined, string]> = [
    ['missing spec', undefined, 'spec.podName: podName is required'],
    ['missing podName', {}, 'spec.podName: podName is required'],
    ['empty podName', { podName: '' }, 'spec.podName'],
    [
      'uppercase podName',
      { podName: 'Node-A' },
      'spec.podName: podName must be a valid pod name (lowercase DNS subdomain)',
    ],
    ['leading dash', { podName: '-a' }, 'spec.podName: podName must be a valid pod name'],
    ['trailing dot', { podName: 'a.' }, 'spec.podName: podName must be a valid pod name'],
    ['slash (namespace/name)', { podName: 'other/a' }, 'spec.podName: podName must be a valid pod name'],
    ['254 chars', { podName: 'a'.repeat(254) }, 'spec.podName'],
    ['reason too long', { podName: 'a', reason: 'x'.repeat(1025) }, 'spec.reason'],
    ['mode Force', { podName: 'a', mode: 'Force' }, 'spec.mode'],
    ['grace 0 (never force)', { podName: 'a', gracePeriodSeconds: 0 }, 'spec.gracePeriodSeconds'],
    ['grace negative', { podName: 'a', gracePeriodSeconds: -1 }, 'spec.gracePeriodSeconds'],
    ['grace fractional', { podName: 'a', gracePeriodSeconds: 1.5 }, 'spec.gracePeriodSeconds'],
    ['termination 0', { podName: 'a', terminationTimeoutSeconds: 0 }, 'spec.terminationTimeoutSeconds'],
    [
      'termination beyond int32',
      { podName: 'a', terminationTimeoutSeconds: 2_147_483_648 },
      'spec.terminationTimeoutSeconds',
    ],
    ['ready 0', { podName: 'a', readyTimeoutSeconds: 0 }, 'spec.readyTimeoutSeconds'],
    ['ttl negative', { podName: 'a', ttlSecondsAfterFinished: -1 }, 'spec.ttlSecondsAfterFinished'],
    ['force as string', { podName: 'a', force: 'true' }, 'spec.force'],
    ['dryRun as number', { podName: 'a', dryRun: 1 }, 'spec.dryRun'],
    ['unknown field', { podName: 'a', namespace: 'other' }, 'unknown field(s) spec.namespace'],
    ['two unknown fields', { podName: 'a', namespace: 'x', foo: 1 }, 'unknown field(s) spec.namespace, spec.foo'],
    [
      'grace == default timeout (cross-field)',
      { podName: 'a', gracePeriodSeconds: 600 },
      'spec.gracePeriodSeconds: gracePeriodSeconds (600) must be less than terminationTimeoutSeconds (600)',
    ],
    [
      'grace > explicit timeout (cross-field)',
      { podName: 'a', gracePeriodSeconds: 120, terminationTimeoutSeconds: 60 },
      'spec.gracePeriodSeconds: gracePeriodSeconds (120) must be less than terminationTimeoutSeconds (60)',
    ],
  ];
  it.each(invalid)('rejects %s', (_, spec, problem) => {
    const r = validateSpec(spec as NodeBounceSpec | undefined);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.join('\n')).toContain(problem);
  });

  it('reports every problem of a spec with several bad fields', () => {
    const r = ok({ podName: 'a', mode: 'Force', gracePeriodSeconds: 0, reason: 'x'.repeat(2000) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.join('\n');
    for (const key of ['spec.mode', 'spec.gracePeriodSeconds', 'spec.reason']) expect(text).toContain(key);
    expect(r.problems).toHaveLength(3);
  });

  it('property: the cross-field rule holds exactly when grace < timeout', () => {
    for (let timeout = 1; timeout <= 40; timeout++) {
      for (let grace = 1; grace <= 45; grace++) {
        const r = ok({ podName: 'a', gracePeriodSeconds: grace, terminationTimeoutSeconds: timeout });
        expect(r.ok, `grace ${grace} timeout ${timeout}`).toBe(grace < timeout);
      }
    }
  });
});
