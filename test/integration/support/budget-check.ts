// The group promise checked from the outside (issue 17): for every eviction the operator sent for a RollingBounce's
// member, how many OTHER members of that RollingBounce were unavailable at that instant. Pure: the timeline comes
// from the kube-apiserver audit log (evictions, deletes) and a pod watch (readiness); tests feed it synthetic ones.

/** One observation of a pod: `down` from this instant (missing, not Ready, terminating, or being disrupted), or up. */
export interface PodSample {
  pod: string;
  /** ms */
  at: number;
  up: boolean;
}

/** An eviction (or pod delete) the operator sent, with the NodeBounce it was for (when known). */
export interface SentEviction {
  pod: string;
  /** requestReceivedTimestamp, ms. */
  at: number;
  /** The RollingBounce owning the NodeBounce that evicted, if any (a user's NodeBounce has none). */
  owner?: string;
  /** When that NodeBounce was created (ms), for the wait it went through. */
  createdAt?: number;
}

export interface Group {
  /** RollingBounce name. */
  name: string;
  members: string[];
  maxUnavailable: number;
}

export interface EvictionVerdict {
  eviction: SentEviction;
  group: string;
  /** Other members unavailable at that instant (names). */
  down: string[];
  /**
   * Of those, the ones that went down less than `raceMs` before the eviction by something other than an eviction the
   * operator sent (a kill, a crash): only those can excuse it as a race.
   */
  recent: string[];
  verdict: 'ok' | 'race' | 'violation';
}

export interface BudgetReport {
  checked: number;
  /** Evictions for NodeBounces no RollingBounce owns (users'): not bound by a group's budget, counted only. */
  unowned: number;
  races: EvictionVerdict[];
  violations: EvictionVerdict[];
  /** Longest time from a member's NodeBounce creation to its eviction (ms). */
  longestWaitMs: number;
  verdicts: EvictionVerdict[];
}

export const RACE_MS = 1000;

/**
 * Whether `pod` was unavailable at `t`, and since when (ms): the last sample at or before `t` decides; a pod with no
 * sample before `t` counts as up, the state every scenario starts from. `sorted` is ordered by time.
 */
export function downSince(sorted: PodSample[], pod: string, t: number): number | undefined {
  let up = true;
  let since: number | undefined;
  for (const s of sorted) {
    if (s.pod !== pod || s.at > t) continue;
    if (!s.up && up) since = s.at;
    up = s.up;
  }
  return up ? undefined : since;
}

/**
 * Checks every eviction of a member against its owning group's maxUnavailable. Samples must be sorted by time.
 * A violation is an eviction sent while at least maxUnavailable other members were down; when removing the members
 * that went down less than `raceMs` before it would bring the count under the budget, it is a race instead (the
 * operator's live read and the other disruption crossed). A member the operator itself evicted cannot excuse
 * another of its evictions: every eviction of a member is decided under one lock, after the previous one's intent
 * was written (docs/adr/0007), so the operator cannot race itself; `evictions` must list every eviction the
 * operator sent (users' NodeBounces' too).
 */
export function checkBudget(
  groups: Group[],
  samples: PodSample[],
  evictions: SentEviction[],
  raceMs = RACE_MS,
): BudgetReport {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const byOperator = (pod: string, since: number) => evictions.some((x) => x.pod === pod && Math.abs(x.at - since) < 1);
  const report: BudgetReport = { checked: 0, unowned: 0, races: [], violations: [], longestWaitMs: 0, verdicts: [] };
  for (const e of evictions) {
    const group = e.owner ? groups.find((g) => g.name === e.owner) : undefined;
    if (!group) {
      report.unowned++;
      continue;
    }
    report.checked++;
    if (e.createdAt !== undefined) report.longestWaitMs = Math.max(report.longestWaitMs, e.at - e.createdAt);
    const down: string[] = [];
    const recent: string[] = [];
    for (const m of group.members) {
      if (m === e.pod) continue;
      const since = downSince(sorted, m, e.at);
      if (since === undefined) continue;
      down.push(m);
      if (e.at - since < raceMs && !byOperator(m, since)) recent.push(m);
    }
    let verdict: EvictionVerdict['verdict'] = 'ok';
    if (down.length >= group.maxUnavailable) {
      verdict = down.length - recent.length < group.maxUnavailable ? 'race' : 'violation';
    }
    const v: EvictionVerdict = { eviction: e, group: group.name, down, recent, verdict };
    report.verdicts.push(v);
    if (verdict === 'race') report.races.push(v);
    if (verdict === 'violation') report.violations.push(v);
  }
  return report;
}

/** One line per problem, for a test's failure message. */
export function describeVerdict(v: EvictionVerdict): string {
  return `${v.verdict}: ${v.group} evicted ${v.eviction.pod} at ${new Date(v.eviction.at).toISOString()} while ${v.down.length} other member(s) were down (${v.down.join(', ')}${v.recent.length ? `; less than 1 s before, not by the operator: ${v.recent.join(', ')}` : ''})`;
}
