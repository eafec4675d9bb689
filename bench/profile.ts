// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, per module and per area (package, our
// src/ folder, Node core, GC), heaviest first. The operator runs as one bundle (dist/nodebounce-operator.mjs), so a
// profile names only positions in that file: they are mapped back through the bundle's source map to the file they
// came from (src/kube/informer.ts, node_modules/@kubernetes/client-node/dist/watch.js, ...). Node's own source map
// reader (node:module SourceMap) does the decoding.
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface CpuProfileSummary {
  totalMs: number;
  idleMs: number;
  top: Array<{ fn: string; where: string; selfMs: number; pct: number }>;
  /** Self time grouped by package / our source folder / Node core / GC. */
  byArea: Array<{ area: string; selfMs: number; pct: number }>;
  /** Self time grouped by source file (after the source map). */
  byModule?: Array<{ module: string; area: string; selfMs: number; pct: number }>;
}

/** Where a bundle position came from: the source file (as the map names it) and its 1-based line. */
export interface OriginalPosition {
  source: string;
  line: number;
}

/** Maps a profile position (url, 0-based line and column) to its original source, or undefined (not mapped). */
export type PositionMapper = (url: string, line: number, column: number) => OriginalPosition | undefined;

/** A mapper over source maps, one per script url; `mapFor` returns the map's JSON or undefined (none). */
export function sourceMapMapper(mapFor: (url: string) => SourceMapPayload | undefined): PositionMapper {
  const maps = new Map<string, SourceMap | undefined>();
  return (url, line, column) => {
    if (!maps.has(url)) {
      const payload = mapFor(url);
      maps.set(url, payload ? new SourceMap(payload) : undefined);
    }
    const map = maps.get(url);
    if (!map) return undefined;
    const e = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
    if (!e.originalSource) return undefined;
    return { source: e.originalSource, line: (e.originalLine ?? 0) + 1 };
  };
}

/** The source map of a file:// script: `<file>.map`, as esbuild writes it next to the bundle. */
export function readSourceMapOf(url: string): SourceMapPayload | undefined {
  if (!url.startsWith('file://')) return undefined;
  try {
    // Its sources are relative to the map (../src/kube/informer.ts, ../node_modules/pino/pino.js): enough for areaOf.
    return JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')) as SourceMapPayload;
  } catch {
    return undefined;
  }
}

const PSEUDO: Record<string, string> = {
  '(garbage collector)': 'GC',
  '(program)': '(program: V8 and native, outside JS)',
  '(idle)': '(idle)',
  '(root)': '(root)',
};

/** The area of a source file or script url: a package, "ours: src/<folder>", "node core" or the file itself. */
export function areaOf(source: string): string {
  if (!source) return '(native/vm)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
  if (nm) return nm[1]!;
  if (source.startsWith('node:')) return 'node core';
  const src = /(?:^|\/)(src|dist)\/(?:([^/]+)\/)?[^/]+$/.exec(source);
  if (src) return `ours: ${src[1]}${src[2] ? `/${src[2]}` : ''}`;
  return source.split('/').slice(-2).join('/');
}

/** A short module name: from node_modules/ or src/ on, else the url's last two parts. */
export function moduleOf(source: string): string {
  const i = source.lastIndexOf('node_modules/');
  if (i >= 0) return source.slice(i + 'node_modules/'.length);
  const s = /(?:^|\/)((?:src|bench|test|scripts)\/.*)$/.exec(source);
  if (s) return s[1]!;
  if (source.startsWith('node:')) return source;
  return source.split('/').slice(-2).join('/');
}

export function summariseCpuProfile(profile: CpuProfile, topN = 15, mapPosition?: PositionMapper): CpuProfileSummary {
  const samples = profile.samples?.length ?? 0;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = samples > 0 ? totalMs / samples : 0;
  const byFn = new Map<string, { fn: string; where: string; selfMs: number }>();
  const byArea = new Map<string, number>();
  const byModule = new Map<string, { module: string; area: string; selfMs: number }>();
  let idleMs = 0;
  for (const n of profile.nodes) {
    const ms = (n.hitCount ?? 0) * msPerHit;
    if (ms === 0) continue;
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') idleMs += ms;
    const original = url ? mapPosition?.(url, lineNumber, columnNumber ?? 0) : undefined;
    const source = original?.source ?? url;
    const where = source ? `${moduleOf(source)}:${original?.line ?? lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const cur = byFn.get(key) ?? { fn: name, where, selfMs: 0 };
    cur.selfMs += ms;
    byFn.set(key, cur);
    const pseudo = !url ? PSEUDO[name] : undefined;
    const area = pseudo ?? areaOf(source);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    const module = pseudo ?? (source ? moduleOf(source) : '(native/vm)');
    const m = byModule.get(module) ?? { module, area, selfMs: 0 };
    m.selfMs += ms;
    byModule.set(module, m);
  }
  const busy = totalMs - idleMs;
  const r = (x: number) => Math.round(x * 10) / 10;
  const pct = (ms: number) => r((100 * ms) / busy);
  return {
    totalMs: r(totalMs),
    idleMs: r(idleMs),
    top: [...byFn.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN)
      .map((f) => ({ ...f, selfMs: r(f.selfMs), pct: pct(f.selfMs) })),
    byArea: [...byArea.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([area, ms]) => ({ area, selfMs: r(ms), pct: pct(ms) })),
    byModule: [...byModule.values()]
      .filter((m) => m.module !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN)
      .map((m) => ({ ...m, selfMs: r(m.selfMs), pct: pct(m.selfMs) })),
  };
}
