// The webhook notifier: what fires, payloads, dedupe, the bounded queue, retries with backoff, shutdown, and
// that the URL never shows. A real HTTP server on 127.0.0.1 stands in for the webhook.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeBounce, NodeBounceStatus } from '../../src/api/nodebounce.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { createNotifier } from '../../src/notify/index.js';
import { fromEvent, fromTransition, type Notification } from '../../src/notify/classify.js';
import { escapeSlack, jsonPayload, slackPayload } from '../../src/notify/payload.js';
import { describeSendError, RecentKeys, WebhookSender, type SenderOptions } from '../../src/notify/sender.js';

function nb(status: NodeBounceStatus, spec: Partial<NodeBounce['spec']> = {}): NodeBounce {
  return {
    apiVersion: 'bounce.express.dev/v1alpha1',
    kind: 'NodeBounce',
    metadata: { name: 'b-1', namespace: 'team', uid: 'uid-1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { podName: 'ex-0', ...spec },
    status,
  };
}

function note(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: 'BounceSucceeded',
    key: `uid-${Math.random()}/BounceSucceeded`,
    time: '2026-01-01T00:00:10.000Z',
    namespace: 'team',
    name: 'b-1',
    uid: 'uid-1',
    podName: 'ex-0',
    phase: 'Succeeded',
    reason: 'PodRestarted',
    message: 'Pod ex-0 restarted.',
    mode: 'Evict',
    force: false,
    dryRun: false,
    durationSeconds: 12.3,
    ...overrides,
  };
}

describe('what fires', () => {
  const t = '2026-01-01T00:00:';
  it.each([
    [
      'into Terminating: started',
      { phase: 'Pending', reason: 'PreflightPassed' },
      { phase: 'Terminating', reason: 'Evicting' },
      'BounceStarted',
      'uid-1/BounceStarted',
    ],
    [
      'Terminating to BlockedByPDB: not a transition notification (the event is)',
      { phase: 'Terminating', reason: 'Evicting' },
      { phase: 'Terminating', reason: 'BlockedByPDB' },
      undefined,
      undefined,
    ],
    [
      'queued behind another bounce: warning',
      { phase: 'Pending', reason: 'Accepted' },
      { phase: 'Pending', reason: 'WaitingForOtherBounce' },
      'BounceWarning',
      'uid-1/BounceWarning/WaitingForOtherBounce',
    ],
    [
      'succeeded',
      { phase: 'Starting', reason: 'WaitingForReady' },
      { phase: 'Succeeded', reason: 'PodRestarted', startTime: `${t}01.000Z`, completionTime: `${t}13.340Z` },
      'BounceSucceeded',
      'uid-1/BounceSucceeded',
    ],
    [
      'failed',
      { phase: 'Pending', reason: 'Accepted' },
      { phase: 'Failed', reason: 'NodeRebuilding', message: 'rebuilding' },
      'BounceFailed',
      'uid-1/BounceFailed',
    ],
    [
      'first status, straight to Failed',
      undefined,
      { phase: 'Failed', reason: 'InvalidSpec' },
      'BounceFailed',
      'uid-1/BounceFailed',
    ],
    [
      'Pending to Starting (no Terminating seen): nothing',
      { phase: 'Pending', reason: 'Accepted' },
      { phase: 'Pending', reason: 'PreflightPassed' },
      undefined,
      undefined,
    ],
    [
      'Starting to RestoringShutdownProtection: nothing',
      { phase: 'Starting', reason: 'WaitingForReady' },
      { phase: 'Starting', reason: 'RestoringShutdownProtection' },
      undefined,
      undefined,
    ],
  ] as const)('%s', (_name, before, after, kind, key) => {
    const n = fromTransition(before, nb(after));
    expect(n?.kind).toBe(kind);
    expect(n?.key).toBe(key);
  });

  it('success carries the duration from startTime to completionTime', () => {
    const n = fromTransition(
      { phase: 'Starting' },
      nb(
        {
          phase: 'Succeeded',
          reason: 'PodRestarted',
          startTime: '2026-01-01T00:00:01.000Z',
          completionTime: '2026-01-01T00:00:13.340Z',
        },
        { reason: 'kernel patch' },
      ),
    );
    expect(n).toMatchObject({
      durationSeconds: 12.3,
      requestedReason: 'kernel patch',
      podName: 'ex-0',
      namespace: 'team',
      phase: 'Succeeded',
    });
  });

  it.each([
    [{ type: 'Warning', reason: 'BlockedByPDB', message: 'pdb' }, 'uid-1/BounceWarning/BlockedByPDB'],
    [
      { type: 'Warning', reason: 'ShutdownProtectionNotDisabled', message: '403' },
      'uid-1/BounceWarning/ShutdownProtectionNotDisabled',
    ],
    [
      { type: 'Warning', reason: 'ShutdownProtectionRestoreFailed', message: 'x' },
      'uid-1/BounceWarning/ShutdownProtectionRestoreFailed',
    ],
    [{ type: 'Warning', reason: 'NodeRebuilding', message: 'the failure itself: sent as BounceFailed' }, undefined],
    [{ type: 'Normal', reason: 'PodEvicted', message: 'x' }, undefined],
  ] as const)('event %o', (event, key) => {
    expect(fromEvent(nb({ phase: 'Terminating' }), event)?.key).toBe(key);
  });
});

