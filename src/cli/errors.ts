// Errors of the CLI: each becomes one clear line on stderr and an exit code.

export const ExitCode = {
  /** Succeeded (or created, without waiting). */
  Ok: 0,
  /** The bounce ended Failed. */
  BounceFailed: 1,
  /** Bad usage (unknown flag, bad value). */
  Usage: 2,
  /** Could not do what was asked: no kubeconfig, CRD not installed, forbidden, not found, API error. */
  Error: 3,
  /** --timeout expired while waiting; the bounce goes on. */
  Timeout: 4,
  /** Ctrl-C while following; the bounce goes on. */
  Interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

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

/** Transport failures (the server was not reached), as opposed to HTTP answers. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown }; name?: unknown; type?: unknown };
  const codes = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN'];
  return (
    (typeof e?.code === 'string' && codes.includes(e.code)) ||
    (typeof e?.cause?.code === 'string' && codes.includes(e.cause.code)) ||
    e?.type === 'system' ||
    (e?.name === 'FetchError' && typeof e?.code === 'string')
  );
}
