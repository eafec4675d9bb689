// One RollingBounce decision with 16 maintenance windows (16 time zones, none open now, so the next opening must be
// found), side by side with the minute scan it replaced (8 days ahead, to the minute; kept here only as the A of
// this A/B). Prints the median of each and their ratio. Not a test: `npx tsx bench/windows.ts`.
import type { MaintenanceWindow, RollingBounce, Weekday } from '../src/api/rollingbounce.js';
import { decideRollout, type RolloutObserved } from '../src/rollout/decide.js';
import { windowState } from '../src/rollout/window.js';

const ZONES = [
  'UTC',
  'Europe/Paris',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'America/Santiago',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Auckland',
  'Africa/Cairo',
  'Asia/Tehran',
  'Europe/Moscow',
];
// Sunday 02:00-02:30 local everywhere; `now` is a Monday noon UTC: every window is closed, the next opens in 6 days.
const windows: MaintenanceWindow[] = ZONES.map((timeZone) => ({
  days: ['Sun'],
  start: '02:00',
  end: '02:30',
  timeZone,
}));
const now = new Date('2026-03-23T12:00:00Z');

const rb: RollingBounce = {
  metadata: { name: 'rb', namespace: 'ns', uid: 'u', generation: 1, resourceVersion: '1', finalizers: ['x'] },
  spec: { members: { podNames: ['a', 'b'] }, maintenanceWindows: windows, healthGate: { stableSeconds: 0 } },
  status: {
    phase: 'Pending',
    reason: 'Accepted',
    members: [
      { pod: 'a', expressResource: 'a', phase: 'Pending' },
      { pod: 'b', expressResource: 'b', phase: 'Pending' },
    ],
  },
};
const read = {
  ok: true as const,
  view: {
    name: 'a',
    desiredState: 'up',
    intentionallyDown: false,
    runtimeState: 'running',
    rebuilding: false,
    catchingUp: false,
    gitOpsManaged: false,
  },
};
const observed: RolloutObserved = {
  express: ['a', 'b'].map((name) => ({ name, labels: {}, read: { ...read, view: { ...read.view, name } } })),
  pods: ['a', 'b'].map((name) => ({ name, expressName: name, ready: true, terminating: false })),
  nodeBounces: [],
};

// ---- A: the minute scan of before (src/rollout/window.ts at c991f3f) ----
const DAYS: readonly Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const fmts = new Map<string, Intl.DateTimeFormat>();
function localParts(t: Date, timeZone: string) {
  let f = fmts.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    fmts.set(timeZone, f);
  }
  let day = 0;
  let minutes = 0;
  for (const p of f.formatToParts(t)) {
    if (p.type === 'weekday') day = DAYS.indexOf(p.value as Weekday);
    else if (p.type === 'hour') minutes += (Number(p.value) % 24) * 60;
    else if (p.type === 'minute') minutes += Number(p.value);
  }
  return { day, minutes };
}
const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
function inWindowScan(w: MaintenanceWindow, t: Date): boolean {
  const { day, minutes } = localParts(t, w.timeZone ?? 'UTC');
  const start = toMin(w.start);
  const end = toMin(w.end);
  const onDay = (d: number) => !w.days?.length || w.days.includes(DAYS[(d + 7) % 7]!);
  if (start < end) return onDay(day) && minutes >= start && minutes < end;
  return (onDay(day) && minutes >= start) || (onDay(day - 1) && minutes < end);
}
function scanState(ws: readonly MaintenanceWindow[], at: Date): Date | undefined {
  const first = Math.floor(at.getTime() / 60_000) * 60_000 + 60_000;
  for (let t = first; t < at.getTime() + 8 * 86_400_000; t += 60_000)
    if (ws.some((w) => inWindowScan(w, new Date(t)))) return new Date(t);
  return undefined;
}

function median(fn: () => void, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const d = decideRollout(rb, observed, now);
const computed = windowState(windows, now);
console.log(`decision: ${d.status.reason}; ${d.status.message}`);
console.log(`computed opensAt ${computed.open ? 'open' : computed.opensAt?.toISOString()}`);
console.log(`scanned  opensAt ${scanState(windows, now)?.toISOString()} (the scan is wrong only across DST)`);
for (let i = 0; i < 200; i++) decideRollout(rb, observed, now); // warm-up
const decideMs = median(() => decideRollout(rb, observed, now), 2001);
const stateMs = median(() => windowState(windows, now), 2001);
let shift = 0; // each call 40 days further: the zones' offsets are not remembered yet (the first decide after a while)
const coldMs = median(() => windowState(windows, new Date(now.getTime() + ++shift * 40 * 86_400_000)), 25);
const scanMs = median(() => scanState(windows, now), 9);
console.log(`B  decideRollout, 16 windows (median of 2001): ${(decideMs * 1000).toFixed(1)} µs`);
console.log(`B  windowState alone        (median of 2001): ${(stateMs * 1000).toFixed(1)} µs`);
console.log(`B  windowState, cold zones   (median of 25):   ${(coldMs * 1000).toFixed(1)} µs`);
console.log(`A  minute scan of before    (median of 9):    ${scanMs.toFixed(1)} ms`);
console.log(`ratio scan / computed windowState: ${Math.round(scanMs / stateMs)}x`);
