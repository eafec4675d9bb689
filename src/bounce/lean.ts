import { RELEASE_PROTECTION_ANNOTATION, type NodeBounce, type ObjectMeta } from '../api/nodebounce.js';
import type { PodLike, ProbeLike } from '../api/objects.js';

// What the watch caches keep of pods and NodeBounces (the informers' transform, applied before an object is
// stored): only the fields the operator reads. A cached pod is a few hundred bytes instead of several kilobytes
// (managedFields alone is often half of an object). Pure: a new object is built, the argument is not modified.
//
// Pods: exactly PodLike (src/api/objects.ts), the type every reader of a cached pod goes through, so reading a field
// that is dropped here does not compile until it is added to PodLike, and then here.
// NodeBounces: everything but managedFields (except what annotationSetBy() reads) and kubectl's last-applied
// annotation. NodeBounces are written back with replaceNodeBounceStatus(), which sends no managedFields and whose
// status subresource ignores metadata and spec changes, so a lean NodeBounce loses nothing when written.

/** kubectl apply's copy of the whole object: large, and read by nobody here. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

type Obj = Record<string, unknown>;

/** The entries of `obj` named in `keys` whose value is not undefined (no key at all for a missing field). */
function pick<T extends object>(obj: T | undefined, keys: ReadonlyArray<keyof T>): Partial<T> | undefined {
  if (obj === undefined || obj === null) return undefined;
  const out: Partial<T> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Drops the keys whose value is undefined, so a lean object has no empty slots. */
function compact<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as Array<keyof T>) if (obj[k] === undefined) delete obj[k];
  return obj;
}

const PROBE_FIELDS: ReadonlyArray<keyof ProbeLike> = ['initialDelaySeconds', 'periodSeconds', 'failureThreshold'];
type PodMeta = NonNullable<PodLike['metadata']>;
const POD_META_FIELDS: ReadonlyArray<keyof PodMeta> = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'ownerReferences',
];
type PodStatus = NonNullable<PodLike['status']>;
type ContainerStatus = NonNullable<PodStatus['containerStatuses']>[number];
type Container = NonNullable<NonNullable<PodLike['spec']>['containers']>[number];

/** A pod as the caches keep it: the fields of PodLike, nothing else. */
export function leanPod(pod: PodLike): PodLike {
  const status = pod.status;
  const leanContainer = (c: Container): Container =>
    compact({
      name: c.name,
      startupProbe: pick(c.startupProbe, PROBE_FIELDS),
      readinessProbe: pick(c.readinessProbe, PROBE_FIELDS),
    });
  const leanContainerStatus = (cs: ContainerStatus): ContainerStatus => {
    const state = cs.state;
    return compact({
      name: cs.name,
      ready: cs.ready,
      restartCount: cs.restartCount,
      state: state
        ? compact({
            waiting: pick(state.waiting, ['reason', 'message']),
            running: state.running,
            terminated: pick(state.terminated, ['reason', 'exitCode', 'message']),
          })
        : undefined,
    });
  };
  return compact({
    metadata: pick(pod.metadata, POD_META_FIELDS),
    spec: pod.spec ? compact({ containers: pod.spec.containers?.map(leanContainer) }) : undefined,
    status: status
      ? compact({
          phase: status.phase,
          reason: status.reason,
          message: status.message,
          conditions: status.conditions?.map((c) => pick(c, ['type', 'status', 'reason', 'message'])!),
          containerStatuses: status.containerStatuses?.map(leanContainerStatus),
        })
      : undefined,
  });
}

type ManagedFieldsEntry = NonNullable<ObjectMeta['managedFields']>[number];

/**
 * The managedFields entries that own one of `annotationKeys` (what annotationSetBy() looks for), each cut down to
 * its manager, operation, time and those annotations; undefined when none does.
 */
export function managedFieldsFor(
  entries: ObjectMeta['managedFields'],
  annotationKeys: readonly string[],
): ObjectMeta['managedFields'] {
  const out: ManagedFieldsEntry[] = [];
  for (const entry of entries ?? []) {
    const owned = (entry.fieldsV1 as { 'f:metadata'?: { 'f:annotations'?: Obj } } | undefined)?.['f:metadata']?.[
      'f:annotations'
    ];
    if (!owned) continue;
    const kept: Obj = {};
    for (const key of annotationKeys) if (`f:${key}` in owned) kept[`f:${key}`] = owned[`f:${key}`];
    if (Object.keys(kept).length === 0) continue;
    out.push(
      compact({
        manager: entry.manager,
        operation: entry.operation,
        time: entry.time,
        fieldsV1: { 'f:metadata': { 'f:annotations': kept } },
      }),
    );
  }
  return out.length > 0 ? out : undefined;
}

/**
 * A NodeBounce as the caches keep it: spec and status whole; metadata without managedFields (but for who set the
 * release annotation, for the status message when it is released) and without kubectl's last-applied annotation.
 */
export function leanNodeBounce<T extends NodeBounce>(nb: T): T {
  const { managedFields, annotations, ...meta } = nb.metadata;
  let keptAnnotations = annotations;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = annotations;
    keptAnnotations = rest;
  }
  const metadata: ObjectMeta = compact({
    ...meta,
    annotations: keptAnnotations,
    managedFields: managedFieldsFor(managedFields, [RELEASE_PROTECTION_ANNOTATION]),
  });
  return { ...nb, metadata };
}
