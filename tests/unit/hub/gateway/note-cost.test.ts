/**
 * What a note update from another hub costs: the check reads the update, never a copy of the
 * note. Counted, not timed: every call of Yjs's whole-document functions made by the hub's code is
 * counted, and a no-op update (the 4-byte update a read-only link could send 5,000 times per 10 s)
 * must make none. Each change is stored at its own size, not as a snapshot of the note.
 * Measured figures: bench/gateway-hostile.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';

const calls = vi.hoisted(() => ({ encodeStateAsUpdate: 0, applyUpdate: 0 }));
vi.mock('yjs', async (importOriginal) => {
  const Y = await importOriginal<typeof import('yjs')>();
  return {
    ...Y,
    encodeStateAsUpdate: (...a: Parameters<typeof Y.encodeStateAsUpdate>) => (calls.encodeStateAsUpdate++, Y.encodeStateAsUpdate(...a)),
    applyUpdate: (...a: Parameters<typeof Y.applyUpdate>) => (calls.applyUpdate++, Y.applyUpdate(...a)),
  };
});

const Y = await import('yjs');
const { NoteBridge } = await import('../../../../hub/gateway/note-bridge.ts');
const { newDoc, notes } = await import('../../../../protocol/room-doc.ts');

const CHARS = 80_000;

function roomWithNote() {
  const room = newDoc();
  room.transact(() => {
    const m = new Y.Map<unknown>();
    m.set('title', 'Long');
    m.set('body', new Y.Text());
    notes(room).set('note-long-1', m);
  });
  const body = notes(room).get('note-long-1')!.get('body') as InstanceType<typeof Y.Text>;
  // Written at many places, then partly deleted: many items and deleted ranges, as a real note has.
  for (let i = 0; body.length < CHARS; i++) room.transact(() => body.insert((i * 7919) % (body.length + 1), 'The quick brown fox jumps. '));
  for (let i = 0; i < 200; i++) room.transact(() => body.delete((i * 104729) % (body.length - 10), 3));
  return room;
}

function bridge(access: 'read' | 'write') {
  const stored = { appended: [] as number[], snapshots: [] as number[] };
  const sent: Uint8Array[] = [];
  const b = new NoteBridge({
    role: 'inviter', access, room: roomWithNote(), noteId: 'note-long-1', label: 'Long', remoteRoom: 'Other', linkId: 'l' + '9'.repeat(24), saved: null,
    append: (u) => stored.appended.push(u.length), compact: (s) => stored.snapshots.push(s.length), send: (m) => sent.push(m),
    // The option an older bridge stored a whole snapshot through on every change.
    ...({ save: (s: Uint8Array) => stored.snapshots.push(s.length) } as object),
  });
  return { b, stored, sent };
}

const update = (u: Uint8Array) => {
  const e = encoding.createEncoder();
  syncProtocol.writeUpdate(e, u);
  return encoding.toUint8Array(e);
};

beforeEach(() => {
  calls.encodeStateAsUpdate = 0;
  calls.applyUpdate = 0;
});

describe('a note update from another hub costs what the update holds', () => {
  it('a no-op update on a read-only link: no copy, no re-encoding, nothing applied or stored', () => {
    const { b, stored } = bridge('read');
    const guest = new Y.Doc();
    Y.applyUpdate(guest, Y.encodeStateAsUpdate(b.link)); // a guest that holds exactly the note
    const guestState = Y.encodeStateAsUpdate(guest);
    const deletes = Y.encodeStateAsUpdate(guest, Y.encodeStateVector(guest)); // only its (already known) deletions
    stored.appended.length = 0;
    calls.encodeStateAsUpdate = 0;
    calls.applyUpdate = 0;
    for (let i = 0; i < 200; i++) {
      b.receive(update(Uint8Array.of(0, 0))); // the 4-byte update of the report
      b.receive(update(deletes));
      b.receive(update(guestState)); // what a read-only guest's step 2 carries
    }
    expect(calls).toEqual({ encodeStateAsUpdate: 0, applyUpdate: 0 });
    expect(stored.appended).toEqual([]);
  });

  it('a change on a write link is checked and stored at its own size', () => {
    const { b, stored } = bridge('write');
    const before = stored.snapshots.length;
    const writer = new Y.Doc();
    Y.applyUpdate(writer, Y.encodeStateAsUpdate(b.link));
    calls.encodeStateAsUpdate = 0;
    for (let i = 0; i < 50; i++) {
      const sv = Y.encodeStateVector(writer);
      writer.getText('body').insert(i * 13, 'x');
      b.receive(update(Y.encodeStateAsUpdate(writer, sv)));
    }
    expect(b.link.getText('body').toString()).toBe(writer.getText('body').toString());
    // Only the test's own writer encoded a document; the hub stored 50 small updates, no snapshot.
    expect(calls.encodeStateAsUpdate).toBe(50);
    expect(stored.snapshots.length).toBe(before);
    expect(stored.appended.length).toBe(50);
    expect(Math.max(...stored.appended)).toBeLessThan(200);
  });
});
