// Errors of the CLI: each becomes one clear line on stderr and an exit code.

export { apiErrorInfo, type ApiErrorInfo } from '../kube/errors.js';

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

/** Transport failures (the server was not reached), as opposed to HTTP answers. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown }; name?: unknown; type?: unknown };
  const codes = [
    'ECONNREFUSED',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ETIMEDOUT',
    'ECONNRESET',
    'EAI_AGAIN',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
  ];
  return (
    (typeof e?.code === 'string' && codes.includes(e.code)) ||
    (typeof e?.cause?.code === 'string' && codes.includes(e.cause.code)) ||
    e?.type === 'system' ||
    (e?.name === 'FetchError' && typeof e?.code === 'string')
  );
}
