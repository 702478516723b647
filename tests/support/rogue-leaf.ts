/**
 * A server certificate signed directly with a room CA's intermediate key, bypassing hub/ca.ts's
 * own name checks: what a stolen intermediate key could make. Tests use it to show that the
 * name constraints, not our code, are what stops it.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export async function rogueLeaf(caDir: string, san: x509.JsonGeneralNames, cn: string): Promise<{ certPem: string; keyPem: string }> {
  const pem = readFileSync(join(caDir, 'intermediate-ca.key'), 'utf8');
  const signingKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), EC, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const inter = new x509.X509Certificate(readFileSync(join(caDir, 'intermediate-ca.pem'), 'utf8'));
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`,
    issuer: inter.subjectName,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(san),
      await x509.AuthorityKeyIdentifierExtension.create(inter.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}
