import { describe, expect, it } from 'vitest';
import type { RollingBounce } from '../../src/api/rollingbounce.js';
import { parseSelector } from '../../src/cli/app.js';
import { membersTable, rolloutListTable, rolloutStory } from '../../src/cli/format.js';

const now = new Date('2026-01-01T00:10:00Z');
const rb: RollingBounce = {
  metadata: { name: 'weekly', namespace: 'team', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { members: { podNames: ['a', 'b'] }, maxUnavailable: 1 },
  status: {
    phase: 'Progressing',
    reason: 'MembersInProgress',
    progress: '1/2',
    startTime: '2026-01-01T00:00:01Z',
    members: [
      {
        pod: 'a',
        expressResource: 'a',
        phase: 'Succeeded',
        reason: 'PodRestarted',
        nodeBounce: 'weekly-a-1234abcd',
        startTime: '2026-01-01T00:00:01Z',
        endTime: '2026-01-01T00:00:31Z',
      },
      {
        pod: 'b',
        expressResource: 'b',
        last: true,
        phase: 'InProgress',
        reason: 'Terminating/WaitingForTermination',
        nodeBounce: 'weekly-b-9876fedc',
        startTime: '2026-01-01T00:09:00Z',
      },
    ],
  },
};

describe('CLI for RollingBounces', () => {
  it('parses kubectl-style selectors', () => {
    expect(parseSelector('app=ex,tier!=witness,role in (a, b),zone,!legacy')).toEqual({
      matchLabels: { app: 'ex' },
      matchExpressions: [
        { key: 'tier', operator: 'NotIn', values: ['witness'] },
        { key: 'role', operator: 'In', values: ['a', 'b'] },
        { key: 'zone', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(() => parseSelector('a=b=c')).toThrow(/cannot parse/);
  });

  it('list and members tables', () => {
    expect(rolloutListTable([rb], { allNamespaces: false, wide: false, now })).toBe(
      [
        'ROLLINGBOUNCE   PROGRESS   PHASE         REASON              DURATION   AGE',
        'weekly          1/2        Progressing   MembersInProgress   9m59s+     10m',
      ].join('\n'),
    );
    expect(membersTable(rb, now).split('\n')).toEqual([
      '  #   POD   EXPRESS    PHASE        REASON                              TOOK   NODEBOUNCE',
      '  1   a     a          Succeeded    PodRestarted                        30s    weekly-a-1234abcd',
      '  2   b     b (last)   InProgress   Terminating/WaitingForTermination   1m+    weekly-b-9876fedc',
    ]);
    expect(rolloutStory(rb, now)).toMatch(/Progress:\s+1\/2/);
  });
});
