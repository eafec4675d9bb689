// The Prometheus gate's HTTP query against a local HTTP server speaking the /api/v1/query format (not a real
// Prometheus: that test is still to do, see docs/rollingbounce.md).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPrometheus } from '../../src/rollout/prometheus.js';

let server: Server;
let base: string;
let answer: (query: string) => { status: number; body: string; delayMs?: number } = () => ({ status: 200, body: '' });

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const a = answer(
      url.pathname === '/api/v1/query' ? (url.searchParams.get('query') ?? '') : `bad path ${url.pathname}`,
    );
    setTimeout(() => {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    }, a.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const vector = (result: unknown[]) => JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });

describe('queryPrometheus', () => {
  it('no series: the gate may open; the query is sent URL-encoded', async () => {
    let seen = '';
    answer = (q) => ((seen = q), { status: 200, body: vector([]) });
    expect(await queryPrometheus(base, 'ALERTS{alertstate="firing"}', 2)).toEqual({ ok: true, series: 0 });
    expect(seen).toBe('ALERTS{alertstate="firing"}');
  });

  it('series: counted, one shown', async () => {
    answer = () => ({
      status: 200,
      body: vector([
        { metric: { __name__: 'ALERTS', alertname: 'DiskFull' }, value: [1, '1'] },
        { metric: {}, value: [1, '1'] },
      ]),
    });
    expect(await queryPrometheus(base, 'ALERTS', 2)).toEqual({
      ok: true,
      series: 2,
      sample: 'ALERTS{alertname="DiskFull"}',
    });
  });

  it('a bad query, an error status, a scalar, garbage: closed with the reason', async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }),
    });
    expect(await queryPrometheus(base, 'up{', 2)).toEqual({
      ok: false,
      error: 'HTTP 400: bad_data: parse error at char 3',
    });
    answer = () => ({
      status: 200,
      body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }),
    });
    expect((await queryPrometheus(base, '1', 2)).ok).toBe(false);
    answer = () => ({ status: 502, body: '<html>bad gateway</html>' });
    expect(await queryPrometheus(base, 'up', 2)).toMatchObject({
      ok: false,
      error: expect.stringContaining('HTTP 502: not JSON'),
    });
  });

  it('no answer within the timeout: closed', async () => {
    answer = () => ({ status: 200, body: vector([]), delayMs: 3000 });
    const t0 = Date.now();
    expect(await queryPrometheus(base, 'up', 1)).toEqual({ ok: false, error: 'no answer within 1s' });
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('unreachable: closed with the cause', async () => {
    const r = await queryPrometheus('http://127.0.0.1:1', 'up', 2);
    expect(r.ok).toBe(false);
  });
});
