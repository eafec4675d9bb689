// The operator's watch (src/kube/watch.ts, issue 20) against a real local HTTP server: events split anywhere
// between chunks (even inside a UTF-8 character) arrive whole and once, the cache transform applies to objects
// only, the server's parameters are asked for, an HTTP error carries its status (410 makes ListWatch re-list), a
// silent connection ends after the idle time while data keeps it alive, and done() is called exactly once.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeadlineExceeded } from '../../src/kube/http.js';
import { BoundedWatch, type WatchLimits } from '../../src/kube/watch.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Route>();
const urls: string[] = [];
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    urls.push(req.url ?? '');
    const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node allows plain http only with skipTLSVerify.
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

interface Run {
  events: Array<[string, unknown]>;
  done: Promise<unknown>;
  doneCalls: () => number;
  controller: Promise<AbortController>;
}

function run(path: string, limits: Partial<WatchLimits> = {}): Run {
  const events: Array<[string, unknown]> = [];
  let calls = 0;
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((r) => (resolveDone = r));
  const w = new BoundedWatch(kubeConfig(), {
    timeoutMinSeconds: 300,
    timeoutMaxSeconds: 600,
    idleTimeoutMs: 10_000,
    ...limits,
  });
  const controller = w.watch(
    path,
    { resourceVersion: '5' },
    (type, obj) => events.push([type, obj]),
    (err) => {
      calls++;
      resolveDone(err);
    },
  );
  return { events, done, doneCalls: () => calls, controller };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('BoundedWatch', () => {
  it('delivers each event whole and once, however the stream is cut, and ends cleanly', async () => {
    const lines = [
      { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '6' }, note: 'caf\u00e9 \u2603' } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } },
      { type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '8' } } },
      { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '9' } } },
    ];
    const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + 'not json\n');
    routes.set('/api/v1/pods', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Cut into 7-byte pieces, sent apart: lines and the multi-byte characters are split between chunks.
      let i = 0;
      const next = () => {
        if (i >= bytes.length) return void res.end();
        res.write(bytes.subarray(i, i + 7));
        i += 7;
        setTimeout(next, 1);
      };
      next();
    });
    const r = run('/api/v1/pods', { transform: (o) => ({ ...(o as object), lean: true }) });
    expect(await r.done).toBeNull();
    expect(r.events).toEqual([
      ['ADDED', { ...lines[0]!.object, lean: true }],
      ['BOOKMARK', lines[1]!.object],
      ['MODIFIED', { ...lines[2]!.object, lean: true }],
      ['DELETED', { ...lines[3]!.object, lean: true }],
    ]);
    const asked = new URL(urls.at(-1)!, 'http://x').searchParams;
    expect(asked.get('watch')).toBe('true');
    expect(asked.get('resourceVersion')).toBe('5');
    expect(asked.get('allowWatchBookmarks')).toBe('true');
    expect(Number(asked.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
    expect(Number(asked.get('timeoutSeconds'))).toBeLessThanOrEqual(600);
    await settle();
    expect(r.doneCalls()).toBe(1);
  });

  it('an HTTP error ends it with the status code (410 Gone makes ListWatch re-list)', async () => {
    routes.set('/api/v1/gone', (_req, res) => res.writeHead(410, { 'content-type': 'application/json' }).end('{}'));
    const r = run('/api/v1/gone');
    const err = (await r.done) as { statusCode?: number };
    expect(err.statusCode).toBe(410);
    await settle();
    expect(r.doneCalls()).toBe(1);
  });

  it('a watch silent for the idle time ends with a TimeoutError; data keeps it alive', async () => {
    const bookmark = JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '1' } } }) + '\n';
    let ticker: NodeJS.Timeout | undefined;
    routes.set('/api/v1/quiet', (_req, res) => {
      res.writeHead(200);
      res.write(bookmark);
      // A bookmark every 50 ms for 600 ms (3× the idle time), then silence.
      const until = Date.now() + 600;
      ticker = setInterval(() => (Date.now() < until ? res.write(bookmark) : clearInterval(ticker)), 50);
    });
    const t0 = Date.now();
    const r = run('/api/v1/quiet', { idleTimeoutMs: 200 });
    const err = await r.done;
    clearInterval(ticker);
    expect(isDeadlineExceeded(err)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    expect(r.events.length).toBeGreaterThanOrEqual(5);
    await settle();
    expect(r.doneCalls()).toBe(1);
  });

  it('aborting the returned controller (ListWatch.stop) ends it, done called once', async () => {
    routes.set('/api/v1/open', (_req, res) => {
      res.writeHead(200);
      res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x' } } }) + '\n');
    });
    const r = run('/api/v1/open');
    const controller = await r.controller;
    while (r.events.length === 0) await new Promise((res) => setTimeout(res, 10));
    controller.abort();
    await r.done;
    await settle();
    expect(r.doneCalls()).toBe(1);
  });
});
