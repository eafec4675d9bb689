import type { PrometheusResult } from './decide.js';

// The Prometheus alert gate: GET <url>/api/v1/query?query=... with a hard deadline. The gate opens only on a
// successful answer with no series; anything else (unreachable, timeout, an error status, a bad body) keeps it
// closed, with the reason in the RollingBounce's status.

export async function queryPrometheus(
  baseUrl: string,
  query: string,
  timeoutSeconds: number,
  fetchImpl: typeof fetch = fetch,
): Promise<PrometheusResult> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  try {
    const res = await fetchImpl(url, {
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
      headers: { accept: 'application/json' },
    });
    const text = await res.text();
    let body: { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return { ok: false, error: `HTTP ${res.status}: not JSON (${text.slice(0, 120)})` };
    }
    if (!res.ok || body.status !== 'success') {
      return {
        ok: false,
        error: `HTTP ${res.status}: ${body.errorType ?? 'error'}: ${body.error ?? text.slice(0, 200)}`,
      };
    }
    const result = body.data?.result;
    if (body.data?.resultType === 'scalar' || body.data?.resultType === 'string') {
      return {
        ok: false,
        error: `the query returns a ${body.data.resultType}, not a vector: it can never "return no series"`,
      };
    }
    if (!Array.isArray(result)) return { ok: false, error: 'unexpected response: data.result is not a list' };
    const first = result[0] as { metric?: Record<string, string> } | undefined;
    const sample = first?.metric
      ? `${first.metric.__name__ ?? ''}{${Object.entries(first.metric)
          .filter(([k]) => k !== '__name__')
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}}`
      : undefined;
    return { ok: true, series: result.length, ...(sample ? { sample: sample.slice(0, 200) } : {}) };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return { ok: false, error: `no answer within ${timeoutSeconds}s` };
    return { ok: false, error: String((e.cause as Error | undefined)?.message ?? e.message ?? e) };
  }
}
