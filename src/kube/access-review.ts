import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { makeApi } from './http.js';

// Who may read /metrics: the bearer token is checked with a TokenReview, then the permission (`get` on the
// non-resource URL, as kubebuilder's metrics filter and kube-rbac-proxy ask) with a SubjectAccessReview. Both
// answers are cached briefly per token (by its SHA-256, never the token itself), in a bounded cache, so a scrape
// every 15-30 s costs the API server two requests per TTL, and random tokens cannot grow memory.

export type AccessDecision =
  { allowed: true; user: string } | { allowed: false; status: 401 | 403; user?: string; reason: string };

export interface AccessReviewOptions {
  /** The non-resource URL whose `get` permission is asked. */
  path: string;
  /** How long a decision (allowed or refused) is reused. */
  ttlMs: number;
  /** Decisions kept at most; the oldest is dropped first. */
  maxEntries: number;
  /** Deadline of each review request. */
  requestTimeoutMs: number;
  now?: () => number;
}

export class AccessReviewer {
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly cache = new Map<string, { at: number; decision: Promise<AccessDecision> }>();
  private readonly now: () => number;
  /** Review requests sent (TokenReviews and SubjectAccessReviews), for tests and logs. */
  reviews = 0;

  constructor(
    kubeConfig: KubeConfig,
    private readonly opts: AccessReviewOptions,
  ) {
    this.authn = makeApi(kubeConfig, AuthenticationV1Api, opts.requestTimeoutMs);
    this.authz = makeApi(kubeConfig, AuthorizationV1Api, opts.requestTimeoutMs);
    this.now = opts.now ?? Date.now;
  }

  /** The decision for a bearer token; rejects when the API server could not answer (not cached). */
  review(token: string): Promise<AccessDecision> {
    const key = createHash('sha256').update(token).digest('base64');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.opts.ttlMs) return hit.decision;
    this.cache.delete(key);
    const decision = this.ask(token);
    this.cache.set(key, { at: now, decision });
    decision.catch(() => {
      if (this.cache.get(key)?.decision === decision) this.cache.delete(key);
    });
    while (this.cache.size > this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return decision;
  }

  get cached(): number {
    return this.cache.size;
  }

  private async ask(token: string): Promise<AccessDecision> {
    this.reviews++;
    const tr = await this.authn.createTokenReview({ body: { spec: { token } } });
    if (!tr.status?.authenticated || !tr.status.user?.username) {
      return { allowed: false, status: 401, reason: tr.status?.error || 'token not authenticated' };
    }
    const user = tr.status.user;
    this.reviews++;
    const sar = await this.authz.createSubjectAccessReview({
      body: {
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          nonResourceAttributes: { path: this.opts.path, verb: 'get' },
        },
      },
    });
    if (!sar.status?.allowed) {
      return {
        allowed: false,
        status: 403,
        user: user.username,
        reason: sar.status?.reason || `${user.username} may not get ${this.opts.path}`,
      };
    }
    return { allowed: true, user: user.username! };
  }
}
