import type { NodeBounceStatus } from '../api/nodebounce.js';
import { isPodReady, type PodLike } from './pod.js';

// How the replacement of the bounced pod is recognised (README, "How it works", step 4): the pod of that name with
// a new UID, or a new pod of the same Express resource created after termination started (the Express operator
// may name replacements differently). The caller gathers the second kind only when needsReplacementScan() says so.

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

/** A live incarnation of the pod other than the one we terminated (status.podUID). */
export function isNewIncarnation(pod: PodLike | undefined, podUID: string | undefined): pod is PodLike {
  return !!pod?.metadata?.uid && pod.metadata.uid !== podUID && !pod.metadata.deletionTimestamp;
}

/**
 * Whether the caller must list the Express resource's other pods (Observed.expressPods): only while waiting for the
 * replacement (Starting) and while the pod of that name is not itself a new incarnation, which findReplacement()
 * prefers. Skipping the scan otherwise keeps a reconcile O(1) in the number of pods in the namespace.
 */
export function needsReplacementScan(
  status: NodeBounceStatus | undefined,
  pod: PodLike | undefined,
  expressName: string | undefined,
): boolean {
  return status?.phase === 'Starting' && expressName !== undefined && !isNewIncarnation(pod, status.podUID);
}

/** The replacement, Ready ones first; undefined while there is none. */
export function findReplacement(
  podName: string,
  st: NodeBounceStatus,
  pod: PodLike | undefined,
  expressPods: PodLike[],
): PodLike | undefined {
  if (isNewIncarnation(pod, st.podUID)) return pod;
  // A differently named pod only counts when it was created after we started terminating the old one;
  // creationTimestamp has one-second resolution, so compare at that resolution.
  const since = Math.floor(ms(st.terminatingTime) / 1000) * 1000;
  const createdSince = (p: PodLike) => {
    const created = p.metadata?.creationTimestamp;
    const t = created instanceof Date ? created.getTime() : ms(created);
    return !Number.isNaN(t) && !Number.isNaN(since) && t >= since;
  };
  const candidates = expressPods.filter(
    (p) => isNewIncarnation(p, st.podUID) && p.metadata?.name !== podName && createdSince(p),
  );
  return candidates.find(isPodReady) ?? candidates[0];
}
