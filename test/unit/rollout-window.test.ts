// Maintenance windows (src/rollout/window.ts), computed rather than scanned: checked against a brute-force reference
// that reads the local time of every minute around `now` (an independent way to turn a local time into an instant),
// over random windows, time zones and instants, many of them next to the DST transitions of several zones. Plus
// the DST cases the minute scan got wrong: a window in the spring-forward gap was skipped for a week, and a window
// in the fall-back hour opened twice.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MaintenanceWindow, Weekday } from '../../src/api/rollingbounce.js';
import { windowClosesAt, windowState } from '../../src/rollout/window.js';

const MINUTE = 60_000;
const DAYS: Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Australia/Lord_Howe', // a 30-minute DST shift
  'America/Santiago', // transitions at local midnight
  'Pacific/Chatham', // +12:45 / +13:45
  'Asia/Kolkata', // no DST, +05:30
] as const;

// ---- the reference: local wall time of every minute, brute force ----

const refFormatters = new Map<string, Intl.DateTimeFormat>();
/** UTC offset (minutes) at instant `minute`, read from Intl's rendering of the local date and time. */
function refOffset(tz: string, minute: number): number {
  let f = refFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    refFormatters.set(tz, f);
  }
  // en-GB: "dd/mm/yyyy, hh:mm"
  const m = /^(\d\d)\/(\d\d)\/(\d{4}), (\d\d):(\d\d)$/.exec(f.format(new Date(minute * MINUTE)))!;
  return Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4]), Number(m[5])) / MINUTE - minute;
}

interface Scan {
  instants: number[];
  walls: number[];
}

/**
 * Every minute from `from` to `to` with its local wall time (local epoch minutes). Offsets change only on
 * 15-minute UTC boundaries (every offset in use is a multiple of 15 minutes and transitions happen on whole local
 * quarter hours), so one Intl call per quarter hour gives every minute.
 */
function scan(tz: string, from: number, to: number): Scan {
  const instants: number[] = [];
  const walls: number[] = [];
  for (let q = Math.floor(from / 15) * 15; q <= to; q += 15) {
    const off = refOffset(tz, q);
    for (let i = q; i < q + 15; i++) {
      instants.push(i);
      walls.push(i + off);
    }
  }
  return { instants, walls };
}

/**
 * The instant of local time `wall`: its first occurrence in the scan; for a local time that never occurs (a
 * spring-forward gap), the minute before the gap plus the distance, i.e. read with the offset before the gap.
 */
function refInstant(s: Scan, wall: number): number {
  for (let j = 0; j < s.walls.length; j++) {
    if (s.walls[j]! >= wall) {
      if (s.walls[j] === wall || j === 0) return s.instants[j]! + (wall - s.walls[j]!);
      return s.instants[j - 1]! + (wall - s.walls[j - 1]!);
    }
  }
  throw new Error('wall time outside the scan');
}

function refInstances(windows: readonly MaintenanceWindow[], t: number): Array<{ open: number; close: number }> {
  const out: Array<{ open: number; close: number }> = [];
  const scans = new Map<string, Scan>();
  for (const w of windows) {
    const tz = w.timeZone ?? 'UTC';
    if (!scans.has(tz)) scans.set(tz, scan(tz, Math.floor(t) - 3 * 1440, Math.floor(t) + 12 * 1440));
    const s = scans.get(tz)!;
    const start = Number(w.start.slice(0, 2)) * 60 + Number(w.start.slice(3));
    const end = Number(w.end.slice(0, 2)) * 60 + Number(w.end.slice(3));
    const today = Math.floor((Math.floor(t) + refOffset(tz, Math.floor(t))) / 1440);
    for (let d = today - 1; d <= today + 8; d++) {
      const weekday = DAYS[new Date(d * 86_400_000).getUTCDay()]!;
      if (w.days?.length && !w.days.includes(weekday)) continue;
      const openWall = d * 1440 + start;
      const closeWall = (end > start ? d : d + 1) * 1440 + end;
      const open = refInstant(s, openWall);
      let close = refInstant(s, closeWall);
      if (close <= open) close = open + (closeWall - openWall);
      out.push({ open, close });
    }
  }
  return out;
}

function reference(windows: readonly MaintenanceWindow[], now: Date) {
  const t = now.getTime() / MINUTE;
  const inst = refInstances(windows, t);
  const covering = inst.filter((i) => i.open <= t && t < i.close);
  if (covering.length) {
    let close = Math.max(...covering.map((i) => i.close));
    for (let grown = true; grown;) {
      grown = false;
      for (const i of inst)
        if (i.open <= close && i.close > close) {
          close = i.close;
          grown = true;
        }
    }
    return { state: { open: true as const }, closesAt: new Date(close * MINUTE) };
  }
  const next = Math.min(...inst.filter((i) => i.open > t).map((i) => i.open));
  return {
    state: Number.isFinite(next)
      ? { open: false as const, opensAt: new Date(next * MINUTE) }
      : { open: false as const },
    closesAt: undefined,
  };
}

