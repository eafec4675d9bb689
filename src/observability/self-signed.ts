import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

// A self-signed serving certificate made with node:crypto only (no runtime dependency): node:crypto makes keys and
// signatures but not certificates, so the X.509 structure (RFC 5280) is encoded here in DER, the few types it needs.
// Used for /metrics when no certificate is mounted; Prometheus then scrapes with insecure_skip_verify (the token is
// what authenticates the scraper; a mounted, cert-manager issued certificate lets it verify the server too).

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utf8(s: string): Buffer {
  return tlv(0x0c, Buffer.from(s, 'utf8'));
}

/** GeneralizedTime, valid for every year (UTCTime stops at 2049). */
function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-12-07T15:00:00.000Z
  return tlv(
    0x18,
    Buffer.from(
      `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`,
    ),
  );
}

function name(cn: string): Buffer {
  return seq(tlv(0x31, seq(oid('2.5.4.3'), utf8(cn))));
}

export interface SelfSignedCertificate {
  /** PEM. */
  cert: string;
  /** PEM (PKCS#8). */
  key: string;
}

/**
 * A certificate serial from random bytes: a positive DER INTEGER in its minimal form. The first byte gets the high
 * bit cleared (positive) and the next one set, so it is never 0x00: a leading zero byte before a byte below 0x80 is
 * "illegal padding" to OpenSSL, which then refuses the whole certificate (1 in 256 random serials did).
 */
export function serialNumber(random: Buffer): Buffer {
  const serial = Buffer.from(random);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

/**
 * An ECDSA P-256 certificate for `commonName`, with the DNS names and IP addresses as subjectAltNames (what TLS
 * clients verify), serverAuth only, valid from an hour ago for `days`.
 */
export function selfSignedCertificate(
  commonName: string,
  altNames: { dns?: string[]; ip?: string[] } = {},
  days = 365,
  now = new Date(),
  random: Buffer = randomBytes(16),
): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const serial = serialNumber(random);
  const sans: Buffer[] = [
    ...(altNames.dns ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...(altNames.ip ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  const extensions: Buffer[] = [
    // basicConstraints: not a CA (critical).
    seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq())),
    // keyUsage: digitalSignature (critical).
    seq(oid('2.5.29.15'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, tlv(0x03, Buffer.from([0x07, 0x80])))),
    // extKeyUsage: serverAuth.
    seq(oid('2.5.29.37'), tlv(0x04, seq(oid('1.3.6.1.5.5.7.3.1')))),
    ...(sans.length ? [seq(oid('2.5.29.17'), tlv(0x04, seq(...sans)))] : []),
  ];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name(commonName),
    seq(time(new Date(now.getTime() - 3600_000)), time(new Date(now.getTime() + days * 86400_000))),
    name(commonName),
    spki,
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature));
  const pem = (label: string, b: Buffer) =>
    `-----BEGIN ${label}-----\n${b
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')
      .replace(/\n$/, '')}\n-----END ${label}-----\n`;
  return { cert: pem('CERTIFICATE', der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
  }
  return Buffer.from(ip.split('.').map(Number));
}
