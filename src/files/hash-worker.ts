/**
 * The whole-file hash as the app uses it: fed in order, asynchronously, computed in the hash
 * worker (workers/file-hash.worker.ts, through the one worker client) where there is one: another
 * core does the ~80 MB/s JS hashing while this thread moves bytes. Feeding waits while more than
 * MAX_QUEUED bytes are waiting in the worker, so memory stays bounded. A running hash lives in
 * one worker: if that worker crashes or is replaced, the hash fails (`worker-crashed`) and the
 * caller checks the file by reading it back (whole-file-check.ts).
 */
import { FILE_HASH_MAX_UPDATE, FileHashResponse, type FileHashRequest } from '../../protocol/workers.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { WorkerClient, type WorkerLike } from '../platform/worker-client.ts';
import { fileHasher } from './hashing.ts';

export interface AsyncFileHasher {
  /**
   * Feeds the next bytes. `owned`: the caller gives the bytes away (it will not read them again),
   * so a worker hasher may transfer their buffer instead of copying it.
   */
  update(bytes: Uint8Array, owned?: boolean): Promise<void>;
  digest(): Promise<string>;
}

/** Makes a new running hash (one per file being checked). */
export type HasherFactory = () => AsyncFileHasher;

const MAX_QUEUED = 8 * 1024 * 1024;
/** A 1 MiB update takes ~13 ms at 80 MB/s; a busy phone may queue several. */
const UPDATE_TIMEOUT_MS = 30_000;

/** Hashing on this thread (no worker: unit tests, or a browser that cannot start one). */
export function mainThreadHasher(): AsyncFileHasher {
  const h = fileHasher();
  return { update: async (b) => h.update(b), digest: async () => h.hex() };
}

/** Running hashes in a worker started by `create` (on first use). */
export function workerHashers(create: () => WorkerLike): HasherFactory {
  const client = new WorkerClient<FileHashRequest, FileHashResponse>({ name: 'the file hash worker', create, answers: FileHashResponse });
  let nextHash = 1;
  return () => {
    const hash = nextHash++;
    let worker: WorkerLike | null = null;
    let queued = 0;
    let failed: OsmoseError | null = null;
    let settled: Promise<void> = Promise.resolve();
    const inFlight = new Set<Promise<unknown>>();
    const send = (piece: Uint8Array) => {
      // A running hash cannot move to another worker: if ours went, this hash is over.
      if (worker && client.running !== worker) throw (failed ??= new OsmoseError('worker-crashed', 'the file hash worker restarted'));
      worker ??= client.start();
      queued += piece.byteLength;
      const p = client
        .request({ t: 'hash-update', hash, data: piece.buffer as ArrayBuffer }, 'hash-fed', UPDATE_TIMEOUT_MS, [piece.buffer])
        .then(
          (a) => void (queued -= a.bytes),
          (err: unknown) => void (failed ??= err instanceof OsmoseError ? err : new OsmoseError('internal', String(err))),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      settled = p;
    };
    return {
      async update(bytes, owned = false) {
        // Bytes given away that are a whole buffer travel as they are; anything else as a copy.
        const whole = owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength <= FILE_HASH_MAX_UPDATE;
        for (let at = 0; at < bytes.byteLength; at += FILE_HASH_MAX_UPDATE) {
          while (queued > MAX_QUEUED && !failed) await Promise.race(inFlight);
          if (failed) throw failed;
          send(whole ? bytes : bytes.slice(at, at + FILE_HASH_MAX_UPDATE));
        }
      },
      async digest() {
        await Promise.all(inFlight);
        await settled;
        if (failed) throw failed;
        if (worker && client.running !== worker) throw new OsmoseError('worker-crashed', 'the file hash worker restarted');
        return (await client.request({ t: 'hash-digest', hash }, 'hash-done', UPDATE_TIMEOUT_MS)).hex;
      },
    };
  };
}
