/**
 * Where a device keeps file bytes: one IndexedDB record per chunk (`fileChunks`, lib/storage.ts).
 * Transfers talk to the `ChunkStore` interface so unit tests can run them on a Map.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { db, type StoredChunk } from '../platform/storage.ts';

export type { StoredChunk };

export interface ChunkStore {
  /** Indexes stored for a file, ascending. */
  indexes(fileId: string): Promise<number[]>;
  count(fileId: string): Promise<number>;
  /** The stored chunks with from <= index < to, ascending (missing ones are simply absent). */
  read(fileId: string, from: number, to: number): Promise<StoredChunk[]>;
  /** All in one transaction; `storage-full` when the browser's quota is reached. */
  write(chunks: StoredChunk[]): Promise<void>;
  deleteFile(fileId: string): Promise<void>;
}

/** QuotaExceededError (or an abort caused by it) → storage-full; anything else is rethrown. */
export function storageError(err: unknown): unknown {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') return new OsmoseError('storage-full', "this device's storage is full; what was stored is kept", { cause: err });
  return err;
}

export class IdbChunkStore implements ChunkStore {
  async indexes(fileId: string): Promise<number[]> {
    const keys = await (await db()).getAllKeysFromIndex('fileChunks', 'byFile', fileId);
    return keys.map((k) => k[1]).sort((a, b) => a - b);
  }

  async count(fileId: string): Promise<number> {
    return (await db()).countFromIndex('fileChunks', 'byFile', fileId);
  }

  async read(fileId: string, from: number, to: number): Promise<StoredChunk[]> {
    if (to <= from) return [];
    return (await db()).getAll('fileChunks', IDBKeyRange.bound([fileId, from], [fileId, to - 1]));
  }

  async write(chunks: StoredChunk[]): Promise<void> {
    if (!chunks.length) return;
    try {
      const tx = (await db()).transaction('fileChunks', 'readwrite', { durability: 'relaxed' });
      const store = tx.objectStore('fileChunks');
      // Requests are queued synchronously; awaiting anything else here would end the transaction.
      for (const c of chunks) void store.put(c).catch(() => undefined);
      await tx.done;
    } catch (err) {
      throw storageError(err);
    }
  }

  async deleteFile(fileId: string): Promise<void> {
    const tx = (await db()).transaction('fileChunks', 'readwrite');
    await tx.store.delete(IDBKeyRange.bound([fileId, 0], [fileId, Number.MAX_SAFE_INTEGER]));
    await tx.done;
  }
}
