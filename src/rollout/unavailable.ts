import type { NodeBounce } from '../api/nodebounce.js';
import { ROLLINGBOUNCE_KIND } from '../api/rollingbounce.js';
import type { ExpressReadResult } from '../express/view.js';

// What "unavailable" means for a member of a group (a RollingBounce's members), defined once: the health gate, the
// disruption budget checked before a member's NodeBounce touches anything, and the final check all use it. Pure.
//
// A member is unavailable when
//   - its pod is missing, not Ready, or terminating;
//   - an unfinished NodeBounce (ours, a user's, another RollingBounce's) targets it;
//   - its Express runtime state is not one of healthyStates.
// Failed and skipped members count like any other while they are down. Two kinds of members are not counted:
// one whose Express resource is gone (it left the group: scaled away), and one that is intentionally down (its
// desired state says so: it is not meant to be up). An invalid Express resource has no readable runtime state:
// such a member is judged by its pod and its NodeBounces alone.

/** A member of the group: its pod (at snapshot time, or since renamed) and its Express resource. */
export interface GroupMember {
  pod: string;
  expressResource?: string;
}

/** A pod of the namespace, as the definition needs it. */
export interface GroupPod {
  name: string;
  /** The Express resource the pod belongs to, when it maps to one. */
  expressName?: string;
  ready: boolean;
  terminating: boolean;
}

/** An Express resource of the namespace. */
export interface GroupExpress {
  name: string;
  read: ExpressReadResult;
}

/** A NodeBounce of the namespace that may take a pod down (see bounceInFlight). */
export interface GroupBounce {
  name: string;
  podName: string;
  /** The RollingBounce that owns it, if any. */
  rollout?: string;
  /** phase/reason, for the why. */
  state: string;
}

export interface GroupView {
  pods: readonly GroupPod[];
  express: readonly GroupExpress[];
  /** Unfinished NodeBounces of the namespace (bounceInFlight), whoever created them. */
  bounces: readonly GroupBounce[];
  healthyStates: readonly string[];
}

export type MemberAvailability =
  | { kind: 'available' }
  | { kind: 'unavailable'; why: string }
  /** Not counted: its Express resource is gone (the member left the group). */
  | { kind: 'gone' }
  /** Not counted: intentionally down (desired state). */
  | { kind: 'intentionallyDown' };

export interface UnavailableMember {
  member: GroupMember;
  /** How to name it in a message: its pod, else its Express resource. */
  name: string;
  why: string;
}

/** The reason a waiting NodeBounce records: it has touched nothing and checks again before it does. */
export const WAITING_FOR_BUDGET_REASON = 'WaitingForDisruptionBudget';

/**
 * Whether a NodeBounce may take its pod down: not finished, not a dry run, and not waiting for a disruption budget
 * (a waiting one touched nothing and checks the budget again, under the same lock, before it does). A NodeBounce
 * with no status yet counts: it may be a plain one that starts without asking.
 */
export function bounceInFlight(nb: Pick<NodeBounce, 'spec' | 'status'>): boolean {
  if (nb.spec?.dryRun === true) return false;
  const phase = nb.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (phase === 'Pending' && nb.status?.reason === WAITING_FOR_BUDGET_REASON && !nb.status.shutdownProtection)
    return false;
  return true;
}

/** The pods of a member: those of its Express resource, and the pod of its name (when it maps nowhere else). */
function podsOfMember(m: GroupMember, pods: readonly GroupPod[]): GroupPod[] {
  return pods.filter((p) =>
    m.expressResource
      ? p.expressName === m.expressResource || (p.name === m.pod && p.expressName === undefined)
      : p.name === m.pod,
  );
}

/** Whether a pod name belongs to the member (a NodeBounce for it targets the member). */
export function targets(m: GroupMember, podName: string, pods: readonly GroupPod[]): boolean {
  if (podName === m.pod) return true;
  return podsOfMember(m, pods).some((p) => p.name === podName);
}

/** One member's availability, by the definition above. */
export function memberAvailability(m: GroupMember, view: GroupView): MemberAvailability {
  const e = m.expressResource ? view.express.find((x) => x.name === m.expressResource) : undefined;
  if (m.expressResource && !e) return { kind: 'gone' };
  if (e?.read.ok && e.read.view.intentionallyDown) return { kind: 'intentionallyDown' };
  const bounce = view.bounces.find((b) => targets(m, b.podName, view.pods));
  if (bounce)
    return {
      kind: 'unavailable',
      why: `NodeBounce ${bounce.name}${bounce.rollout ? ` of RollingBounce ${bounce.rollout}` : ''} (${bounce.state})`,
    };
  const pods = podsOfMember(m, view.pods);
  const live = pods.filter((p) => !p.terminating);
  const pod = live.find((p) => p.ready) ?? live[0];
  if (!pod) return { kind: 'unavailable', why: pods.length ? 'pod terminating' : 'pod missing' };
  if (!pod.ready) return { kind: 'unavailable', why: `pod ${pod.name} not Ready` };
  if (e?.read.ok) {
    const state = e.read.view.runtimeState;
    if (!view.healthyStates.includes(state ?? ''))
      return { kind: 'unavailable', why: `runtime state ${JSON.stringify(state ?? null)}` };
  }
  return { kind: 'available' };
}

export function memberName(m: GroupMember): string {
  return m.pod || m.expressResource || '?';
}

export function sameMember(a: GroupMember, b: GroupMember): boolean {
  if (a.expressResource && b.expressResource) return a.expressResource === b.expressResource;
  return a.pod === b.pod;
}

/**
 * The members other than `start` that are unavailable now, each with why. `start` is the member about to be
 * disrupted (or undefined for "all of them", the final check).
 */
export function otherUnavailable(
  members: readonly GroupMember[],
  view: GroupView,
  start?: GroupMember,
): UnavailableMember[] {
  const out: UnavailableMember[] = [];
  for (const m of members) {
    if (start && sameMember(m, start)) continue;
    const a = memberAvailability(m, view);
    if (a.kind === 'unavailable') out.push({ member: m, name: memberName(m), why: a.why });
  }
  return out;
}

/** "a (pod not Ready); b (NodeBounce x ...)", at most `max` named. */
export function describeUnavailable(down: readonly UnavailableMember[], max = 5): string {
  const shown = down
    .slice(0, max)
    .map((d) => `${d.name}: ${d.why}`)
    .join('; ');
  return down.length > max ? `${shown}; and ${down.length - max} more` : shown;
}

/** The NodeBounces of a namespace as the definition sees them: only those in flight. */
export function groupBouncesOf(
  nodeBounces: readonly Pick<NodeBounce, 'metadata' | 'spec' | 'status'>[],
): GroupBounce[] {
  return nodeBounces.filter(bounceInFlight).map((nb) => {
    const owner = (nb.metadata.ownerReferences ?? []).find(
      (r) => r.kind === ROLLINGBOUNCE_KIND && r.controller === true && r.name,
    );
    const st = nb.status;
    return {
      name: nb.metadata.name,
      podName: nb.spec?.podName ?? '',
      ...(owner?.name ? { rollout: owner.name } : {}),
      state: st?.phase ? `${st.phase}${st.reason ? `/${st.reason}` : ''}` : 'new',
    };
  });
}
