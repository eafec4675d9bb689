import type { PrometheusResult } from './decide.js';

// The Prometheus alert gate: GET <endpoint>/api/v1/query?query=... with a hard deadline. The gate opens only on a
// successful answer with no series; anything else (unreachable, timeout, an error status, a redirect, a bad body)
// keeps it closed, with the reason in the RollingBounce's status.
//
// The endpoint comes from the operator's config, never from a RollingBounce (docs/rollingbounce.md, "The Prometheus
// gate and who chooses where the operator connects"). Even so, what goes back into status, Events and webhooks is the
// HTTP status and a fixed reason: never text from the answer (a query may select any series the endpoint serves,
// and the answer is read back by whoever may read the RollingBounce). The answer's size is bounded.

/** Answers larger than this are not read (a gate query that returns this much is not an alert check). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Prometheus's documented errorType values; any other text in that field is not repeated. */
const ERROR_TYPES = new Set(['bad_data', 'execution', 'timeout', 'canceled', 'internal', 'unavailable', 'not_found']);

/** `<base>/api/v1/query?query=<query>`, built with URL APIs: the base's own query string and fragment are dropped. */
export function prometheusQueryUrl(baseUrl: string, query: string): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = '';
  url.hash = '';
  url.searchParams.set('query', query);
  return url;
}

async function readBounded(res: Response): Promise<string | undefined> {
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function queryPrometheus(
  baseUrl: string,
  query: string,
  timeoutSeconds: number,
  fetchImpl: typeof fetch = fetch,
): Promise<PrometheusResult> {
  try {
    const res = await fetchImpl(prometheusQueryUrl(baseUrl, query), {
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
      headers: { accept: 'application/json' },
      redirect: 'manual',
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      return { ok: false, error: `HTTP ${res.status}: a redirect (not followed)` };
    }
    const text = await readBounded(res);
    if (text === undefined)
      return { ok: false, error: `HTTP ${res.status}: answer larger than ${MAX_ANSWER_BYTES} bytes (not read)` };
    let body: { status?: string; errorType?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return { ok: false, error: `HTTP ${res.status}: not a Prometheus API answer (not JSON)` };
    }
    if (!res.ok || body?.status !== 'success') {
      const type = typeof body?.errorType === 'string' && ERROR_TYPES.has(body.errorType) ? body.errorType : 'error';
      return { ok: false, error: `HTTP ${res.status}: ${type} (the query failed; run it in Prometheus to see why)` };
    }
    const resultType = body.data?.resultType;
    if (resultType === 'scalar' || resultType === 'string') {
      return {
        ok: false,
        error: `the query returns a ${resultType}, not a vector: it can never "return no series"`,
      };
    }
    const result = body.data?.result;
    if (!Array.isArray(result)) return { ok: false, error: 'unexpected answer: data.result is not a list' };
    return { ok: true, series: result.length };
  } catch (err) {
    const e = err as Error & { cause?: { code?: unknown } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return { ok: false, error: `no answer within ${timeoutSeconds}s` };
    const code = typeof e.cause?.code === 'string' && /^[A-Z_]+$/.test(e.cause.code) ? ` (${e.cause.code})` : '';
    return { ok: false, error: `cannot connect${code}` };
  }
}
