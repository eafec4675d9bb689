/**
 * Raw JSON requests with a KubeConfig's credentials. Unlike the typed client, bodies are sent and
 * returned exactly as given (the typed models drop fields they do not know, e.g. a CRD schema's
 * `default` when the object was not deserialized by the client first) — also handy for tests that
 * need to send unusual objects.
 */
import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeRequestError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export async function kubeRequest<T = unknown>(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; timeoutMs?: number } = {},
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const reqOpts: import('node:https').RequestOptions = {
    method,
    headers: { Accept: 'application/json' },
    timeout: opts.timeoutMs ?? 30_000,
    agent: false,
  };
  await kc.applyToHTTPSOptions(reqOpts);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined) {
    (reqOpts.headers as Record<string, string>)['Content-Type'] = opts.contentType ?? 'application/json';
  }
  return new Promise<T>((resolve, reject) => {
    const req = request(url, reqOpts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* keep text */
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(parsed as T);
        else {
          const msg = (parsed as { message?: string } | undefined)?.message ?? text;
          reject(new KubeRequestError(status, parsed, `${method} ${path}: ${status} ${msg}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
