// The Prometheus gate's HTTP query against a local HTTP server speaking the /api/v1/query format (the real
// Prometheus: test/integration/rollout-prometheus.test.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prometheusQueryUrl, queryPrometheus } from '../../src/rollout/prometheus.js';

let server: Server;
let base: string;
let answer: (query: string) => {
  status: number;
  body: string;
  delayMs?: number;
  headers?: Record<string, string>;
} = () => ({ status: 200, body: '' });
/** Every path the server was asked for, with its query string. */
let requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const a =
      url.pathname === '/api/v1/query' || url.pathname === '/prom/api/v1/query'
        ? answer(url.searchParams.get('query') ?? '')
        : { status: 200, body: `INTERNAL SECRET at ${url.pathname}` };
    setTimeout(() => {
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    }, a.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
beforeEach(() => {
  requests = [];
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const vector = (result: unknown[]) => JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });

describe('prometheusQueryUrl', () => {
  it('builds the path with URL APIs: a ?, # or path in the base cannot change what is asked', () => {
    expect(prometheusQueryUrl('http://p:9090', 'up').href).toBe('http://p:9090/api/v1/query?query=up');
    expect(prometheusQueryUrl('http://p:9090/prom/', 'a b').href).toBe('http://p:9090/prom/api/v1/query?query=a+b');
    expect(prometheusQueryUrl('http://p:9090/internal#', 'up').href).toBe(
      'http://p:9090/internal/api/v1/query?query=up',
    );
    expect(prometheusQueryUrl('http://p:9090/internal?x=1', 'up').href).toBe(
      'http://p:9090/internal/api/v1/query?query=up',
    );
  });
});

describe('queryPrometheus', () => {
  it('no series: the gate may open; the query is sent URL-encoded', async () => {
    let seen = '';
    answer = (q) => ((seen = q), { status: 200, body: vector([]) });
    expect(await queryPrometheus(base, 'ALERTS{alertstate="firing"}', 2)).toEqual({ ok: true, series: 0 });
    expect(seen).toBe('ALERTS{alertstate="firing"}');
  });

  it('series: counted, none of their labels shown (a query may select any series the endpoint holds)', async () => {
    answer = () => ({
      status: 200,
      body: vector([
        { metric: { __name__: 'ALERTS', alertname: 'DiskFull' }, value: [1, '1'] },
        { metric: {}, value: [1, '1'] },
      ]),
    });
    expect(await queryPrometheus(base, 'ALERTS', 2)).toEqual({ ok: true, series: 2 });
  });

  it('a bad query, an error status, a scalar, garbage: closed with the HTTP status and a fixed reason', async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }),
    });
    expect(await queryPrometheus(base, 'up{', 2)).toEqual({
      ok: false,
      error: 'HTTP 400: bad_data (the query failed; run it in Prometheus to see why)',
    });
    answer = () => ({
      status: 500,
      body: JSON.stringify({ status: 'error', errorType: 'SECRET-TYPE', error: 'SECRET' }),
    });
    expect(await queryPrometheus(base, 'up', 2)).toEqual({
      ok: false,
      error: 'HTTP 500: error (the query failed; run it in Prometheus to see why)',
    });
    answer = () => ({
      status: 200,
      body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }),
    });
    expect((await queryPrometheus(base, '1', 2)).ok).toBe(false);
    answer = () => ({ status: 502, body: '<html>bad gateway</html>' });
    expect(await queryPrometheus(base, 'up', 2)).toEqual({
      ok: false,
      error: 'HTTP 502: not a Prometheus API answer (not JSON)',
    });
  });

  it('no answer within the timeout: closed', async () => {
    answer = () => ({ status: 200, body: vector([]), delayMs: 3000 });
    const t0 = Date.now();
    expect(await queryPrometheus(base, 'up', 1)).toEqual({ ok: false, error: 'no answer within 1s' });
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('unreachable: closed with the cause', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await queryPrometheus(`http://127.0.0.1:${port}`, 'up', 2)).toEqual({
      ok: false,
      error: 'cannot connect (ECONNREFUSED)',
    });
  });

  it('a base ending in # or ?: the query path is still asked for once, and no other path is', async () => {
    answer = () => ({ status: 200, body: vector([]) });
    for (const suffix of ['#', '?', 'prom?x=/secret#']) {
      requests = [];
      expect(await queryPrometheus(`${base}${suffix}`, 'up', 2)).toEqual({ ok: true, series: 0 });
      expect(requests).toEqual([`/${suffix.startsWith('prom') ? 'prom/' : ''}api/v1/query?query=up`]);
    }
  });

  it('a redirect is not followed, and nothing of any answer body reaches the result', async () => {
    answer = () => ({ status: 302, body: 'SECRET redirect body', headers: { location: '/internal/secret' } });
    const r = await queryPrometheus(base, 'up', 2);
    expect(r).toEqual({ ok: false, error: 'HTTP 302: a redirect (not followed)' });
    expect(requests).toEqual(['/api/v1/query?query=up']);
    answer = () => ({ status: 200, body: 'SECRET not json' });
    expect(JSON.stringify(await queryPrometheus(base, 'up', 2))).not.toContain('SECRET');
    answer = () => ({
      status: 200,
      body: vector([{ metric: { __name__: 'ALERTS', secret: 'SECRET' }, value: [1, '1'] }]),
    });
    expect(JSON.stringify(await queryPrometheus(base, 'up', 2))).not.toContain('SECRET');
  });

  it('an answer larger than the bound is not read', async () => {
    answer = () => ({ status: 200, body: 'x'.repeat(5 * 1024 * 1024) });
    expect(await queryPrometheus(base, 'up', 5)).toMatchObject({
      ok: false,
      error: expect.stringContaining('answer larger than'),
    });
  });
});
