/**
 * The hub as a source of chunks (HTTP GET, a few in flight, taking chunks from the round's plan
 * beside the peers) and as a destination (the hub copy that lets a late joiner get the file after
 * every device has left).
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { chunkCount, chunkLength } from '../../protocol/files.ts';
import { indexesOf } from '../../protocol/chunk-set.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { ChunkSink, ChunkSource, SourceResult } from './chunk-sink.ts';
import type { ChunkPlan } from './chunk-plan.ts';
import type { ChunkStore } from './chunk-store.ts';
import type { HubFiles } from './hub-files.ts';

/** Requests in flight to the hub, per transfer. */
const PARALLEL = 4;

export class HubSource implements ChunkSource {
  readonly id = 'hub';
  private abort = new AbortController();

  constructor(private readonly hub: HubFiles) {}

  async fetch(plan: ChunkPlan, sink: ChunkSink): Promise<SourceResult> {
    const r: SourceResult = { stored: [], lacked: [], bad: [], end: 'done' };
    let held: Set<number>;
    try {
      const status = await this.untilCancelled(this.hub.status(sink.meta.id, this.abort.signal));
      held = new Set(status && status.chunks === chunkCount(sink.meta) ? (indexesOf(status.bitmap, status.chunks) ?? []) : []);
    } catch (err) {
      return { ...r, ...ended(err) };
    }
    if (!held.size) return r;
    let stopped = false;
    const worker = async () => {
      const f = plan.fetcher(this.id);
      try {
        while (!stopped) {
          const [i] = f.take(1, (x) => held.has(x));
          if (i === undefined) {
            if (!(await f.idle())) break;
            continue;
          }
          try {
            const bytes = await this.untilCancelled(this.hub.getChunk(sink.meta.id, i, this.abort.signal));
            if (!bytes) {
              held.delete(i);
              f.lacks(i);
              r.lacked.push(i);
            } else if ((await sink.accept(i, bytes, 'hub')) === 'stored') {
              f.stored(i);
              r.stored.push(i);
            } else {
              f.damaged(i);
              r.bad.push(i);
            }
          } catch (err) {
            stopped = true;
            if (r.end === 'done') Object.assign(r, ended(err));
          }
        }
      } finally {
        // What this worker still held goes back to the other sources.
        r.lacked.push(...f.outstanding);
        f.leave();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return r;
  }

  cancel(): void {
    this.abort.abort();
  }

  /**
   * A request ends at once on cancel, even where it waits on something the signal does not reach
   * (the room credential's proof): a cancelled download must not wait on a hub that is slow to answer.
   */
  private untilCancelled<T>(p: Promise<T>): Promise<T> {
    const signal = this.abort.signal;
    const cancelled = () => new OsmoseError('cancelled', 'cancelled');
    if (signal.aborted) return Promise.reject(cancelled());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(cancelled());
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
        (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
      );
    });
  }
}

function ended(err: unknown): Pick<SourceResult, 'end' | 'error'> {
  if (err instanceof OsmoseError && err.code === 'cancelled') return { end: 'cancelled' };
  if (err instanceof OsmoseError && err.code === 'hub-unreachable') return { end: 'closed' };
  return { end: 'error', error: err instanceof OsmoseError ? err : new OsmoseError('internal', String(err)) };
}

export interface UploadProgress {
  stored: number;
  total: number;
}

/**
 * Puts the file on the hub: the manifest, then every chunk the hub lacks, read from this device's
 * store a few at a time. Resumable: it starts from the hub's own account of what it has.
 */
export async function uploadToHub(
  hub: HubFiles,
  store: ChunkStore,
  meta: FileMeta,
  onProgress: (p: UploadProgress) => void,
  signal: AbortSignal,
  /** Resolves when uploading may go on (it yields to transfers to peers in the room). */
  ready: () => Promise<void> = async () => undefined,
): Promise<void> {
  const status = await hub.putManifest(meta, signal);
  const total = chunkCount(meta);
  const held = new Set(indexesOf(status.bitmap, status.chunks) ?? []);
  let stored = held.size;
  onProgress({ stored, total });
  const todo = [...Array(total).keys()].filter((i) => !held.has(i));
  let failure: unknown = null;
  const worker = async () => {
    for (let i = todo.shift(); i !== undefined && !failure; i = todo.shift()) {
      await ready();
      if (signal.aborted) throw new OsmoseError('cancelled', 'upload cancelled');
      const [chunk] = await store.read(meta.id, i, i + 1);
      // We do not hold it (a partial copy): someone else uploads it.
      if (!chunk || chunk.data.byteLength !== chunkLength(meta, i)) continue;
      try {
        await hub.putChunk(meta.id, i, chunk.data, signal);
        onProgress({ stored: ++stored, total });
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  if (failure) throw failure;
}
