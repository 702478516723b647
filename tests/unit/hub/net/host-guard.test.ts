/**
 * DNS rebinding: a web page whose name was rebound to the hub's address sends its own name in
 * `Host`. Every route and every WebSocket upgrade, on both ports, must refuse it before any
 * handler runs; the hub's own names and addresses keep working.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KnownHosts, parseHost, certificateDnsNames } from '../../../../hub/net/host-guard.ts';
import { onboardingOrigin } from '../../../../hub/room/join-api.ts';
import { loadOrCreateRoomCa } from '../../../../hub/tls/ca.ts';
import { rogueLeaf } from '../../../support/rogue-leaf.ts';
import { rawRequest, rawUpgrade, startTestHub, type TestHub } from '../../support/hub-edge.ts';

describe('parseHost', () => {
  it('reads names, IPv4 and bracketed IPv6, without the port', () => {
    expect(parseHost('Hub.Local:8443')).toEqual({ kind: 'name', name: 'hub.local' });
    expect(parseHost('localhost.')).toEqual({ kind: 'name', name: 'localhost' });
    expect(parseHost('10.0.0.5:8080')).toEqual({ kind: 'ip', address: '10.0.0.5' });
    expect(parseHost('[::1]:8443')).toEqual({ kind: 'ip', address: '::1' });
    expect(parseHost('[::ffff:10.0.0.5]')).toEqual({ kind: 'ip', address: '10.0.0.5' });
  });

  it('refuses what is not a host', () => {
    for (const h of [undefined, '', '::1', 'a b', 'evil.example:80:80', '[nope]', 'x'.repeat(400), 'under_score.example', '-lead.example']) {
      expect(parseHost(h), String(h)).toBeNull();
    }
  });
});

describe('KnownHosts', () => {
  let addrs = ['10.0.0.5', 'fd00::5'];
  let now = 0;
  const hosts = new KnownHosts({ names: () => ['localhost', 'hub.local', '*.lab.example.org'], addresses: () => addrs, now: () => now });

  it('answers to its names, loopback, its addresses and where the request arrived', () => {
    expect(hosts.allows('hub.local:8443', '10.0.0.5')).toBe(true);
    expect(hosts.allows('LOCALHOST', '127.0.0.1')).toBe(true);
    expect(hosts.allows('127.0.0.1:8080', '127.0.0.1')).toBe(true);
    expect(hosts.allows('[::1]:8080', '127.0.0.1')).toBe(true);
    expect(hosts.allows('10.0.0.5', '127.0.0.1')).toBe(true);
    expect(hosts.allows('[fd00::5]:8443', '::1')).toBe(true);
    expect(hosts.allows('192.168.7.7:8080', '::ffff:192.168.7.7')).toBe(true);
    expect(hosts.allows('osmose.lab.example.org', '10.0.0.5')).toBe(true);
  });

  it('refuses any other name or address', () => {
    expect(hosts.allows('attacker.example:8080', '127.0.0.1')).toBe(false);
    expect(hosts.allows('localhost.attacker.example', '127.0.0.1')).toBe(false);
    expect(hosts.allows('a.b.lab.example.org', '10.0.0.5')).toBe(false);
    expect(hosts.allows('lab.example.org', '10.0.0.5')).toBe(false);
    expect(hosts.allows('10.0.0.6', '10.0.0.5')).toBe(false);
    expect(hosts.allows(undefined, '127.0.0.1')).toBe(false);
  });

  it('follows the interfaces when they change', () => {
    expect(hosts.allows('10.0.0.9', '127.0.0.1')).toBe(false);
    addrs = ['10.0.0.9'];
    now += 5_000;
    expect(hosts.allows('10.0.0.9', '127.0.0.1')).toBe(true);
    expect(hosts.allows('10.0.0.5', '127.0.0.1')).toBe(false);
  });
});

describe('onboardingOrigin', () => {
  it('lets only the hub itself, under the same name, read /api/hub cross-origin', () => {
    expect(onboardingOrigin('http://10.0.0.5:8080', '10.0.0.5:8443')).toBe('http://10.0.0.5:8080');
    expect(onboardingOrigin('http://[fd00::5]:8080', '[fd00::5]:8443')).toBe('http://[fd00::5]:8080');
    expect(onboardingOrigin('http://attacker.example', '10.0.0.5:8443')).toBeNull();
    expect(onboardingOrigin('null', '10.0.0.5:8443')).toBeNull();
    expect(onboardingOrigin(undefined, '10.0.0.5:8443')).toBeNull();
  });
});

const EVIL = 'attacker.example';
/** Every kind of route the hub has: pages, the secret-bearing display, join, files, gateway, CA. */
const ROUTES: { method: string; path: string; body?: string }[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/display' },
  { method: 'GET', path: '/api/display/state' },
  { method: 'GET', path: '/api/display/events' },
  { method: 'GET', path: '/api/hub' },
  { method: 'POST', path: '/api/join/challenge', body: '{"v":1}' },
  { method: 'GET', path: '/ca.pem' },
  { method: 'GET', path: '/files/abc/status' },
  { method: 'GET', path: '/api/gateway/links' },
  { method: 'GET', path: '/no-such-page' },
];
const UPGRADES = ['/room', '/signal/peerjs?key=osmose&id=x&token=y', '/gateway', '/elsewhere'];

