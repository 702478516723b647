/**
 * The whole-file hash as the app uses it: fed in order, asynchronously, computed in a worker
 * where there is one (another core does the ~80 MB/s JS hashing while this thread moves bytes),
 * in this thread otherwise (unit tests, a browser that cannot start the worker). Feeding waits
 * while more than MAX_QUEUED bytes are waiting in the worker, so memory stays bounded.
 */
import { FILE_HASH_MAX_UPDATE, FileHashResponse, type FileHashRequest } from '../../protocol/workers.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { fileHasher } from './hashing.ts';

export interface AsyncFileHasher {
  update(bytes: Uint8Array): Promise<void>;
  digest(): Promise<string>;
}

const MAX_QUEUED = 8 * 1024 * 1024;

let shared: Worker | null | undefined;
let nextId = 1;
const listeners = new Map<number, (m: FileHashResponse) => void>();

function worker(): Worker | null {
  if (shared !== undefined) return shared;
  try {
    shared = typeof Worker === 'undefined' ? null : new Worker(new URL('../../workers/file-hash.worker.ts', import.meta.url), { type: 'module' });
  } catch (err) {
    console.warn('[osmose] file hash worker unavailable; hashing on the main thread', err);
    shared = null;
  }
  if (shared) {
    shared.onmessage = (ev: MessageEvent<unknown>) => {
      const m = FileHashResponse.safeParse(ev.data);
      if (m.success) listeners.get(m.data.id)?.(m.data);
    };
    shared.onerror = (ev) => {
      // Every running hash fails; callers fall back to hashing what is stored.
      console.error('[osmose] file hash worker failed', ev.message);
      for (const l of [...listeners.values()]) l({ t: 'error', id: -1, error: { code: 'internal', message: 'hash worker failed' } });
      shared = null;
    };
  }
  return shared;
}

export function asyncFileHasher(): AsyncFileHasher {
  const w = worker();
  if (!w) {
    const h = fileHasher();
    return { update: async (b) => h.update(b), digest: async () => h.hex() };
  }
  const id = nextId++;
  let queued = 0;
  let failed: OsmoseError | null = null;
  let wake: (() => void) | null = null;
  let done: ((hex: string) => void) | null = null;
  const post = (m: FileHashRequest, transfer: Transferable[] = []) => w.postMessage(m, transfer);
  listeners.set(id, (m) => {
    if (m.t === 'hash-fed') queued -= m.bytes;
    else if (m.t === 'hash-done') done?.(m.hex);
    else failed = new OsmoseError('internal', m.error.message);
    wake?.();
  });
  const settle = () => new Promise<void>((r) => (wake = r));
  return {
    async update(bytes) {
      for (let at = 0; at < bytes.byteLength; at += FILE_HASH_MAX_UPDATE) {
        while (queued > MAX_QUEUED && !failed) await settle();
        if (failed) throw failed;
        // A copy travels (and is transferred): the caller keeps its bytes.
        const piece = bytes.slice(at, at + FILE_HASH_MAX_UPDATE);
        queued += piece.byteLength;
        post({ t: 'hash-update', id, data: piece.buffer }, [piece.buffer]);
      }
    },
    async digest() {
      if (failed) throw failed;
      const hex = new Promise<string>((resolve, reject) => {
        done = resolve;
        wake = () => failed && reject(failed);
      });
      post({ t: 'hash-digest', id });
      try {
        return await hex;
      } finally {
        listeners.delete(id);
      }
    },
  };
}
