// Room certificate authority for the LAN hub.
//
// Why two tiers: Chrome and Firefox enforce name constraints on a user-installed root, but Apple
// platforms and Android WebView probably only enforce them on an intermediate. So the root is a
// plain CA that signs exactly one name-constrained intermediate (pathLen 0) and its private key is
// generated non-extractable and dropped: nothing else can ever chain to it. Devices trust
// root-ca.pem once; server leaves are re-issued from the intermediate whenever the names change.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from '@peculiar/asn1-x509';
import { createHash, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { isSafeCaName } from './ca-names.ts';
import { writeFileAtomic } from '../support/private-files.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** LAN, loopback and link-local ranges: the only IPs the intermediate may vouch for. Changing
 * this list means every device must reinstall the root, so it is deliberately broad. */
export const PERMITTED_IP_RANGES: readonly string[] = Object.freeze([
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16',
  'fc00::/7', 'fe80::/10', '::1/128',
]);

export interface CaPaths { dir: string }
export interface RoomCa {
  /** Self-signed root (PEM): what devices install. Its private key never exists on disk. */
  rootPem: string;
  /** Name-constrained intermediate (PEM) whose key (intermediate-ca.key, 0600) signs leaves. */
  intermediatePem: string;
  /** SHA-256 of the root DER, "AB:CD:..": show it so users can check what they install. */
  rootFingerprintSha256: string;
  /** DNS names the intermediate is constrained to (from ca.json); subdomains also qualify. */
  hostnames: readonly string[];
}
export interface LeafCert { certPem: string; chainPem: string /* leaf + intermediate */; keyPem: string }
export interface CertNames { dns: string[]; ips: string[] }

const F = {
  root: 'root-ca.pem', inter: 'intermediate-ca.pem', interKey: 'intermediate-ca.key', meta: 'ca.json',
  leaf: 'server.pem', leafKey: 'server.key', leafMeta: 'server.json',
} as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const SKEW_MS = 3_600_000; // backdate notBefore: device clocks drift
const LEAF_DAYS = 397; // Apple caps TLS leaves at 398 days
const RENEW_DAYS = 30;

const lanRanges = new BlockList();
for (const cidr of PERMITTED_IP_RANGES) {
  const [addr = '', prefix = ''] = cidr.split('/');
  lanRanges.addSubnet(addr, Number(prefix), isIP(addr) === 6 ? 'ipv6' : 'ipv4');
}

/** Canonical text form, so "::1" and "0:0::1" compare equal. Throws "ca:" on junk. */
function normalizeIp(ip: string): string {
  const v = isIP(ip);
  if (v === 0 || ip.includes('%')) throw new Error(`ca: not an IP address: ${ip}`);
  if (v === 4) return ip;
  const canon = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  // BlockList would match ::ffff:10.x against IPv4 ranges, but verifiers compare 16-byte SANs
  // with IPv6 subtrees only, so such a leaf would be rejected: refuse it here instead.
  if (canon.startsWith('::ffff:')) throw new Error(`ca: use the IPv4 form, not ${ip}`);
  return canon;
}

const DNS_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
function normalizeDns(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!DNS_RE.test(n)) throw new Error(`ca: not a DNS name: ${name}`);
  return n;
}

// Mirrors RFC 5280 dNSName constraint matching: the name itself or any subdomain of it.
const dnsAllowed = (ca: RoomCa, n: string): boolean => ca.hostnames.some((h) => n === h || n.endsWith(`.${h}`));
const ipAllowed = (ip: string): boolean => lanRanges.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
const tryOr = <T>(f: () => T, fallback: T): T => { try { return f(); } catch { return fallback; } };

/** The subset of `names` this CA can certify (malformed entries dropped), for callers that
 * gather candidate addresses (every interface) and want to skip the ones it would refuse. */
export function permittedByCa(ca: RoomCa, names: CertNames): CertNames {
  return {
    dns: names.dns.filter((d) => tryOr(() => dnsAllowed(ca, normalizeDns(d)), false)),
    ips: names.ips.filter((ip) => tryOr(() => ipAllowed(normalizeIp(ip)), false)),
  };
}

/** Normalized, de-duplicated names, or a "ca:" error naming the first one the CA can't vouch for. */
function checkNames(ca: RoomCa, names: CertNames): CertNames {
  const dns = [...new Set(names.dns.map(normalizeDns))];
  const ips = [...new Set(names.ips.map(normalizeIp))];
  for (const d of dns) if (!dnsAllowed(ca, d)) throw new Error(`ca: DNS name ${d} is outside the CA's names (${ca.hostnames.join(', ')})`);
  for (const ip of ips) if (!ipAllowed(ip)) throw new Error(`ca: IP ${ip} is outside the permitted LAN ranges`);
  if (dns.length + ips.length === 0) throw new Error('ca: no names to certify');
  return { dns, ips };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, minimal DER INTEGER
  return b.toString('hex');
}

