import type { UnstructuredObject } from '../api/objects.js';
import { defaultArgoCdConfig, type ArgoCdConfig, type ExpressConfig } from '../config/schema.js';

// How the operator reads an Express resource and maps pods to it. Everything comes from config,
// because we don't own the Express CRD. Pure: plain objects in, plain objects out.

export type { UnstructuredObject };

export interface ExpressView {
  name: string;
  desiredState?: string;
  intentionallyDown: boolean;
  runtimeState?: string;
  rebuilding: boolean;
  catchingUp: boolean;
  /** undefined when the field is absent (treated as disabled). */
  shutdownProtection?: boolean;
  gitOpsManaged: boolean;
  /** Of the object read: the shutdown-protection patch is conditional on it (no late write over a newer one). */
  resourceVersion?: string;
}

export type ExpressReadResult = { ok: true; view: ExpressView } | { ok: false; problems: string[] };

export function getPath(obj: unknown, path: string): unknown {
  let node: unknown = obj;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export const ARGOCD_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

/**
 * Argo CD marks what it manages with the tracking-id annotation (annotation and annotation+label tracking), or with
 * its instance label (label tracking). The label alone proves nothing otherwise: Helm sets app.kubernetes.io/instance
 * on everything it installs. So it counts only when the operator is configured for label tracking.
 */
export function isArgoTracked(
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
  argocd: ArgoCdConfig = defaultArgoCdConfig,
): boolean {
  if (meta?.annotations?.[ARGOCD_TRACKING_ANNOTATION]) return true;
  return argocd.trackingMethod === 'label' && Boolean(meta?.labels?.[argocd.instanceLabelKey]);
}

/** Reads the configured fields; a field of the wrong type makes the resource invalid (never guessed). */
export function readExpress(
  obj: UnstructuredObject,
  cfg: ExpressConfig,
  argocd: ArgoCdConfig = defaultArgoCdConfig,
): ExpressReadResult {
  const problems: string[] = [];
  const name = obj.metadata?.name;
  if (!name) problems.push('metadata.name is missing');

  const optionalString = (path: string): string | undefined => {
    const v = getPath(obj, path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      problems.push(`${path} must be a string, found ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const desiredState = optionalString(cfg.desiredState.path);
  const runtimeState = optionalString(cfg.runtimeState.path);
  const protectionRaw = getPath(obj, cfg.shutdownProtection.path);
  let shutdownProtection: boolean | undefined;
  if (protectionRaw !== undefined && protectionRaw !== null) {
    if (typeof protectionRaw !== 'boolean') {
      problems.push(`${cfg.shutdownProtection.path} must be a boolean, found ${JSON.stringify(protectionRaw)}`);
    } else {
      shutdownProtection = protectionRaw;
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    view: {
      name: name!,
      desiredState,
      intentionallyDown: desiredState !== undefined && cfg.desiredState.downValues.includes(desiredState),
      runtimeState,
      rebuilding: runtimeState !== undefined && cfg.runtimeState.rebuildingValues.includes(runtimeState),
      catchingUp: runtimeState !== undefined && cfg.runtimeState.catchupValues.includes(runtimeState),
      shutdownProtection,
      gitOpsManaged: isArgoTracked(obj.metadata, argocd),
      ...(typeof obj.metadata?.resourceVersion === 'string' ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    },
  };
}

/** Kept in the cache of Express resources besides the configured fields (see leanExpress). */
const EXPRESS_META_FIELDS = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'labels',
  'ownerReferences',
] as const;

/**
 * An Express resource as the watch cache keeps it (the informer's transform): apiVersion, kind, the metadata that
 * names and maps it (labels for RollingBounce selectors and Argo CD label tracking, the Argo CD tracking annotation),
 * and the three configured fields readExpress() reads; nothing else (managedFields, the rest of spec and status).
 * readExpress() on the lean object reads what it reads on the whole one. Pure: the argument is not modified.
 */
export function leanExpress(obj: UnstructuredObject, cfg: ExpressConfig): UnstructuredObject {
  const out: UnstructuredObject = {};
  if (obj.apiVersion !== undefined) out.apiVersion = obj.apiVersion;
  if (obj.kind !== undefined) out.kind = obj.kind;
  const meta = obj.metadata;
  if (meta) {
    const m: Record<string, unknown> = {};
    for (const k of EXPRESS_META_FIELDS) if (meta[k] !== undefined) m[k] = meta[k];
    const tracking = meta.annotations?.[ARGOCD_TRACKING_ANNOTATION];
    if (tracking !== undefined) m.annotations = { [ARGOCD_TRACKING_ANNOTATION]: tracking };
    out.metadata = m;
  }
  for (const path of [cfg.desiredState.path, cfg.runtimeState.path, cfg.shutdownProtection.path]) {
    const value = getPath(obj, path);
    if (value !== undefined) setPath(out, path, value);
  }
  return out;
}

/** Sets `path` (dot-separated) in `obj`, copying the objects on the way (one shared with another object is not changed). */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    const copy: Record<string, unknown> =
      next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    node[key] = copy;
    node = copy;
  }
  node[keys[keys.length - 1]!] = value;
}

export type PodMapping = { ok: true; name: string; via: 'ownerReference' | 'label' } | { ok: false; message: string };

/** A pod belongs to the Express resource named by its controller ownerReference of that kind, else by a label. */
export interface MappablePod {
  metadata?: {
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; controller?: boolean }>;
  };
}

export function expressNameForPod(pod: MappablePod, cfg: ExpressConfig): PodMapping {
  const owner = pod.metadata?.ownerReferences?.find(
    (ref) => ref.controller === true && ref.kind === cfg.kind && (ref.apiVersion ?? '').split('/')[0] === cfg.group,
  );
  if (owner?.name) return { ok: true, name: owner.name, via: 'ownerReference' };
  const label = pod.metadata?.labels?.[cfg.podLabel];
  if (label) return { ok: true, name: label, via: 'label' };
  return {
    ok: false,
    message: `pod has no controller ownerReference of kind ${cfg.kind} (${cfg.group}) and no label ${cfg.podLabel}`,
  };
}

/**
 * A JSON merge patch that sets the shutdown-protection field to `enabled`; with `resourceVersion`, conditional on it
 * (the API server answers 409 when the object changed since).
 */
export function shutdownProtectionPatch(
  cfg: ExpressConfig,
  enabled: boolean,
  resourceVersion?: string,
): Record<string, unknown> {
  const keys = cfg.shutdownProtection.path.split('.');
  let patch: unknown = enabled;
  for (const key of keys.reverse()) patch = { [key]: patch };
  const body = patch as Record<string, unknown>;
  if (resourceVersion === undefined) return body;
  const meta = (body.metadata ?? {}) as Record<string, unknown>;
  return { ...body, metadata: { ...meta, resourceVersion } };
}
