/**
 * The receiving end of a bulk channel: fetch chunks of one file from one peer, taking them from
 * the round's plan (chunk-plan.ts) as the other sources do. The receiver paces the sender: it asks
 * (`want`) for at most a window of chunks that are not yet committed to storage, and asks for more
 * as they commit. So however slow IndexedDB is, at most a window of bytes waits in memory. Parts
 * are copied into one buffer per chunk as they arrive. When the plan has nothing more for this
 * peer, the channel stays open until the round is over, so the final `ack` tells the sender how
 * the whole download ended (its progress bar), whichever sources delivered the rest.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { FILE_LIMITS, chunkCount, chunkLength, decodeChunkFrame, partCount, type ChunkFrame } from '../../protocol/files.ts';
import { fromRanges, indexesOf } from '../../protocol/chunk-set.ts';
import type { BulkChannel } from './channel.ts';
import type { ChunkSink, ChunkSource, SourceResult } from './chunk-sink.ts';
import type { ChunkPlan, Fetcher } from './chunk-plan.ts';
import { closeSoon, decodeBulk, sendBulk, sendError, sendRanges } from './bulk-codec.ts';

export const WINDOW_BYTES = 8 * 1024 * 1024;
/** No message for this long while chunks are outstanding: the peer is gone. */
export const STALL_MS = 15_000;
/** Acknowledge (sender's progress bar) every this many stored chunks. */
const ACK_EVERY = 4;

interface Assembly {
  buf: Uint8Array;
  got: Uint8Array;
  left: number;
}

export interface PeerFetchOptions {
  windowBytes?: number;
  stallMs?: number;
  /** Chunks of this file stored on this device (all sources), for acks. */
  storedCount: () => number;
}

export class PeerFetch {
  private fetcher: Fetcher | null = null;
  /** Chunks this peer holds (from its `have`); null until it said. */
  private held: Set<number> | null = null;
  private readonly inflight = new Set<number>();
  private readonly assemblies = new Map<number, Assembly>();
  private readonly working = new Set<Promise<unknown>>();
  private readonly result: SourceResult = { stored: [], lacked: [], bad: [], end: 'done' };
  private window = 1;
  private sinceAck = 0;
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  private waiting = false;
  private finished = false;
  private cancelledByMe = false;
  private resolve: (r: SourceResult) => void = () => undefined;

  constructor(
    private readonly ch: BulkChannel,
    private readonly peerId: string,
    private readonly sink: ChunkSink,
    private readonly o: PeerFetchOptions,
  ) {}

  run(plan: ChunkPlan): Promise<SourceResult> {
    const meta = this.sink.meta;
    this.window = Math.max(2, Math.floor((this.o.windowBytes ?? WINDOW_BYTES) / meta.chunkSize));
    this.fetcher = plan.fetcher(this.peerId);
    this.ch.onMessage = (d) => this.receive(d);
    this.ch.onClose = () => void this.finish('closed');
    return new Promise<SourceResult>((resolve) => {
      this.resolve = resolve;
      this.armStall();
      sendBulk(this.ch, 'hello', { fileId: meta.id });
    });
  }

  cancel(): void {
    if (this.finished) return;
    this.cancelledByMe = true;
    sendBulk(this.ch, 'cancel', { fileId: this.sink.meta.id });
    void this.finish('cancelled');
  }

  private receive(data: string | ArrayBuffer): void {
    if (this.finished) return;
    this.armStall();
    if (typeof data !== 'string') {
      const f = decodeChunkFrame(data);
      if (!f.ok) return this.fail(f.error);
      return this.frame(f.value);
    }
    const m = decodeBulk(data);
    if (!m.ok) return this.fail(m.error);
    const msg = m.value;
    if ('fileId' in msg && msg.fileId !== this.sink.meta.id) return this.fail(new OsmoseError('bad-request', 'file id does not match'));
    switch (msg.t) {
      case 'have': {
        const held = msg.chunks === chunkCount(this.sink.meta) ? indexesOf(msg.bitmap, msg.chunks) : null;
        if (!held) return this.fail(new OsmoseError('bad-request', 'have: bitmap does not fit the file'));
        this.held = new Set(held);
        // Nothing to give us (it has not fetched any yet): free the channel at once.
        if (!held.length) return void this.finish('done');
        return this.askMore();
      }
      case 'missing':
        for (const i of fromRanges(msg.ranges)) {
          if (this.inflight.delete(i)) {
            this.assemblies.delete(i);
            this.held?.delete(i);
            this.fetcher!.lacks(i);
            this.result.lacked.push(i);
          }
        }
        return this.askMore();
      case 'cancel':
        return void this.finish('cancelled');
      case 'error':
        return void this.finish('error', new OsmoseError(msg.error.code, msg.error.message));
      default:
        return this.fail(new OsmoseError('bad-request', `a receiver does not expect "${msg.t}"`));
    }
  }