const derOf = (pem: string): Buffer => Buffer.from(x509.PemConverter.decodeFirst(pem));
const fingerprint = (pem: string): string =>
  createHash('sha256').update(derOf(pem)).digest('hex').toUpperCase().match(/../g)!.join(':');
const validity = (ms: number): { notBefore: Date; notAfter: Date } => {
  const notBefore = new Date(Date.now() - SKEW_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + ms) };
};
// Name objects with explicit utf8String: the library's plain-string forms mangle commas and quotes.
// CN is capped at 64 characters (RFC 5280 upper bound), so long room names are shortened.
const dn = (cn: string): x509.Name =>
  new x509.Name([{ CN: [{ utf8String: [...cn].slice(0, 64).join('') }] }, { O: [{ utf8String: 'Osmose' }] }]);
const keyPem = async (k: CryptoKey): Promise<string> =>
  x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY');

function nameConstraints(hostnames: readonly string[]): x509.Extension {
  const subtrees = [
    ...hostnames.map((h) => new GeneralSubtree({ base: new GeneralName({ dNSName: h }) })),
    // asn1-x509 encodes "a.b.c.d/n" as the address+mask octets RFC 5280 wants for iPAddress
    ...PERMITTED_IP_RANGES.map((c) => new GeneralSubtree({ base: new GeneralName({ iPAddress: c }) })),
  ];
  const der = AsnConvert.serialize(new NameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) }));
  return new x509.Extension('2.5.29.30', true, der);
}

/** Loads the room CA from `dir`, or creates it once. An existing CA is never regenerated (that
 * would make every device reinstall the root); `opts` only matter on first creation. */
export async function loadOrCreateRoomCa(dir: string, opts: { roomName: string; hostnames: string[] }): Promise<RoomCa> {
  const existingRoot = await readOptional(join(dir, F.root));
  if (existingRoot !== undefined) return loadCa(dir, existingRoot);

  const hostnames = [...new Set(opts.hostnames.map(normalizeDns))];
  if (hostnames.length === 0) throw new Error('ca: at least one hostname is required');
  const unsafe = hostnames.filter((h) => !isSafeCaName(h));
  if (unsafe.length) throw new Error(`ca: refusing to vouch for every name under ${unsafe.join(', ')} (a single label could be a public top-level domain)`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { notBefore, notAfter } = validity(3652 * DAY_MS);
  const usage = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
  // extractable=false: the root private key cannot be exported, only used to sign below
  const rootKeys = (await webcrypto.subtle.generateKey(EC, false, ['sign', 'verify'])) as CryptoKeyPair;
  const interKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: dn(`Osmose room CA ${opts.roomName}`),
    notBefore, notAfter, keys: rootKeys, signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const inter = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: dn(`Osmose room intermediate ${opts.roomName}`),
    issuer: root.subjectName, notBefore, notAfter, publicKey: interKeys.publicKey,
    signingKey: rootKeys.privateKey, signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(usage, true),
      nameConstraints(hostnames),
      await x509.SubjectKeyIdentifierExtension.create(interKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const ca: RoomCa = { rootPem: root.toString('pem'), intermediatePem: inter.toString('pem'), rootFingerprintSha256: '', hostnames };
  ca.rootFingerprintSha256 = fingerprint(ca.rootPem);
  // Root last: its presence marks a complete CA (see loadCa).
  await writeFileAtomic(join(dir, F.interKey), await keyPem(interKeys.privateKey), 0o600);
  await writeFileAtomic(join(dir, F.inter), ca.intermediatePem, 0o600);
  await writeFileAtomic(join(dir, F.meta), `${JSON.stringify({ roomName: opts.roomName, hostnames, rootFingerprintSha256: ca.rootFingerprintSha256 }, null, 2)}\n`, 0o600);
  await writeFileAtomic(join(dir, F.root), ca.rootPem, 0o600);
  return ca;
}

async function loadCa(dir: string, rootPem: string): Promise<RoomCa> {
  const [intermediatePem, meta, key] = await Promise.all([F.inter, F.meta, F.interKey].map((f) => readOptional(join(dir, f))));
  if (intermediatePem === undefined || meta === undefined || key === undefined) {
    throw new Error(`ca: ${dir} has a root but no complete intermediate; refusing to regenerate (remove the folder to start over; devices must then trust the new root)`);
  }
  const parsed: unknown = JSON.parse(meta);
  const hostnames = (parsed as { hostnames?: unknown }).hostnames;
  if (!Array.isArray(hostnames) || !hostnames.every((h): h is string => typeof h === 'string')) throw new Error(`ca: ${F.meta} lacks hostnames`);
  return { rootPem, intermediatePem, rootFingerprintSha256: fingerprint(rootPem), hostnames };
}

/** Returns the hub's TLS certificate, issuing a new leaf when there is none, it expires within
 * 30 days, or it lacks a requested name (a new LAN address). Throws "ca:" for names the CA may
 * not certify rather than silently dropping them; filter with permittedByCa() first. */
export async function loadOrIssueServerCert(dir: string, ca: RoomCa, names: CertNames): Promise<LeafCert> {
  const want = checkNames(ca, names);
  const existing = await reuseLeaf(dir, ca, want);
  if (existing) return existing;

  const interKeyPem = await readFile(join(dir, F.interKey), 'utf8');
  const signingKey = await webcrypto.subtle.importKey('pkcs8', derOf(interKeyPem), EC, false, ['sign']);
  const inter = new x509.X509Certificate(ca.intermediatePem);
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const { notBefore, notAfter } = validity(LEAF_DAYS * DAY_MS);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: dn(want.dns.find((d) => d.length <= 64) ?? 'Osmose hub'),
    issuer: inter.subjectName, notBefore, notAfter, publicKey: keys.publicKey, signingKey, signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...want.dns.map((value) => ({ type: 'dns' as const, value })),
        ...want.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(inter.publicKey),
    ],
  });
  const out: LeafCert = { certPem: leaf.toString('pem'), chainPem: '', keyPem: await keyPem(keys.privateKey) };
  out.chainPem = `${out.certPem.trimEnd()}\n${ca.intermediatePem.trimEnd()}\n`;
  await writeFileAtomic(join(dir, F.leafKey), out.keyPem, 0o600);
  await writeFileAtomic(join(dir, F.leaf), out.chainPem, 0o600);
  await writeFileAtomic(join(dir, F.leafMeta), `${JSON.stringify({ ...want, notAfter: notAfter.toISOString() }, null, 2)}\n`, 0o600);
  return out;
}

