/**
 * Group commit for chunks: the first chunk is written at once; chunks that arrive while a
 * transaction is in flight go together in the next one. IndexedDB is thus used in batches exactly
 * when it is the bottleneck, and no chunk waits for a timer. After a failure (a full quota) every
 * pending and later chunk is refused with the same error; what was committed stays.
 */
import type { ChunkStore, StoredChunk } from './chunk-store.ts';

interface Pending {
  chunk: StoredChunk;
  done: () => void;
  fail: (err: unknown) => void;
}

/** One transaction holds at most this many bytes (large transactions stall other readers). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

export class ChunkWriter {
  private queue: Pending[] = [];
  private flying = false;
  private failed: unknown = null;
  /** Bytes accepted and not yet committed: callers stop reading ahead above their own bound. */
  pendingBytes = 0;
  /** Transactions committed (a measure of batching). */
  commits = 0;

  constructor(private readonly store: ChunkStore) {}

  /** Resolves once the chunk is committed. `chunk.data` must own its buffer (it is cloned whole). */
  add(chunk: StoredChunk): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<void>((done, fail) => {
      this.queue.push({ chunk, done, fail });
      this.pendingBytes += chunk.data.byteLength;
      if (!this.flying) void this.pump();
    });
  }

  /** Resolves when everything accepted so far is committed (or rejects with the failure). */
  async flush(): Promise<void> {
    while (this.flying || this.queue.length) {
      if (this.failed) throw this.failed;
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.failed) throw this.failed;
  }

  private async pump(): Promise<void> {
    this.flying = true;
    while (this.queue.length && !this.failed) {
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.chunk.data.byteLength <= MAX_BATCH_BYTES)) bytes += this.queue[n++]!.chunk.data.byteLength;
      const batch = this.queue.splice(0, n);
      try {
        await this.store.write(batch.map((p) => p.chunk));
        this.commits++;
        this.pendingBytes -= bytes;
        for (const p of batch) p.done();
      } catch (err) {
        this.failed = err;
        for (const p of [...batch, ...this.queue.splice(0)]) p.fail(err);
        this.pendingBytes = 0;
      }
    }
    this.flying = false;
  }
}
