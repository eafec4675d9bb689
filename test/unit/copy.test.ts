// copyJson (src/bounce/copy.ts): the deep copy decide() and applyOutcome() change instead of the cached status.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyJson } from '../../src/bounce/copy.js';

describe('copyJson', () => {
  it('copies any JSON value deeply: equal, and no object or array shared with the original', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = copyJson(value);
        expect(copy).toStrictEqual(value);
        const shared = (a: unknown, b: unknown): boolean =>
          a !== null &&
          typeof a === 'object' &&
          (a === b || Object.keys(a).some((k) => shared((a as never)[k], (b as never)[k])));
        expect(shared(copy, value)).toBe(false);
      }),
    );
  });

  it('a "__proto__" key (JSON.parse makes it an own key) is copied as a key, not set as the prototype', () => {
    const parsed = JSON.parse('{"a":[{"__proto__":null}],"__proto__":{"polluted":true}}') as object;
    const copy = copyJson(parsed);
    expect(copy).toStrictEqual(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('a change to the copy of a status leaves the original as it was', () => {
    const status = { phase: 'Pending', conditions: [{ type: 'Accepted', status: 'True' }], pod: { name: 'p' } };
    const copy = copyJson(status);
    copy.conditions[0]!.status = 'False';
    copy.pod.name = 'q';
    expect(status).toEqual({
      phase: 'Pending',
      conditions: [{ type: 'Accepted', status: 'True' }],
      pod: { name: 'p' },
    });
  });
});
