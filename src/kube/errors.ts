// Turns client-node errors into (HTTP code, server message). Status bodies carry the useful text.

export interface ApiFailure {
  code?: number;
  message: string;
}

export function describeApiError(err: unknown): ApiFailure {
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown };
  const code = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  let message: string | undefined;
  let body: unknown = e?.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      message = text.trim() || undefined;
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    message = (body as { message: string }).message;
  }
  message ??= typeof e?.message === 'string' ? e.message : String(err);
  return { code, message: message.length > 600 ? `${message.slice(0, 600)}…` : message };
}

export function isApiCode(err: unknown, ...codes: number[]): boolean {
  const { code } = describeApiError(err);
  return code !== undefined && codes.includes(code);
}