// ---- generators ----

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const windowArb = (zone: fc.Arbitrary<string>) =>
  fc
    .record({
      days: fc.option(fc.subarray(DAYS, { minLength: 1 }), { nil: undefined }),
      start: fc.integer({ min: 0, max: 1439 }),
      length: fc.integer({ min: 1, max: 1439 }),
      // Half of them start on the hour or half hour, where DST transitions happen.
      round: fc.boolean(),
      timeZone: zone,
    })
    .map(({ days, start, length, round, timeZone }): MaintenanceWindow => {
      const s = round ? Math.floor(start / 30) * 30 : start;
      const e = (s + length) % 1440;
      return {
        ...(days ? { days } : {}),
        start: hhmm(s),
        end: e === 0 ? '24:00' : hhmm(e),
        timeZone,
      };
    });

/** DST transitions (epoch minutes) of each zone in 2025-2027, found by an hourly scan and refined to the minute. */
const transitions: Array<{ zone: string; at: number }> = [];

beforeAll(() => {
  const from = Date.UTC(2025, 0, 1) / MINUTE;
  const to = Date.UTC(2027, 11, 31) / MINUTE;
  for (const zone of ZONES) {
    let prev = refOffset(zone, from);
    for (let h = from + 60; h <= to; h += 60) {
      const o = refOffset(zone, h);
      if (o !== prev) {
        let lo = h - 60;
        let hi = h;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (refOffset(zone, mid) === prev) lo = mid;
          else hi = mid;
        }
        transitions.push({ zone, at: hi });
        prev = o;
      }
    }
  }
});

const byWindows = (w: MaintenanceWindow[], now: Date) => ({
  state: windowState(w, now),
  closesAt: windowClosesAt(w, now),
});

describe('maintenance windows: computed, against a brute-force reference', () => {
  it('found the DST transitions of the zones it samples around', () => {
    expect(new Set(transitions.map((t) => t.zone))).toEqual(
      new Set(['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham']),
    );
  });

  it('random windows, zones and instants', { timeout: 180_000 }, () => {
    fc.assert(
      fc.property(
        fc.array(windowArb(fc.constantFrom(...ZONES)), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: Date.UTC(2024, 0, 1) / MINUTE, max: Date.UTC(2028, 0, 1) / MINUTE }),
        fc.integer({ min: 0, max: 59 }),
        (windows, minute, second) => {
          const now = new Date(minute * MINUTE + second * 1000);
          expect(byWindows(windows, now)).toEqual(reference(windows, now));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('instants around the DST transitions of several zones, windows in those zones', { timeout: 180_000 }, () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.integer({ min: -2 * 1440, max: 2 * 1440 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(windowArb(fc.constant('UTC'))),
        (pick, delta, count, stream) => {
          const tr = transitions[pick % transitions.length]!;
          const windows = [...stream.take(count)].map((w) => ({ ...w, timeZone: tr.zone }));
          const now = new Date((tr.at + delta) * MINUTE);
          expect(byWindows(windows, now)).toEqual(reference(windows, now));
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('maintenance windows across DST (the cases the minute scan got wrong)', () => {
  // Europe/Paris 2026: spring forward Sun 29 March 02:00 -> 03:00 (01:00Z); fall back Sun 25 October 03:00 -> 02:00
  // (01:00Z).
  it('a window inside the spring-forward gap opens that day, moved by the gap, not a week later', () => {
    const w: MaintenanceWindow[] = [{ days: ['Sun'], start: '02:00', end: '02:30', timeZone: 'Europe/Paris' }];
    expect(windowState(w, new Date('2026-03-29T00:30:00Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-03-29T01:00:00Z'), // 03:00 CEST
    });
    expect(windowState(w, new Date('2026-03-29T01:10:00Z'))).toEqual({ open: true });
    expect(windowClosesAt(w, new Date('2026-03-29T01:10:00Z'))).toEqual(new Date('2026-03-29T01:30:00Z'));
  });

  it('a window inside the fall-back hour opens once, on the first pass', () => {
    const w: MaintenanceWindow[] = [{ days: ['Sun'], start: '02:15', end: '02:45', timeZone: 'Europe/Paris' }];
    expect(windowState(w, new Date('2026-10-25T00:20:00Z'))).toEqual({ open: true }); // 02:20 CEST
    expect(windowState(w, new Date('2026-10-25T01:20:00Z'))).toEqual({
      open: false, // 02:20 CET, the second pass
      opensAt: new Date('2026-11-01T01:15:00Z'),
    });
  });

  it('a window across the spring-forward gap closes at its local end (an hour shorter that night)', () => {
    const w: MaintenanceWindow[] = [{ start: '01:00', end: '04:00', timeZone: 'Europe/Paris' }];
    expect(windowClosesAt(w, new Date('2026-03-29T00:30:00Z'))).toEqual(new Date('2026-03-29T02:00:00Z'));
  });
});
