/**
 * The device's stored memory (src/memory/doc-store.ts, IndexedDB via fake-indexeddb): a record saved
 * before updates were checked can hold an update Yjs parked (issue 9, finding 4). Opening it must
 * heal (drop that part, say so, rewrite the records), not stall the device again.
 */
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DocStore } from '../../../../src/memory/doc-store.ts';
import { db } from '../../../../src/platform/storage.ts';
import { newDoc, readTimeline, timeline, type TimelineEntry } from '../../../../protocol/room-doc.ts';
import { pending } from '../../sim/sim-network.ts';
import { stallingUpdate } from '../../support/hostile-updates.ts';

const ROOM = 'r'.repeat(24);

afterEach(async () => {
  const d = await db();
  await d.clear('docUpdates');
  vi.restoreAllMocks();
});

async function storedBytes(): Promise<number> {
  const rows = await (await db()).getAllFromIndex('docUpdates', 'byRoom', ROOM);
  return rows.reduce((n, r) => n + r.data.length, 0);
}

describe('DocStore.open on data saved with a parked update', () => {
  it('drops the parked part, keeps the rest, warns, and rewrites the records', async () => {
    const old = newDoc();
    timeline(old).push([{ id: 'keptmessage1', author: `d${'1'.repeat(32)}`, authorName: 'A', text: 'kept', sentAt: 1 } satisfies TimelineEntry]);
    Y.applyUpdate(old, stallingUpdate(50_000)); // the old app parked it; its compaction saved it
    expect(pending(old)).toEqual({ structs: true, deletes: true });
    await (await db()).add('docUpdates', { roomId: ROOM, data: Y.encodeStateAsUpdate(old) });
    expect(await storedBytes()).toBeGreaterThan(200_000);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const doc = newDoc();
    const errors: unknown[] = [];
    const store = await DocStore.open(ROOM, doc, (e) => errors.push(e));
    expect(pending(doc)).toEqual({ structs: false, deletes: false });
    expect(readTimeline(doc).map((m) => m.text)).toEqual(['kept']);
    expect(warn.mock.calls.some((c) => String(c[0]).includes('dropped stored data'))).toBe(true);
    expect(errors).toEqual([]);
    expect(await storedBytes()).toBeLessThan(10_000);
    await store.close();

    // Opened again: healed for good.
    warn.mockClear();
    const again = newDoc();
    await (await DocStore.open(ROOM, again, () => undefined)).close();
    expect(readTimeline(again).map((m) => m.text)).toEqual(['kept']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a clean history opens as before, nothing dropped or rewritten', async () => {
    const src = newDoc();
    const updates: Uint8Array[] = [];
    src.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 5; i++) timeline(src).push([{ id: `message00000${i}`, author: `d${'1'.repeat(32)}`, authorName: 'A', text: `m${i}`, sentAt: i } satisfies TimelineEntry]);
    const d = await db();
    for (const u of updates) await d.add('docUpdates', { roomId: ROOM, data: u });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const doc = newDoc();
    await (await DocStore.open(ROOM, doc, () => undefined)).close();
    expect(readTimeline(doc).map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(warn).not.toHaveBeenCalled();
    expect((await d.getAllFromIndex('docUpdates', 'byRoom', ROOM)).length).toBe(5);
  });
});
