import type { NodeBounce } from '../api/nodebounce.js';
import type { RollingBounceStatus } from '../api/rollingbounce.js';

// What deleting a RollingBounce deletes. Pure.

export interface DeleteMember {
  type: 'DeleteNodeBounce';
  name: string;
  /**
   * The UID seen in the cache (the delete's precondition). Absent for a NodeBounce a status row names that the cache
   * has not shown yet: the caller reads it live and deletes it only if this RollingBounce owns it.
   */
  uid?: string;
}

/**
 * Every member NodeBounce, by the names the status rows record (written before each NodeBounce is created, so the
 * list is complete even when the NodeBounce watch lags behind a member created just before the deletion), plus any
 * cached NodeBounce this RollingBounce owns that no row names. Those already being deleted are left alone.
 */
export function membersToDelete(status: RollingBounceStatus | undefined, owned: NodeBounce[]): DeleteMember[] {
  const byName = new Map(owned.map((nb) => [nb.metadata.name, nb]));
  const names = new Set<string>();
  for (const m of status?.members ?? []) if (m.nodeBounce) names.add(m.nodeBounce);
  for (const nb of owned) names.add(nb.metadata.name);
  const out: DeleteMember[] = [];
  for (const name of [...names].sort()) {
    const nb = byName.get(name);
    if (nb?.metadata.deletionTimestamp) continue;
    out.push(
      nb?.metadata.uid ? { type: 'DeleteNodeBounce', name, uid: nb.metadata.uid } : { type: 'DeleteNodeBounce', name },
    );
  }
  return out;
}
