import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeApiError, isApiCode } from './errors.js';
import { makeApi, withDeadline } from './http.js';

// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a lease is expired when
// its record hasn't changed for leaseDuration as observed by our own clock (no cross-node clock
// comparison); the leader renews every retryPeriod and gives up when it couldn't renew within
// renewDeadline; on shutdown the lease is released so a standby takes over at once.
// A renewal that hangs must not keep a leader acting: every lease request's deadline ends no later than the
// renew deadline, and a timer armed at each renewal stops leadership the moment the deadline passes, whether
// or not a request is still in flight.

/** Releasing the lease on shutdown: two requests, each at most this long. */
const RELEASE_DEADLINE_MS = 2_000;
/** Attempts at the release when a renewal of ours raced it (409). */
const RELEASE_ATTEMPTS = 3;

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  /** Deadline of one lease request (capped by what is left of the renew deadline while leading). */
  requestTimeoutSeconds: number;
  log: Logger;
  onStartedLeading: () => void;
  /** Leadership lost (renew deadline passed or lease taken): the process must stop acting. */
  onStoppedLeading: () => void;
  onLeaderChange?: (identity: string | undefined) => void;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private observed?: { holder?: string; renewTime?: string; resourceVersion?: string; at: number };
  private leading = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private renewDeadlineTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.api = makeApi(kubeConfig, CoordinationV1Api, opts.requestTimeoutSeconds * 1000);
  }

  /** Per-request options: a deadline that never outlasts the renew deadline while leading. */
  private callOptions() {
    let ms = this.opts.requestTimeoutSeconds * 1000;
    if (this.leading) ms = Math.min(ms, this.lastRenew + this.opts.renewDeadlineSeconds * 1000 - Date.now());
    return withDeadline(Math.max(ms, 50));
  }

  private loseLeadership(message: string, fields: Record<string, unknown> = {}): void {
    if (!this.leading) return;
    this.leading = false;
    // A renewal still in flight must not make us leader again: this elector is done (the process exits).
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.renewDeadlineTimer);
    this.opts.log.error({ lease: this.opts.name, ...fields }, message);
    this.opts.onStoppedLeading();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.opts.retryPeriodSeconds * 1000);
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log.warn({ err: describeApiError(err).message }, 'leader election: lease request failed');
    }
    if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineSeconds * 1000) {
      this.loseLeadership('leader election: could not renew the lease in time; stopping');
      return;
    }
    this.schedule();
  }

  private record(now: Date): V1Lease['spec'] {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.leaseDurationSeconds,
      renewTime: new V1MicroTime(now.toISOString()),
    };
  }

  private async tryAcquireOrRenew(): Promise<void> {
    if (this.stopped) return;
    const { namespace, name, identity } = this.opts;
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace }, this.callOptions());
    } catch (err) {
      if (!isApiCode(err, 404)) throw err;
      const created = await this.api.createNamespacedLease(
        {
          namespace,
          body: {
            metadata: { name, namespace },
            spec: { ...this.record(now), acquireTime: new V1MicroTime(now.toISOString()), leaseTransitions: 0 },
          },
        },
        this.callOptions(),
      );
      this.becameLeader(created);
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity || undefined;
    const renew = spec.renewTime ? new Date(spec.renewTime).toISOString() : undefined;
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renew) {
      this.observed = { holder, renewTime: renew, resourceVersion: lease.metadata?.resourceVersion, at: Date.now() };
      if (holder !== identity) this.opts.onLeaderChange?.(holder);
    }
    const duration = (spec.leaseDurationSeconds ?? this.opts.leaseDurationSeconds) * 1000;
    const expired = !holder || Date.now() > this.observed.at + duration;
    if (holder !== identity && !expired) {
      this.loseLeadership('leader election: lease taken by another instance; stopping', { holder });
      return;
    }
    const body: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        ...this.record(now),
        ...(holder !== identity
          ? { acquireTime: new V1MicroTime(now.toISOString()), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }
          : {}),
      },
    };
    // resourceVersion in `lease` makes this a compare-and-swap: two candidates can't both win.
    const updated = await this.api.replaceNamespacedLease({ name, namespace, body }, this.callOptions());
    if (this.stopped) return; // leadership was given up while the request was in flight
    this.becameLeader(updated);
  }

  private becameLeader(lease: V1Lease): void {
    this.lastRenew = Date.now();
    clearTimeout(this.renewDeadlineTimer);
    this.renewDeadlineTimer = setTimeout(
      () => this.loseLeadership('leader election: could not renew the lease in time; stopping'),
      this.opts.renewDeadlineSeconds * 1000,
    );
    this.observed = {
      holder: this.opts.identity,
      renewTime: lease.spec?.renewTime ? new Date(lease.spec.renewTime).toISOString() : undefined,
      resourceVersion: lease.metadata?.resourceVersion,
      at: Date.now(),
    };
    if (!this.leading) {
      this.leading = true;
      this.opts.log.info(
        { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity },
        'leader election: became leader',
      );
      this.opts.onLeaderChange?.(this.opts.identity);
      this.opts.onStartedLeading();
    }
  }

  /** Stops campaigning; when leading, releases the lease so a standby can take over immediately. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.renewDeadlineTimer);
    if (!this.leading) return;
    this.leading = false;
    const { namespace, name } = this.opts;
    // Shutdown is bounded (main.ts): the release gets a short deadline of its own.
    const release = withDeadline(Math.min(this.opts.requestTimeoutSeconds * 1000, RELEASE_DEADLINE_MS));
    // A renewal still in flight when stop() began may land between our read and our replace: the replace then
    // answers 409. Read again and retry (bounded): otherwise the standby waits out the whole lease duration.
    for (let attempt = 1; ; attempt++) {
      try {
        const lease = await this.api.readNamespacedLease({ name, namespace }, release);
        if (lease.spec?.holderIdentity !== this.opts.identity) return;
        const now = new V1MicroTime(new Date().toISOString());
        await this.api.replaceNamespacedLease(
          {
            name,
            namespace,
            body: {
              ...lease,
              spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
            },
          },
          release,
        );
        this.opts.log.info('leader election: lease released');
        return;
      } catch (err) {
        if (isApiCode(err, 409) && attempt < RELEASE_ATTEMPTS) continue;
        this.opts.log.warn({ err: describeApiError(err).message }, 'leader election: could not release the lease');
        return;
      }
    }
  }
}
