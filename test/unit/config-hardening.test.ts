// Operator config checks added by the hardening of issue 18: Prometheus endpoints (the only places the alert gate
// may connect to) and leader-election timings that would let two instances act at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { operatorConfigSchema } from '../../src/config/schema.js';

const problems = (raw: unknown): string[] => {
  const r = operatorConfigSchema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('prometheus.endpoints', () => {
  it('defaults to none; takes named http(s) base URLs', () => {
    expect(operatorConfigSchema.parse({}).prometheus.endpoints).toEqual({});
    const c = operatorConfigSchema.parse({
      prometheus: { endpoints: { default: 'http://prometheus.monitoring:9090', infra: 'https://p.example/prom' } },
    });
    expect(Object.keys(c.prometheus.endpoints)).toEqual(['default', 'infra']);
  });

  it.each([
    ['a fragment', 'http://p:9090/#'],
    ['a query', 'http://p:9090/?x=1'],
    ['a bare ?', 'http://p:9090?'],
    ['credentials', 'http://u:pw@p:9090'],
    ['another scheme', 'file:///etc/passwd'],
    ['no URL', 'prometheus'],
  ])('refuses %s, naming the key', (_, url) => {
    const p = problems({ prometheus: { endpoints: { default: url } } });
    expect(p.length).toBeGreaterThan(0);
    for (const line of p) expect(line).toMatch(/^prometheus\.endpoints\.default: must be an http\(s\)/);
  });

  it('refuses a name that is not a DNS label', () => {
    expect(problems({ prometheus: { endpoints: { Bad_Name: 'http://p:9090' } } })[0]).toMatch(
      /^prometheus\.endpoints\.Bad_Name: must be a DNS label/,
    );
  });
});

describe('leaderElection timings', () => {
  const le = (v: Record<string, number>) => problems({ leaderElection: { enabled: true, ...v } });

  it('the defaults (15/10/2) pass', () => {
    expect(le({})).toEqual([]);
  });

  it('refuses renewDeadlineSeconds >= leaseDurationSeconds, naming both keys', () => {
    for (const renew of [15, 20]) {
      const p = le({ leaseDurationSeconds: 15, renewDeadlineSeconds: renew });
      expect(p).toEqual([
        expect.stringMatching(
          /^leaderElection\.renewDeadlineSeconds: must be less than leaderElection\.leaseDurationSeconds \(15\)/,
        ),
      ]);
    }
  });

  it('refuses a lease duration without room for clock skew (less than 1.2 x renewDeadline)', () => {
    expect(le({ leaseDurationSeconds: 11, renewDeadlineSeconds: 10 })).toEqual([
      expect.stringMatching(/^leaderElection\.renewDeadlineSeconds: must leave leaderElection\.leaseDurationSeconds/),
    ]);
    expect(le({ leaseDurationSeconds: 12, renewDeadlineSeconds: 10 })).toEqual([]);
  });

  it('refuses retryPeriodSeconds >= renewDeadlineSeconds', () => {
    expect(le({ retryPeriodSeconds: 10 })).toEqual([
      expect.stringMatching(
        /^leaderElection\.retryPeriodSeconds: must be less than leaderElection\.renewDeadlineSeconds \(10\)/,
      ),
    ]);
  });

  it('startup stops with a ConfigError naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodebounce-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'leaderElection:\n  leaseDurationSeconds: 10\n  renewDeadlineSeconds: 10\n');
    try {
      expect(() => loadConfig({}, file)).toThrow(ConfigError);
      expect(() => loadConfig({}, file)).toThrow(/leaderElection\.renewDeadlineSeconds/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
