/**
 * A link's mirrors (the other room's note, the other room's thread messages) never outlive it,
 * whichever way it ends; the paths not covered in two-rooms.test.ts (a member, the other side's
 * end, the expiry while up, the shared item gone) are here: the expiry found at the start, a link
 * an older hub ended without removing its mirrors, a violation, an end that arrives late.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { notes } from '../../../../protocol/room-doc.ts';
import { addNote, invite, messageIds, noteText, post, restartRoom, startRoom, until, withStoppedGatewayDb, type Room } from './support.ts';
import { startRelay, type Relay } from './relay.ts';

let X: Room;
let Yr: Room;
/** Y reaches X through it (X's address and certificate stay the same across restarts). */
let relay: Relay;

beforeAll(async () => {
  X = await startRoom('MIRX');
  Yr = await startRoom('MIRY');
  relay = await startRelay(X);
});
afterAll(async () => {
  await relay?.close();
  await Promise.all([X, Yr].map((h) => h?.close()));
});

/** A note link and a thread link from X to Y, mirrored at Y; Y replied in the thread. */
async function twoLinks() {
  const n = addNote(X, 'Shared note', 'text');
  const root = post(X, 'A thread');
  const reply = post(X, 'A reply', root);
  const noteLink = await Yr.gateway.accept(relay.via(invite(X, { scope: { kind: 'note', id: n }, access: 'read', expiresInMinutes: 60, multiUse: false }).code!));
  const threadLink = await Yr.gateway.accept(relay.via(invite(X, { scope: { kind: 'thread', id: root }, access: 'write', expiresInMinutes: 60, multiUse: false }).code!));
  await until(() => noteText(Yr, n) === 'text' && messageIds(Yr).includes(reply), 'the mirrors at Y');
  const own = post(Yr, 'Y’s own reply', root);
  await until(() => messageIds(X).includes(own), 'Y’s reply at X');
  return { n, root, reply, own, noteLink, threadLink };
}

/** A device of room Y: a replica of its document (it keeps what it had while the hub is down). */
function deviceOf(room: Room): Y.Doc {
  const d = new Y.Doc();
  Y.applyUpdate(d, Y.encodeStateAsUpdate(room.memory.doc));
  return d;
}
function sync(device: Y.Doc, room: Room): void {
  Y.applyUpdate(device, Y.encodeStateAsUpdate(room.memory.doc, Y.encodeStateVector(device)));
}
const deviceIds = (d: Y.Doc) => d.getArray<{ id: string }>('timeline').toArray().map((e) => e.id);

describe('mirrors go with their link', () => {
  it('expired while the accepting hub was down, or ended by an older hub that left them: gone at its start, on devices too', async () => {
    const { n, root, reply, own, noteLink, threadLink } = await twoLinks();
    const device = deviceOf(Yr);
    expect(device.getMap('notes').has(n)).toBe(true);
    await Yr.close();
    withStoppedGatewayDb(Yr, (db) => {
      // Time passed: the note link's expiry is behind it.
      db.prepare('UPDATE links SET expires_at = ? WHERE id = ?').run(Date.now() - 1000, noteLink.id);
      // A hub from before this fix ended the thread link at its start and left the mirrors.
      db.prepare("UPDATE links SET ended_at = ?, end_reason = 'expired', end_message = 'the connection expired' WHERE id = ?").run(Date.now() - 1000, threadLink.id);
    });
    Yr = await restartRoom(Yr);
    expect(Yr.gateway.state().links).toEqual([]);
    expect(noteText(Yr, n)).toBeNull();
    expect(messageIds(Yr)).not.toContain(root);
    expect(messageIds(Yr)).not.toContain(reply);
    expect(messageIds(Yr)).toContain(own); // the room's own words stay
    sync(device, Yr);
    expect(device.getMap('notes').has(n)).toBe(false);
    expect(deviceIds(device)).not.toContain(root);
    expect(deviceIds(device)).toContain(own);
    X.gateway.end(noteLink.id);
    X.gateway.end(threadLink.id);
  });

  it('cut off for a violation by the accepting hub', async () => {
    const { n, root, noteLink, threadLink } = await twoLinks();
    // What a hostile inviting hub could send on both links: a frame about a note they do not cover.
    relay.inject({ v: 1, t: 'note-sync', noteId: 'not-the-shared-note', data: 'AAA' });
    await until(() => Yr.gateway.state().links.length === 0, 'Y to cut both links');
    expect(Yr.gateway.state().recentlyEnded.filter((l) => l.reason === 'violation').map((l) => l.id).sort()).toEqual([noteLink.id, threadLink.id].sort());
    expect(noteText(Yr, n)).toBeNull();
    expect(messageIds(Yr)).not.toContain(root);
    await until(() => X.gateway.state().links.length === 0, 'X to hear it');
  });

  it('ended by the inviting room while the accepting hub was down: gone once it learns of it', async () => {
    const { n, root, noteLink, threadLink } = await twoLinks();
    await Yr.close();
    X.gateway.end(noteLink.id);
    X.gateway.end(threadLink.id);
    Yr = await restartRoom(Yr);
    await until(() => Yr.gateway.state().links.length === 0, 'Y to learn of both ends', 20_000);
    expect(noteText(Yr, n)).toBeNull();
    expect(messageIds(Yr)).not.toContain(root);
  });

  it('a note that mirrors a link this hub does not hold open is removed at the start', async () => {
    const n = addNote(Yr, 'Stray mirror', 's');
    Yr.memory.doc.transact(() => notes(Yr.memory.doc).get(n)!.set('remote', { room: 'Gone', linkId: 'l' + 'f'.repeat(24), access: 'read' }), 'dev');
    const mine = addNote(Yr, 'Mine', 'm');
    await Yr.close();
    Yr = await restartRoom(Yr);
    expect(noteText(Yr, n)).toBeNull();
    expect(noteText(Yr, mine)).toBe('m');
  });
});
