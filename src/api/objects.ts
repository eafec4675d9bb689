// Wire shapes of the Kubernetes objects the operator reads, as plain JSON. Structural types, so both
// client-node's objects and plain test fixtures fit; src/kube returns them, the pure layers read them.

/** Any Kubernetes object, read without a schema (the Express resources: we don't own their CRD). */
export interface UnstructuredObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; controller?: boolean; uid?: string }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ProbeLike {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

/**
 * What the operator reads of a pod. The pod cache keeps exactly these fields (leanPod, src/bounce/lean.ts): a field
 * added here must be added there too, or the cached pods never have it.
 */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; controller?: boolean }>;
  };
  spec?: {
    containers?: Array<{ name?: string; startupProbe?: ProbeLike; readinessProbe?: ProbeLike }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name?: string;
      ready?: boolean;
      restartCount?: number;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: unknown;
        terminated?: { reason?: string; exitCode?: number; message?: string };
      };
    }>;
  };
}
