/**
 * The gateway's TLS pin against a man in the middle on the LAN: a real TLS server on loopback
 * that serves the invited hub's (public) root CA followed by its own CA at /ca.pem, and presents
 * a leaf from its own CA (here: room C's, valid for 127.0.0.1). It must get nothing: no
 * WebSocket upgrade, no frame, no token, no link secret.
 */
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { Hub } from '../../../../hub/hub.ts';
import type { OsmoseError } from '../../../../protocol/errors.ts';
import { pinnedRoot } from '../../../../hub/gateway/pinned-dial.ts';
import { addNote, invite, noteText, startRoom, tamper, until } from './support.ts';
import { startRelay } from './relay.ts';

let A: Hub;
let B: Hub;
let C: Hub;

interface Mitm {
  port: number;
  /** Every request the man in the middle saw (path), and every WebSocket frame it was sent. */
  requests: string[];
  frames: string[];
  close: () => Promise<void>;
}

/** Serves `caPem` at /ca.pem and accepts WebSocket upgrades on /gateway with its own certificate. */
async function mitm(cert: string, key: string, caPem: string): Promise<Mitm> {
  const requests: string[] = [];
  const frames: string[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = https.createServer({ cert, key }, (req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/ca.pem') return void res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(caPem);
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    requests.push(`upgrade ${req.url}`);
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => frames.push(m.toString())));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    frames,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as OsmoseError).code;
  }
  return 'accepted';
};

beforeAll(async () => {
  A = await startRoom('PINA');
  B = await startRoom('PINB');
  C = await startRoom('PINC');
});
afterAll(async () => {
  await Promise.all([A, B, C].map((h) => h?.close()));
});

describe('the pin against a man in the middle', () => {
  it('serving “real root + own CA” and its own leaf gets no upgrade and no frame', async () => {
    const aRoot = A.tls().ca!.rootPem;
    const cTls = C.tls();
    const evil = await mitm(cTls.cert, cTls.key, aRoot + '\n' + cTls.ca!.rootPem);
    try {
      const n = addNote(A, 'Pinned', 'p');
      const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
      const redirected = tamper(inv.code!, (p) => (p.port = evil.port));
      expect(await codeOf(B.gateway.accept(redirected))).toBe('fingerprint-mismatch');
      expect(evil.requests).toEqual(['/ca.pem']); // it was asked for the CA, and nothing more
      expect(evil.frames).toEqual([]);
      expect(B.gateway.store.activeLinks()).toEqual([]);
      // The real hub still takes the invitation (its token never left).
      const link = await B.gateway.accept(inv.code!);
      await until(() => noteText(B, n) === 'p', 'mirror');
      B.gateway.end(link.id);
    } finally {
      await evil.close();
    }
  });

  it('any extra certificate or text around the pinned root is refused', () => {
    const aRoot = A.tls().ca!.rootPem;
    const fp = A.tls().ca!.rootFingerprintSha256.replace(/:/g, '').toLowerCase();
    expect(pinnedRoot(aRoot, fp)).toBe(new X509Certificate(aRoot).toString());
    expect(pinnedRoot(`\n${aRoot}\n\n`, fp)).toBe(new X509Certificate(aRoot).toString());
    for (const bad of [`${aRoot}\n${C.tls().ca!.rootPem}`, `${C.tls().ca!.rootPem}\n${aRoot}`, `${aRoot}\n${aRoot}`, `junk\n${aRoot}`, `${aRoot}junk`, '', 'x']) {
      expect(() => pinnedRoot(bad, fp), bad.slice(0, 40)).toThrow(/does not match/);
    }
  });

  it('a link saved before the fix with extra CAs trusts only the pinned root when it reconnects', async () => {
    const aRoot = A.tls().ca!.rootPem;
    const cTls = C.tls();
    const evil = await mitm(cTls.cert, cTls.key, aRoot + '\n' + cTls.ca!.rootPem);
    const relay = await startRelay(A);
    try {
      const n = addNote(A, 'Legacy', 'l');
      const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
      const link = await B.gateway.accept(relay.via(inv.code!));
      await until(() => noteText(B, n) === 'l', 'mirror');
      // What an old hub saved after the man in the middle's /ca.pem, and the address it answers on.
      B.gateway.store.db.prepare('UPDATE links SET ca_pem = ?, port = ? WHERE id = ?').run(aRoot + '\n' + cTls.ca!.rootPem, evil.port, link.id);
      relay.cut();
      await until(() => /certificate/.test(B.gateway.state().links.find((l) => l.id === link.id)?.lastError ?? ''), 'the redial to be refused', 15_000);
      expect(evil.requests).toEqual([]);
      expect(evil.frames).toEqual([]);
      // The saved CA is now the pinned root alone.
      expect(B.gateway.store.link(link.id)!.caPem).toBe(new X509Certificate(aRoot).toString());
      B.gateway.end(link.id);
    } finally {
      await relay.close();
      await evil.close();
    }
  });
});
