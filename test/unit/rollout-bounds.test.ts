// The RollingBounce status is bounded: at most MAX_ROLLOUT_MEMBERS members (one status row each), each row repeating
// at most MAX_MEMBER_MESSAGE of its NodeBounce's message, so the object stays well below etcd's 1.5 MiB limit even
// with the longest names Kubernetes allows.
import { describe, expect, it } from 'vitest';
import { MAX_MEMBER_MESSAGE, MAX_ROLLOUT_MEMBERS } from '../../src/rollout/spec.js';
import { makeRb, settle, World, type NodeSpec } from './rollout-fixtures.js';

const ETCD_LIMIT = 1.5 * 1024 * 1024;

/** `n` members with 253-character names (the most a pod or Express resource name may have). */
const longNodes = (n: number): NodeSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${String(i).padStart(4, '0')}-${'x'.repeat(248)}` }));

describe('RollingBounce status bound', () => {
  it(`a selector matching ${MAX_ROLLOUT_MEMBERS + 1} Express resources: Failed/TooManyMembers, nothing started`, () => {
    const world = new World(longNodes(MAX_ROLLOUT_MEMBERS + 1));
    const r = settle(world, makeRb({ members: { selector: { matchLabels: { cluster: 'c1' } } } }), 0);
    expect(r.rb.status).toMatchObject({ phase: 'Failed', reason: 'TooManyMembers' });
    expect(r.rb.status?.message).toContain(`matches ${MAX_ROLLOUT_MEMBERS + 1} Express resources`);
    expect(r.rb.status?.message).toContain(`at most ${MAX_ROLLOUT_MEMBERS}`);
    expect(r.rb.status?.members ?? []).toEqual([]);
    expect(world.creates).toEqual([]);
  });

  it(`${MAX_ROLLOUT_MEMBERS} members, all in flight with long NodeBounce messages: status stays under half of etcd's limit`, () => {
    const world = new World(longNodes(MAX_ROLLOUT_MEMBERS));
    let r = settle(
      world,
      makeRb({ members: { selector: { matchLabels: { cluster: 'c1' } } }, maxUnavailable: '100%' }),
      0,
    );
    expect(r.rb.status?.members).toHaveLength(MAX_ROLLOUT_MEMBERS);
    expect(world.inFlightNbs()).toHaveLength(MAX_ROLLOUT_MEMBERS);
    for (const nb of world.nbs.values())
      nb.status = { phase: 'Failed', reason: 'ReadyTimeout', message: 'm'.repeat(32 * 1024) };
    r = settle(world, r.rb, 1);
    const rows = r.rb.status?.members ?? [];
    expect(rows.every((m) => m.phase === 'Failed' && (m.message?.length ?? 0) <= MAX_MEMBER_MESSAGE)).toBe(true);
    const size = Buffer.byteLength(JSON.stringify(r.rb));
    expect(size).toBeLessThan(ETCD_LIMIT / 2);
  });
});
