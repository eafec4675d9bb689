// Webhook notifications end to end: the operator (a child process under deploy/'s RBAC) posts to a local HTTP
// server on 127.0.0.1. Payloads, warnings, retries, and that a dead endpoint never slows a bounce.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeBounce } from '../../src/api/nodebounce.js';
import { waitUntil } from '../harness/index.js';
import { useOperatorEnv } from './support/env.js';

interface Received {
  at: number;
  status: number | 'hung';
  id: string;
  body: {
    type: string;
    id: string;
    nodeBounce: { namespace: string; name: string; uid: string };
    pod: { name: string };
    phase: string | null;
    reason: string;
    message: string;
    durationSeconds: number | null;
    request: { reason: string | null; dryRun: boolean };
    cluster?: string;
  };
}

/** A webhook we control: answers 200, fails some messages a few times, hangs, or is not listening at all. */
class Webhook {
  readonly received: Received[] = [];
  mode: 'ok' | 'hang' = 'ok';
  /** NodeBounce name -> how many more attempts to answer 500. */
  readonly failTimes = new Map<string, number>();
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly secret = 'T0/B0/not-to-be-logged';

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/${this.secret}`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Connection refused from now on (until listen() again on the same port). */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (s) await new Promise((r) => s.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as Received['body'];
      const rec: Received = {
        at: Date.now(),
        status: 200,
        id: String(req.headers['x-nodebounce-notification-id']),
        body,
      };
      this.received.push(rec);
      const fails = this.failTimes.get(body.nodeBounce.name) ?? 0;
      if (fails > 0) {
        this.failTimes.set(body.nodeBounce.name, fails - 1);
        rec.status = 500;
        res.writeHead(500).end('try again');
      } else if (this.mode === 'hang') {
        rec.status = 'hung'; // never answered; the operator's per-attempt timeout ends it
      } else {
        res.writeHead(200).end('ok');
      }
    });
  }

  /** Delivered (200) messages about one NodeBounce, in order. */
  delivered(uid: string): Received['body'][] {
    return this.received.filter((r) => r.status === 200 && r.body.nodeBounce.uid === uid).map((r) => r.body);
  }

  async waitDelivered(uid: string, types: string[], timeoutMs = 20_000): Promise<Received['body'][]> {
    return waitUntil(
      () => {
        const got = this.delivered(uid);
        return types.every((t) => got.some((b) => b.type === t)) ? got : undefined;
      },
      { timeoutMs, intervalMs: 50, description: `notifications ${types.join(', ')} for ${uid}` },
    );
  }
}

function durationMs(nb: NodeBounce): number {
  return Date.parse(nb.status!.completionTime!) - Date.parse(nb.status!.startTime!);
}

describe('webhook notifications', () => {
  const hook = new Webhook();
  const dir = mkdtempSync(join(tmpdir(), 'nodebounce-notify-'));
  const operatorEnv: Record<string, string> = {};
  beforeAll(async () => {
    await hook.listen();
    const config = join(dir, 'config.yaml');
    // Short timeouts and backoff so a dead endpoint shows within a test's time.
    writeFileSync(
      config,
      'notifications:\n  format: json\n  clusterName: it\n  timeoutMs: 5000\n  maxRetries: 3\n  minBackoffMs: 100\n  maxBackoffMs: 1000\n  drainTimeoutMs: 1500\n',
    );
    Object.assign(operatorEnv, { NODEBOUNCE_CONFIG: config, NODEBOUNCE_NOTIFY_WEBHOOK_URL: hook.url });
  });
  // Registered after ours, so it starts the operator once the webhook and the config exist.
  const env = useOperatorEnv({ env: operatorEnv });
  afterAll(async () => {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bounce: started, then succeeded with its duration; the JSON payload carries every fact', async () => {
    const ns = await env.namespace('nt-happy');
    await env.fx.readyExpressNode(ns, 'hp');
    const nb = await env.fx.createNodeBounce(ns, { podName: 'hp', reason: 'patch Tuesday' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('PodRestarted');
    const msgs = await hook.waitDelivered(nb.metadata.uid!, ['BounceStarted', 'BounceSucceeded']);
    expect(msgs.map((m) => m.type)).toEqual(['BounceStarted', 'BounceSucceeded']);
    const [started, succeeded] = msgs;
    expect(started).toMatchObject({
      id: `${nb.metadata.uid}/BounceStarted`,
      phase: 'Terminating',
      reason: 'Evicting',
      pod: { name: 'hp' },
      cluster: 'it',
    });
    expect(succeeded).toMatchObject({
      id: `${nb.metadata.uid}/BounceSucceeded`,
      nodeBounce: { namespace: ns, name: nb.metadata.name, uid: nb.metadata.uid },
      phase: 'Succeeded',
      reason: 'PodRestarted',
      message: done.status?.message,
      request: { reason: 'patch Tuesday', dryRun: false },
    });
    expect(succeeded!.durationSeconds).toBeCloseTo(durationMs(done) / 1000, 0);
    const ids = hook.received.filter((r) => r.body.nodeBounce.uid === nb.metadata.uid).map((r) => r.id);
    expect(ids).toEqual([`${nb.metadata.uid}/BounceStarted`, `${nb.metadata.uid}/BounceSucceeded`]); // each exactly once
  });

  it('a failure: reason and message, and no "started" (nothing was touched)', async () => {
    const ns = await env.namespace('nt-fail');
    await env.fx.readyExpressNode(ns, 'rb', { runtimeState: 'rebuilding' });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'rb' });
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    const [failed, ...rest] = await hook.waitDelivered(nb.metadata.uid!, ['BounceFailed']);
    expect(failed).toMatchObject({
      type: 'BounceFailed',
      phase: 'Failed',
      reason: 'NodeRebuilding',
      message: done.status?.message,
    });
    expect(failed!.message).toContain('rebuilding');
    expect(rest).toEqual([]);
  });

  it('warnings: BlockedByPDB and WaitingForOtherBounce, then TerminationTimeout', async () => {
    const ns = await env.namespace('nt-warn');
    await env.fx.readyExpressNode(ns, 'pd');
    await env.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'hold' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { 'express.dev/node': 'pd' } } },
      },
    });
    const first = await env.fx.createNodeBounce(
      ns,
      { podName: 'pd', terminationTimeoutSeconds: 3 },
      { name: 'a-first' },
    );
    await env.fx.waitNodeBounce(
      ns,
      first.metadata.name,
      (o) => o.status?.reason === 'BlockedByPDB',
      20_000,
      'BlockedByPDB',
    );
    const second = await env.fx.createNodeBounce(
      ns,
      { podName: 'pd', terminationTimeoutSeconds: 3 },
      { name: 'b-second' },
    );
    const a = await hook.waitDelivered(first.metadata.uid!, ['BounceStarted', 'BounceWarning', 'BounceFailed']);
    expect(a.map((m) => `${m.type}/${m.reason}`)).toEqual([
      'BounceStarted/Evicting',
      'BounceWarning/BlockedByPDB',
      'BounceFailed/TerminationTimeout',
    ]);
    expect(a[1]!.message).toContain('refused');
    const b = await hook.waitDelivered(second.metadata.uid!, ['BounceWarning', 'BounceFailed'], 30_000);
    expect(b[0]).toMatchObject({ type: 'BounceWarning', reason: 'WaitingForOtherBounce', phase: 'Pending' });
    expect(b[0]!.message).toContain('a-first');
    expect(b.map((m) => `${m.type}/${m.reason}`)).toEqual([
      'BounceWarning/WaitingForOtherBounce',
      'BounceStarted/Evicting',
      'BounceWarning/BlockedByPDB',
      'BounceFailed/TerminationTimeout',
    ]);
  });

  it('retries: 500 twice, then delivered once on the third attempt, with backoff between attempts', async () => {
    const ns = await env.namespace('nt-retry');
    await env.fx.readyExpressNode(ns, 'rt');
    hook.failTimes.set('retry-me', 2);
    const nb = await env.fx.createNodeBounce(ns, { podName: 'rt', dryRun: true }, { name: 'retry-me' });
    await env.fx.waitFinished(ns, nb.metadata.name);
    await hook.waitDelivered(nb.metadata.uid!, ['BounceSucceeded']);
    const attempts = hook.received.filter((r) => r.body.nodeBounce.uid === nb.metadata.uid);
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((r) => r.id))).toEqual(new Set([`${nb.metadata.uid}/BounceSucceeded`]));
    expect(attempts[0]!.body.reason).toBe('DryRunPassed');
    // minBackoffMs 100, factor 2, jitter x1..x2
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(90);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(190);
  });

  it('a dead endpoint (hanging, then connection refused) never slows a bounce', async () => {
    const ns = await env.namespace('nt-dead');
    const bounce = async (name: string) => {
      await env.fx.readyExpressNode(ns, name);
      const t0 = Date.now();
      const nb = await env.fx.createNodeBounce(ns, { podName: name });
      const done = await env.fx.waitFinished(ns, nb.metadata.name);
      expect(done.status?.reason).toBe('PodRestarted');
      return { nb: done, operatorMs: durationMs(done), wallMs: Date.now() - t0 };
    };
    const healthy = await bounce('ok-1');
    hook.mode = 'hang';
    const hanging = await bounce('hang-1');
    // The hanging endpoint receives the attempts (each ended by the per-attempt timeout). A fast bounce can finish
    // before the notifier reaches its messages (it may still be waiting out an earlier message on the hang), so wait
    // for one to arrive before taking the endpoint down.
    await waitUntil(
      () => hook.received.some((r) => r.status === 'hung' && r.body.nodeBounce.uid === hanging.nb.metadata.uid),
      { timeoutMs: 30_000, description: 'the hanging endpoint received a message about the hanging bounce' },
    );
    await hook.close();
    const refused = await bounce('refused-1');
    await hook.listen(); // same port again
    hook.mode = 'ok';
    console.log(
      `[notify] bounce duration (operator status / wall clock): healthy ${healthy.operatorMs}/${healthy.wallMs} ms, ` +
        `hanging endpoint ${hanging.operatorMs}/${hanging.wallMs} ms, connection refused ${refused.operatorMs}/${refused.wallMs} ms`,
    );
    // Every hook call returns at once; the wait on the webhook is the notifier's, never the bounce's. The margin
    // only absorbs scheduling noise on a busy 2-core machine: had the "started" hook waited on the hanging endpoint,
    // the bounce would have taken at least timeoutMs (5 s) longer. (Refused connections fail fast, so that case is a
    // sanity check rather than the proof.)
    expect(hanging.operatorMs).toBeLessThan(healthy.operatorMs + 2500);
    expect(refused.operatorMs).toBeLessThan(healthy.operatorMs + 2500);
    // The messages held up by the dead endpoint are retried and arrive once it is back, or are given up; either
    // way the operator logged why, never the URL.
    await env.operator.waitForLog(
      (l) => l.includes('notification not sent') || l.includes('notification attempt failed'),
    );
    expect(env.operator.lines.some((l) => l.includes(hook.secret) || l.includes(`127.0.0.1:${hook.port}`))).toBe(false);
  });

  it('operator killed mid-bounce and restarted: each message still arrives exactly once', async () => {
    const ns = await env.namespace('nt-crash');
    await env.fx.readyExpressNode(ns, 'cr', { shutdownDelay: '3s' });
    const nb = await env.fx.createNodeBounce(ns, { podName: 'cr' });
    await hook.waitDelivered(nb.metadata.uid!, ['BounceStarted']);
    await env.operator.kill(); // SIGKILL while Terminating
    await env.restartOperator();
    const done = await env.fx.waitFinished(ns, nb.metadata.name);
    expect(done.status?.reason).toBe('PodRestarted');
    await hook.waitDelivered(nb.metadata.uid!, ['BounceSucceeded']);
    await new Promise((r) => setTimeout(r, 500));
    const ids = hook.received.filter((r) => r.body.nodeBounce.uid === nb.metadata.uid).map((r) => r.id);
    expect(ids).toEqual([`${nb.metadata.uid}/BounceStarted`, `${nb.metadata.uid}/BounceSucceeded`]);
  });

  it('shutdown with a hanging endpoint: SIGTERM still exits 0 within the drain time', async () => {
    const ns = await env.namespace('nt-stop');
    await env.fx.readyExpressNode(ns, 'sd');
    hook.mode = 'hang';
    const nb = await env.fx.createNodeBounce(ns, { podName: 'sd', dryRun: true });
    await env.fx.waitFinished(ns, nb.metadata.name);
    await waitUntil(() => hook.received.some((r) => r.body.nodeBounce.uid === nb.metadata.uid), {
      description: 'message in flight',
    });
    const t0 = Date.now();
    const code = await env.operator.stop();
    const stopMs = Date.now() - t0;
    console.log(`[notify] SIGTERM to exit with a hanging webhook: ${stopMs} ms (drainTimeoutMs 1500)`);
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(6000);
    hook.mode = 'ok';
  });
});
