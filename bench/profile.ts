// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, heaviest first.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfileSummary {
  totalMs: number;
  idleMs: number;
  top: Array<{ fn: string; where: string; selfMs: number; pct: number }>;
  /** Self time grouped by package / our source folder. */
  byArea: Array<{ area: string; selfMs: number; pct: number }>;
}

function areaOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(dist|src)\/([^/]+)\//.exec(url);
  if (src) return `ours: ${src[2]}`;
  if (url.startsWith('node:')) return 'node core';
  return url.split('/').slice(-2).join('/');
}

export function summariseCpuProfile(
  profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] },
  topN = 15,
): CpuProfileSummary {
  const samples = profile.samples?.length ?? 0;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = samples > 0 ? totalMs / samples : 0;
  const byFn = new Map<string, { fn: string; where: string; selfMs: number }>();
  const byArea = new Map<string, number>();
  let idleMs = 0;
  for (const n of profile.nodes) {
    const ms = (n.hitCount ?? 0) * msPerHit;
    if (ms === 0) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idleMs += ms;
    }
    const where = n.callFrame.url
      ? `${n.callFrame.url.replace(/^.*?(node_modules\/|dist\/|src\/)/, '$1')}:${n.callFrame.lineNumber + 1}`
      : '';
    const key = `${name}@${where}`;
    const cur = byFn.get(key) ?? { fn: name, where, selfMs: 0 };
    cur.selfMs += ms;
    byFn.set(key, cur);
    const area =
      name === '(idle)' || name === '(program)' || name === '(garbage collector)' ? name : areaOf(n.callFrame.url);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
  }
  const busy = totalMs - idleMs;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    totalMs: r(totalMs),
    idleMs: r(idleMs),
    top: [...byFn.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN)
      .map((f) => ({ ...f, selfMs: r(f.selfMs), pct: r((100 * f.selfMs) / busy) })),
    byArea: [...byArea.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([area, ms]) => ({ area, selfMs: r(ms), pct: r((100 * ms) / busy) })),
  };
}
