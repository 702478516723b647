/**
 * The room CA vouches only for names that cannot be public. On a machine called `dev` (a public
 * top-level domain, like app, cafe, studio), older hubs constrained the intermediate to `dev`,
 * so it could sign accounts.google.dev. Now: `<host>.local`, localhost, private addresses and the
 * operator's own `--hostname`s (two labels or more); an older, too-broad CA is reported at every
 * start and `npm run reissue-ca` replaces it.
 */
import { describe, it, expect, afterEach, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type HubConfig } from '../../../../hub/config.ts';
import { loadOrCreateRoomCa, loadOrIssueServerCert, publicNameSubtrees } from '../../../../hub/tls/ca.ts';
import { reissueRoomCa } from '../../../../hub/tls/reissue-ca.ts';
import { rogueLeaf } from '../../../support/rogue-leaf.ts';
import { startTestHub } from '../../support/hub-edge.ts';

const OLD_CA = path.join(import.meta.dirname, 'fixtures', 'old-ca-dev', 'ca');

function config(argv: string[], machine: string): HubConfig {
  const c = parseConfig(argv, {}, '/srv/osmose', machine);
  if (c === 'help') throw new Error('unexpected help');
  return c;
}

/** `openssl verify` of a leaf against the CA in `caDir`. */
function verifies(caDir: string, leafPem: string): { ok: boolean; out: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-leaf-')), 'leaf.pem');
  fs.writeFileSync(file, leafPem);
  try {
    const out = execFileSync('openssl', ['verify', '-CAfile', path.join(caDir, 'root-ca.pem'), '-untrusted', path.join(caDir, 'intermediate-ca.pem'), file], { encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

async function caFor(c: HubConfig): Promise<string> {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-scope-')), 'ca');
  await loadOrCreateRoomCa(dir, { roomName: c.roomName, hostnames: c.hostnames });
  return dir;
}

describe('the names a new room CA vouches for', () => {
  it('on a machine called dev: dev.local and localhost, never the dev top-level domain', async () => {
    const c = config([], 'dev');
    expect(c.hostnames).toEqual(['dev.local', 'localhost']);
    const dir = await caFor(c);
    const google = verifies(dir, (await rogueLeaf(dir, [{ type: 'dns', value: 'accounts.google.dev' }], 'accounts.google.dev')).certPem);
    expect(google.ok).toBe(false);
    expect(google.out).toMatch(/permitted subtree violation/);
    expect(verifies(dir, (await rogueLeaf(dir, [{ type: 'dns', value: 'dev' }], 'dev')).certPem).ok).toBe(false);
    // Its own names and LAN addresses still verify.
    expect(verifies(dir, (await rogueLeaf(dir, [{ type: 'dns', value: 'dev.local' }, { type: 'ip', value: '192.168.1.20' }], 'dev.local')).certPem).ok).toBe(true);
  });

  it('on this machine too, whatever its name', async () => {
    const c = parseConfig([], {}, '/srv/osmose');
    if (c === 'help') throw new Error('unexpected help');
    const machine = os.hostname().toLowerCase();
    const dir = await caFor(c);
    const ca = await loadOrCreateRoomCa(dir, { roomName: 'x', hostnames: [] });
    expect(publicNameSubtrees(ca)).toEqual([]);
    if (/^[a-z0-9-]{1,63}$/.test(machine)) {
      const rogue = verifies(dir, (await rogueLeaf(dir, [{ type: 'dns', value: `bank.${machine}` }], `bank.${machine}`)).certPem);
      expect(rogue.ok).toBe(false);
    }
  });

  it('takes an operator\'s full name, and refuses a single label that could be a top-level domain', async () => {
    const c = config(['--hostname', 'osmose.lab.example.org'], 'dev');
    expect(c.hostnames).toEqual(['dev.local', 'localhost', 'osmose.lab.example.org']);
    const dir = await caFor(c);
    expect(verifies(dir, (await rogueLeaf(dir, [{ type: 'dns', value: 'osmose.lab.example.org' }], 'hub')).certPem).ok).toBe(true);
    expect(() => config(['--hostname', 'studio'], 'dev')).toThrow(/^config: --hostname studio is a single label/);
    await expect(loadOrCreateRoomCa(path.join(dir, '..', 'ca2'), { roomName: 'x', hostnames: ['cafe', 'localhost'] })).rejects.toThrow(/^ca: refusing to vouch for every name under cafe/);
  });
});

describe('a data folder made by an older hub (its CA permits dev)', () => {
  afterEach(() => vi.restoreAllMocks());

  function oldDataDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-oldca-'));
    fs.cpSync(OLD_CA, path.join(dir, 'data', 'ca'), { recursive: true });
    return dir;
  }

  it('is found too broad from the certificate itself', async () => {
    const ca = await loadOrCreateRoomCa(OLD_CA, { roomName: 'x', hostnames: ['localhost'] });
    expect(publicNameSubtrees(ca)).toEqual(['dev']);
    // What that meant: the intermediate's key could sign a leaf browsers would accept for a .dev site.
    expect(verifies(OLD_CA, (await rogueLeaf(OLD_CA, [{ type: 'dns', value: 'accounts.google.dev' }], 'g')).certPem).ok).toBe(true);
  });

  it('keeps serving with it, says so at every start, and no longer puts the bare name in its leaf', async () => {
    const dir = oldDataDir();
    const warned: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (warned.push(String(chunk)), true));
    const t = await startTestHub([], dir);
    try {
      expect(t.hub.tls().ca?.rootFingerprintSha256).toBe((await loadOrCreateRoomCa(OLD_CA, { roomName: 'x', hostnames: ['localhost'] })).rootFingerprintSha256);
      expect(t.hub.warnings.join('\n')).toMatch(/may vouch for every name under: dev.*npm run reissue-ca/);
      expect(warned.join('')).toContain('room CA too broad');
      const san = new (await import('node:crypto')).X509Certificate(t.hub.tls().cert).subjectAltName ?? '';
      expect(san).not.toMatch(/DNS:dev(,|$)/);
    } finally {
      await t.hub.close();
    }
  });

  it('is replaced by reissue-ca: the old keys are gone, the new CA permits no public name', async () => {
    const dir = oldDataDir();
    const data = path.join(dir, 'data');
    const c = config(['--data', data], 'dev');
    const before = (await loadOrCreateRoomCa(path.join(data, 'ca'), { roomName: 'x', hostnames: ['localhost'] })).rootFingerprintSha256;
    const { retired, fingerprint } = await reissueRoomCa(c.dataDir, c.roomName, c.hostnames);
    expect(fingerprint).not.toBe(before);
    expect(retired).not.toBeNull();
    expect(fs.readdirSync(retired!).sort()).toEqual(['ca.json', 'intermediate-ca.pem', 'root-ca.pem']);
    const ca = await loadOrCreateRoomCa(path.join(data, 'ca'), { roomName: 'x', hostnames: ['localhost'] });
    expect(ca.rootFingerprintSha256).toBe(fingerprint);
    expect(publicNameSubtrees(ca)).toEqual([]);
    expect(ca.hostnames).toEqual(['dev.local', 'localhost']);
    // The hub starts on it without a warning and issues a leaf from the new intermediate.
    const t = await startTestHub([], dir);
    try {
      expect(t.hub.warnings).toEqual([]);
      expect(t.hub.tls().cert).toContain(ca.intermediatePem.trim());
    } finally {
      await t.hub.close();
    }
    await expect(loadOrIssueServerCert(retired!, ca, { dns: ['localhost'], ips: [] })).rejects.toThrow();
  });
});
