/**
 * The ledger against the socket: every frame a hub sends on a /gateway socket is in its ledger
 * before it leaves, so what the ledger says left is exactly what the other end took in (frames
 * and bytes), on success and on every failure path of the handshake.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import WebSocket, { WebSocketServer } from 'ws';
import type { Hub } from '../../../../hub/hub.ts';
import type { OsmoseError } from '../../../../protocol/errors.ts';
import type { LedgerEntry } from '../../../../protocol/gateway.ts';
import { notes } from '../../../../protocol/room-doc.ts';
import { addNote, invite, noteText, startRoom, tamper, until } from './support.ts';
import { startRelay, type Crossed } from './relay.ts';

let A: Hub;
let B: Hub;

beforeAll(async () => {
  A = await startRoom('LEDA');
  B = await startRoom('LEDB');
});
afterAll(async () => {
  await Promise.all([A, B].map((h) => h?.close()));
});

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as OsmoseError).code;
  }
  return 'accepted';
};

const total = (rows: LedgerEntry[]) => ({ frames: rows.reduce((a, r) => a + r.frames, 0), bytes: rows.reduce((a, r) => a + r.bytes, 0) });
const sameCount = (a: Crossed, b: Crossed) => a.frames === b.frames && a.bytes === b.bytes;
const took = (frames: Buffer[]) => ({ frames: frames.length, bytes: frames.reduce((a, f) => a + f.length, 0) });
const linkRows = (h: Hub, linkId: string) => h.gateway.ledger.entries(2000).filter((e) => e.linkId === linkId);

/** The inviting hub's address answered by a stand-in with its real certificate, that refuses or hangs up. */
async function standIn(h: Hub, answer: 'refuse' | 'hang-up') {
  const frames: Buffer[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = https.createServer({ cert: h.tls().cert, key: h.tls().key }, (req, res) => {
    if (req.url === '/ca.pem') return void res.writeHead(200).end(h.tls().ca!.rootPem);
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) =>
      ws.on('message', (m: Buffer) => {
        frames.push(m);
        if (answer === 'refuse') ws.send(JSON.stringify({ v: 1, t: 'error', error: { code: 'invitation-used', message: 'used' } }));
        ws.close(4401, 'refused');
      }),
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    frames,
    close: () => (server.closeAllConnections(), new Promise<void>((r) => server.close(() => r()))),
  };
}

describe('what crossed is what the ledger says', () => {
  it('on an open link, both ways: frames and bytes', async () => {
    const relay = await startRelay(A);
    try {
      const n = addNote(A, 'Counted', 'abc');
      const link = await B.gateway.accept(relay.via(invite(A, { scope: { kind: 'note', id: n }, access: 'write', expiresInMinutes: 60, multiUse: false }).code!));
      await until(() => noteText(B, n) === 'abc', 'mirror');
      B.memory.doc.transact(() => (notes(B.memory.doc).get(n)!.get('body') as Y.Text).insert(3, 'def'), 'dev-b');
      await until(() => noteText(A, n) === 'abcdef', 'the edit at A');
      const same = () => sameCount(total(linkRows(A, link.id)), relay.toGuest) && sameCount(total(linkRows(B, link.id)), relay.toInviter);
      await until(same, 'both ledgers to match what crossed');
      B.gateway.end(link.id);
      await until(() => A.gateway.state().links.length === 0 && same(), 'the end, counted');
      expect(relay.toGuest.frames).toBeGreaterThan(2);
      expect(relay.toInviter.frames).toBeGreaterThan(2);
    } finally {
      await relay.close();
    }
  });

  it('a hello the inviting hub refuses is in the accepting hub’s ledger, as sent', async () => {
    const fake = await standIn(A, 'refuse');
    try {
      const n = addNote(A, 'Refused', 'r');
      const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
      expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.port = fake.port))))).toBe('invitation-used');
      const rows = B.gateway.ledger.entries(2000).filter((e) => e.invitationId === inv.id);
      expect(rows.every((r) => r.linkId === null && r.toRoom?.id === A.room.id)).toBe(true);
      expect(total(rows)).toEqual(took(fake.frames));
      expect(fake.frames.length).toBe(1);
    } finally {
      await fake.close();
    }
  });

  it('a hello whose connection closes unanswered is in the ledger too', async () => {
    const fake = await standIn(A, 'hang-up');
    try {
      const n = addNote(A, 'Unanswered', 'u');
      const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
      expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.port = fake.port))))).toBe('hub-unreachable');
      expect(total(B.gateway.ledger.entries(2000).filter((e) => e.invitationId === inv.id))).toEqual({ frames: 1, bytes: took(fake.frames).bytes });
    } finally {
      await fake.close();
    }
  });

  it('a welcome that differs from the invitation: the hello and the end, as the inviting hub took them in', async () => {
    const relay = await startRelay(A);
    try {
      const n = addNote(A, 'Mismatch', 'm');
      const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
      expect(await codeOf(B.gateway.accept(relay.via(tamper(inv.code!, (p) => (p.access = 'write')))))).toBe('invitation-scope');
      const linkId = (A.gateway.store.db.prepare('SELECT id FROM links WHERE invitation_id = ?').get(inv.id) as { id: string }).id;
      await until(() => A.gateway.state().recentlyEnded.some((l) => l.id === linkId && l.reason === 'violation'), 'A to end it');
      const sent = total(linkRows(B, linkId));
      expect(sent.frames).toBe(2); // hello, end
      expect(sent).toEqual(relay.toInviter);
    } finally {
      await relay.close();
    }
  });

  it('a refusal the inviting hub sends is in its ledger, as the other end took it in', async () => {
    const n = addNote(A, 'Probed', 'p');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
    const token = JSON.parse(Buffer.from(inv.code!.split('.')[1]!, 'base64url').toString()).token as string;
    const strangers = () => total(A.gateway.ledger.entries(2000).filter((e) => e.invitationId === null));
    const probe = async (auth: object) => {
      const ws = new WebSocket(`wss://127.0.0.1:${A.ports.https}/gateway`, { rejectUnauthorized: false });
      const got: Buffer[] = [];
      ws.on('message', (m: Buffer) => (got.push(m), ws.close()));
      const closed = new Promise((r) => ws.on('close', r));
      await new Promise((r) => ws.on('open', r));
      ws.send(JSON.stringify({ v: 1, t: 'hello', room: { id: 'rprobe00001', name: 'Probe', place: '' }, auth }));
      await closed;
      return got;
    };
    const before = strangers();
    const forged = await probe({ kind: 'invitation', token: 'A'.repeat(43) });
    const after = strangers();
    expect({ frames: after.frames - before.frames, bytes: after.bytes - before.bytes }).toEqual(took(forged));
    // A real token, then used up: the refusal is recorded under the invitation, to the room that held it.
    await probe({ kind: 'invitation', token });
    const refused = await probe({ kind: 'invitation', token });
    const rows = A.gateway.ledger.entries(2000).filter((e) => e.invitationId === inv.id && e.linkId === null);
    expect(rows.every((r) => r.toRoom?.name === 'Probe' && r.what.startsWith('refusal'))).toBe(true);
    expect(total(rows)).toEqual(took(refused));
  });
});
