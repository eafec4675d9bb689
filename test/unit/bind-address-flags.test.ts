// kubebuilder-style listen addresses and command-line flags (--metrics-bind-address, --health-probe-bind-address,
// --metrics-secure, --metrics-cert-path), and the self-signed serving certificate made with node:crypto.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBindAddress, parseBindAddress, withPort } from '../../src/config/bind-address.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { selfSignedCertificate, serialNumber } from '../../src/observability/self-signed.js';

describe('bind addresses', () => {
  it.each([
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    [':8443', { host: undefined, port: 8443 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:8081', { host: '::1', port: 8081 }],
    [' 0.0.0.0:9 ', { host: '0.0.0.0', port: 9 }],
  ])('%s', (text, parsed) => {
    expect(parseBindAddress(text)).toEqual(parsed);
  });

  it('"0" turns the server off', () => {
    expect(parseBindAddress('0')).toBeUndefined();
    expect(withPort(undefined, 9000)).toBeUndefined();
  });

  it.each(['8443', 'host', ':', ':99999', 'a:b', '::1:80', ''])('refuses %j', (text) => {
    expect(() => parseBindAddress(text)).toThrow();
  });

  it('the older port keys replace the port and keep the host', () => {
    expect(withPort(parseBindAddress('127.0.0.1:8443'), 0)).toEqual({ host: '127.0.0.1', port: 0 });
    expect(formatBindAddress(withPort(parseBindAddress('[::1]:1'), 2)!)).toBe('[::1]:2');
  });
});

describe('flags', () => {
  const file = (text: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'nb-flags-')), 'c.yaml');
    writeFileSync(p, text);
    return p;
  };

  it('loopback by default (a laptop run exposes nothing), HTTPS with authentication', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      metricsBindAddress: '127.0.0.1:8443',
      healthProbeBindAddress: '127.0.0.1:8081',
      metricsSecure: true,
    });
  });

  it('win over the environment, which wins over the file', () => {
    const c = loadConfig(
      { NODEBOUNCE_METRICS_BIND_ADDRESS: ':1111', NODEBOUNCE_HEALTH_PROBE_BIND_ADDRESS: ':2222' },
      file('metricsBindAddress: ":3333"\nhealthProbeBindAddress: ":4444"\nmetricsSecure: true\n'),
      ['--metrics-bind-address=:8443', '--metrics-secure=false', '--metrics-cert-path', '/certs'],
    );
    expect(c).toMatchObject({
      metricsBindAddress: ':8443',
      healthProbeBindAddress: ':2222',
      metricsSecure: false,
      metricsCertPath: '/certs',
    });
    expect(loadConfig({}, undefined, ['--metrics-secure']).metricsSecure).toBe(true);
  });

  it('a bad flag or value stops startup naming it', () => {
    expect(() => loadConfig({}, undefined, ['--metrics-bind-adress=:1'])).toThrow(ConfigError);
    expect(() => loadConfig({}, undefined, ['--metrics-bind-adress=:1'])).toThrow(
      /--metrics-bind-adress: unknown flag/,
    );
    expect(() => loadConfig({}, undefined, ['--metrics-cert-path'])).toThrow(/--metrics-cert-path: needs a value/);
    expect(() => loadConfig({}, undefined, ['--health-probe-bind-address=8081'])).toThrow(
      /healthProbeBindAddress \(from --health-probe-bind-address\): "8081" is not host:port/,
    );
    expect(() => loadConfig({ NODEBOUNCE_METRICS_BIND_ADDRESS: 'x' })).toThrow(
      /metricsBindAddress \(from NODEBOUNCE_METRICS_BIND_ADDRESS\)/,
    );
    expect(() => loadConfig({}, undefined, ['--metrics-secure=maybe'])).toThrow(
      /metricsSecure \(from --metrics-secure\)/,
    );
  });
});

describe('self-signed serving certificate (node:crypto only)', () => {
  it('every random serial makes a certificate OpenSSL reads: positive, no leading zero byte', () => {
    const now = new Date('2026-12-07T15:00:00Z');
    for (const first of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      const random = Buffer.alloc(16, 0x05);
      random[0] = first;
      const serial = serialNumber(random);
      expect(serial[0]! & 0x80, `first byte ${first}`).toBe(0);
      expect(serial[0], `first byte ${first}`).not.toBe(0);
      const x = new X509Certificate(selfSignedCertificate('x', {}, 1, now, random).cert);
      expect(x.serialNumber).toBe(serial.toString('hex').toUpperCase());
    }
  });

  it('is a valid, self-verifying server certificate for localhost and the loopback addresses', () => {
    const now = new Date('2026-12-07T15:00:00Z');
    const { cert, key } = selfSignedCertificate(
      'nodebounce-operator',
      { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
      365,
      now,
    );
    const x = new X509Certificate(cert);
    expect(x.subject).toBe('CN=nodebounce-operator');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkHost('example.com')).toBeUndefined();
    expect(x.ca).toBe(false);
    expect(new Date(x.validFrom).getTime()).toBe(now.getTime() - 3600_000);
    expect(new Date(x.validTo).getTime()).toBe(now.getTime() + 365 * 86400_000);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    // A fresh key and serial every time.
    expect(new X509Certificate(selfSignedCertificate('x').cert).serialNumber).not.toBe(x.serialNumber);
  });
});
