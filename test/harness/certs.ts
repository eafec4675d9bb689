/**
 * A throw-away PKI for the local control plane: CA, kube-apiserver serving cert, admin client cert
 * (O=system:masters) and the service-account signing key pair. ECDSA P-256 keeps generation fast.
 */
// @peculiar/x509 (via tsyringe) needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  cert: string;
  key: string;
}

export interface ControlPlanePki {
  ca: Pem;
  serving: Pem;
  admin: Pem;
  /** Service-account token signing key (PKCS#8) and its public key (SPKI). */
  serviceAccount: { privateKey: string; publicKey: string };
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function validity() {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000);
  return { notBefore, notAfter };
}

function serial(): string {
  return '01' + Buffer.from(webcrypto.getRandomValues(new Uint8Array(15))).toString('hex');
}

export async function generatePki(opts: { hosts?: string[]; ips?: string[] } = {}): Promise<ControlPlanePki> {
  const [caKeys, servingKeys, adminKeys] = await Promise.all([keyPair(), keyPair(), keyPair()]);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=nodebounce-local-ca',
    keys: caKeys,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = async (subject: string, keys: CryptoKeyPair, usage: string, san?: x509.JsonGeneralNames) =>
    x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      ...validity(),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ...(san ? [new x509.SubjectAlternativeNameExtension(san)] : []),
      ],
    });
  const hosts = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...(opts.hosts ?? [])];
  const ips = ['127.0.0.1', '10.0.0.1', ...(opts.ips ?? [])];
  const [servingCert, adminCert] = await Promise.all([
    leaf('CN=kube-apiserver', servingKeys, x509.ExtendedKeyUsage.serverAuth, [
      ...hosts.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
    leaf('CN=nodebounce-admin, O=system:masters', adminKeys, x509.ExtendedKeyUsage.clientAuth),
  ]);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    ca: { cert: caCert.toString('pem'), key: await keyPem(caKeys.privateKey) },
    serving: { cert: servingCert.toString('pem'), key: await keyPem(servingKeys.privateKey) },
    admin: { cert: adminCert.toString('pem'), key: await keyPem(adminKeys.privateKey) },
    serviceAccount: {
      privateKey: sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  };
}
