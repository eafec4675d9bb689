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
}

/** Reads what client-node's ApiException / Watch errors / fetch errors carry. */
export function apiErrorInfo(err: unknown): ApiErrorInfo {
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
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
  if (body && typeof body === 'object' && (body as { kind?: unknown }).kind === 'Status') {
    isStatus = true;
    const s = body as { message?: unknown; reason?: unknown };
    if (typeof s.message === 'string') message = s.message;
    if (typeof s.reason === 'string') reason = s.reason;
  }
  if (!message) {
    const causeCode = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
    const base = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
    message = causeCode && !base.includes(causeCode) ? `${base} (${causeCode})` : base;
  }
  return { code, message, reason, isStatus };
}

export interface ApiFailure {
  code?: number;
  message: string;
}

/** (HTTP code, server message), the message cut to a length that fits a status or an event. */
export function describeApiError(err: unknown): ApiFailure {
  const { code, message } = apiErrorInfo(err);
  return { code, message: message.length > 600 ? `${message.slice(0, 600)}…` : message };
}

export function isApiCode(err: unknown, ...codes: number[]): boolean {
  const { code } = describeApiError(err);
  return code !== undefined && codes.includes(code);
}
