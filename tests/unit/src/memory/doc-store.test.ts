/**
 * The room's memory on the device (src/memory/doc-store.ts), on fake-indexeddb: a burst of edits
 * written in one batch, the history loaded back, compaction, a damaged record skipped, a full disk
 * that loses nothing, and leaving a room deleting only that room's records.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { ORIGIN } from '../../../../protocol/doc-sync.ts';
import { newDoc, readTimeline, timeline } from '../../../../protocol/room-doc.ts';
import type { OsmoseError } from '../../../../protocol/errors.ts';

async function fresh() {
  globalThis.indexedDB = new IDBFactory();
  vi.resetModules();
  return {
    ...(await import('../../../../src/memory/doc-store.ts')),
    ...(await import('../../../../src/platform/storage.ts')),
  };
}

const entry = (i: number) => ({ id: `msg-${String(i).padStart(8, '0')}`, author: 'd' + '1'.repeat(32), authorName: 'Ada', text: `message ${i}`, sentAt: 1_700_000_000_000 + i });
const post = (doc: Y.Doc, i: number) => doc.transact(() => timeline(doc).push([entry(i)]), ORIGIN.local);
const records = async (m: Awaited<ReturnType<typeof fresh>>, roomId: string) => (await (await m.db()).getAllFromIndex('docUpdates', 'byRoom', roomId)).length;

describe('DocStore', () => {
  it('writes a burst of edits in one batch, one record each, and loads them back into a new document', async () => {
    const m = await fresh();
    const doc = newDoc();
    const store = await m.DocStore.open('room-a', doc, () => undefined);
    for (let i = 0; i < 20; i++) post(doc, i);
    expect(await records(m, 'room-a')).toBe(0); // queued, not yet written
    await store.flush();
    expect(await records(m, 'room-a')).toBe(20);
    await store.close();
    const again = newDoc();
    await (await m.DocStore.open('room-a', again, () => undefined)).close();
    expect(readTimeline(again).map((e) => e.text)).toEqual(readTimeline(doc).map((e) => e.text));
  });

  it('compacts into one record once more than 100 pile up, and rewrites the history on demand', async () => {
    const m = await fresh();
    const doc = newDoc();
    const store = await m.DocStore.open('room-a', doc, () => undefined);
    for (let i = 0; i < 101; i++) {
      post(doc, i);
      await store.flush();
    }
    expect(await records(m, 'room-a')).toBe(1);
    post(doc, 200);
    await store.flush();
    await store.compact();
    expect(await records(m, 'room-a')).toBe(1);
    await store.close();
  });

  it('skips a damaged record and keeps the rest of the history', async () => {
    const m = await fresh();
    const doc = newDoc();
    const store = await m.DocStore.open('room-a', doc, () => undefined);
    post(doc, 1);
    await store.close();
    await (await m.db()).add('docUpdates', { roomId: 'room-a', data: Uint8Array.of(0xff, 0xff, 0xff) });
    const again = newDoc();
    await (await m.DocStore.open('room-a', again, () => undefined)).close();
    expect(readTimeline(again).map((e) => e.text)).toEqual(['message 1']);
  });

  it('a full disk is reported as storage-full and nothing queued is lost: the next flush writes it', async () => {
    const m = await fresh();
    const doc = newDoc();
    const errors: OsmoseError[] = [];
    const store = await m.DocStore.open('room-a', doc, (e) => errors.push(e));
    const d = await m.db();
    const real = d.transaction.bind(d);
    let full = true;
    d.transaction = ((...args: Parameters<typeof real>) => {
      if (full) throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
      return real(...args);
    }) as typeof d.transaction;
    post(doc, 1);
    await store.flush();
    expect(errors.map((e) => e.code)).toEqual(['storage-full']);
    full = false;
    post(doc, 2);
    await store.flush();
    await store.close();
    const again = newDoc();
    await (await m.DocStore.open('room-a', again, () => undefined)).close();
    expect(readTimeline(again).map((e) => e.text)).toEqual(['message 1', 'message 2']);
  });

  it("leaving a room deletes that room's records only", async () => {
    const m = await fresh();
    for (const room of ['room-a', 'room-b']) {
      const doc = newDoc();
      const store = await m.DocStore.open(room, doc, () => undefined);
      post(doc, 1);
      await store.close();
    }
    await m.deleteStoredMemory('room-a');
    expect(await records(m, 'room-a')).toBe(0);
    expect(await records(m, 'room-b')).toBe(1);
  });
});