  private frame(f: ChunkFrame): void {
    const meta = this.sink.meta;
    if (f.fileId !== meta.id) return this.fail(new OsmoseError('bad-request', 'chunk of another file'));
    // Not asked for (or already complete): a sender bug or a late duplicate; drop it.
    if (!this.inflight.has(f.index)) return;
    const len = chunkLength(meta, f.index);
    const parts = partCount(len);
    const partLen = f.part === parts - 1 ? len - f.part * FILE_LIMITS.partBytes : FILE_LIMITS.partBytes;
    if (f.parts !== parts || f.payload.byteLength !== partLen) return this.fail(new OsmoseError('bad-request', `chunk ${f.index}: parts do not fit its size`));
    let a = this.assemblies.get(f.index);
    if (!a) this.assemblies.set(f.index, (a = { buf: new Uint8Array(len), got: new Uint8Array(parts), left: parts }));
    if (a.got[f.part]) return;
    a.got[f.part] = 1;
    a.buf.set(f.payload, f.part * FILE_LIMITS.partBytes);
    if (--a.left > 0) return;
    this.assemblies.delete(f.index);
    const job = this.sink.accept(f.index, a.buf, this.peerId).then(
      (r) => {
        this.inflight.delete(f.index);
        if (r === 'stored') {
          this.fetcher!.stored(f.index);
          this.result.stored.push(f.index);
          if (++this.sinceAck >= ACK_EVERY) this.ack();
        } else {
          this.fetcher!.damaged(f.index);
          this.result.bad.push(f.index);
        }
        this.askMore();
      },
      (err: unknown) => void this.finish('error', err instanceof OsmoseError ? err : new OsmoseError('internal', String(err))),
    );
    this.working.add(job);
    void job.finally(() => this.working.delete(job));
  }

  /** Keeps the window full; small top-ups wait until half the window is free. */
  private askMore(): void {
    if (this.finished || !this.held || this.waiting) return;
    const free = this.window - this.inflight.size;
    if (free >= this.window / 2 || this.inflight.size === 0) {
      const held = this.held;
      const next = this.fetcher!.take(free, (i) => held.has(i));
      for (const i of next) this.inflight.add(i);
      if (next.length) sendRanges(this.ch, 'want', this.sink.meta.id, next);
    }
    if (!this.inflight.size) void this.idle();
  }

  /** Nothing asked for and nothing to take: wait for chunks to come back, or the round's end. */
  private async idle(): Promise<void> {
    this.waiting = true;
    // Nothing is outstanding: silence from the sender is expected now.
    if (this.stallTimer) clearTimeout(this.stallTimer);
    const more = await this.fetcher!.idle();
    this.waiting = false;
    if (this.finished) return;
    if (!more) return void this.finish('done');
    this.armStall();
    this.askMore();
  }

  private ack(): void {
    this.sinceAck = 0;
    sendBulk(this.ch, 'ack', { fileId: this.sink.meta.id, stored: this.o.storedCount(), total: chunkCount(this.sink.meta) });
  }

  private armStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    if (this.waiting) return;
    this.stallTimer = setTimeout(() => void this.finish('closed'), this.o.stallMs ?? STALL_MS);
  }

  private fail(err: OsmoseError): void {
    if (this.finished) return;
    sendError(this.ch, err.toWire());
    void this.finish('error', err);
  }

  private async finish(end: SourceResult['end'], error?: OsmoseError): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    // Chunks being checked or written finish first, so the result counts them.
    await Promise.allSettled([...this.working]);
    // Whatever was asked for and never came back goes back to the plan for the other sources.
    this.result.lacked.push(...this.inflight);
    this.inflight.clear();
    this.fetcher?.leave();
    this.result.end = end;
    if (error) this.result.error = error;
    if (end === 'done') this.ack();
    // We close at once when the other side asked us to stop; otherwise our last message
    // (cancel, final ack, error) must get out first.
    if (end === 'cancelled' && !this.cancelledByMe) this.ch.close();
    else if (end !== 'closed') closeSoon(this.ch);
    this.resolve(this.result);
  }
}

/** A peer as a source: one bulk channel per fetch. */
export class PeerSource implements ChunkSource {
  private current: PeerFetch | null = null;
  private cancelled = false;

  constructor(
    readonly id: string,
    private readonly open: () => Promise<BulkChannel | null>,
    private readonly opts: PeerFetchOptions,
  ) {}

  async fetch(plan: ChunkPlan, sink: ChunkSink): Promise<SourceResult> {
    const ch = await this.open().catch(() => null);
    if (!ch || this.cancelled) {
      ch?.close();
      return { stored: [], lacked: [], bad: [], end: this.cancelled ? 'cancelled' : 'closed' };
    }
    this.current = new PeerFetch(ch, this.id, sink, this.opts);
    try {
      return await this.current.run(plan);
    } finally {
      this.current = null;
    }
  }

  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
  }
}
