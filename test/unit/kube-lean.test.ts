// The lean request path (src/kube/lean.ts, issue 20) against real local HTTP(S) servers: the same credentials and
// TLS the KubeConfig gives (CA, client certificate, bearer token from a token file), a deadline that covers the
// headers and the body, and errors in the shape src/kube/errors.ts reads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeApiError, isApiCode } from '../../src/kube/errors.js';
import { isDeadlineExceeded } from '../../src/kube/http.js';
import { KubeHttpError, LeanApi, MERGE_PATCH } from '../../src/kube/lean.js';
import { generatePki, type ControlPlanePki } from '../harness/certs.js';

interface Seen {
  method?: string;
  url?: string;
  contentType?: string;
  authorization?: string;
  clientCN?: string;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

function recording(handler: Handler, seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const s: Seen = {
      method: req.method,
      url: req.url,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      clientCN: (req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN as string | undefined,
      body: '',
    };
    seen.push(s);
    req.on('data', (c: Buffer) => (s.body += c.toString()));
    req.on('end', () => handler(req, res, s));
  };
}

function kubeConfig(
  server: string,
  user: Record<string, unknown>,
  caPem?: string,
  cluster: Record<string, unknown> = {},
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server,
        skipTLSVerify: false,
        ...(caPem ? { caData: Buffer.from(caPem).toString('base64') } : {}),
        ...cluster,
      },
    ],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** Settles with the error, or 'hung' when the promise is still pending after `ms`. */
