import { hostname } from 'node:os';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  NODEBOUNCE_API_VERSION,
  NODEBOUNCE_GROUP,
  NODEBOUNCE_KIND,
  NODEBOUNCE_PLURAL,
  NODEBOUNCE_VERSION,
  type NodeBounce,
} from '../api/nodebounce.js';
import type { PodLike, UnstructuredObject } from '../api/objects.js';
import {
  ROLLINGBOUNCE_KIND,
  ROLLINGBOUNCE_LABEL,
  ROLLINGBOUNCE_PLURAL,
  type BounceTemplate,
  type RollingBounce,
} from '../api/rollingbounce.js';
import type { ApiConfig, ExpressConfig } from '../config/schema.js';
import { isApiCode } from './errors.js';
import { EventSeries } from './event-series.js';
import { makeApi } from './http.js';
import { LeanApi, MERGE_PATCH, seg } from './lean.js';

// Every write the operator makes to the Kubernetes API, in one place.

export interface BounceEventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Repeats of this type and reason count on one Event whatever the message (see event-series.ts). */
  series?: boolean;
}

export class KubeClient {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  /** The same APIs with the (longer) list deadline. */
  private readonly listCore: CoreV1Api;
  private readonly listCustom: CustomObjectsApi;
  /** The hot single-object requests as plain JSON (src/kube/lean.ts), with the request and the list deadline. */
  private readonly lean: LeanApi;
  private readonly leanList: LeanApi;
  private readonly instance = hostname();
  private eventSeq = 0;
  private readonly eventSeries = new EventSeries();
  private readonly eventsInFlight = new Map<string, Promise<void>>();

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly express: ExpressConfig,
    api: ApiConfig,
    /** Leadership: when it aborts, every request of this client in flight is aborted and later ones fail at once. */
    acting?: AbortSignal,
  ) {
    const requestMs = api.requestTimeoutSeconds * 1000;
    const listMs = api.listTimeoutSeconds * 1000;
    this.core = makeApi(kubeConfig, CoreV1Api, requestMs, acting);
    this.custom = makeApi(kubeConfig, CustomObjectsApi, requestMs, acting);
    this.listCore = makeApi(kubeConfig, CoreV1Api, listMs, acting);
    this.listCustom = makeApi(kubeConfig, CustomObjectsApi, listMs, acting);
    this.lean = new LeanApi(kubeConfig, requestMs, acting);
    this.leanList = new LeanApi(kubeConfig, listMs, acting);
  }

  /** Path of a namespaced custom resource collection, or of one object in it. */
  private static customPath(group: string, version: string, plural: string, namespace: string, name?: string): string {
    const base = `/apis/${group}/${version}/namespaces/${seg(namespace)}/${plural}`;
    return name === undefined ? base : `${base}/${seg(name)}`;
  }

  private nbPath(namespace: string, name?: string): string {
    return KubeClient.customPath(NODEBOUNCE_GROUP, NODEBOUNCE_VERSION, NODEBOUNCE_PLURAL, namespace, name);
  }

  private rbPath(namespace: string, name: string): string {
    return KubeClient.customPath(NODEBOUNCE_GROUP, NODEBOUNCE_VERSION, ROLLINGBOUNCE_PLURAL, namespace, name);
  }

  private expressPath(namespace: string, name: string): string {
    const { group, version, plural } = this.express;
    return KubeClient.customPath(group, version, plural, namespace, name);
  }

  private static podPath(namespace: string, name: string): string {
    return `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`;
  }

  async listRollingBounces(
    namespace?: string,
  ): Promise<{ items: RollingBounce[]; metadata?: { resourceVersion?: string } }> {
    const base = { group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION, plural: ROLLINGBOUNCE_PLURAL };
    return (
      namespace
        ? await this.listCustom.listNamespacedCustomObject({ ...base, namespace })
        : await this.listCustom.listClusterCustomObject(base)
    ) as { items: RollingBounce[] };
  }

  /** Replaces a RollingBounce's status; fails with 409 if someone wrote since `rb.metadata.resourceVersion`. */
  async replaceRollingBounceStatus(rb: RollingBounce): Promise<RollingBounce> {
    return this.lean.request<RollingBounce>('PUT', `${this.rbPath(rb.metadata.namespace, rb.metadata.name)}/status`, {
      apiVersion: NODEBOUNCE_API_VERSION,
      kind: ROLLINGBOUNCE_KIND,
      metadata: rb.metadata,
      spec: rb.spec,
      status: rb.status,
    });
  }

  /** Sets a RollingBounce's finalizers, guarded by resourceVersion. */
  async setRollingBounceFinalizers(rb: RollingBounce, finalizers: string[]): Promise<RollingBounce> {
    return this.lean.request<RollingBounce>(
      'PATCH',
      this.rbPath(rb.metadata.namespace, rb.metadata.name),
      { metadata: { finalizers, resourceVersion: rb.metadata.resourceVersion } },
      MERGE_PATCH,
    );
  }

  /**
   * Creates a member's NodeBounce, owned by the RollingBounce (controller ownerReference, so the garbage collector
   * removes it with its owner). Returns false when one of that name already exists (the create is idempotent).
   */
  async createMemberNodeBounce(
    rb: RollingBounce,
    name: string,
    podName: string,
    template: BounceTemplate,
  ): Promise<boolean> {
    const ns = rb.metadata.namespace;
    try {
      await this.lean.request('POST', this.nbPath(ns), {
        apiVersion: NODEBOUNCE_API_VERSION,
        kind: NODEBOUNCE_KIND,
        metadata: {
          name,
          namespace: ns,
          labels: { [ROLLINGBOUNCE_LABEL]: rb.metadata.name },
          ownerReferences: [
            {
              apiVersion: NODEBOUNCE_API_VERSION,
              kind: ROLLINGBOUNCE_KIND,
              name: rb.metadata.name,
              uid: rb.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: { podName, ...template },
      });
      return true;
    } catch (err) {
      if (isApiCode(err, 409)) return false;
      throw err;
    }
  }

  /** Deletes a NodeBounce by name (UID precondition when known); false when it is already gone. */
  async deleteNodeBounceNamed(namespace: string, name: string, uid?: string): Promise<boolean> {
    try {
      await this.lean.request('DELETE', this.nbPath(namespace, name), uid ? { preconditions: { uid } } : {});
      return true;
    } catch (err) {
      if (isApiCode(err, 404) || isApiCode(err, 409)) return false;
      throw err;
    }
  }

  /** Live read of one NodeBounce; undefined when it does not exist. */
  async getNodeBounce(namespace: string, name: string): Promise<NodeBounce | undefined> {
    try {
      return await this.lean.request<NodeBounce>('GET', this.nbPath(namespace, name));
    } catch (err) {
      if (isApiCode(err, 404)) return undefined;
      throw err;
    }
  }

  /** Live (uncached) list of the NodeBounces for one pod, via the CRD's selectable field spec.podName. */
  async listNodeBouncesForPod(namespace: string, podName: string): Promise<NodeBounce[]> {
    const fieldSelector = encodeURIComponent(`spec.podName=${podName}`);
    const list = await this.leanList.request<{ items: NodeBounce[] }>(
      'GET',
      `${this.nbPath(namespace)}?fieldSelector=${fieldSelector}`,
    );
    return list.items;
  }

  /**
   * Replaces status; the resourceVersion in `nb` makes it fail with 409 if someone wrote in between. `nb` may come
   * from the cache, which keeps only part of metadata (src/bounce/lean.ts): the status subresource takes status
   * alone (metadata and spec come from the stored object), and managedFields is not sent, so the API server keeps its
   * own (it ignores it on a subresource anyway).
   */
  async replaceNodeBounceStatus(nb: NodeBounce): Promise<NodeBounce> {
    const { managedFields: _notSent, ...metadata } = nb.metadata;
    return this.lean.request<NodeBounce>('PUT', `${this.nbPath(nb.metadata.namespace, nb.metadata.name)}/status`, {
      apiVersion: NODEBOUNCE_API_VERSION,
      kind: NODEBOUNCE_KIND,
      metadata,
      spec: nb.spec,
      status: nb.status,
    });
  }

  /**
   * Sets finalizers, guarded by resourceVersion so a stale view never drops someone else's finalizer; `annotations`
   * (merged, others kept) go in the same request, so they land exactly when the finalizers do.
   */
  async setNodeBounceFinalizers(
    nb: NodeBounce,
    finalizers: string[],
    annotations?: Record<string, string>,
  ): Promise<NodeBounce> {
    const withAnnotations = annotations && Object.keys(annotations).length > 0 ? { annotations } : {};
    return this.lean.request<NodeBounce>(
      'PATCH',
      this.nbPath(nb.metadata.namespace, nb.metadata.name),
      { metadata: { finalizers, resourceVersion: nb.metadata.resourceVersion, ...withAnnotations } },
      MERGE_PATCH,
    );
  }

  async deleteNodeBounce(nb: NodeBounce): Promise<void> {
    await this.lean.request('DELETE', this.nbPath(nb.metadata.namespace, nb.metadata.name), {
      preconditions: { uid: nb.metadata.uid },
    });
  }

  /**
   * Evicts (or deletes) the pod gracefully. preconditions.uid makes sure only that incarnation is touched:
   * a retry after a crash can never delete the replacement. Never grace 0, never strips finalizers.
   */
  async evictPod(
    namespace: string,
    name: string,
    uid: string,
    mode: 'Evict' | 'Delete',
    gracePeriodSeconds?: number,
  ): Promise<void> {
    const deleteOptions = {
      preconditions: { uid },
      ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
    };
    if (mode === 'Evict') {
      await this.lean.request('POST', `${KubeClient.podPath(namespace, name)}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name, namespace },
        deleteOptions,
      });
    } else {
      await this.lean.request('DELETE', KubeClient.podPath(namespace, name), deleteOptions);
    }
  }

  async patchExpress(namespace: string, name: string, patch: Record<string, unknown>): Promise<UnstructuredObject> {
    return this.lean.request<UnstructuredObject>('PATCH', this.expressPath(namespace, name), patch, MERGE_PATCH);
  }

  /** Live read of one pod, as plain JSON like the watch caches hold (timestamps as strings); undefined when gone. */
  async getPod(namespace: string, name: string): Promise<PodLike | undefined> {
    try {
      return await this.lean.request<PodLike>('GET', KubeClient.podPath(namespace, name));
    } catch (err) {
      if (isApiCode(err, 404)) return undefined;
      throw err;
    }
  }

  /** Live read of one Express resource; undefined when it does not exist. */
  async getExpress(namespace: string, name: string): Promise<UnstructuredObject | undefined> {
    try {
      return await this.lean.request<UnstructuredObject>('GET', this.expressPath(namespace, name));
    } catch (err) {
      if (isApiCode(err, 404)) return undefined;
      throw err;
    }
  }

  async listPods(
    namespace?: string,
    labelSelector?: string,
  ): Promise<{ items: V1Pod[]; metadata?: { resourceVersion?: string } }> {
    return namespace
      ? this.listCore.listNamespacedPod({ namespace, labelSelector })
      : this.listCore.listPodForAllNamespaces({ labelSelector });
  }

  async listNodeBounces(namespace?: string): Promise<{ items: NodeBounce[]; metadata?: { resourceVersion?: string } }> {
    const base = { group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION, plural: NODEBOUNCE_PLURAL };
    return (
      namespace
        ? await this.listCustom.listNamespacedCustomObject({ ...base, namespace })
        : await this.listCustom.listClusterCustomObject(base)
    ) as { items: NodeBounce[] };
  }

  async listExpress(
    namespace?: string,
  ): Promise<{ items: UnstructuredObject[]; metadata?: { resourceVersion?: string } }> {
    const base = { group: this.express.group, version: this.express.version, plural: this.express.plural };
    return (
      namespace
        ? await this.listCustom.listNamespacedCustomObject({ ...base, namespace })
        : await this.listCustom.listClusterCustomObject(base)
    ) as { items: UnstructuredObject[] };
  }

  /**
   * Records a core/v1 Event on the NodeBounce or RollingBounce (what `kubectl describe` shows). A repeat on the same
   * object within 10 minutes (same type, reason and message; for a `series` event whatever the message) patches the
   * earlier Event (count, lastTimestamp, latest message) instead of creating another (see event-series.ts). Repeats
   * for one key are sent one after the other so that the second can find the first.
   */
  recordEvent(nb: NodeBounce | RollingBounce, event: BounceEventRecord, kind: string = NODEBOUNCE_KIND): Promise<void> {
    const key = EventSeries.key(nb.metadata.uid, event.type, event.reason, event.series ? undefined : event.message);
    const previous = this.eventsInFlight.get(key) ?? Promise.resolve();
    const sending = previous.catch(() => undefined).then(() => this.sendEvent(key, nb, event, kind));
    this.eventsInFlight.set(key, sending);
    void sending
      .finally(() => {
        if (this.eventsInFlight.get(key) === sending) this.eventsInFlight.delete(key);
      })
      .catch(() => undefined);
    return sending;
  }

  private async sendEvent(
    key: string,
    nb: NodeBounce | RollingBounce,
    event: BounceEventRecord,
    kind: string,
  ): Promise<void> {
    const now = new Date();
    const namespace = nb.metadata.namespace;
    const message = event.message.slice(0, 1024);
    const repeat = this.eventSeries.current(key, now.getTime());
    if (repeat) {
      try {
        await this.lean.request(
          'PATCH',
          `/api/v1/namespaces/${seg(namespace)}/events/${seg(repeat.name)}`,
          { count: repeat.count + 1, lastTimestamp: now, message },
          MERGE_PATCH,
        );
        this.eventSeries.record(key, { name: repeat.name, count: repeat.count + 1, lastMs: now.getTime() });
        return;
      } catch (err) {
        // Gone (expired, deleted): start a new one. Anything else: the caller logs it; the series stays.
        if (!isApiCode(err, 404)) throw err;
        this.eventSeries.forget(key);
      }
    }
    const seq = (this.eventSeq++).toString(36);
    const name = `${nb.metadata.name}.${now.getTime().toString(16)}${seq}`;
    await this.lean.request('POST', `/api/v1/namespaces/${seg(namespace)}/events`, {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: NODEBOUNCE_API_VERSION,
        kind,
        name: nb.metadata.name,
        namespace,
        uid: nb.metadata.uid,
        resourceVersion: nb.metadata.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message,
      source: { component: 'nodebounce-operator' },
      reportingComponent: 'nodebounce-operator',
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    this.eventSeries.record(key, { name, count: 1, lastMs: now.getTime() });
  }
}
