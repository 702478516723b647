/**
 * Test doubles for file transfers: a chunk store on a Map (with an optional quota that fails like
 * IndexedDB's QuotaExceededError), and an in-memory pair of bulk channels that deliver in order,
 * asynchronously, at a set rate, with a simulated `bufferedAmount` and low-water event.
 */
import crypto from 'node:crypto';
import type { BulkChannel } from '../../../../src/files/channel.ts';
import { LOW_WATER } from '../../../../src/files/channel.ts';
import type { ChunkStore, StoredChunk } from '../../../../src/files/chunk-store.ts';
import { storageError } from '../../../../src/files/chunk-store.ts';
import { chooseChunkSize } from '../../../../protocol/files.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import type { FileMeta } from '../../../../protocol/room-doc.ts';

export class MemoryChunkStore implements ChunkStore {
  readonly chunks = new Map<string, StoredChunk>();
  writes = 0;
  /** Bytes the store may hold; a write past it fails as a whole, like an IndexedDB transaction. */
  quota = Infinity;
  /** A transaction takes this long (IndexedDB is slower than the link: writes batch up). */
  writeDelayMs = 2;

  private key(fileId: string, index: number) {
    return `${fileId}#${String(index).padStart(6, '0')}`;
  }
  private bytes(): number {
    let n = 0;
    for (const c of this.chunks.values()) n += c.data.byteLength;
    return n;
  }
  async indexes(fileId: string) {
    return [...this.chunks.values()].filter((c) => c.fileId === fileId).map((c) => c.index).sort((a, b) => a - b);
  }
  async count(fileId: string) {
    return (await this.indexes(fileId)).length;
  }
  async read(fileId: string, from: number, to: number) {
    const out: StoredChunk[] = [];
    for (let i = from; i < to; i++) {
      const c = this.chunks.get(this.key(fileId, i));
      if (c) out.push({ ...c, data: c.data.slice() });
    }
    return out;
  }
  async write(chunks: StoredChunk[]) {
    await new Promise((r) => setTimeout(r, this.writeDelayMs));
    const add = chunks.reduce((n, c) => n + c.data.byteLength, 0);
    if (this.bytes() + add > this.quota) throw storageError(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }));
    this.writes++;
    for (const c of chunks) this.chunks.set(this.key(c.fileId, c.index), { ...c, data: c.data.slice() });
  }
  async deleteFile(fileId: string) {
    for (const [k, c] of this.chunks) if (c.fileId === fileId) this.chunks.delete(k);
  }
}

export interface FakeEnd extends BulkChannel {
  /** The largest bufferedAmount this end ever reached. */
  maxBuffered: number;
  sentFrames: number;
}

/**
 * Two connected ends. Each end's sends queue up (its bufferedAmount) and drain to the other end at
 * `bytesPerTick` per macrotask, in order. `cut()` drops the link: both ends close, undelivered
 * messages are lost.
 */
export function channelPair(bytesPerTick = 256 * 1024): { a: FakeEnd; b: FakeEnd; cut: () => void } {
  let open = true;
  const make = (): FakeEnd & { queue: (string | Uint8Array)[]; buffered: number; waiters: (() => void)[]; peer?: FakeEnd & { onMessage: BulkChannel['onMessage'] } } => {
    const end = {
      queue: [] as (string | Uint8Array)[],
      buffered: 0,
      waiters: [] as (() => void)[],
      maxBuffered: 0,
      sentFrames: 0,
      onMessage: (_d: string | ArrayBuffer) => undefined as void,
      onClose: () => undefined as void,
      get bufferedAmount() {
        return end.buffered;
      },
      get open() {
        return open;
      },
      send(data: string | Uint8Array) {
        if (!open) throw new Error('channel closed');
        const size = typeof data === 'string' ? data.length : data.byteLength;
        end.queue.push(typeof data === 'string' ? data : data.slice());
        end.buffered += size;
        end.sentFrames++;
        end.maxBuffered = Math.max(end.maxBuffered, end.buffered);
        schedule();
      },
      drained() {
        return new Promise<void>((r) => (!open || end.buffered <= LOW_WATER ? r() : end.waiters.push(r)));
      },
      close() {
        cut();
      },
    };
    return end;
  };
  const a = make();
  const b = make();
  let scheduled = false;
  const schedule = () => {
    if (scheduled || !open) return;
    scheduled = true;
    setImmediate(tick);
  };
  const drain = (from: typeof a, to: typeof b) => {
    let budget = bytesPerTick;
    while (open && from.queue.length && budget > 0) {
      const m = from.queue.shift()!;
      const size = typeof m === 'string' ? m.length : m.byteLength;
      budget -= size;
      from.buffered -= size;
      if (from.buffered <= LOW_WATER) for (const w of from.waiters.splice(0)) w();
      to.onMessage(typeof m === 'string' ? m : (m.buffer as ArrayBuffer));
    }
  };
  const tick = () => {
    scheduled = false;
    drain(a, b);
    drain(b, a);
    if (a.queue.length || b.queue.length) schedule();
  };
  const cut = () => {
    if (!open) return;
    open = false;
    for (const e of [a, b]) {
      e.queue = [];
      e.buffered = 0;
      for (const w of e.waiters.splice(0)) w();
    }
    setImmediate(() => {
      a.onClose();
      b.onClose();
    });
  };
  return { a, b, cut };
}

/** Seeded bytes (deterministic across runs). */
export function seededBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const hex = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/** A file's metadata and its chunks put into `store` (as the sharing device has them). */
export async function sharedFile(store: MemoryChunkStore | null, size: number, opts: { id?: string; chunkSize?: number; seed?: number } = {}) {
  const bytes = seededBytes(size, opts.seed ?? 7);
  const chunkSize = opts.chunkSize ?? chooseChunkSize(size);
  const id = opts.id ?? 'file-0001-abcdef';
  const chunkHashes: string[] = [];
  const chunks: StoredChunk[] = [];
  for (let i = 0, at = 0; at < size; i++, at += chunkSize) {
    const data = bytes.slice(at, Math.min(size, at + chunkSize));
    chunkHashes.push(hex(data));
    chunks.push({ fileId: id, index: i, data });
  }
  if (store) await store.write(chunks);
  const meta: FileMeta = {
    id,
    name: 'test.bin',
    type: 'application/octet-stream',
    size,
    chunkSize,
    chunkHashes,
    sha256: hex(bytes),
    sharedBy: 'd' + '1'.repeat(32),
    sharedByName: 'Alice',
    sharedAt: 1_700_000_000_000,
  };
  return { meta, bytes, chunks };
}

/** The error code a promise settles with ('ok' if it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof OsmoseError ? err.code : `thrown: ${String(err)}`;
  }
}
