/**
 * Sharing a file: read it a chunk at a time (`file.slice`, never whole), hash each chunk and the
 * whole file, store the chunks as they are read (batched), and return the metadata that goes into
 * the room document. Reading stays at most READ_AHEAD bytes ahead of storage.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { MAX_FILE_BYTES, chooseChunkSize } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { ChunkStore } from './chunk-store.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { sha256Hex } from './hashing.ts';
import type { AsyncFileHasher } from './hash-worker.ts';

const READ_AHEAD = 16 * 1024 * 1024;

export interface ShareInput {
  /** A File, or anything with the same slicing (a Blob with a name). */
  file: Blob & { name: string };
  id: string;
  sharedBy: string;
  sharedByName: string;
  now?: number;
}

export function newFileId(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A name the room can show: no path, no control characters, at most 255 characters. */
export function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean || 'file';
}

export async function prepareShare(
  input: ShareInput,
  store: ChunkStore,
  /** The whole-file hash (in the hash worker in the app). */
  whole: AsyncFileHasher,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<FileMeta> {
  const { file } = input;
  if (file.size > MAX_FILE_BYTES) throw new OsmoseError('too-large', `files are limited to ${MAX_FILE_BYTES / 2 ** 30} GiB`);
  const chunkSize = chooseChunkSize(file.size);
  const writer = new ChunkWriter(store);
  const chunkHashes: string[] = [];
  const pending: Promise<void>[] = [];
  let failure: unknown = null;
  for (let index = 0, at = 0; at < file.size; index++, at += chunkSize) {
    if (signal?.aborted) throw new OsmoseError('cancelled', 'sharing was cancelled');
    if (failure) throw failure;
    // The slice's buffer is the chunk's own: IndexedDB clones exactly these bytes.
    const data = new Uint8Array(await file.slice(at, Math.min(file.size, at + chunkSize)).arrayBuffer());
    // The whole-file hash runs in a worker while this thread hashes the chunk natively.
    const [chunkHash] = await Promise.all([sha256Hex(data), whole.update(data)]);
    chunkHashes.push(chunkHash);
    const p = writer.add({ fileId: input.id, index, data });
    p.catch((err: unknown) => (failure ??= err));
    pending.push(p);
    while (writer.pendingBytes > READ_AHEAD && !failure) await Promise.race([p, new Promise((r) => setTimeout(r, 20))]);
    onProgress(Math.min(file.size, at + chunkSize), file.size);
  }
  await writer.flush();
  await Promise.all(pending);
  return {
    id: input.id,
    name: cleanName(input.file.name),
    type: (file.type || 'application/octet-stream').slice(0, 255),
    size: file.size,
    chunkSize,
    chunkHashes,
    sha256: await whole.digest(),
    sharedBy: input.sharedBy,
    sharedByName: input.sharedByName.slice(0, 40),
    sharedAt: input.now ?? Date.now(),
  };
}
