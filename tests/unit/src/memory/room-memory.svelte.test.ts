/**
 * The room's memory on a device (src/memory/room-memory.svelte.ts), with its real store on
 * fake-indexeddb: replicas over the mesh (fragments included) and over the room channel to a real
 * hub replica (hub/room-memory.ts) that acks what it stored, presence, retention, notes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RoomMemoryState } from '../../../../src/memory/room-memory.svelte.ts';
import { RoomMemory } from '../../../../hub/memory/room-memory.ts';
import { MemoryStore } from '../../../../hub/memory/memory-store.ts';
import { files, notes, settings, timeline } from '../../../../protocol/room-doc.ts';
import { FRAME_LIMITS } from '../../../../protocol/sync-frames.ts';
import { ORIGIN } from '../../../../protocol/doc-sync.ts';
import { waitFor } from '../../support/wait.ts';

let n = 0;
const roomId = () => `room-${++n}-${Date.now()}`;
const DEV = (c: string) => 'd' + c.repeat(32);
const opened: RoomMemoryState[] = [];

async function replica(room: string, id: string, name: string, transport: { hub?: (f: Uint8Array) => boolean; peer?: (to: string, f: Uint8Array) => void } = {}) {
  const m = new RoomMemoryState(room, { deviceId: id, name: () => name }, { hub: transport.hub ?? (() => false), peer: transport.peer ?? (() => undefined) });
  await m.open();
  opened.push(m);
  return m;
}

/** Two devices of one room joined by a data channel that delivers in order, asynchronously. */
async function pair() {
  const room = roomId();
  const sent: number[] = [];
  let a!: RoomMemoryState;
  let b!: RoomMemoryState;
  a = await replica(room, DEV('a'), 'Ada', { peer: (_to, f) => (sent.push(f.byteLength), setImmediate(() => b.fromPeer(DEV('a'), f))) });
  b = await replica(room, DEV('b'), 'Bea', { peer: (_to, f) => setImmediate(() => a.fromPeer(DEV('b'), f)) });
  a.peerUp(DEV('b'));
  b.peerUp(DEV('a'));
  return { a, b, sent };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const m of opened.splice(0)) await m.close();
});

describe('RoomMemoryState', () => {
  it('what one device writes reaches the other over the mesh; a large note crosses in fragments', async () => {
    const { a, b, sent } = await pair();
    a.post('hello room');
    await waitFor(() => expect(b.timeline.map((m) => m.text)).toEqual(['hello room']));
    const id = a.createNote('Plan');
    a.noteBody(id)!.insert(0, 'x'.repeat(150_000));
    await waitFor(() => expect(b.noteBody(id)?.length).toBe(150_000));
    expect(Math.max(...sent)).toBeLessThanOrEqual(FRAME_LIMITS.fragmentBytes + 64);
    await waitFor(() => expect(b.notes.map((x) => x.title)).toEqual(['Plan']));
  });

  it('is saved once the hub acks what it stored, and not while the hub link is down', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-memory-'));
    const hub = new RoomMemory(new MemoryStore(dir));
    let device!: RoomMemoryState;
    device = await replica(roomId(), DEV('a'), 'Ada', { hub: (f) => (setImmediate(() => hub.receive(DEV('a'), f)), true) });
    hub.attach(DEV('a'), (f) => setImmediate(() => device.fromHub(f)));
    expect(device.saved).toBe(false);
    device.hubUp();
    device.post('kept on the hub');
    await waitFor(() => expect(device.saved).toBe(true));
    expect(timeline(hub.doc).toArray()).toEqual([expect.objectContaining({ text: 'kept on the hub' })]);
    device.hubDown();
    expect(device.saved).toBe(false);
    hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('who is typing and who has which note open, read from the other devices only', async () => {
    const { a, b } = await pair();
    const id = a.createNote('Plan');
    a.setTyping(true);
    b.setViewing(id);
    await waitFor(() => expect(b.typing).toEqual(['Ada']));
    await waitFor(() => expect(a.viewers.get(id)).toEqual(['Bea']));
    expect(a.typing).toEqual([]);
    a.setTyping(false);
    await waitFor(() => expect(b.typing).toEqual([]));
  });

  it("applies the room's retention when it opens, and says which files went", async () => {
    const room = roomId();
    const first = await replica(room, DEV('a'), 'Ada');
    const old = Date.now() - 40 * 86_400_000;
    first.doc.transact(() => {
      timeline(first.doc).push([{ id: 'old-message-1', author: DEV('a'), authorName: 'Ada', text: 'ancient', sentAt: old }]);
      files(first.doc).set('old-file-0001', { id: 'old-file-0001', name: 'a.bin', type: 'application/octet-stream', size: 1, chunkSize: 16384, chunkHashes: ['0'.repeat(64)], sha256: '0'.repeat(64), sharedBy: DEV('a'), sharedByName: 'Ada', sharedAt: old });
    }, ORIGIN.local);
    first.post('fresh');
    await first.close();
    opened.splice(opened.indexOf(first), 1);
    const expired: string[][] = [];
    const again = new RoomMemoryState(room, { deviceId: DEV('a'), name: () => 'Ada' }, { hub: () => false, peer: () => undefined });
    again.onFilesExpired = (ids) => expired.push(ids);
    await again.open();
    opened.push(again);
    expect(again.timeline.map((m) => m.text)).toEqual(['fresh']);
    expect(again.retentionDays).toBe(30);
    // The store is filled before the owner could set onFilesExpired: the files go at the next pass.
    again.setRetention(10);
    await waitFor(() => expect(expired.flat()).toContain('old-file-0001'));
  });

  it("notes: another room's mirror is marked, a deleted note takes its pins with it, titles are bounded", async () => {
    const { a } = await pair();
    const id = a.createNote('  ' + 'T'.repeat(200));
    a.pin('note', id);
    notes(a.doc).get(id)!.set('remote', { room: 'FW16', linkId: 'l' + '0'.repeat(24), access: 'read' });
    const other = a.createNote('Ours');
    notes(a.doc).get(other)!.set('remote', { room: 'FW16', access: 'admin' }); // not a valid mark
    await waitFor(() => expect(a.board).toHaveLength(1));
    await waitFor(() => expect(a.notes.find((x) => x.id === id)?.remote).toEqual({ room: 'FW16', access: 'read' }));
    expect(a.notes.find((x) => x.id === id)!.title).toHaveLength(120);
    expect(a.notes.find((x) => x.id === other)!.remote).toBeUndefined();
    a.deleteNote(id);
    await waitFor(() => expect(a.board).toEqual([]));
    a.setRetention(0);
    a.setRetention(4000);
    expect(settings(a.doc).get('retentionDays')).toBeUndefined();
    a.setRetention(7);
    expect(settings(a.doc).get('retentionDays')).toBe(7);
  });

  it('closing it clears its timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const m = await replica(roomId(), DEV('a'), 'Ada');
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    m.post('x');
    await m.close();
    opened.splice(opened.indexOf(m), 1);
    vi.advanceTimersByTime(1_000); // the refresh scheduled by the post runs once, then nothing is left
    expect(vi.getTimerCount()).toBe(0);
  });
});

