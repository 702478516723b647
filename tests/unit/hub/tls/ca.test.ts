import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFileSync } from 'node:child_process';
import { createPublicKey, webcrypto } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rogueLeaf } from '../../../support/rogue-leaf.ts';
import { loadOrCreateRoomCa, loadOrIssueServerCert, permittedByCa, type RoomCa } from '../../../../hub/tls/ca.ts';

const OPENSSL = '/usr/bin/openssl';

let dir: string;
let work: string; // scratch files for openssl, outside the CA folder
let ca: RoomCa;

/** Runs `openssl verify` on a lone leaf; returns ok plus combined output. */
function verifyLeaf(leafPem: string, name: string): { ok: boolean; out: string } {
  const leafFile = join(work, name);
  writeFileSync(leafFile, leafPem);
  try {
    const out = execFileSync(OPENSSL, ['verify', '-CAfile', join(dir, 'root-ca.pem'), '-untrusted', join(dir, 'intermediate-ca.pem'), leafFile], { encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** A leaf signed by the on-disk intermediate key, bypassing hub/ca.ts's own name checks. */
const rogueLeafPem = async (san: x509.JsonGeneralNames, cn: string): Promise<string> => (await rogueLeaf(dir, san, cn)).certPem;

const spkiOfKeyFile = (file: string): Buffer => createPublicKey(readFileSync(file, 'utf8')).export({ type: 'spki', format: 'der' });
const spkiOfCert = (pem: string): Buffer => Buffer.from(new x509.X509Certificate(pem).publicKey.rawData);
const mode = (file: string): number => statSync(file).mode & 0o777;

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'osmose-ca-')), 'ca');
  work = mkdtempSync(join(tmpdir(), 'osmose-ca-work-'));
  ca = await loadOrCreateRoomCa(dir, { roomName: 'Test room, "A"', hostnames: ['testhost.local', 'localhost'] });
});
afterAll(() => {
  rmSync(join(dir, '..'), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('room CA', () => {
  it('writes root and intermediate, keeps no root key, and locks down key files', () => {
    expect(mode(dir)).toBe(0o700);
    expect(readFileSync(join(dir, 'root-ca.pem'), 'utf8')).toBe(ca.rootPem);
    expect(readFileSync(join(dir, 'intermediate-ca.pem'), 'utf8')).toBe(ca.intermediatePem);
    expect(ca.rootFingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.key'))).toEqual(['intermediate-ca.key']);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (f !== 'intermediate-ca.key') expect(text, f).not.toContain('PRIVATE KEY');
    }
    // The one key on disk belongs to the intermediate, not the root.
    const keySpki = spkiOfKeyFile(join(dir, 'intermediate-ca.key'));
    expect(keySpki.equals(spkiOfCert(ca.intermediatePem))).toBe(true);
    expect(keySpki.equals(spkiOfCert(ca.rootPem))).toBe(false);
    expect(mode(join(dir, 'intermediate-ca.key'))).toBe(0o600);
  });

  it('puts critical name constraints on the intermediate', () => {
    const text = execFileSync(OPENSSL, ['x509', '-noout', '-text', '-in', join(dir, 'intermediate-ca.pem')], { encoding: 'utf8' });
    expect(text).toContain('X509v3 Name Constraints: critical');
    expect(text).toContain('Permitted');
    expect(text).toContain('DNS:testhost.local');
    expect(text).toContain('IP:192.168.0.0/255.255.0.0');
    expect(text).toMatch(/pathlen:0/);
    const subject = execFileSync(OPENSSL, ['x509', '-noout', '-subject', '-nameopt', 'utf8,sep_multiline', '-in', join(dir, 'root-ca.pem')], { encoding: 'utf8' });
    expect(subject).toContain('CN=Osmose room CA Test room, "A"');
  });

  it('issues a leaf that openssl verifies against the root', async () => {
    const leaf = await loadOrIssueServerCert(dir, ca, { dns: ['testhost.local', 'localhost'], ips: ['127.0.0.1', '10.99.0.1', '::1'] });
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.key')).sort()).toEqual(['intermediate-ca.key', 'server.key']);
    expect(mode(join(dir, 'server.key'))).toBe(0o600);
    expect(spkiOfKeyFile(join(dir, 'server.key')).equals(spkiOfCert(ca.rootPem))).toBe(false);
    expect(readFileSync(join(dir, 'server.pem'), 'utf8')).toBe(leaf.chainPem);
    expect(x509.PemConverter.decode(leaf.chainPem)).toHaveLength(2);
    const meta = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as { dns: string[]; ips: string[]; notAfter: string };
    expect(meta.dns).toEqual(['testhost.local', 'localhost']);
    expect(meta.ips).toEqual(['127.0.0.1', '10.99.0.1', '::1']);

    const cert = new x509.X509Certificate(leaf.certPem);
    const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(390);
    expect(days).toBeLessThan(398);
    const text = execFileSync(OPENSSL, ['x509', '-noout', '-text', '-in', join(dir, 'server.pem')], { encoding: 'utf8' });
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toContain('CA:FALSE');
    expect(text).toMatch(/IP Address:0:0:0:0:0:0:0:1|IP Address:::1/);

    const result = verifyLeaf(leaf.certPem, 'server-leaf.pem');
    expect(result.out).toContain('OK');
    expect(result.ok).toBe(true);
  });

  it('reuses the leaf while it covers the requested names', async () => {
    const first = readFileSync(join(dir, 'server.pem'), 'utf8');
    const again = await loadOrIssueServerCert(dir, ca, { dns: ['localhost'], ips: ['0:0:0:0:0:0:0:1'] });
    expect(again.chainPem).toBe(first);
  });

  it('openssl rejects leaves outside the constraints, even when signed by the intermediate', async () => {
    const dns = verifyLeaf(await rogueLeafPem([{ type: 'dns', value: 'evil.example.com' }], 'evil.example.com'), 'evil-dns.pem');
    expect(dns.ok).toBe(false);
    expect(dns.out).toMatch(/permitted subtree violation/);
    const ip = verifyLeaf(await rogueLeafPem([{ type: 'ip', value: '8.8.8.8' }], 'rogue'), 'evil-ip.pem');
    expect(ip.ok).toBe(false);
    expect(ip.out).toMatch(/permitted subtree violation/);
  });

  it('never regenerates the CA', async () => {
    const again = await loadOrCreateRoomCa(dir, { roomName: 'Other', hostnames: ['other.local'] });
    expect(again.rootFingerprintSha256).toBe(ca.rootFingerprintSha256);
    expect(again.rootPem).toBe(ca.rootPem);
    expect(again.hostnames).toEqual(['testhost.local', 'localhost']);
  });

  it('issues a new leaf for a new LAN address under the same root', async () => {
    const before = readFileSync(join(dir, 'server.pem'), 'utf8');
    const leaf = await loadOrIssueServerCert(dir, ca, { dns: ['testhost.local', 'localhost'], ips: ['127.0.0.1', '10.99.0.1', '::1', '192.168.1.20'] });
    expect(leaf.chainPem).not.toBe(before);
    const text = execFileSync(OPENSSL, ['x509', '-noout', '-text'], { input: leaf.certPem, encoding: 'utf8' });
    expect(text).toContain('IP Address:192.168.1.20');
    expect(readFileSync(join(dir, 'root-ca.pem'), 'utf8')).toBe(ca.rootPem);
    expect(verifyLeaf(leaf.certPem, 'server-leaf-2.pem').ok).toBe(true);
  });

  it('refuses names outside the CA instead of dropping them', async () => {
    await expect(loadOrIssueServerCert(dir, ca, { dns: ['testhost.local'], ips: ['8.8.8.8'] })).rejects.toThrow(/^ca:/);
    await expect(loadOrIssueServerCert(dir, ca, { dns: ['evil.example.com'], ips: [] })).rejects.toThrow(/^ca:/);
    await expect(loadOrIssueServerCert(dir, ca, { dns: [], ips: ['::ffff:10.0.0.1'] })).rejects.toThrow(/^ca:/);
    expect(permittedByCa(ca, { dns: ['testhost', 'a.testhost.local', 'evil.example.com', 'bad name'], ips: ['8.8.8.8', '192.168.1.20', 'fe80::1', 'nope'] }))
      .toEqual({ dns: ['a.testhost.local'], ips: ['192.168.1.20', 'fe80::1'] });
  });
});
