import { describe, expect, it } from 'vitest';
import { decisionLatencies, podTimeline, type AuditEvent } from '../../bench/audit.js';

// The benchmark's decision latencies from audit events (pure). Times in ms; the operator's ServiceAccount is
// recognised by its username.
const OP = 'system:serviceaccount:nodebounce-system:nodebounce-operator';
let id = 0;
function ev(
  verb: string,
  resource: string,
  name: string,
  receivedMs: number,
  stageMs: number,
  o: { sub?: string; user?: string } = {},
): AuditEvent {
  return {
    auditID: String(id++),
    stage: 'ResponseComplete',
    verb,
    user: { username: o.user ?? 'kwok' },
    objectRef: { resource, subresource: o.sub, namespace: 'ns', name },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: '',
    stageTimestamp: '',
    receivedMs,
    stageMs,
  };
}

describe('bench: decision latencies from the audit log', () => {
  const history = (succeededReceived: number) => [
    ev('create', 'nodebounces', 'nb', 0, 2, { user: 'bench' }),
    ev('create', 'pods', 'p', 10, 12, { sub: 'eviction', user: OP }),
    ev('delete', 'pods', 'p', 500, 502),
    ev('create', 'pods', 'p', 1500, 1502, { user: 'simulator' }),
    // kwok's Ready: received at 3000, its response completes at 3006
    ev('patch', 'pods', 'p', 3000, 3006, { sub: 'status' }),
    ev('update', 'nodebounces', 'nb', succeededReceived, succeededReceived + 3, { sub: 'status', user: OP }),
  ];

  it('created -> eviction, and Ready -> Succeeded', () => {
    const events = history(3010);
    const t = podTimeline(events, 'ns', 'p', 0, 10_000);
    expect(t).toMatchObject({ disruptedAt: 12, goneAt: 502, createdAt: 1502, readyAt: 3006, readyReceivedAt: 3000 });
    expect(decisionLatencies(events, 'ns', 'nb', 'p', t.readyAt, t.readyReceivedAt)).toEqual({
      createdToEvictMs: 8,
      readyToSucceededMs: 7,
    });
  });

  it('an operator that saw Ready before kwok got its answer still counts (as 0), not dropped', () => {
    const events = history(3004); // received after kwok's request, before kwok's response completed
    const t = podTimeline(events, 'ns', 'p', 0, 10_000);
    expect(decisionLatencies(events, 'ns', 'nb', 'p', t.readyAt, t.readyReceivedAt).readyToSucceededMs).toBe(1);
    const early = history(3001);
    expect(decisionLatencies(early, 'ns', 'nb', 'p', t.readyAt, t.readyReceivedAt).readyToSucceededMs).toBe(0);
  });
});
