// The scale run blames a failed bounce on the operator only when the operator failed: a ReadyTimeout whose
// replacement the bench saw Ready only after it saw the NodeBounce fail (or never) is the simulator's or kwok's overload.
import { describe, expect, it } from 'vitest';
import { blameOf } from '../../bench/scenarios.js';

describe('bench: who a failed bounce belongs to', () => {
  const failedAt = 10_000;
  it('a ReadyTimeout whose replacement was Ready only later, or never, is the environment', () => {
    expect(blameOf('ReadyTimeout', failedAt, failedAt + 1)).toBe('environment');
    expect(blameOf('ReadyTimeout', failedAt, undefined)).toBe('environment');
  });
  it('a ReadyTimeout whose replacement was Ready in time, and every other reason, is the operator', () => {
    expect(blameOf('ReadyTimeout', failedAt, failedAt - 1)).toBe('operator');
    expect(blameOf('ReadyTimeout', failedAt, failedAt)).toBe('operator');
    expect(blameOf('EvictionFailed', failedAt, undefined)).toBe('operator');
    expect(blameOf(undefined, failedAt, undefined)).toBe('operator');
  });
});
