import type { MaintenanceWindow, Weekday } from '../api/rollingbounce.js';

// Maintenance windows: whether `now` is inside one, and if not, when the next one opens. Pure.

const DAYS: readonly Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(t: Date, timeZone: string): { day: number; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(t)) {
    if (p.type === 'weekday') day = DAYS.indexOf(p.value as Weekday);
    else if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minutes: hour * 60 + minute };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when `t` falls inside the window (a window whose end is before its start runs past midnight). */
export function inWindow(w: MaintenanceWindow, t: Date): boolean {
  const { day, minutes } = localParts(t, w.timeZone ?? 'UTC');
  const start = toMinutes(w.start);
  const end = toMinutes(w.end);
  const onDay = (d: number) => !w.days?.length || w.days.includes(DAYS[(d + 7) % 7]!);
  if (start < end) return onDay(day) && minutes >= start && minutes < end;
  return (onDay(day) && minutes >= start) || (onDay(day - 1) && minutes < end);
}

export type WindowState = { open: true } | { open: false; opensAt?: Date };

/**
 * Open when there are no windows or `now` is inside one; otherwise when the next one opens (to the minute, looking
 * 8 days ahead; undefined if none opens in that time, which the schema makes impossible).
 */
export function windowState(windows: readonly MaintenanceWindow[], now: Date): WindowState {
  if (windows.length === 0 || windows.some((w) => inWindow(w, now))) return { open: true };
  const first = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  for (let t = first.getTime(); t < now.getTime() + 8 * 86_400_000; t += 60_000) {
    const at = new Date(t);
    if (windows.some((w) => inWindow(w, at))) return { open: false, opensAt: at };
  }
  return { open: false };
}
