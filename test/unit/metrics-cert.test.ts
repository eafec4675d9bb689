import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { OperatorMetrics } from '../../src/observability/metrics.js';
import { startMetricsServer } from '../../src/observability/servers.js';

// A mounted metrics certificate that cannot be used stops start-up with a ConfigError naming metricsCertPath (exit 2,
// one message), not a stack trace; nothing listens.
describe('metrics server: a mounted certificate that cannot be used', () => {
  const start = (certFile: string, keyFile: string) =>
    startMetricsServer(
      {
        address: { host: '127.0.0.1', port: 0 },
        secure: { review: () => Promise.resolve({ allowed: true, user: 'test' }), certFile, keyFile },
      },
      new OperatorMetrics({ defaultMetrics: false }),
      pino({ level: 'silent' }),
    );

  it('missing files name metricsCertPath and the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-cert-'));
    const err: unknown = await start(join(dir, 'tls.crt'), join(dir, 'tls.key')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual(['metricsCertPath']);
    expect((err as Error).message).toContain(join(dir, 'tls.crt'));
  });

  it('files that are not PEM are refused the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-cert-'));
    writeFileSync(join(dir, 'tls.crt'), 'not a certificate');
    writeFileSync(join(dir, 'tls.key'), 'not a key');
    const err: unknown = await start(join(dir, 'tls.crt'), join(dir, 'tls.key')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^metricsCertPath: cannot use the certificate/);
  });
});
