// Turns client-node errors into (HTTP code, server message). Status bodies carry the useful text.

export interface ApiErrorInfo {
  /** HTTP status, when the server answered. */
  code?: number;
  /** The server's Status message, or the transport error. */
  message: string;
  /** Status.reason (NotFound, Forbidden, ...), when the body was a Status. */
  reason?: string;
  /** True when the body was a metav1.Status (the resource type exists); false for a bare "404 page not found". */
  isStatus: boolean;
  /** Status.details.causes, when present (the Eviction API's PDB refusal carries reason "DisruptionBudget"). */
  causes?: StatusCause[];
  /** Status.details.retryAfterSeconds, else the Retry-After header (seconds), when the server suggested a delay. */
  retryAfterSeconds?: number;
}

/** metav1.StatusCause as serialised (its Go field Type is the JSON key "reason"). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

function readCauses(details: unknown): StatusCause[] | undefined {
  const raw = (details as { causes?: unknown } | undefined)?.causes;
  if (!Array.isArray(raw)) return undefined;
  const causes: StatusCause[] = [];
  for (const c of raw) {
    if (!c || typeof c !== 'object') continue;
    const { reason, message, field } = c as Record<string, unknown>;
    causes.push({
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof message === 'string' ? { message } : {}),
      ...(typeof field === 'string' ? { field } : {}),
    });
  }
  return causes.length > 0 ? causes : undefined;
}

/** A Retry-After header: delay-seconds (what kube-apiserver sends), or an HTTP date. */
function retryAfterHeader(headers: unknown, now = Date.now()): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  let value: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function')
    value = (headers as { get(k: string): unknown }).get('retry-after');
  else {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after');
    value = key ? (headers as Record<string, unknown>)[key] : undefined;
  }
  if (Array.isArray(value)) value = value[0];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Reads what client-node's ApiException / Watch errors / fetch errors carry. */
export function apiErrorInfo(err: unknown): ApiErrorInfo {
  const e = err as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    headers?: unknown;
    message?: unknown;
    name?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  // Only an HTTP status counts: a DOMException carries a legacy numeric `code` too (TimeoutError 23, AbortError
  // 20), and a deadline that ran out must read as "no answer" (the request may have been applied), not as a 4xx.
  const http = (n: unknown) => (typeof n === 'number' && n >= 100 && n <= 599 ? n : undefined);
  const code = http(e?.code) ?? http(e?.statusCode);
  let body: unknown = e?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      message = text.trim() || undefined;
    }
  }
  let reason: string | undefined;
  let isStatus = false;
  let causes: StatusCause[] | undefined;
  let retryAfterSeconds: number | undefined;
  if (body && typeof body === 'object' && (body as { kind?: unknown }).kind === 'Status') {
    isStatus = true;
    const s = body as { message?: unknown; reason?: unknown; details?: { retryAfterSeconds?: unknown } };
    if (typeof s.message === 'string') message = s.message;
    if (typeof s.reason === 'string') reason = s.reason;
    causes = readCauses(s.details);
    const ras = s.details?.retryAfterSeconds;
    // 0 is Go's omitted value: no suggestion.
    if (typeof ras === 'number' && Number.isFinite(ras) && ras > 0) retryAfterSeconds = ras;
  }
  retryAfterSeconds ??= retryAfterHeader(e?.headers);
  if (!message) {
    const causeCode = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
    const causeMessage = typeof e?.cause?.message === 'string' ? e.cause.message.split('\n')[0]! : undefined;
    const base = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
    if (base === 'fetch failed' && causeMessage) {
      // undici says only "fetch failed"; what failed is in the cause ("connect ECONNREFUSED 127.0.0.1:6443").
      message = causeMessage;
    } else if (e?.name === 'TimeoutError' || (e as { cause?: { name?: unknown } })?.cause?.name === 'TimeoutError') {
      message = 'no answer before the request deadline (TimeoutError)';
    } else {
      message = causeCode && !base.includes(causeCode) ? `${base} (${causeCode})` : base;
    }
  }
  return {
    code,
    message,
    reason,
    isStatus,
    ...(causes ? { causes } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

export interface ApiFailure {
  code?: number;
  message: string;
  /** See ApiErrorInfo. */
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** (HTTP code, server message, causes, Retry-After), the message cut to a length that fits a status or an event. */
export function describeApiError(err: unknown): ApiFailure {
  const { code, message, causes, retryAfterSeconds } = apiErrorInfo(err);
  return {
    code,
    message: message.length > 600 ? `${message.slice(0, 600)}…` : message,
    ...(causes ? { causes } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

export function isApiCode(err: unknown, ...codes: number[]): boolean {
  const { code } = describeApiError(err);
  return code !== undefined && codes.includes(code);
}
