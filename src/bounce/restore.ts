import {
  RELEASE_PROTECTION_ANNOTATION,
  type NodeBounce,
  type ObjectMeta,
  type ShutdownProtectionStatus,
} from '../api/nodebounce.js';

// Restoring shutdown protection: bounded retries, then a terminal state that a cluster operator resolves by
// releasing the NodeBounce. Pure.

export const RESTORE_BACKOFF_BASE_MS = 2_000;
export const RESTORE_BACKOFF_MAX_MS = 120_000;

/** The wait after `failures` failed restore attempts: 2 s doubling to 2 min. */
export function restoreBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(RESTORE_BACKOFF_MAX_MS, RESTORE_BACKOFF_BASE_MS * 2 ** (failures - 1));
}

/** When the next restore attempt may run (ms since the epoch); 0 when nothing failed yet. */
export function nextRestoreAttemptAt(sp: ShutdownProtectionStatus): number {
  const last = sp.lastRestoreAttemptTime ? Date.parse(sp.lastRestoreAttemptTime) : Number.NaN;
  if (Number.isNaN(last)) return 0;
  return last + restoreBackoffMs(sp.restoreAttempts ?? 0);
}

/** Gave up restoring and not released: the Express resource may be left unprotected (what the alert counts). */
export function protectionLeftUnrestored(sp: ShutdownProtectionStatus | undefined): boolean {
  return sp?.restoreFailed === true && !sp.restored && !sp.releasedTime;
}

/** A cluster operator asked to release the NodeBounce without restoring protection. */
export function releaseRequested(nb: NodeBounce): boolean {
  return nb.metadata.annotations?.[RELEASE_PROTECTION_ANNOTATION]?.trim().toLowerCase() === 'true';
}

/**
 * Who set an annotation, as far as the object tells: the field manager that owns it in managedFields (for example
 * "kubectl-annotate"), with the time. The user behind it is in the API server's audit log.
 */
export function annotationSetBy(meta: ObjectMeta, key: string): string | undefined {
  for (const entry of meta.managedFields ?? []) {
    const annotations = (
      entry.fieldsV1 as { 'f:metadata'?: { 'f:annotations'?: Record<string, unknown> } } | undefined
    )?.['f:metadata']?.['f:annotations'];
    if (annotations && `f:${key}` in annotations && entry.manager) {
      const time = entry.time instanceof Date ? entry.time.toISOString() : entry.time;
      return `field manager "${entry.manager}"${entry.operation ? ` (${entry.operation}${time ? ` at ${time}` : ''})` : ''}`;
    }
  }
  return undefined;
}
