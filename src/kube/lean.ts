import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { Agent, type Dispatcher } from 'undici';
import { reuseConnections, USER_AGENT } from './http.js';

// The operator's hot requests without client-node's generated layer: plain JSON in and out over the same
// connections, TLS and credentials the KubeConfig gives (issue 20). The profile of a burst showed the HTTP stack —
// the generated request/response classes, ObjectSerializer, undici's `fetch` with its web streams and
// Request/Headers objects — and the garbage it makes at ~2/3 of the operator's CPU. Here a request is one call of
// undici's `Dispatcher.request` on the dispatcher client-node would have used (one per TLS setting, shared by
// reuseConnections), with the body read as text and parsed once.
//
// Same hardening as makeApi(): every request has a deadline (connect, headers and body) and is aborted at once
// when `until` aborts; credentials are applied per request by client-node itself (bearer token, token file
// refresh, exec/auth providers, client certificates, impersonation), so rotation works as before; an HTTP error
// is a KubeHttpError carrying `code`, `body` and `headers`, the fields src/kube/errors.ts reads.

export type LeanMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const MERGE_PATCH = 'application/merge-patch+json';

/** An HTTP error answer of the API server (4xx/5xx). `body` is the response text (a metav1.Status as JSON, usually). */
export class KubeHttpError extends Error {
  override readonly name = 'KubeHttpError';
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string | string[] | undefined>,
    method: string,
    path: string,
  ) {
    super(`${method} ${path}: HTTP ${code}`);
  }
}

/** One path segment, escaped. */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** For plain http:// servers and TLS with system CAs only, where client-node hands out no dispatcher. */
let plainAgent: Agent | undefined;

/**
 * The headers (credentials, user agent, `accept`) and the shared dispatcher (TLS, client certificate) of one request
 * to `kc`'s current cluster, as client-node's own clients get them: applied per request, so rotated credentials
 * (token files, exec plugins) are picked up.
 */
export async function authorize(kc: KubeConfig): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher }> {
  reuseConnections(kc);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
  let dispatcher: Dispatcher | undefined;
  const ctx = {
    setHeaderParam: (key: string, value: string) => void (headers[key.toLowerCase()] = value),
    setDispatcher: (d: Dispatcher) => void (dispatcher = d),
  };
  await kc.applySecurityAuthentication(ctx as unknown as RequestContext);
  return { headers, dispatcher: dispatcher ?? (plainAgent ??= new Agent()) };
}

export class LeanApi {
  private readonly origin: string;
  private readonly basePath: string;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
    /** Aborts every request of this client, in flight or later. */
    private readonly until?: AbortSignal,
  ) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new Error(`request deadline must be a positive number of ms, got ${timeoutMs}`);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  /**
   * One request; resolves to the parsed JSON answer (undefined for an empty body), rejects with a KubeHttpError
   * for a status ≥ 400, with the signal's reason (TimeoutError, or what `until` aborted with) when the deadline
   * passed or `until` aborted, or with the transport error.
   */
  async request<T = unknown>(method: LeanMethod, path: string, body?: unknown, contentType?: string): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.until ? AbortSignal.any([timeout, this.until]) : timeout;
    signal.throwIfAborted();
    const { headers, dispatcher } = await authorize(this.kc);
    signal.throwIfAborted();
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = contentType ?? 'application/json';
    }
    const fullPath = this.basePath + path;
    const res = await dispatcher.request({
      origin: this.origin,
      path: fullPath,
      method,
      headers,
      body: payload,
      signal,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new KubeHttpError(res.statusCode, text, res.headers, method, fullPath);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
