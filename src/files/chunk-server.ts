/**
 * The sending end of a bulk channel: another device asked us for one file's chunks. It learns
 * what we hold (`have`), asks for a window of chunks (`want`), and acknowledges what it stored
 * (`ack`, our per-peer progress bar). We read chunks from IndexedDB a few at a time, one batch
 * ahead, and send them as parts, pausing whenever the channel's buffer is above HIGH_WATER until
 * it drains to LOW_WATER: the file is never in memory and the channel never overflows.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { bitmapOf, fromRanges } from '../../protocol/chunk-set.ts';
import { FILE_LIMITS, chunkCount, chunkLength, encodeChunkFrame, partCount } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import { HIGH_WATER, type BulkChannel } from './channel.ts';
import type { ChunkStore, StoredChunk } from './chunk-store.ts';
import { closeSoon, decodeBulk, sendBulk, sendError, sendRanges } from './bulk-codec.ts';

/** Chunks read from IndexedDB per transaction (contiguous). */
const READ_BATCH = 8;

export type ServeEnd = 'done' | 'cancelled' | 'closed' | 'error';

export interface ServeOptions {
  channel: BulkChannel;
  /** From the channel's label: the only file this channel may ask about. */
  fileId: string;
  meta: (fileId: string) => FileMeta | null;
  store: ChunkStore;
  onProgress?: (stored: number, total: number) => void;
  onEnd?: (end: ServeEnd) => void;
}

export class ChunkServer {
  /** Chunks sent on this channel. */
  sent = 0;
  private queue: number[] = [];
  private pumping = false;
  private ended = false;
  private meta: FileMeta | null = null;
  private acked = { stored: 0, total: 0 };

  constructor(private readonly o: ServeOptions) {
    o.channel.onMessage = (data) => this.receive(data);
    // A receiver closes after its final ack: complete if that ack said so.
    o.channel.onClose = () => this.end(this.acked.total > 0 && this.acked.stored >= this.acked.total ? 'done' : 'closed');
  }

  /** We stop sending (the user cancelled on this side); the receiver closes the channel. */
  cancel(): void {
    if (this.ended) return;
    sendBulk(this.o.channel, 'cancel', { fileId: this.o.fileId });
    this.end('cancelled');
    closeSoon(this.o.channel);
  }

  private receive(data: string | ArrayBuffer): void {
    if (this.ended) return;
    if (typeof data !== 'string') return this.fail(new OsmoseError('bad-request', 'a sender expects no binary frames'));
    const m = decodeBulk(data);
    if (!m.ok) return this.fail(m.error);
    const msg = m.value;
    if ('fileId' in msg && msg.fileId !== this.o.fileId) return this.fail(new OsmoseError('bad-request', 'file id does not match the channel'));
    switch (msg.t) {
      case 'hello':
        return void this.hello();
      case 'want':
        if (!this.meta) return this.fail(new OsmoseError('bad-request', 'want before hello'));
        this.queue.push(...fromRanges(msg.ranges).filter((i) => i < chunkCount(this.meta!)));
        return void this.pump();
      case 'ack':
        this.acked = { stored: msg.stored, total: msg.total };
        this.o.onProgress?.(msg.stored, msg.total);
        // The receiver has the whole file: this channel's work is over.
        if (msg.total > 0 && msg.stored >= msg.total && !this.queue.length) {
          this.end('done');
          this.o.channel.close();
        }
        return;
      case 'cancel':
        this.end('cancelled');
        return this.o.channel.close();
      case 'error':
        console.info('[osmose] file receiver reported', msg.error.code);
        this.end('error');
        return this.o.channel.close();
      default:
        return this.fail(new OsmoseError('bad-request', `a sender does not expect "${msg.t}"`));
    }
  }

  private async hello(): Promise<void> {
    const meta = this.o.meta(this.o.fileId);
    if (!meta) return this.fail(new OsmoseError('not-found', 'this device does not know that file'));
    this.meta = meta;
    const have = await this.o.store.indexes(meta.id);
    sendBulk(this.o.channel, 'have', { fileId: meta.id, chunks: chunkCount(meta), bitmap: bitmapOf(have, chunkCount(meta)) });
  }

  /** Next contiguous run of queued indexes, read in one transaction. */
  private readBatch(): Promise<{ wanted: number[]; chunks: StoredChunk[] }> | null {
    if (!this.queue.length) return null;
    const wanted = [this.queue.shift()!];
    while (wanted.length < READ_BATCH && this.queue[0] === wanted.at(-1)! + 1) wanted.push(this.queue.shift()!);
    return this.o.store.read(this.o.fileId, wanted[0]!, wanted.at(-1)! + 1).then((chunks) => ({ wanted, chunks }));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let next = this.readBatch();
      while (next && !this.ended) {
        const { wanted, chunks } = await next;
        next = this.readBatch(); // the next read overlaps with sending this batch
        const byIndex = new Map(chunks.map((c) => [c.index, c]));
        const missing: number[] = [];
        for (const i of wanted) {
          const c = byIndex.get(i);
          if (!c || c.data.byteLength !== chunkLength(this.meta!, i)) missing.push(i);
          else await this.sendChunk(c);
          if (this.ended) return;
        }
        if (missing.length) sendRanges(this.o.channel, 'missing', this.o.fileId, missing);
        next ??= this.readBatch();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }

  private async sendChunk(c: StoredChunk): Promise<void> {
    const ch = this.o.channel;
    const parts = partCount(c.data.byteLength);
    for (let p = 0; p < parts; p++) {
      if (ch.bufferedAmount > HIGH_WATER) await ch.drained();
      if (this.ended || !ch.open) return;
      const payload = c.data.subarray(p * FILE_LIMITS.partBytes, (p + 1) * FILE_LIMITS.partBytes);
      ch.send(encodeChunkFrame({ fileId: c.fileId, index: c.index, part: p, parts, payload }));
    }
    this.sent++;
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    const wire = err instanceof OsmoseError ? err.toWire() : { code: 'internal' as const, message: 'sender failed' };
    if (!(err instanceof OsmoseError)) console.error('[osmose] chunk server failed', err);
    this.end('error');
    sendError(this.o.channel, wire);
  }

  private end(end: ServeEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.o.onEnd?.(end);
  }
}
