/**
 * A stored file as a whole, without holding it in memory: its SHA-256 read back from storage a
 * few chunks at a time, and a Blob built from one Blob per chunk (the browser keeps Blob bytes
 * outside the JS heap, on disk for large ones), for previews and downloads.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { chunkCount } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { ChunkStore } from './chunk-store.ts';
import { fileHasher } from './hashing.ts';

/** Chunks read per transaction. */
const BATCH = 8;

const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));

/** SHA-256 (hex) of the stored chunks in order; null if one is missing. */
export async function storedSha256(store: ChunkStore, meta: FileMeta): Promise<string | null> {
  const h = fileHasher();
  const total = chunkCount(meta);
  for (let i = 0; i < total; i += BATCH) {
    const chunks = await store.read(meta.id, i, Math.min(total, i + BATCH));
    if (chunks.length !== Math.min(BATCH, total - i)) return null;
    for (const c of chunks) h.update(c.data);
    // Hashing in JS is ~80 MB/s: let the page breathe between batches.
    await yieldToEvents();
  }
  return h.hex();
}

export async function storedBlob(store: ChunkStore, meta: FileMeta): Promise<Blob> {
  const total = chunkCount(meta);
  const parts: Blob[] = [];
  for (let i = 0; i < total; i += BATCH) {
    const chunks = await store.read(meta.id, i, Math.min(total, i + BATCH));
    if (chunks.length !== Math.min(BATCH, total - i)) throw new OsmoseError('not-found', 'this file is not complete on this device');
    for (const c of chunks) parts.push(new Blob([c.data as Uint8Array<ArrayBuffer>]));
  }
  return new Blob(parts, { type: safeType(meta.type) });
}

/** What a preview may show inline; everything else is downloaded. */
export function previewKind(meta: Pick<FileMeta, 'type'>): 'image' | 'pdf' | null {
  if (/^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(meta.type)) return 'image';
  if (meta.type === 'application/pdf') return 'pdf';
  return null;
}

/**
 * The type a Blob URL is served with. The type comes from another device: an SVG or HTML blob
 * URL would run in our origin when opened, so anything we do not preview is octet-stream.
 */
export function safeType(type: string): string {
  return previewKind({ type }) ? type : 'application/octet-stream';
}
