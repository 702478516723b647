/**
 * One file coming to this device: from the chunks already stored (a reload or a dropped peer
 * resumes, never refetches), fetch the missing ones from every source at once (the peers that
 * have the file and the hub's copy: a swarm), each taking different chunks from one shared plan
 * (chunk-plan.ts), each chunk checked against its hash as it arrives and stored at once. A chunk
 * that fails its hash goes to another source, and again to any source in later rounds, at most
 * MAX_ATTEMPTS times. A round is over when no source can take anything more; rounds go on while
 * they make progress (peers come and go). The whole file's SHA-256 is computed in order as chunks
 * are stored (whole-file-check.ts) and checked at the end.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { chunkCount } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import { ChunkSink, type ChunkSource, type SourceResult } from './chunk-sink.ts';
import { ChunkPlan } from './chunk-plan.ts';
import type { ChunkStore } from './chunk-store.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { WholeFileCheck } from './whole-file-check.ts';
import type { HasherFactory } from './hash-worker.ts';

export const MAX_ATTEMPTS = 3;
/** Sources fetching at once (peers and the hub). */
export const SWARM = 4;

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
  private current: ChunkSource[] = [];
  private plan: ChunkPlan | null = null;
  private cancelled = false;
  /** Chunks each source stored (all rounds): where the bytes came from. */
  readonly bySource = new Map<string, number>();

  constructor(
    readonly meta: FileMeta,
    private readonly d: DownloadDeps,
  ) {
    this.total = chunkCount(meta);
  }

  cancel(): void {
    this.cancelled = true;
    for (const src of this.current) src.cancel();
    // Sources waiting for work come back at once, whatever the others are doing.
    this.plan?.stop();
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
      (i, source, bytes) => {
        this.have.add(i);
        this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
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

  /**
   * Every source once, up to SWARM of them at a time over one plan (a wave): each channel to a
   * peer is a connection of its own, so a large room is not asked all at once. The sharer
   * cancelling (it stopped sending) or a full store ends the whole download at once: the other
   * sources are stopped too.
   */
  private async round(sink: ChunkSink): Promise<DownloadEnd | null> {
    const all = this.d.sources();
    for (let at = 0; at < all.length; at += SWARM) {
      if (this.cancelled) return { state: 'cancelled', by: 'me' };
      const missing = this.missing();
      if (!missing.length) return null;
      const end = await this.wave(all.slice(at, at + SWARM), missing, sink);
      if (end) return end;
    }
    return null;
  }

  private async wave(sources: ChunkSource[], missing: number[], sink: ChunkSink): Promise<DownloadEnd | null> {
    const plan = new ChunkPlan(this.total, missing, this.attempts, MAX_ATTEMPTS);
    this.current = sources;
    this.plan = plan;
    let stop: DownloadEnd | null = null;
    const ended = (src: ChunkSource, r: SourceResult) => {
      if (r.end === 'error' && r.error?.code !== 'storage-full') console.info(`[osmose] source ${src.id.slice(0, 9)} failed:`, r.error?.code, r.error?.message);
      if (stop || this.cancelled) return;
      // Only the sharer stopping sends the file away; another peer that stops sending (it
      // cancelled its own copy) is a source leaving: the others take its chunks.
      if (r.end === 'cancelled' && src.id === this.meta.sharedBy) stop = { state: 'cancelled', by: 'sender' };
      else if (r.end === 'error' && r.error?.code === 'storage-full') stop = { state: 'error', error: r.error };
      else return;
      plan.stop();
      for (const other of sources) if (other !== src) other.cancel();
    };
    await Promise.all(sources.map((src) => src.fetch(plan, sink).then((r) => ended(src, r))));
    this.current = [];
    this.plan = null;
    if (this.cancelled) return { state: 'cancelled', by: 'me' };
    return stop;
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
