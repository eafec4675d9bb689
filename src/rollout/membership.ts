import { createHash } from 'node:crypto';
import type { NodeBounce } from '../api/nodebounce.js';
import type { LabelSelector, MemberStatus, RolloutCounts } from '../api/rollingbounce.js';
import { MemberReasons as MR, RolloutReasons as R, type RolloutReason } from './lifecycle.js';
import type { MemberPod, RolloutObserved } from './observed.js';
import type { ValidRolloutSpec } from './spec.js';

// Who the members are: resolved once into rows (in rollout order), each followed through its NodeBounce, and each
// member's current pod.

/** `<rollingbounce>-<pod>` cut to 54 characters plus a hash of the RollingBounce's UID and the pod: ≤ 63, stable. */
export function memberNodeBounceName(rbName: string, rbUid: string | undefined, pod: string): string {
  const hash = createHash('sha256')
    .update(`${rbUid ?? ''}/${rbName}/${pod}`)
    .digest('hex')
    .slice(0, 8);
  const base = `${rbName}-${pod}`.slice(0, 54).replace(/[-.]+$/, '');
  return `${base}-${hash}`;
}

export function matchesSelector(labels: Record<string, string> | undefined, sel: LabelSelector | undefined): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const inValues = has && (e.values ?? []).includes(l[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export const ACTIVE_MEMBER = (m: MemberStatus) => m.phase === 'InProgress';
export const DONE_MEMBER = (m: MemberStatus) =>
  m.phase === 'Succeeded' || m.phase === 'Failed' || m.phase === 'Skipped';

export function countMembers(members: readonly MemberStatus[]): RolloutCounts {
  const c: RolloutCounts = { total: members.length, pending: 0, inProgress: 0, succeeded: 0, failed: 0, skipped: 0 };
  for (const m of members) {
    if (m.phase === 'Pending') c.pending++;
    else if (m.phase === 'InProgress') c.inProgress++;
    else if (m.phase === 'Succeeded') c.succeeded++;
    else if (m.phase === 'Failed') c.failed++;
    else c.skipped++;
  }
  return c;
}

type Resolution = { ok: true; members: MemberStatus[] } | { ok: false; reason: RolloutReason; message: string };

/** Resolves the members (selector or pod names) into rows, in rollout order. */
export function resolveMembers(spec: ValidRolloutSpec, obs: RolloutObserved): Resolution {
  const expressByName = new Map(obs.express.map((e) => [e.name, e]));
  const podsOf = (express: string) =>
    obs.pods
      .filter((p) => p.expressName === express)
      .sort((a, b) => Number(a.terminating) - Number(b.terminating) || cmp(a.name, b.name));
  const rows: MemberStatus[] = [];
  if (spec.members.selector) {
    const matched = obs.express.filter((e) => matchesSelector(e.labels, spec.members.selector));
    if (matched.length === 0)
      return {
        ok: false,
        reason: R.NoMembers,
        message: `no Express resource in this namespace matches ${JSON.stringify(spec.members.selector)}`,
      };
    for (const e of matched) {
      const pod = podsOf(e.name)[0];
      const last = matchesSelector(e.labels, spec.last);
      if (pod) rows.push({ pod: pod.name, expressResource: e.name, last, phase: 'Pending' });
      else {
        const down = e.read.ok && e.read.view.intentionallyDown;
        rows.push({
          pod: '',
          expressResource: e.name,
          last,
          phase: 'Skipped',
          reason: down ? MR.IntentionallyDown : MR.NoPod,
          message: down
            ? `desired state ${e.read.ok ? e.read.view.desiredState : ''}: intentionally down, not bounced`
            : 'the Express resource has no pod: nothing to bounce',
        });
      }
    }
  } else {
    const missing: string[] = [];
    for (const name of spec.members.podNames ?? []) {
      const pod = obs.pods.find((p) => p.name === name);
      if (pod?.expressName) {
        const e = expressByName.get(pod.expressName);
        rows.push({
          pod: name,
          expressResource: pod.expressName,
          last: matchesSelector(e?.labels, spec.last),
          phase: 'Pending',
        });
        continue;
      }
      // No pod: an Express resource of that name that is intentionally down is reported and skipped.
      const e = expressByName.get(name);
      if (!pod && e?.read.ok && e.read.view.intentionallyDown) {
        rows.push({
          pod: name,
          expressResource: name,
          last: matchesSelector(e.labels, spec.last),
          phase: 'Skipped',
          reason: MR.IntentionallyDown,
          message: `desired state ${e.read.view.desiredState}: intentionally down, not bounced`,
        });
        continue;
      }
      missing.push(pod ? `${name} (no Express resource)` : `${name} (no such pod)`);
    }
    if (missing.length > 0)
      return { ok: false, reason: R.MembersNotFound, message: `members not found: ${missing.join(', ')}` };
  }
  const key = (m: MemberStatus) => m.pod || m.expressResource || '';
  rows.sort((a, b) => cmp(key(a), key(b)));
  if (spec.order === 'reverse') rows.reverse();
  return { ok: true, members: [...rows.filter((m) => !m.last), ...rows.filter((m) => m.last)] };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Follows each started member's NodeBounce into its row. Returns the rows and the NodeBounces to (re)create. */
export function followNodeBounces(
  members: MemberStatus[],
  owned: Map<string, NodeBounce>,
  now: Date,
): { rows: MemberStatus[]; toCreate: MemberStatus[] } {
  const toCreate: MemberStatus[] = [];
  const rows = members.map((m) => {
    if (m.phase !== 'InProgress' || !m.nodeBounce) return m;
    const nb = owned.get(m.nodeBounce);
    if (!nb) {
      if (m.nodeBounceUID) {
        return {
          ...m,
          phase: 'Failed' as const,
          reason: MR.NodeBounceDeleted,
          message: `NodeBounce ${m.nodeBounce} was deleted before it finished`,
          endTime: now.toISOString(),
        };
      }
      // Recorded, never seen: not created yet (or the operator died right after recording it). Creating is
      // idempotent by name (AlreadyExists counts as done), and the UID check above means never twice.
      toCreate.push(m);
      return m;
    }
    const row: MemberStatus = { ...m, nodeBounceUID: nb.metadata.uid ?? m.nodeBounceUID };
    const st = nb.status;
    if (st?.phase === 'Failed' && st.reason === 'IntentionallyDown') {
      // Went down between our check and its preflight: nothing was touched; reported and skipped, not a failure.
      return {
        ...row,
        phase: 'Skipped' as const,
        reason: MR.IntentionallyDown,
        message: st.message,
        endTime: st.completionTime ?? now.toISOString(),
      };
    }
    if (st?.phase === 'Succeeded' || st?.phase === 'Failed') {
      return {
        ...row,
        phase: st.phase,
        reason: st.reason,
        message: st.message,
        endTime: st.completionTime ?? m.endTime ?? now.toISOString(),
      };
    }
    return {
      ...row,
      reason: st?.phase ? `${st.phase}${st.reason ? `/${st.reason}` : ''}` : 'Created',
      message: st?.message ?? m.message,
    };
  });
  return { rows, toCreate };
}

/** The member's current pod: the one of that name if it exists and belongs to its Express resource, else another of its Express resource (Ready first). */
export function currentPod(m: MemberStatus, pods: readonly MemberPod[]): MemberPod | undefined {
  const byName = pods.find((p) => p.name === m.pod && !p.terminating);
  if (byName && (!m.expressResource || !byName.expressName || byName.expressName === m.expressResource)) return byName;
  if (!m.expressResource) return byName;
  const mine = pods.filter((p) => p.expressName === m.expressResource && !p.terminating);
  return mine.find((p) => p.ready) ?? mine[0] ?? byName;
}
