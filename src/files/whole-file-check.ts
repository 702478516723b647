/**
 * The whole-file SHA-256 of a download, computed while it runs rather than after: a cursor walks
 * the file in order, hashing each chunk as soon as it and all before it are stored, from the bytes
 * still in hand when they arrive in order, or read back from storage when they came earlier (a
 * resumed download, chunks from several sources). Chunks that arrive ahead of the cursor are kept
 * only up to AHEAD_BYTES; beyond that they are read back later. If the hasher fails, the check is
 * done at the end by reading the whole file back.
 */
import { chunkCount } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { ChunkStore } from './chunk-store.ts';
import type { AsyncFileHasher } from './hash-worker.ts';
import { storedSha256 } from './assemble.ts';

const AHEAD_BYTES = 8 * 1024 * 1024;
const READ_BATCH = 8;

export class WholeFileCheck {
  private next = 0;
  private readonly ahead = new Map<number, Uint8Array>();
  private aheadBytes = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private failed = false;
  private readonly total: number;

  constructor(
    private readonly meta: FileMeta,
    private readonly store: ChunkStore,
    private readonly isStored: (index: number) => boolean,
    private readonly hasher: AsyncFileHasher,
  ) {
    this.total = chunkCount(meta);
  }

  /** Chunk `index` is now stored; `bytes` are its bytes, if still at hand. */
  stored(index: number, bytes?: Uint8Array): void {
    if (this.failed || index < this.next) return;
    if (bytes && this.aheadBytes + bytes.byteLength <= AHEAD_BYTES) {
      this.ahead.set(index, bytes);
      this.aheadBytes += bytes.byteLength;
    }
    this.kick();
  }

  /** Starts hashing whatever is already stored (a resumed download). */
  start(): void {
    this.kick();
  }

  /** The whole file's SHA-256 (hex) once every chunk is stored; null if one is missing. */
  async finish(): Promise<string | null> {
    this.kick();
    while (this.running) await this.running;
    if (!this.failed && this.next === this.total) {
      try {
        return await this.hasher.digest();
      } catch (err) {
        console.warn('[osmose] whole-file hash failed; reading the file back', err);
      }
    }
    return storedSha256(this.store, this.meta);
  }

  private kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.walk().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async walk(): Promise<void> {
    try {
      while (this.next < this.total && !this.failed) {
        const i = this.next;
        const bytes = this.ahead.get(i);
        if (bytes) {
          this.ahead.delete(i);
          this.aheadBytes -= bytes.byteLength;
          // Stored already, and nothing else reads these bytes: the hasher may take them.
          await this.hasher.update(bytes, true);
          this.next++;
          continue;
        }
        if (!this.isStored(i)) return;
        let end = i + 1;
        while (end < this.total && end - i < READ_BATCH && this.isStored(end) && !this.ahead.has(end)) end++;
        const chunks = await this.store.read(this.meta.id, i, end);
        if (chunks.length !== end - i) return; // not committed yet: a later `stored` resumes
        for (const c of chunks) {
          await this.hasher.update(c.data, true);
          this.next++;
        }
      }
    } catch (err) {
      console.warn('[osmose] whole-file hash failed; the file will be read back at the end', err);
      this.failed = true;
    }
  }
}