async function failureWithin(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise((r) => (timer = setTimeout(() => r('hung'), ms)));
  try {
    return await Promise.race([
      p.then(
        () => 'answered',
        (err: unknown) => err,
      ),
      guard,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('lean requests over TLS with the kubeconfig credentials', () => {
  let pki: ControlPlanePki;
  let server: Server;
  let port = 0;
  const seen: Seen[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-lean-'));

  beforeAll(async () => {
    pki = await generatePki();
    server = createHttpsServer(
      // requestCert without rejectUnauthorized: a request without a client certificate is answered too (token).
      { cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false },
      recording((_req, res, s) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Pod', metadata: { name: 'p' }, echo: s.body ? JSON.parse(s.body) : null }));
      }, seen),
    );
    port = await listen(server);
  }, 30_000);
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the client certificate, verifies the server against the CA, keeps the server path prefix', async () => {
    const kc = kubeConfig(
      `https://127.0.0.1:${port}/prefix/`,
      {
        certData: Buffer.from(pki.admin.cert).toString('base64'),
        keyData: Buffer.from(pki.admin.key).toString('base64'),
      },
      pki.ca.cert,
    );
    const api = new LeanApi(kc, 10_000);
    const out = await api.request<{ echo: unknown }>(
      'PATCH',
      '/apis/g/v1/namespaces/n/things/a%2Fb',
      { spec: { x: 1 } },
      MERGE_PATCH,
    );
    expect(out.echo).toEqual({ spec: { x: 1 } });
    expect(seen.at(-1)).toMatchObject({
      method: 'PATCH',
      url: '/prefix/apis/g/v1/namespaces/n/things/a%2Fb',
      contentType: MERGE_PATCH,
      clientCN: 'nodebounce-admin',
    });
  });

  it('refuses a server its CA did not sign', async () => {
    const other = await generatePki();
    const api = new LeanApi(kubeConfig(`https://127.0.0.1:${port}`, { token: 't' }, other.ca.cert), 10_000);
    const err = await failureWithin(api.request('GET', '/api/v1/namespaces/n/pods/p'), 10_000);
    expect(err).toBeInstanceOf(Error);
    expect(describeApiError(err).code).toBeUndefined();
  });

  it('sends the bearer token of an in-cluster style token file (client-node re-reads it when it rotates)', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first-token');
    const kc = kubeConfig(
      `https://127.0.0.1:${port}`,
      { authProvider: { name: 'tokenFile', config: { tokenFile } } },
      pki.ca.cert,
    );
    const api = new LeanApi(kc, 10_000);
    const got = await api.request<{ kind: string }>('GET', '/api/v1/namespaces/n/pods/p');
    expect(got.kind).toBe('Pod');
    expect(seen.at(-1)).toMatchObject({ method: 'GET', authorization: 'Bearer first-token', contentType: undefined });
  });
});

describe('lean requests: deadlines and error shapes', () => {
  let server: Server;
  let port = 0;
  const seen: Seen[] = [];
  beforeAll(async () => {
    server = createHttpServer(
      recording((req, res) => {
        if (req.url?.endsWith('/conflict')) {
          res.writeHead(409, { 'content-type': 'application/json', 'retry-after': '3' });
          res.end(
            JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'Conflict',
              code: 409,
              message: 'the object has been modified; please apply your changes to the latest version',
            }),
          );
        } else if (req.url?.endsWith('/page')) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('404 page not found\n');
        } else if (req.url?.endsWith('/half')) {
          // Headers and part of the body, then nothing: only the deadline can end the read.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"kind":');
        } else if (req.url?.endsWith('/empty')) {
          res.writeHead(200);
          res.end();
        }
        // anything else: never answered
      }, seen),
    );
    port = await listen(server);
  });
  afterAll(() => {
    (server as ReturnType<typeof createHttpServer>).closeAllConnections();
    server.close();
  });

  const api = (ms: number, until?: AbortSignal) =>
    // client-node allows plain http only with skipTLSVerify.
    new LeanApi(kubeConfig(`http://127.0.0.1:${port}`, { token: 't' }, undefined, { skipTLSVerify: true }), ms, until);

  it('an HTTP error carries code, Status message, reason and Retry-After the way errors.ts reads them', async () => {
    const err = await failureWithin(api(10_000).request('PUT', '/x/conflict', { a: 1 }), 10_000);
    expect(err).toBeInstanceOf(KubeHttpError);
    expect(isApiCode(err, 409)).toBe(true);
    expect(describeApiError(err)).toEqual({
      code: 409,
      message: 'the object has been modified; please apply your changes to the latest version',
      retryAfterSeconds: 3,
    });
    expect(seen.at(-1)).toMatchObject({ authorization: 'Bearer t', contentType: 'application/json', body: '{"a":1}' });
    const page = await failureWithin(api(10_000).request('GET', '/x/page'), 10_000);
    expect(describeApiError(page)).toEqual({ code: 404, message: '404 page not found' });
  });

  it('an empty answer is undefined', async () => {
    expect(await api(10_000).request('DELETE', '/x/empty')).toBeUndefined();
  });

  it('the deadline ends a request the server never answers', async () => {
    const t0 = Date.now();
    const err = await failureWithin(api(200).request('GET', '/x/never'), 5_000);
    expect(isDeadlineExceeded(err)).toBe(true);
    expect(describeApiError(err).message).toMatch(/deadline/);
    expect(Date.now() - t0).toBeLessThan(4_000);
  });

  it('the deadline also covers the body: headers then silence', async () => {
    const err = await failureWithin(api(300).request('GET', '/x/half'), 5_000);
    expect(isDeadlineExceeded(err)).toBe(true);
  });

  it('until aborts a request in flight at once; a later request is not sent', async () => {
    const acting = new AbortController();
    const client = api(60_000, acting.signal);
    const before = seen.length;
    const inFlight = failureWithin(client.request('GET', '/x/never'), 5_000);
    while (seen.length === before) await new Promise((r) => setTimeout(r, 10));
    acting.abort(new Error('lost leadership'));
    expect(String(await inFlight)).toMatch(/lost leadership/);
    const sent = seen.length;
    expect(String(await failureWithin(client.request('GET', '/x/empty'), 5_000))).toMatch(/lost leadership/);
    expect(seen.length).toBe(sent);
  });

  it('rejects deadlines that are not positive numbers', () => {
    expect(() => api(0)).toThrow(/positive/);
    expect(() => api(Number.NaN)).toThrow(/positive/);
  });
});
