/**
 * One file coming to this device: from the chunks already stored (a reload or a dropped peer
 * resumes, never refetches), fetch the missing ones from each source in turn (peers first, the
 * hub last), each chunk checked against its hash as it arrives and stored at once. A chunk that
 * fails its hash is asked from the next source, and again from any source in later rounds, at most
 * MAX_ATTEMPTS times. The whole file's SHA-256 is computed in order as chunks are stored
 * (whole-file-check.ts) and checked at the end.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { chunkCount } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import { ChunkSink, type ChunkSource } from './chunk-sink.ts';
import type { ChunkStore } from './chunk-store.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { WholeFileCheck } from './whole-file-check.ts';
import type { HasherFactory } from './hash-worker.ts';

export const MAX_ATTEMPTS = 3;

export type DownloadEnd =
  | { state: 'complete' }
  | { state: 'cancelled'; by: 'me' | 'sender' }
  /** No source holds the missing chunks right now; try again when a peer or the hub does. */
  | { state: 'waiting' }
  | { state: 'error'; error: OsmoseError };

export interface DownloadDeps {
  store: ChunkStore;
  /** The sources to try now, in order (asked again each round: peers come and go). */
  sources: () => ChunkSource[];
  onProgress?: (d: Download) => void;
  /** A running hash for the whole-file check (in a worker in the app). */
  hasher: HasherFactory;
}

export class Download {
  readonly total: number;
  /** Chunks stored on this device. */
  stored = 0;
  /** Chunks already stored when this download (re)started. */
  startedWith = 0;
  /** Chunks fetched and stored by this download, and refused for a bad hash. */
  fetched = 0;
  bad = 0;
  /** Milliseconds spent fetching chunks, and reading the whole file back to check it. */
  readonly ms = { fetch: 0, verify: 0 };
  private readonly have = new Set<number>();
  private readonly attempts = new Map<number, number>();
  private current: ChunkSource | null = null;
  private cancelled = false;

  constructor(
    readonly meta: FileMeta,
    private readonly d: DownloadDeps,
  ) {
    this.total = chunkCount(meta);
  }

  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
  }

  async run(): Promise<DownloadEnd> {
    const t0 = performance.now();
    for (const i of await this.d.store.indexes(this.meta.id)) if (i < this.total) this.have.add(i);
    this.stored = this.startedWith = this.have.size;
    this.d.onProgress?.(this);
    const writer = new ChunkWriter(this.d.store);
    // The whole-file hash runs alongside the fetch (in a worker), not after it.
    const check = new WholeFileCheck(this.meta, this.d.store, (i) => this.have.has(i), this.d.hasher());
    check.start();
    const sink = new ChunkSink(
      this.meta,
      writer,
      (i, _source, bytes) => {
        this.have.add(i);
        check.stored(i, bytes);
        this.stored = this.have.size;
        this.fetched++;
        this.d.onProgress?.(this);
      },
      () => {
        this.bad++;
        this.d.onProgress?.(this);
      },
    );
    for (;;) {
      if (this.cancelled) return { state: 'cancelled', by: 'me' };
      const missing = this.missing();
      if (!missing.length) break;
      const usable = missing.filter((i) => (this.attempts.get(i) ?? 0) < MAX_ATTEMPTS);
      if (!usable.length) return { state: 'error', error: new OsmoseError('hash-mismatch', `no good copy of ${missing.length} chunk(s) was found`) };
      const badBefore = sink.bad;
      const end = await this.round(sink);
      if (end) return end;
      // Nothing stored and nothing even sent (bad copies count: they use up attempts, so this
      // ends): no source has what is missing. Wait for a new one.
      if (this.missing().length === missing.length && sink.bad === badBefore) return { state: 'waiting' };
    }
    try {
      await writer.flush();
    } catch (err) {
      return { state: 'error', error: asOsmose(err) };
    }
    if (this.cancelled) return { state: 'cancelled', by: 'me' };
    const t1 = performance.now();
    this.ms.fetch = t1 - t0;
    const sha = await check.finish();
    this.ms.verify = performance.now() - t1;
    if (sha !== this.meta.sha256) {
      // Every chunk matched its own hash, so the metadata contradicts itself: no source can fix it.
      await this.d.store.deleteFile(this.meta.id);
      return { state: 'error', error: new OsmoseError('hash-mismatch', 'the file does not match its SHA-256') };
    }
    return { state: 'complete' };
  }

  /** Each source once; a chunk that was bad from one source is not asked again in the same round. */
  private async round(sink: ChunkSink): Promise<DownloadEnd | null> {
    const badThisRound = new Map<number, Set<string>>();
    for (const src of this.d.sources()) {
      if (this.cancelled) return { state: 'cancelled', by: 'me' };
      const want = this.missing().filter((i) => (this.attempts.get(i) ?? 0) < MAX_ATTEMPTS && !badThisRound.get(i)?.has(src.id));
      if (!want.length) continue;
      this.current = src;
      const r = await src.fetch(want, sink);
      this.current = null;
      for (const i of r.bad) {
        this.attempts.set(i, (this.attempts.get(i) ?? 0) + 1);
        badThisRound.set(i, (badThisRound.get(i) ?? new Set()).add(src.id));
      }
      if (this.cancelled) return { state: 'cancelled', by: 'me' };
      if (r.end === 'cancelled') return { state: 'cancelled', by: 'sender' };
      if (r.end === 'error' && r.error?.code === 'storage-full') return { state: 'error', error: r.error };
      if (r.end === 'error') console.info(`[osmose] source ${src.id.slice(0, 9)} failed:`, r.error?.code, r.error?.message);
      if (!this.missing().length) return null;
    }
    return null;
  }

  private missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.total; i++) if (!this.have.has(i)) out.push(i);
    return out;
  }
}

function asOsmose(err: unknown): OsmoseError {
  return err instanceof OsmoseError ? err : new OsmoseError('internal', String(err));
}