describe('payloads', () => {
  it('Slack: fallback text plus Block Kit blocks', () => {
    const p = slackPayload(note({ requestedReason: 'patching' }), { clusterName: 'prod-eu' }) as {
      text: string;
      blocks: Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>;
    };
    expect(p.text).toBe('[prod-eu] Bounce succeeded in 12.3s: pod team/ex-0 (NodeBounce b-1). Pod ex-0 restarted.');
    expect(p.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'context']);
    expect(p.blocks[0]!.text!.text).toBe(':white_check_mark: *Bounce succeeded* in 12.3s: pod `team/ex-0`');
    const fields = p.blocks[1]!.fields!.map((f) => f.text);
    expect(fields).toEqual([
      '*Pod*\nteam/ex-0',
      '*NodeBounce*\nb-1',
      '*Phase*\nSucceeded (PodRestarted)',
      '*Duration*\n12.3s',
      '*Requested because*\npatching',
      '*Cluster*\nprod-eu',
    ]);
  });

  it('Slack: failure title names the reason; user text is escaped and long messages are cut to the limits', () => {
    const p = slackPayload(
      note({
        kind: 'BounceFailed',
        phase: 'Failed',
        reason: 'NodeRebuilding',
        durationSeconds: undefined,
        requestedReason: '<!channel> & co',
        message: 'x'.repeat(5000),
      }),
    ) as {
      text: string;
      blocks: Array<{ text?: { text: string }; fields?: Array<{ text: string }> }>;
    };
    expect(p.blocks[0]!.text!.text).toContain(':x: *Bounce failed: NodeRebuilding*');
    expect(p.blocks[1]!.fields!.some((f) => f.text.includes('&lt;!channel&gt; &amp; co'))).toBe(true);
    expect(JSON.stringify(p)).not.toContain('<!channel>');
    expect(p.blocks[2]!.text!.text.length).toBeLessThanOrEqual(3000);
    expect(p.text.length).toBeLessThanOrEqual(3000);
    expect(escapeSlack('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('generic JSON: a stable id to deduplicate on, and every fact', () => {
    const n = note({ key: 'uid-1/BounceSucceeded', dryRun: true, reason: 'DryRunPassed' });
    expect(jsonPayload(n)).toEqual({
      schemaVersion: 1,
      id: 'uid-1/BounceSucceeded',
      type: 'BounceSucceeded',
      time: '2026-01-01T00:00:10.000Z',
      nodeBounce: { namespace: 'team', name: 'b-1', uid: 'uid-1' },
      pod: { namespace: 'team', name: 'ex-0' },
      phase: 'Succeeded',
      reason: 'DryRunPassed',
      message: 'Pod ex-0 restarted.',
      durationSeconds: 12.3,
      expressResourceName: null,
      request: { reason: null, mode: 'Evict', force: false, dryRun: true },
      summary: 'Dry run passed in 12.3s: pod team/ex-0 (NodeBounce b-1). Pod ex-0 restarted.',
    });
  });
});

// ---- a local webhook ----

interface Hook {
  url: string;
  requests: Array<{ at: number; body: unknown; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function webhook(answer: (n: number, res: ServerResponse) => void): Promise<Hook> {
  const requests: Hook['requests'] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      requests.push({ at: Date.now(), body: JSON.parse(data), headers: req.headers });
      answer(requests.length, res);
    });
  });
  server.keepAliveTimeout = 100;
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/s3cr3t-token`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function capturingLog(): { log: Logger; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), text: () => chunks.join('') };
}

function sender(url: string, log: Logger, opts: Partial<SenderOptions> = {}): WebhookSender {
  return new WebhookSender({
    url,
    body: (n) => jsonPayload(n),
    timeoutMs: 1000,
    maxRetries: 3,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    queueSize: 10,
    drainTimeoutMs: 500,
    log,
    ...opts,
  });
}

describe('delivery', () => {
  it('retries with exponential backoff: 500, 500, then 200 is delivered once, on the third attempt', async () => {
    const hook = await webhook((n, res) => res.writeHead(n <= 2 ? 500 : 200).end());
    const { log, text } = capturingLog();
    const s = sender(hook.url, log);
    s.enqueue(note({ key: 'k1' }));
    await s.idle();
    expect(hook.requests).toHaveLength(3);
    expect(s.stats).toMatchObject({ enqueued: 1, sent: 1, failed: 0, retries: 2 });
    // randomize: each wait is between 1x and 2x of min(minBackoff * 2^i, maxBackoff)
    const gaps = [hook.requests[1]!.at - hook.requests[0]!.at, hook.requests[2]!.at - hook.requests[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(hook.requests.every((r) => JSON.stringify(r.body) === JSON.stringify(hook.requests[0]!.body))).toBe(true);
    expect(hook.requests[0]!.headers['x-nodebounce-notification-id']).toBe('k1');
    expect(text()).not.toContain('s3cr3t');
  });

  it('gives up after maxRetries on a server that keeps failing, and says so without the URL', async () => {
    const hook = await webhook((_n, res) => res.writeHead(503).end());
    const { log, text } = capturingLog();
    const s = sender(hook.url, log, { maxRetries: 2 });
    s.enqueue(note());
    await s.idle();
    expect(hook.requests).toHaveLength(3);
    expect(s.stats).toMatchObject({ sent: 0, failed: 1, retries: 2 });
    expect(text()).toContain('HTTP 503');
    expect(text()).toContain('giving up');
    expect(text()).not.toContain('s3cr3t');
    expect(text()).not.toContain(hook.url);
  });

  it('does not retry a 4xx that will not get better (400 bad payload)', async () => {
    const hook = await webhook((_n, res) => res.writeHead(400).end('invalid_payload'));
    const { log } = capturingLog();
    const s = sender(hook.url, log);
    s.enqueue(note());
    await s.idle();
    expect(hook.requests).toHaveLength(1);
    expect(s.stats).toMatchObject({ failed: 1, retries: 0 });
  });

  it('connection refused: retried, then given up; the URL is not in the log', async () => {
    const hook = await webhook((_n, res) => res.end());
    await hook.close();
    const { log, text } = capturingLog();
    const s = sender(hook.url, log, { maxRetries: 1, minBackoffMs: 10 });
    s.enqueue(note());
    await s.idle();
    expect(s.stats).toMatchObject({ failed: 1, retries: 1 });
    expect(text()).toMatch(/ECONNREFUSED/);
    expect(text()).not.toContain('s3cr3t');
    expect(text()).not.toContain(new URL(hook.url).host);
  });

  it('a hanging endpoint: each attempt times out after timeoutMs', async () => {
    await webhook(() => undefined).then(async (hook) => {
      const { log, text } = capturingLog();
      const s = sender(hook.url, log, { timeoutMs: 150, maxRetries: 1, minBackoffMs: 10 });
      const t0 = Date.now();
      s.enqueue(note());
      await s.idle();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(hook.requests).toHaveLength(2);
      expect(s.stats.failed).toBe(1);
      expect(text()).toContain('timed out');
    });
  });

  it('messages go out one at a time, in order', async () => {
    const hook = await webhook((_n, res) => setTimeout(() => res.writeHead(200).end(), 5));
    const s = sender(hook.url, capturingLog().log);
    for (let i = 0; i < 5; i++) s.enqueue(note({ key: `k${i}`, message: `m${i}` }));
    await s.idle();
    expect(hook.requests.map((r) => (r.body as { message: string }).message)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('dedupe and the bounded queue', () => {
  it('the same bounce and transition is sent once', async () => {
    const hook = await webhook((_n, res) => res.writeHead(204).end());
    const s = sender(hook.url, capturingLog().log);
    s.enqueue(note({ key: 'uid-1/BounceStarted' }));
    s.enqueue(note({ key: 'uid-1/BounceStarted' }));
    s.enqueue(note({ key: 'uid-1/BounceSucceeded' }));
    await s.idle();
    s.enqueue(note({ key: 'uid-1/BounceStarted' }));
    await s.idle();
    expect(hook.requests).toHaveLength(2);
    expect(s.stats).toMatchObject({ sent: 2, duplicates: 2 });
  });

  it('RecentKeys forgets the oldest beyond its capacity', () => {
    const k = new RecentKeys(2);
    expect([k.add('a'), k.add('b'), k.add('a'), k.add('c'), k.add('a')]).toEqual([true, true, false, true, true]);
    expect(k.size).toBe(2);
  });

  it('full queue: the oldest are dropped and counted, enqueue never waits', async () => {
    const hook = await webhook(() => undefined); // never answers
    const { log, text } = capturingLog();
    const s = sender(hook.url, log, { queueSize: 5, timeoutMs: 60_000, drainTimeoutMs: 50 });
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) s.enqueue(note({ key: `k${i}`, message: `m${i}` }));
    const took = performance.now() - t0;
    expect(took).toBeLessThan(500); // 1000 enqueues while the endpoint hangs
    // one in flight (k0), the newest five queued, the rest dropped
    expect(s.queued).toBe(5);
    expect(s.stats.dropped).toBe(994);
    expect(text()).toContain('notification queue full; dropped the oldest message');
    const t1 = Date.now();
    await s.stop();
    expect(Date.now() - t1).toBeLessThan(1000);
    expect(s.stats.dropped).toBe(999);
  });

  it('stop(maxWaitMs): a shorter wait than drainTimeoutMs wins (what is left of the shutdown grace)', async () => {
    const hook = await webhook(() => undefined); // never answers
    const s = sender(hook.url, capturingLog().log, { timeoutMs: 60_000, drainTimeoutMs: 8000 });
    s.enqueue(note({ key: 'in-flight' }));
    s.enqueue(note({ key: 'queued' }));
    const t0 = Date.now();
    await s.stop(300);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    expect(s.stats.dropped).toBe(1);
  });

  it('stop() sends what is queued when the endpoint is healthy, then takes nothing more', async () => {
    const hook = await webhook((_n, res) => res.writeHead(200).end());
    const s = sender(hook.url, capturingLog().log, { drainTimeoutMs: 2000 });
    for (let i = 0; i < 3; i++) s.enqueue(note({ key: `k${i}` }));
    await s.stop();
    expect(hook.requests).toHaveLength(3);
    s.enqueue(note({ key: 'late' }));
    await s.idle();
    expect(hook.requests).toHaveLength(3);
  });
});

describe('createNotifier and the config', () => {
  it('disabled without a URL: hooks that do nothing', async () => {
    const n = createNotifier(loadConfig({}).notifications, capturingLog().log);
    n.onTransition?.(undefined, nb({ phase: 'Failed', reason: 'InvalidSpec' }));
    await n.stop();
    expect(n.stats.enqueued).toBe(0);
  });

  it('from the environment: the hooks return at once and the messages arrive', async () => {
    const hook = await webhook((_n, res) => res.writeHead(200).end());
    const cfg = loadConfig({
      NODEBOUNCE_NOTIFY_WEBHOOK_URL: hook.url,
      NODEBOUNCE_NOTIFY_FORMAT: 'json',
      NODEBOUNCE_NOTIFY_CLUSTER_NAME: 'dev',
    }).notifications;
    expect(cfg.enabled).toBe(true);
    const { log, text } = capturingLog();
    const n = createNotifier(cfg, log);
    const t0 = performance.now();
    n.onTransition?.({ phase: 'Pending' }, nb({ phase: 'Terminating', reason: 'Evicting' }));
    n.onEvent?.(nb({ phase: 'Terminating' }), { type: 'Warning', reason: 'BlockedByPDB', message: 'pdb says no' });
    n.onTransition?.(
      { phase: 'Starting' },
      nb({
        phase: 'Succeeded',
        reason: 'PodRestarted',
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:00:05Z',
      }),
    );
    expect(performance.now() - t0).toBeLessThan(50);
    await n.idle();
    await n.stop();
    expect(
      hook.requests.map(
        (r) => (r.body as { type: string; reason: string }).type + '/' + (r.body as { reason: string }).reason,
      ),
    ).toEqual(['BounceStarted/Evicting', 'BounceWarning/BlockedByPDB', 'BounceSucceeded/PodRestarted']);
    expect(hook.requests[2]!.body).toMatchObject({ cluster: 'dev', durationSeconds: 5 });
    expect(text()).toContain('webhook notifications enabled');
    expect(text()).not.toContain('s3cr3t');
  });

  it('on the acting signal: once this instance stops acting it takes no new message; what was queued is sent', async () => {
    const hook = await webhook((_n, res) => res.writeHead(200).end());
    const cfg = loadConfig({ NODEBOUNCE_NOTIFY_WEBHOOK_URL: hook.url, NODEBOUNCE_NOTIFY_FORMAT: 'json' }).notifications;
    const acting = new AbortController();
    const n = createNotifier(cfg, capturingLog().log, acting.signal);
    n.onTransition?.({ phase: 'Pending' }, nb({ phase: 'Terminating', reason: 'Evicting' }));
    acting.abort(new Error('lost leadership'));
    n.onEvent?.(nb({ phase: 'Terminating' }), { type: 'Warning', reason: 'BlockedByPDB', message: 'seen too late' });
    await n.stop();
    expect(n.stats.enqueued).toBe(1);
    expect(hook.requests.map((r) => (r.body as { reason: string }).reason)).toEqual(['Evicting']);
  });

  it('the URL never shows: JSON, String(), inspect and a logged config are redacted', () => {
    const url = 'https://hooks.example.com/services/T1/B2/very-secret';
    const cfg = loadConfig({ NODEBOUNCE_NOTIFY_WEBHOOK_URL: url });
    expect(cfg.notifications.url?.reveal()).toBe(url);
    expect(JSON.stringify(cfg)).not.toContain('very-secret');
    expect(String(cfg.notifications.url)).toBe('[redacted]');
    expect(inspect(cfg, { depth: 5 })).not.toContain('very-secret');
    const { log, text } = capturingLog();
    log.info({ config: cfg }, 'config');
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain('very-secret');
    expect(describeSendError(new Error(`request to ${url} failed`), url)).not.toContain('very-secret');
  });

  it('config errors: enabled without a URL, a bad URL (not echoed), a bad format', () => {
    const errorOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(errorOf({ NODEBOUNCE_NOTIFY_ENABLED: 'true' })).toContain(
      'notifications.url: required when notifications are enabled',
    );
    const bad = errorOf({ NODEBOUNCE_NOTIFY_WEBHOOK_URL: 'ftp://secret-host/x-token' });
    expect(bad).toContain('notifications.url (from NODEBOUNCE_NOTIFY_WEBHOOK_URL): must be an http(s) URL');
    expect(bad).not.toContain('x-token');
    expect(errorOf({ NODEBOUNCE_NOTIFY_WEBHOOK_URL: 'https://h/x', NODEBOUNCE_NOTIFY_FORMAT: 'teams' })).toContain(
      'notifications.format',
    );
    expect(
      loadConfig({ NODEBOUNCE_NOTIFY_WEBHOOK_URL: 'https://h/x', NODEBOUNCE_NOTIFY_ENABLED: 'false' }).notifications
        .enabled,
    ).toBe(false);
  });
});

describe('RollingBounce notifications', async () => {
  const { fromRolloutTransition } = await import('../../src/notify/classify.js');
  const { payload, summary } = await import('../../src/notify/payload.js');
  const rb = (status: Record<string, unknown>, generation = 1) =>
    ({
      metadata: { name: 'weekly', namespace: 'prod', uid: 'rb-1', generation },
      spec: { members: { podNames: ['a', 'b'] }, bounceTemplate: { reason: 'kernel' } },
      status,
    }) as never;
  const row = (phase: string, startTime?: string) => ({ pod: 'a', phase, ...(startTime ? { startTime } : {}) });

  it('started (first member started), paused, succeeded, failed; nothing for the rest', () => {
    const pending = { phase: 'Pending', reason: 'Accepted', members: [row('Pending')] };
    const started = {
      phase: 'Progressing',
      reason: 'MembersInProgress',
      progress: '0/2',
      members: [row('InProgress', '2026-01-01T00:00:00Z')],
    };
    expect(fromRolloutTransition(pending as never, rb(started))?.kind).toBe('RolloutStarted');
    expect(fromRolloutTransition(started as never, rb({ ...started, reason: 'Settling' }))).toBeUndefined();
    expect(
      fromRolloutTransition(started as never, rb({ ...started, phase: 'Paused', reason: 'Paused' }, 2)),
    ).toMatchObject({ kind: 'RolloutPaused', key: 'rb-1/RolloutPaused/2' });
    const ok = fromRolloutTransition(
      started as never,
      rb({
        ...started,
        phase: 'Succeeded',
        reason: 'AllMembersBounced',
        progress: '2/2',
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:01:00Z',
      }),
    );
    expect(ok).toMatchObject({
      kind: 'RolloutSucceeded',
      durationSeconds: 60,
      rollout: { progress: '2/2' },
      requestedReason: 'kernel',
    });
    expect(summary(ok!)).toContain('RollingBounce prod/weekly (2/2 members)');
    expect(payload(ok!, 'json')).toMatchObject({
      type: 'RolloutSucceeded',
      rollingBounce: { name: 'weekly', progress: '2/2' },
      phase: 'Succeeded',
    });
    expect(JSON.stringify(payload(ok!, 'slack'))).toContain('RollingBounce');
    expect(
      fromRolloutTransition(started as never, rb({ ...started, phase: 'Failed', reason: 'MemberFailed' }))?.kind,
    ).toBe('RolloutFailed');
  });
});
