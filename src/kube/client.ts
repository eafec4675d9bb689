import { hostname } from 'node:os';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
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

// Every write the operator makes to the Kubernetes API, in one place.

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

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
  }

  private nb(namespace: string, name: string) {
    return { group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION, plural: NODEBOUNCE_PLURAL, namespace, name };
  }

  private rb(namespace: string, name: string) {
    return { group: NODEBOUNCE_GROUP, version: NODEBOUNCE_VERSION, plural: ROLLINGBOUNCE_PLURAL, namespace, name };
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
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...this.rb(rb.metadata.namespace, rb.metadata.name),
      body: {
        apiVersion: NODEBOUNCE_API_VERSION,
        kind: ROLLINGBOUNCE_KIND,
        metadata: rb.metadata,
        spec: rb.spec,
        status: rb.status,
      },
    })) as RollingBounce;
  }

  /** Sets a RollingBounce's finalizers, guarded by resourceVersion. */
  async setRollingBounceFinalizers(rb: RollingBounce, finalizers: string[]): Promise<RollingBounce> {
    return (await this.custom.patchNamespacedCustomObject(
      {
        ...this.rb(rb.metadata.namespace, rb.metadata.name),
        body: { metadata: { finalizers, resourceVersion: rb.metadata.resourceVersion } },
      },
      mergePatch,
    )) as RollingBounce;
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
      await this.custom.createNamespacedCustomObject({
        group: NODEBOUNCE_GROUP,
        version: NODEBOUNCE_VERSION,
        plural: NODEBOUNCE_PLURAL,
        namespace: ns,
        body: {
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
        },
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
      await this.custom.deleteNamespacedCustomObject({
        ...this.nb(namespace, name),
        body: uid ? { preconditions: { uid } } : {},
      });
      return true;
    } catch (err) {
      if (isApiCode(err, 404) || isApiCode(err, 409)) return false;
      throw err;
    }
  }

  /** Live read of one NodeBounce; undefined when it does not exist. */
  async getNodeBounce(namespace: string, name: string): Promise<NodeBounce | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject(this.nb(namespace, name))) as NodeBounce;
    } catch (err) {
      if (isApiCode(err, 404)) return undefined;
      throw err;
    }
  }

  /** Live (uncached) list of the NodeBounces for one pod, via the CRD's selectable field spec.podName. */
  async listNodeBouncesForPod(namespace: string, podName: string): Promise<NodeBounce[]> {
    const list = (await this.listCustom.listNamespacedCustomObject({
      group: NODEBOUNCE_GROUP,
      version: NODEBOUNCE_VERSION,
      plural: NODEBOUNCE_PLURAL,
      namespace,
      fieldSelector: `spec.podName=${podName}`,
    })) as { items: NodeBounce[] };
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
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...this.nb(nb.metadata.namespace, nb.metadata.name),
      body: {
        apiVersion: NODEBOUNCE_API_VERSION,
        kind: NODEBOUNCE_KIND,
        metadata,
        spec: nb.spec,
        status: nb.status,
      },
    })) as NodeBounce;
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
    return (await this.custom.patchNamespacedCustomObject(
      {
        ...this.nb(nb.metadata.namespace, nb.metadata.name),
        body: { metadata: { finalizers, resourceVersion: nb.metadata.resourceVersion, ...withAnnotations } },
      },
      mergePatch,
    )) as NodeBounce;
  }

  async deleteNodeBounce(nb: NodeBounce): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      ...this.nb(nb.metadata.namespace, nb.metadata.name),
      body: { preconditions: { uid: nb.metadata.uid } },
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
      await this.core.createNamespacedPodEviction({
        name,
        namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions },
      });
    } else {
      await this.core.deleteNamespacedPod({ name, namespace, body: deleteOptions });
    }
  }

  async patchExpress(namespace: string, name: string, patch: Record<string, unknown>): Promise<UnstructuredObject> {
    return (await this.custom.patchNamespacedCustomObject(
      {
        group: this.express.group,
        version: this.express.version,
        plural: this.express.plural,
        namespace,
        name,
        body: patch,
      },
      mergePatch,
    )) as UnstructuredObject;
  }

  /** Live read of one pod, as plain JSON like the watch caches hold (timestamps as strings); undefined when gone. */
  async getPod(namespace: string, name: string): Promise<PodLike | undefined> {
    try {
      return JSON.parse(JSON.stringify(await this.core.readNamespacedPod({ namespace, name }))) as PodLike;
    } catch (err) {
      if (isApiCode(err, 404)) return undefined;
      throw err;
    }
  }

  /** Live read of one Express resource; undefined when it does not exist. */
  async getExpress(namespace: string, name: string): Promise<UnstructuredObject | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: this.express.group,
        version: this.express.version,
        plural: this.express.plural,
        namespace,
        name,
      })) as UnstructuredObject;
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
        await this.core.patchNamespacedEvent(
          { name: repeat.name, namespace, body: { count: repeat.count + 1, lastTimestamp: now, message } },
          mergePatch,
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
    await this.core.createNamespacedEvent({
      namespace,
      body: {
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
      },
    });
    this.eventSeries.record(key, { name, count: 1, lastMs: now.getTime() });
  }
}
