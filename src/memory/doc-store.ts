/**
 * The room's memory on this device: Yjs updates in IndexedDB, written in batches (one
 * transaction per burst of edits) and compacted into one record when they pile up. The app
 * opens with the room's history from here, online or not.
 */
import * as Y from 'yjs';
import { ORIGIN } from '../../protocol/doc-sync.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { loadStored } from '../../protocol/update-check.ts';
import { db } from '../platform/storage.ts';

const FLUSH_AFTER_MS = 120;
const COMPACT_AFTER_RECORDS = 100;

export class DocStore {
  private queue: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private records = 0;
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly roomId: string,
    private readonly doc: Y.Doc,
    private readonly onError: (err: OsmoseError) => void,
  ) {}

  /** Loads the stored history into `doc`, then keeps storing its updates. */
  static async open(roomId: string, doc: Y.Doc, onError: (err: OsmoseError) => void): Promise<DocStore> {
    const store = new DocStore(roomId, doc, onError);
    const rows = await (await db()).getAllFromIndex('docUpdates', 'byRoom', roomId);
    // One damaged record must not hide the rest of the room's history; what was parked before
    // updates were checked (it depends on changes the room never had) is dropped, not kept.
    const loaded = loadStored(doc, rows.map((r) => r.data), ORIGIN.storage);
    if (loaded.damaged) console.warn('[osmose] skipped damaged stored updates:', loaded.damaged);
    if (loaded.dropped) console.warn('[osmose] dropped stored data that depends on changes the room never had', loaded.dropped);
    store.records = rows.length;
    doc.on('update', store.onUpdate);
    if (store.records > COMPACT_AFTER_RECORDS || loaded.dropped) await store.compact();
    return store;
  }

  /** Writes what is queued now (also on pagehide). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    const run = async () => {
      try {
        // One transaction for the batch, one record per update: merging many interleaved
        // updates first (Y.mergeUpdates) cost seconds on a large catch-up.
        const tx = (await db()).transaction('docUpdates', 'readwrite');
        for (const data of batch) void tx.store.add({ roomId: this.roomId, data });
        await tx.done;
        this.records += batch.length;
        if (this.records > COMPACT_AFTER_RECORDS) await this.compact();
      } catch (err) {
        // Keep the batch for the next try: nothing is dropped because the disk said no.
        this.queue = [...batch, ...this.queue];
        const full = (err as DOMException)?.name === 'QuotaExceededError';
        this.onError(new OsmoseError(full ? 'storage-full' : 'internal', full ? 'this device is out of storage space: recent changes are kept in memory and on the hub' : `could not save on this device: ${(err as Error).message}`));
      }
    };
    this.flushing = (this.flushing ?? Promise.resolve()).then(run);
    return this.flushing;
  }

  /** Everything this device holds for the room, as one record. */
  async compact(): Promise<void> {
    const d = await db();
    const tx = d.transaction('docUpdates', 'readwrite');
    const keys = await tx.store.index('byRoom').getAllKeys(this.roomId);
    for (const k of keys) void tx.store.delete(k);
    void tx.store.add({ roomId: this.roomId, data: Y.encodeStateAsUpdate(this.doc) });
    await tx.done;
    this.records = 1;
  }

  async close(): Promise<void> {
    this.doc.off('update', this.onUpdate);
    this.closed = true;
    await this.flush();
  }

  private onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === ORIGIN.storage || this.closed) return;
    this.queue.push(update);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  };
}

/** Removes the room's stored memory (leaving the room). */
export async function deleteStoredMemory(roomId: string): Promise<void> {
  const d = await db();
  const tx = d.transaction('docUpdates', 'readwrite');
  for (const k of await tx.store.index('byRoom').getAllKeys(roomId)) void tx.store.delete(k);
  await tx.done;
}
