// A request deadline that ran out (AbortSignal.timeout: a DOMException TimeoutError, whose legacy numeric `code` is
// 23) is "no answer", not an HTTP status. Read as code 23 (< 500), a timed-out disable of shutdown protection counted
// as a definite refusal: disabledByOperator stayed false, the patch had in fact been applied, and protection was
// never restored (found by the 60 s black-hole chaos run: 3 ExpressNodes left unprotected).
import { describe, expect, it } from 'vitest';
import { applyOutcome } from '../../src/bounce/outcome.js';
import { describeApiError } from '../../src/kube/errors.js';
import { EXPRESS, at, makeNodeBounce } from './fixtures.js';

describe('a deadline that ran out', () => {
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  const abort = new DOMException('This operation was aborted', 'AbortError');

  it('has no HTTP code', () => {
    expect(describeApiError(timeout)).toMatchObject({
      code: undefined,
      message: 'no answer before the request deadline (TimeoutError)',
    });
    expect(describeApiError(abort).code).toBeUndefined();
    expect(describeApiError({ code: 404, message: 'not found' }).code).toBe(404);
  });

  it('a timed-out disable of shutdown protection may have been applied: it is restored afterwards', () => {
    const nb = makeNodeBounce({
      finalizer: true,
      status: {
        phase: 'Pending',
        shutdownProtection: { wasEnabled: true, disabledByOperator: false, restored: false },
      },
    });
    const r = applyOutcome(
      nb,
      { type: 'SetShutdownProtection', expressName: EXPRESS, enabled: false },
      { ok: false, ...describeApiError(timeout) },
      at(1),
    );
    expect(r.status.shutdownProtection?.disabledByOperator).toBe(true);
  });
});