// Trusts the certificate itself (its SAN, expiry, issuer, matching key) rather than server.json,
// so a crash between file writes can never hand out a mismatched or wrong-named leaf.
async function reuseLeaf(dir: string, ca: RoomCa, want: CertNames): Promise<LeafCert | undefined> {
  const [chainPem, keyPemText] = await Promise.all([readOptional(join(dir, F.leaf)), readOptional(join(dir, F.leafKey))]);
  if (chainPem === undefined || keyPemText === undefined) return undefined;
  return tryOr(() => {
    const [leafDer, interDer] = x509.PemConverter.decode(chainPem);
    if (!leafDer || !interDer || !Buffer.from(interDer).equals(derOf(ca.intermediatePem))) return undefined;
    const leaf = new x509.X509Certificate(leafDer);
    if (leaf.notAfter.getTime() - Date.now() < RENEW_DAYS * DAY_MS) return undefined;
    const spki = createPublicKey(keyPemText).export({ type: 'spki', format: 'der' });
    if (!spki.equals(Buffer.from(leaf.publicKey.rawData))) return undefined;
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
    const have = new Set(san.map((n) => (n.type === 'ip' ? `ip:${normalizeIp(n.value)}` : `${n.type}:${n.value.toLowerCase()}`)));
    const complete = want.dns.every((d) => have.has(`dns:${d}`)) && want.ips.every((ip) => have.has(`ip:${ip}`));
    return complete ? { certPem: leaf.toString('pem'), chainPem, keyPem: keyPemText } : undefined;
  }, undefined);
}

/**
 * DNS subtrees the intermediate's name constraints permit that could be public names: a single
 * label other than localhost (what hubs made before this check put there: the bare machine name),
 * or no constraint at all. Read from the certificate itself, not from ca.json.
 */
export function publicNameSubtrees(ca: RoomCa): string[] {
  const ext = new x509.X509Certificate(ca.intermediatePem).getExtension('2.5.29.30');
  if (!ext) return ['(no name constraints)'];
  const nc = AsnConvert.parse(ext.value, NameConstraints);
  const dns = (nc.permittedSubtrees ?? []).map((s) => s.base.dNSName).filter((d): d is string => typeof d === 'string');
  if (!nc.permittedSubtrees?.length || dns.length === 0) return ['(no DNS name constraints)'];
  return dns.filter((d) => !isSafeCaName(d.toLowerCase()));
}

/**
 * Takes a room CA out of service: its folder is renamed `<dir>.retired-<time>` (its root stays
 * there, to compare fingerprints) and its private keys are deleted, so nothing can ever be signed
 * under that root again. The next start makes a new CA; every device must install the new root.
 */
export async function retireRoomCa(dir: string, now = new Date()): Promise<string> {
  const retired = `${dir}.retired-${now.toISOString().replace(/[:.]/g, '-')}`;
  await rename(dir, retired);
  for (const f of [F.interKey, F.leafKey]) await rm(join(retired, f), { force: true });
  return retired;
}
