/**
 * Where fetched chunks go, whatever their source: checked against the file's chunk hashes, then
 * handed to the batched writer. A bad chunk is counted and refused (the download fetches it again
 * elsewhere); it never reaches storage.
 */
import { chunkLength } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { OsmoseError } from '../../protocol/errors.ts';
import type { ChunkWriter } from './chunk-writer.ts';
import type { ChunkPlan } from './chunk-plan.ts';
import { sha256Hex } from './hashing.ts';

export class ChunkSink {
  /** Chunks verified and stored through this sink. */
  fetched = 0;
  /** Chunks refused because their bytes did not match their hash. */
  bad = 0;

  constructor(
    readonly meta: FileMeta,
    private readonly writer: ChunkWriter,
    /** `bytes` are stored: they are handed over (nothing here reads them again). */
    private readonly onStored: (index: number, source: string, bytes: Uint8Array) => void,
    private readonly onBad: (index: number, source: string) => void = () => undefined,
  ) {}

  /** 'bad' for a chunk that fails its hash; rejects when storing fails (e.g. storage-full). */
  async accept(index: number, bytes: Uint8Array, source: string): Promise<'stored' | 'bad'> {
    if (bytes.byteLength !== chunkLength(this.meta, index) || (await sha256Hex(bytes)) !== this.meta.chunkHashes[index]) {
      this.bad++;
      this.onBad(index, source);
      console.warn(`[osmose] chunk ${index} of ${this.meta.id} from ${source.slice(0, 9)} failed its hash; fetching it again`);
      return 'bad';
    }
    await this.writer.add({ fileId: this.meta.id, index, data: bytes });
    this.fetched++;
    this.onStored(index, source, bytes);
    return 'stored';
  }
}

/** What one source did in a round. */
export interface SourceResult {
  stored: number[];
  /** Taken, then given back: the source did not hold them (or went away before sending them). */
  lacked: number[];
  /** Sent, but failed their hash. */
  bad: number[];
  end: 'done' | 'closed' | 'cancelled' | 'error';
  error?: OsmoseError;
}

/** A peer or the hub, as a download sees it. */
export interface ChunkSource {
  /** Stable per source (a peer id, or 'hub'). */
  readonly id: string;
  /** Takes chunks it holds from the round's plan until the round is over (with the others). */
  fetch(plan: ChunkPlan, sink: ChunkSink): Promise<SourceResult>;
  cancel(): void;
}