describe('a hub behind a rebound name', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(['--hostname', 'osmose.lab.example.org']);
  });
  afterAll(async () => {
    await t.hub.close();
  });

  it('refuses every route on both ports with 421 before any handler runs', async () => {
    for (const secure of [false, true]) {
      const port = secure ? t.hub.ports.https : t.hub.ports.http;
      for (const r of ROUTES) {
        const res = await rawRequest({ port, secure, method: r.method, path: r.path, body: r.body, headers: { host: `${EVIL}:${port}` } });
        expect(res.status, `${secure ? 'https' : 'http'} ${r.method} ${r.path}`).toBe(421);
        expect(JSON.parse(res.body).error.code).toBe('wrong-host');
        expect(res.body).not.toContain(t.hub.secrets().secret);
      }
    }
  });

  it('refuses every WebSocket upgrade on both ports with 421', async () => {
    for (const secure of [false, true]) {
      const port = secure ? t.hub.ports.https : t.hub.ports.http;
      for (const p of UPGRADES) {
        const res = await rawUpgrade({ port, secure, path: p, headers: { host: `${EVIL}:${port}` } });
        expect(res.status, `${secure ? 'wss' : 'ws'} ${p}`).toBe(421);
        expect(JSON.parse(res.body).error.code).toBe('wrong-host');
      }
    }
  });

  it('still serves the display to its own names on loopback', async () => {
    const port = t.hub.ports.http;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${os.hostname().toLowerCase()}.local:${port}`, 'osmose.lab.example.org']) {
      const res = await rawRequest({ port, path: '/api/display/state', headers: { host } });
      expect(res.status, host).toBe(200);
      expect(res.body).toContain(t.hub.secrets().secret);
    }
  });

  it('lets only its own onboarding page read /api/hub cross-origin', async () => {
    const port = t.hub.ports.https;
    const own = await rawRequest({ port, secure: true, path: '/api/hub', headers: { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${t.hub.ports.http}` } });
    expect(own.status).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBe(`http://127.0.0.1:${t.hub.ports.http}`);
    const other = await rawRequest({ port, secure: true, path: '/api/hub', headers: { host: `127.0.0.1:${port}`, origin: 'http://attacker.example' } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('a hub with the operator\'s own certificate', () => {
  let t: TestHub;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-cert-'));
    await loadOrCreateRoomCa(path.join(dir, 'ca'), { roomName: 'cert', hostnames: ['example.net'] });
    const leaf = await rogueLeaf(path.join(dir, 'ca'), [{ type: 'dns', value: 'osmose.example.net' }, { type: 'dns', value: '*.rooms.example.net' }], 'osmose.example.net');
    fs.writeFileSync(path.join(dir, 'cert.pem'), leaf.certPem);
    fs.writeFileSync(path.join(dir, 'key.pem'), leaf.keyPem);
    expect(certificateDnsNames(leaf.certPem)).toEqual(['osmose.example.net', '*.rooms.example.net']);
    t = await startTestHub(['--cert', path.join(dir, 'cert.pem'), '--key', path.join(dir, 'key.pem')]);
  });
  afterAll(async () => {
    await t.hub.close();
  });

  it('answers to the names in that certificate, wildcards included, and to nothing else', async () => {
    const port = t.hub.ports.https;
    const ask = (host: string) => rawRequest({ port, secure: true, path: '/api/hub', headers: { host } });
    expect((await ask('osmose.example.net')).status).toBe(200);
    expect((await ask('fw15.rooms.example.net')).status).toBe(200);
    expect((await ask('example.net')).status).toBe(421);
    expect((await ask(EVIL)).status).toBe(421);
  });
});
