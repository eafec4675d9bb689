// A deep copy of plain JSON data: what a NodeBounce's status is (it comes from the API server as JSON). decide() and
// applyOutcome() change a copy of the cached status, never the cache. structuredClone did this before, at about ten
// times the CPU for a status (it serialises and deserialises, for types JSON never has); it showed in the scale
// run's CPU profile (docs/benchmarks.md).

/** A deep copy of `value`, which must be plain JSON (objects, arrays, strings, numbers, booleans, null). */
export function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copied = copyJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own key; a plain assignment would set the copy's prototype instead.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
    else out[key] = copied;
  }
  return out as T;
}
