// Which RollingBounces a pod or Express change wakes up: only the unfinished ones it concerns (one of their members'
// pods or Express resources, or members not resolved yet). Before, every pod or Express event of the namespace
// reconciled every active RollingBounce there, so anyone who may edit a namespace could keep the loop busy.
import { describe, expect, it } from 'vitest';
import type { RollingBounce } from '../../src/api/rollingbounce.js';
import { concernsRollout } from '../../src/controller/rollout-controller.js';
import { makeRb } from './rollout-fixtures.js';

const withMembers = (phase: NonNullable<RollingBounce['status']>['phase'] = 'Progressing'): RollingBounce => ({
  ...makeRb(),
  status: {
    phase,
    reason: 'MembersInProgress',
    members: [
      { pod: 'node-a-0', expressResource: 'node-a', phase: 'InProgress' },
      { pod: 'node-b-0', expressResource: 'node-b', phase: 'Pending' },
    ],
  },
});

describe('concernsRollout', () => {
  it("a member's pod or Express resource: yes; anything else in the namespace: no", () => {
    const rb = withMembers();
    expect(concernsRollout(rb, { pod: 'node-a-0' })).toBe(true);
    expect(concernsRollout(rb, { express: 'node-b' })).toBe(true);
    // A replacement pod under another name, mapped to a member's Express resource.
    expect(concernsRollout(rb, { pod: 'node-a-7f9c', express: 'node-a' })).toBe(true);
    expect(concernsRollout(rb, { pod: 'web-5d8f', express: 'other' })).toBe(false);
    expect(concernsRollout(rb, { pod: 'web-5d8f' })).toBe(false);
    expect(concernsRollout(rb, { express: 'node-c' })).toBe(false);
  });

  it('members not resolved yet: every change may matter', () => {
    expect(concernsRollout(makeRb(), { pod: 'anything' })).toBe(true);
  });

  it('finished with nothing in flight: never', () => {
    const done = withMembers('Succeeded');
    done.status!.members = done.status!.members!.map((m) => ({ ...m, phase: 'Succeeded' as const }));
    expect(concernsRollout(done, { pod: 'node-a-0' })).toBe(false);
  });
});
