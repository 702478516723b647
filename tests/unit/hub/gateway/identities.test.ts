/**
 * Identities do not cross rooms: a mirrored message carries a name, and an author that is a
 * per-link pseudonym, never a device id; whatever author another room claims, the hub that takes
 * the message in namespaces it, so it is never a member of this room ("You" on a device); and a
 * message cannot claim to be from the future (it would never expire). Both directions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../../hub/hub.ts';
import { readTimeline, timeline, type TimelineEntry } from '../../../../protocol/room-doc.ts';
import { ALICE, hostileLink, invite, messageIds, post, startRoom, until } from './support.ts';
import { startRelay } from './relay.ts';

let A: Hub;
let B: Hub;
beforeAll(async () => {
  A = await startRoom('IDA');
  B = await startRoom('IDB');
});
afterAll(async () => {
  await Promise.all([A, B].map((h) => h?.close()));
});

const BOB = 'd' + 'b'.repeat(32);
const entryOf = (h: Hub, id: string) => readTimeline(h.memory.doc).find((e) => e.id === id);
const YEAR = 365 * 86_400_000;

describe('identities across a link', () => {
  it('device ids never cross, either way; remote authors are namespaced', async () => {
    const root = post(A, 'Whose idea?');
    const link = await B.gateway.accept(invite(A, { scope: { kind: 'thread', id: root }, access: 'write', expiresInMinutes: 60, multiUse: false }).code!);
    await until(() => messageIds(B).includes(root), 'the thread at B');
    const mirrored = entryOf(B, root)!;
    expect(mirrored.author).toMatch(/^r[0-9a-f]{32}$/);
    expect(mirrored.authorName).toBe('Alice');
    const reply: TimelineEntry = { id: 'mbobreply01', author: BOB, authorName: 'Bob', text: 'Mine', sentAt: Date.now(), replyTo: root };
    B.memory.doc.transact(() => timeline(B.memory.doc).push([reply]), 'dev-b');
    await until(() => messageIds(A).includes(reply.id), 'Bob’s reply at A');
    expect(entryOf(A, reply.id)!.author).toMatch(/^r[0-9a-f]{32}$/);
    expect(entryOf(A, reply.id)!.authorName).toBe('Bob');
    // Not in what either room's document holds of the other, nor in any frame the inviting hub sent.
    expect(JSON.stringify(timeline(B.memory.doc).toJSON())).not.toContain(ALICE.deviceId);
    expect(JSON.stringify(timeline(A.memory.doc).toJSON())).not.toContain(BOB);
    A.gateway.end(link.id);
  });

  it('a linked room posting as a member of this room, from the future, is neither that member nor from the future', async () => {
    const root = post(A, 'Open thread');
    const evil = await hostileLink(A, { kind: 'thread', id: root }, 'write', 'rhostile0011', 'Evil');
    // What it was sent: names, no device ids.
    // (It says which messages it holds; then the hostile hub's empty list makes it send them.)
    evil.ws.send(JSON.stringify({ v: 1, t: 'thread-have', rootId: root, ids: [] }));
    await until(() => evil.frames.some((f) => f.includes('"message"') && f.includes(root)), 'the thread at the hostile hub');
    expect(evil.frames.join('\n')).not.toContain(ALICE.deviceId);
    const forged: TimelineEntry = { id: 'mforged0001', author: ALICE.deviceId, authorName: 'Alice', text: 'I agree to everything', sentAt: Date.now() + 10 * YEAR, replyTo: root };
    evil.ws.send(JSON.stringify({ v: 1, t: 'message', entry: forged }));
    await until(() => messageIds(A).includes(forged.id), 'the forged reply at A');
    const kept = entryOf(A, forged.id)!;
    expect(kept.author).not.toBe(ALICE.deviceId);
    expect(kept.author).toMatch(/^r[0-9a-f]{32}$/);
    expect(kept.sentAt).toBeLessThanOrEqual(Date.now());
    expect(kept.remote).toEqual({ room: 'Evil' });
    evil.ws.terminate();
  });

  it('the same from a hostile inviting room, at the accepting hub', async () => {
    const root = post(A, 'Thread for B');
    const relay = await startRelay(A);
    const link = await B.gateway.accept(relay.via(invite(A, { scope: { kind: 'thread', id: root }, access: 'read', expiresInMinutes: 60, multiUse: false }).code!));
    await until(() => messageIds(B).includes(root), 'the thread at B');
    // What a hostile inviting hub could send on the link: a reply "by" one of B's members.
    relay.inject({ v: 1, t: 'message', entry: { id: 'mforged0002', author: BOB, authorName: 'Bob\u0007', text: 'Bob agrees', sentAt: Date.now() + 10 * YEAR, replyTo: root } });
    await until(() => messageIds(B).includes('mforged0002'), 'the forged reply at B');
    const kept = entryOf(B, 'mforged0002')!;
    expect(kept.author).not.toBe(BOB);
    expect(kept.author).toMatch(/^r[0-9a-f]{32}$/);
    expect(kept.authorName).toBe('Bob');
    expect(kept.sentAt).toBeLessThanOrEqual(Date.now());
    A.gateway.end(link.id);
    await relay.close();
  });
});
