/**
 * Two (and three) real hubs in-process, each its own room with its own CA, linked through the
 * gateway over real pinned TLS sockets on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type { Hub } from '../../../../hub/hub.ts';
import { notes, timeline } from '../../../../protocol/room-doc.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import { addNote, invite, ledgerBytes, messageIds, noteText, post, startRoom, tamper, until, watchConnections } from './support.ts';
import { startRelay } from './relay.ts';

let A: Hub;
let B: Hub;
let C: Hub;

beforeAll(async () => {
  A = await startRoom('FW15');
  B = await startRoom('FW16');
  C = await startRoom('SS03');
});
afterAll(async () => {
  await Promise.all([A, B, C].map((h) => h?.close()));
});

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as OsmoseError).code;
  }
  return 'accepted';
};

describe('gateway between two rooms', () => {
  it('opens no outbound connection while no invitation is accepted', async () => {
    const connections = watchConnections();
    try {
      const n = addNote(A, 'Unshared', 'x');
      invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 5, multiUse: false });
      // A positive sentinel: A answers a request made after the invitation, so whatever the
      // invitation could have set going has had its turn.
      expect((await fetch(`http://127.0.0.1:${A.ports.http}/api/hub`)).status).toBe(200);
      expect(connections.ports().filter((p) => p !== A.ports.http)).toEqual([]);
      expect(A.gateway.state().links).toEqual([]);
    } finally {
      connections.stop();
    }
  });

  it('shares one note both ways, and nothing else; the ledger matches what crossed', async () => {
    const relay = await startRelay(A);
    const plan = addNote(A, 'Plan', 'hello');
    const secret = addNote(A, 'Secret', 'do not share');
    const inv = invite(A, { scope: { kind: 'note', id: plan }, access: 'write', expiresInMinutes: 60, multiUse: false });
    const link = await B.gateway.accept(relay.via(inv.code!));
    expect(link.room.name).toBe('FW15');
    expect(link.banner).toBe('This room is connected to FW15: the note “Plan”, read and write');
    await until(() => noteText(B, plan) === 'hello', 'the note at B');
    expect(notes(B.memory.doc).get(plan)?.get('remote')).toMatchObject({ room: 'FW15', access: 'write' });

    // B edits its mirror; A's note follows. Concurrent edits in both rooms merge.
    const bBody = notes(B.memory.doc).get(plan)!.get('body') as Y.Text;
    const aBody = notes(A.memory.doc).get(plan)!.get('body') as Y.Text;
    B.memory.doc.transact(() => bBody.insert(5, ' world'), 'dev-b');
    A.memory.doc.transact(() => aBody.insert(0, '> '), 'dev-a');
    await until(() => noteText(A, plan) === '> hello world' && noteText(B, plan) === '> hello world', 'both edits in both rooms');

    // Out of scope: never at B, never in A's ledger.
    expect(notes(B.memory.doc).has(secret)).toBe(false);
    const aLedger = A.gateway.ledger.entries();
    expect(aLedger.every((e) => e.item !== `note:${secret}`)).toBe(true);
    expect(new Set(aLedger.map((e) => e.item))).toEqual(new Set(['link', 'presence', `note:${plan}`]));
    expect(aLedger.every((e) => e.toRoom?.name === 'FW16' && e.invitationId === inv.id)).toBe(true);

    // Every byte: what A's ledger says left A is what reached B, and the other way round.
    await until(() => ledgerBytes(A, link.id) === relay.toGuest.bytes && ledgerBytes(B, link.id) === relay.toInviter.bytes, 'the ledgers to match what crossed');

    // Both rooms show the link.
    expect(A.gateway.state().links[0]).toMatchObject({ role: 'inviter', room: { name: 'FW16' }, status: 'connected' });
    expect(A.gateway.display.view().ledger.items).toBeGreaterThan(0);

    // A member of B ends it: cut at once, both sides; an edit in A after that never reaches B.
    B.gateway.end(link.id);
    expect(B.gateway.state().links).toEqual([]);
    expect(notes(B.memory.doc).has(plan)).toBe(false); // the other room lost access
    await until(() => A.gateway.state().links.length === 0, 'A to hear the end');
    expect(A.gateway.state().recentlyEnded[0]).toMatchObject({ id: link.id, reason: 'ended' });
    // A sends synchronously from inside the edit's transaction, so nothing needs waiting for.
    const ledgerAfterEnd = ledgerBytes(A, link.id);
    A.memory.doc.transact(() => aBody.insert(0, 'AFTER '), 'dev-a');
    expect(ledgerBytes(A, link.id)).toBe(ledgerAfterEnd);
    expect(notes(B.memory.doc).has(plan)).toBe(false);
    await relay.close();
  });

  it('shares a thread: the root and its replies, read and write; other messages stay', async () => {
    const root = post(A, 'Lunch at noon?');
    const reply = post(A, 'Yes', root);
    const other = post(A, 'Private matter');
    const inv = invite(A, { scope: { kind: 'thread', id: root }, access: 'write', expiresInMinutes: 60, multiUse: false });
    const relay = await startRelay(A);
    const link = await B.gateway.accept(relay.via(inv.code!));
    await until(() => messageIds(B).includes(root) && messageIds(B).includes(reply), 'the thread at B');
    expect(messageIds(B)).not.toContain(other);
    const mirrored = timeline(B.memory.doc).toArray().find((e) => (e as { id: string }).id === root) as { remote?: { room: string } };
    expect(mirrored.remote).toEqual({ room: 'FW15', access: 'write' });

    const bReply = post(B, 'From FW16: count us in', root);
    const bOther = post(B, 'FW16 only');
    const bNested = post(B, 'Answering the Yes', reply); // a reply to a reply is in the thread too
    // bNested went after bOther on the same connection: had bOther been sent, it would be here first.
    await until(() => messageIds(A).includes(bReply) && messageIds(A).includes(bNested), 'B’s replies at A');
    expect(messageIds(A)).not.toContain(bOther);
    expect(B.gateway.ledger.entries().map((e) => e.item)).not.toContain(`message:${bOther}`);
    expect(B.gateway.ledger.entries().map((e) => e.item)).toContain(`message:${bReply}`);

    // A dropped connection reconnects by itself; what was written meanwhile arrives.
    relay.cut();
    const during = post(A, 'Written while the link was down', root);
    await until(() => messageIds(B).includes(during), 'catch-up after reconnect', 15_000);
    expect(B.gateway.state().links[0]?.status).toBe('connected');
    A.gateway.end(link.id);
    await until(() => B.gateway.state().links.length === 0, 'B to hear the end');
    expect(messageIds(B)).not.toContain(root); // mirrors gone
    expect(messageIds(B)).toContain(bReply); // B's own words stay
    expect(messageIds(A)).toContain(bReply); // and what B gave A stays with A
    expect(relay.connections).toBe(2);
    await relay.close();
  });

  it('read only: the other room’s edits are undone there and never sent', async () => {
    const n = addNote(A, 'Agenda', 'one');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
    const link = await B.gateway.accept(inv.code!);
    await until(() => noteText(B, n) === 'one', 'mirror');
    const bBody = notes(B.memory.doc).get(n)!.get('body') as Y.Text;
    B.memory.doc.transact(() => bBody.insert(0, 'HACK '), 'dev-b');
    expect(noteText(B, n)).toBe('one');
    const aBody = notes(A.memory.doc).get(n)!.get('body') as Y.Text;
    A.memory.doc.transact(() => aBody.insert(3, ', two'), 'dev-a');
    await until(() => noteText(B, n) === 'one, two', 'A’s edit at B');
    expect(noteText(A, n)).toBe('one, two');
    A.gateway.end(link.id);
  });

  it('shares the board read only, as labels', async () => {
    const m = post(A, 'Pinned news');
    A.memory.doc.transact(() => A.memory.doc.getMap('board').set('b0000000001', { kind: 'message', ref: m, pinnedBy: 'd' + 'a'.repeat(32), pinnedAt: Date.now() }), 'local');
    const inv = invite(A, { scope: { kind: 'board' }, access: 'read', expiresInMinutes: 60, multiUse: false });
    const link = await B.gateway.accept(inv.code!);
    await until(() => (B.gateway.state().links.find((l) => l.id === link.id)?.board?.length ?? 0) > 0, 'board at B');
    expect(B.gateway.state().links.find((l) => l.id === link.id)?.board?.[0]).toMatchObject({ kind: 'message', label: 'Pinned news' });
    expect(messageIds(B)).not.toContain(m);
    A.gateway.end(link.id);
  });

  it('refuses forged, expired, replayed, used, wrongly scoped invitations and a wrong certificate', async () => {
    const n = addNote(A, 'Refusals', 'r');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
    const connections = watchConnections();
    expect(await codeOf(B.gateway.accept('hello there'))).toBe('invitation-forged');
    expect(await codeOf(B.gateway.accept(inv.code!.slice(0, 60)))).toBe('invitation-forged');
    connections.stop();
    expect(connections.ports()).toEqual([]); // nothing was dialled for a damaged code (accept dials before it answers)
    expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.token = 'A'.repeat(43)))))).toBe('invitation-forged');
    expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.expiresAt = Date.now() - 1000))))).toBe('invitation-expired');
    expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.fp = '0'.repeat(64)))))).toBe('fingerprint-mismatch');
    // Someone else answering at the invited address (here: room C's hub, its own CA): refused before the token is sent.
    const cUsesBefore = C.gateway.store.db.prepare('SELECT COUNT(*) AS n FROM links').get() as { n: number };
    expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.port = C.ports.https))))).toBe('fingerprint-mismatch');
    expect(C.gateway.store.db.prepare('SELECT COUNT(*) AS n FROM links').get()).toEqual(cUsesBefore);
    expect(await codeOf(B.gateway.accept(tamper(inv.code!, (p) => (p.access = 'write'))))).toBe('invitation-scope');
    // The tampered one above used the real token: the invitation is now used (single use).
    expect(await codeOf(C.gateway.accept(inv.code!))).toBe('invitation-used');

    const inv2 = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: true });
    const link = await B.gateway.accept(inv2.code!);
    expect(await codeOf(B.gateway.accept(inv2.code!))).toBe('invitation-replayed');
    const linkC = await C.gateway.accept(inv2.code!); // multi use: another room may
    A.gateway.revokeInvitation(inv2.id);
    A.gateway.end(link.id);
    A.gateway.end(linkC.id);
    await until(() => B.gateway.state().links.length === 0 && C.gateway.state().links.length === 0, 'the ends');
    const inv3 = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: true });
    A.gateway.store.db.prepare('UPDATE invitations SET expires_at = ? WHERE id = ?').run(Date.now() - 1, inv3.id);
    expect(await codeOf(C.gateway.accept(inv3.code!))).toBe('invitation-expired');
    expect(() => invite(A, { scope: { kind: 'note', id: 'nosuchnote1' }, access: 'read', expiresInMinutes: 5, multiUse: false })).toThrow(/no such note/);
    expect(() => invite(A, { scope: { kind: 'board' }, access: 'write', expiresInMinutes: 5, multiUse: false })).toThrow(/read only/);
  });

  it('ends a link at its expiry on both sides', async () => {
    const n = addNote(A, 'Short', 's');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
    const link = await B.gateway.accept(inv.code!);
    await until(() => noteText(B, n) === 's', 'mirror');
    // Bring the expiry forward on the inviting side (the stored row and the live session).
    A.gateway.session(link.id)!.row.expiresAt = Date.now();
    await until(() => B.gateway.state().links.every((l) => l.id !== link.id), 'B to see the expiry');
    expect(A.gateway.state().recentlyEnded.find((l) => l.id === link.id)?.reason).toBe('expired');
    expect(noteText(B, n)).toBeNull();
  });
});

describe('a hostile hub on a link', () => {
  it('is cut off and logged when it sends out of scope, and cannot come back', async () => {
    const WebSocket = (await import('ws')).default;
    const n = addNote(A, 'Guarded', 'g');
    const other = addNote(A, 'Other', 'o');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'write', expiresInMinutes: 60, multiUse: false });
    const token = JSON.parse(Buffer.from(inv.code!.split('.')[1]!, 'base64url').toString()).token as string;
    const ws = new WebSocket(`wss://127.0.0.1:${A.ports.https}/gateway`, { rejectUnauthorized: false });
    const frames: { t: string; linkId?: string; secret?: string; reason?: string }[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
    const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ v: 1, t: 'hello', room: { id: 'rhostile0001', name: 'Evil', place: '' }, auth: { kind: 'invitation', token } }));
    await until(() => frames.some((f) => f.t === 'welcome'), 'welcome');
    const welcome = frames.find((f) => f.t === 'welcome')!;
    // Writes into a note the link does not cover.
    ws.send(JSON.stringify({ v: 1, t: 'note-sync', noteId: other, data: 'AAA' }));
    expect(await closed).toBe(4422);
    expect(frames.at(-1)).toMatchObject({ t: 'end', reason: 'violation' });
    expect(A.gateway.state().links.find((l) => l.id === welcome.linkId)).toBeUndefined();
    expect(A.gateway.state().recentlyEnded.find((l) => l.id === welcome.linkId)?.reason).toBe('violation');
    expect(noteText(A, other)).toBe('o');

    // Its link credential is dead.
    const again = new WebSocket(`wss://127.0.0.1:${A.ports.https}/gateway`, { rejectUnauthorized: false });
    const got: { t: string; error?: { code: string } }[] = [];
    again.on('message', (m) => got.push(JSON.parse(m.toString())));
    await new Promise((r) => again.on('open', r));
    again.send(JSON.stringify({ v: 1, t: 'hello', room: { id: 'rhostile0001', name: 'Evil', place: '' }, auth: { kind: 'link', linkId: welcome.linkId, secret: welcome.secret } }));
    await until(() => got.length > 0, 'refusal');
    expect(got[0]).toMatchObject({ t: 'error', error: { code: 'link-ended' } });
  });

  it('a malformed note update on a read-only link is cut off, the note unchanged', async () => {
    const WebSocket = (await import('ws')).default;
    const n = addNote(A, 'ReadOnly', 'keep');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false });
    const token = JSON.parse(Buffer.from(inv.code!.split('.')[1]!, 'base64url').toString()).token as string;
    const ws = new WebSocket(`wss://127.0.0.1:${A.ports.https}/gateway`, { rejectUnauthorized: false });
    const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
    const frames: string[] = [];
    ws.on('message', (m) => frames.push(m.toString()));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ v: 1, t: 'hello', room: { id: 'rhostile0002', name: 'Evil', place: '' }, auth: { kind: 'invitation', token } }));
    await until(() => frames.length > 0, 'welcome');
    // A Yjs update (type 2) that writes text: refused on a read-only link.
    const doc = new Y.Doc();
    doc.getText('body').insert(0, 'INJECTED');
    const update = Y.encodeStateAsUpdate(doc);
    const e = encoding.createEncoder();
    syncProtocol.writeUpdate(e, update);
    ws.send(JSON.stringify({ v: 1, t: 'note-sync', noteId: n, data: Buffer.from(encoding.toUint8Array(e)).toString('base64url') }));
    expect(await closed).toBe(4422);
    expect(noteText(A, n)).toBe('keep');
  });
});

describe('what the rooms do to shared items', () => {
  it('a guest deleting the mirror gets it back; the inviting room deleting the note ends the link', async () => {
    const n = addNote(A, 'Doomed', 'd');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'write', expiresInMinutes: 60, multiUse: false });
    const link = await B.gateway.accept(inv.code!);
    await until(() => noteText(B, n) === 'd', 'mirror');
    B.memory.doc.transact(() => notes(B.memory.doc).delete(n), 'dev-b');
    await until(() => noteText(B, n) === 'd', 'the mirror back');
    A.memory.doc.transact(() => notes(A.memory.doc).delete(n), 'dev-a');
    await until(() => A.gateway.state().links.every((l) => l.id !== link.id), 'A ends the link');
    expect(A.gateway.state().recentlyEnded.find((l) => l.id === link.id)?.reason).toBe('scope-gone');
    await until(() => B.gateway.state().links.every((l) => l.id !== link.id), 'B hears it');
    expect(noteText(B, n)).toBeNull();
  });
});

describe('one note, several rooms', () => {
  it('a multi-use invitation: edits from each room reach the others through the inviting room', async () => {
    const n = addNote(A, 'Shared by three', 'abc');
    const inv = invite(A, { scope: { kind: 'note', id: n }, access: 'write', expiresInMinutes: 60, multiUse: true });
    const toB = await B.gateway.accept(inv.code!);
    const toC = await C.gateway.accept(inv.code!);
    await until(() => noteText(B, n) === 'abc' && noteText(C, n) === 'abc', 'both mirrors');
    const bBody = notes(B.memory.doc).get(n)!.get('body') as Y.Text;
    const cBody = notes(C.memory.doc).get(n)!.get('body') as Y.Text;
    B.memory.doc.transact(() => bBody.insert(3, ' from B'), 'dev-b');
    await until(() => noteText(C, n) === 'abc from B', 'B’s edit at C');
    C.memory.doc.transact(() => cBody.insert(0, 'C: '), 'dev-c');
    await until(() => noteText(B, n) === 'C: abc from B' && noteText(A, n) === 'C: abc from B', 'C’s edit everywhere');
    const aBody = notes(A.memory.doc).get(n)!.get('body') as Y.Text;
    A.memory.doc.transact(() => aBody.insert(aBody.length, '!'), 'dev-a');
    await until(() => [A, B, C].every((h) => noteText(h, n) === 'C: abc from B!'), 'A’s edit everywhere');
    // A title change crosses too.
    B.memory.doc.transact(() => notes(B.memory.doc).get(n)!.set('title', 'Renamed in B'), 'dev-b');
    await until(() => [A, C].every((h) => notes(h.memory.doc).get(n)?.get('title') === 'Renamed in B'), 'the title everywhere');
    expect(C.gateway.state().links[0]?.banner).toBe('This room is connected to FW15: the note “Renamed in B”, read and write');
    A.gateway.end(toB.id);
    A.gateway.end(toC.id);
    // Nothing per link outlives its link, in any of the three rooms.
    await until(() => [A, B, C].every((h) => h.gateway.state().links.length === 0), 'the ends');
    for (const h of [A, B, C]) expect(h.gateway.sizes).toMatchObject({ sessions: 0, connections: 0, budgets: 0, retries: 0 });
  });
});
