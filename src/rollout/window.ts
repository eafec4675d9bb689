import type { MaintenanceWindow, Weekday } from '../api/rollingbounce.js';

// Maintenance windows: whether `now` is inside one, when the next one opens, when the open ones close. Pure.
//
// Computed, not scanned: each window is a set of instances, one per local day its `days` allow, opening at
// (day, start) and closing at (day, end), or at (next day, end) when end is not after start. A local time becomes an
// instant with the time zone's UTC offsets around `now` (found with a few Intl calls and a binary search for the
// transitions, at most one a week): a local time that occurs twice (the fall-back hour) is its first occurrence, so a
// window opens once; a local time that does not exist (the spring-forward gap) is read with the offset before the
// gap, i.e. moved forward by the gap's length (like Temporal's "compatible"), so a window in the gap still opens that
// day. An instance whose closing would then not come after its opening keeps its wall-clock length.

const DAYS: readonly Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MINUTE = 60_000;
const DAY_MIN = 1440;
/** Instances looked at: from the day before `now` to this many days after (a weekly window reopens within 7). */
const DAYS_AHEAD = 8;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** UTC offset (minutes) of `timeZone` at the instant `minute` (minutes since the epoch). */
export function offsetAt(timeZone: string, minute: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(minute * MINUTE)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day, p.hour! % 24, p.minute) / MINUTE;
  return wall - minute;
}

/** The offsets of a zone over a range: segment i holds offsets[i] from starts[i] (minutes since the epoch). */
interface Offsets {
  starts: number[];
  offsets: number[];
}

/** Transitions in [from, to], found by halving intervals whose ends differ (to the minute). */
function offsetsOver(timeZone: string, from: number, to: number): Offsets {
  const starts = [from];
  const offsets = [offsetAt(timeZone, from)];
  // Offsets at both ends of a week that agree: no transition inside (no zone changes its offset and back within a
  // week: DST starts and ends months apart, and the rare extra changes are not undone within days).
  const STEP = 7 * DAY_MIN;
  let a = from;
  let oa = offsets[0]!;
  while (a < to) {
    const b = Math.min(a + STEP, to);
    const ob = offsetAt(timeZone, b);
    if (ob !== oa) {
      let lo = a; // offset oa
      let hi = b; // offset ob
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(timeZone, mid) === oa) lo = mid;
        else hi = mid;
      }
      starts.push(hi);
      offsets.push(ob);
    }
    a = b;
    oa = ob;
  }
  return { starts, offsets };
}

/** The offset of `z` at the instant `minute` (inside the range it covers). */
function offsetIn(z: Offsets, minute: number): number {
  let o = z.offsets[0]!;
  for (let i = 1; i < z.starts.length && z.starts[i]! <= minute; i++) o = z.offsets[i]!;
  return o;
}

/**
 * The offsets of each zone over [from, to], remembered (the answer depends only on the zone and the range, so this
 * keeps windowState pure): a decide in the same few weeks makes no Intl call at all.
 */
const zoneCache = new Map<string, Offsets & { from: number; to: number }>();
const CACHE_AHEAD = 28 * DAY_MIN;

function zoneOffsets(timeZone: string, from: number, to: number): Offsets {
  const hit = zoneCache.get(timeZone);
  if (hit && hit.from <= from && hit.to >= to) return hit;
  if (zoneCache.size >= 1000) zoneCache.clear();
  const z = { ...offsetsOver(timeZone, from, to + CACHE_AHEAD), from, to: to + CACHE_AHEAD };
  zoneCache.set(timeZone, z);
  return z;
}

/** The instant (epoch minutes) of local wall time `wall` (local epoch minutes), as described at the top. */
function toInstant(z: Offsets, wall: number): number {
  let first: number | undefined;
  for (let i = 0; i < z.offsets.length; i++) {
    const t = wall - z.offsets[i]!;
    const end = z.starts[i + 1] ?? Number.POSITIVE_INFINITY;
    if (t >= z.starts[i]! && t < end && (first === undefined || t < first)) first = t;
  }
  if (first !== undefined) return first;
  // In a gap: the transition it falls in, read with the offset before it.
  for (let i = 1; i < z.offsets.length; i++) {
    const at = z.starts[i]!;
    const before = z.offsets[i - 1]!;
    if (wall >= at + before && wall < at + z.offsets[i]!) return wall - before;
  }
  return wall - z.offsets[0]!; // outside the range looked at (not reached)
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** One opening of a window: [open, close) in epoch minutes. */
export interface WindowInstance {
  open: number;
  close: number;
}

/** Every instance of `windows` from the local day before `now` to DAYS_AHEAD days after, by opening time. */
export function windowInstances(windows: readonly MaintenanceWindow[], now: Date): WindowInstance[] {
  const nowMin = Math.floor(now.getTime() / MINUTE);
  const out: WindowInstance[] = [];
  for (const w of windows) {
    const z = zoneOffsets(w.timeZone ?? 'UTC', nowMin - 3 * DAY_MIN, nowMin + (DAYS_AHEAD + 3) * DAY_MIN);
    const start = toMinutes(w.start);
    const end = toMinutes(w.end);
    const today = Math.floor((nowMin + offsetIn(z, nowMin)) / DAY_MIN);
    for (let d = today - 1; d <= today + DAYS_AHEAD; d++) {
      if (w.days?.length && !w.days.includes(DAYS[(((d + 4) % 7) + 7) % 7]!)) continue;
      const openWall = d * DAY_MIN + start;
      const closeWall = (end > start ? d : d + 1) * DAY_MIN + end;
      const open = toInstant(z, openWall);
      let close = toInstant(z, closeWall);
      if (close <= open) close = open + (closeWall - openWall);
      out.push({ open, close });
    }
  }
  return out.sort((a, b) => a.open - b.open);
}

export type WindowState = { open: true } | { open: false; opensAt?: Date };

/**
 * Open when there are no windows or `now` is inside one; otherwise when the next one opens (undefined if none opens
 * within DAYS_AHEAD days, which the schema makes impossible).
 */
export function windowState(windows: readonly MaintenanceWindow[], now: Date): WindowState {
  if (windows.length === 0) return { open: true };
  const t = now.getTime() / MINUTE;
  let next: number | undefined;
  for (const i of windowInstances(windows, now)) {
    if (i.open <= t && t < i.close) return { open: true };
    if (i.open > t && (next === undefined || i.open < next)) next = i.open;
  }
  return next === undefined ? { open: false } : { open: false, opensAt: new Date(next * MINUTE) };
}

/** When the windows open at `now` close (overlapping or adjoining ones count as one); undefined when none is open. */
export function windowClosesAt(windows: readonly MaintenanceWindow[], now: Date): Date | undefined {
  const t = now.getTime() / MINUTE;
  const instances = windowInstances(windows, now);
  let close: number | undefined;
  for (const i of instances) if (i.open <= t && t < i.close) close = Math.max(close ?? i.close, i.close);
  if (close === undefined) return undefined;
  for (let grown = true; grown;) {
    grown = false;
    for (const i of instances)
      if (i.open <= close && i.close > close) {
        close = i.close;
        grown = true;
      }
  }
  return new Date(close * MINUTE);
}
