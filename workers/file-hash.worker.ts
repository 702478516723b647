/// <reference lib="webworker" />
/**
 * Whole-file SHA-256 off the main thread (@noble, incremental: ~80 MB/s in JS, and a file is
 * never whole in memory, so `crypto.subtle.digest` cannot do it). One running hash per id.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FileHashRequest, type FileHashResponse } from '../protocol/workers.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const running = new Map<number, ReturnType<typeof sha256.create>>();

scope.onmessage = (ev: MessageEvent<unknown>) => {
  const req = FileHashRequest.safeParse(ev.data);
  if (!req.success) {
    const id = typeof (ev.data as { id?: unknown })?.id === 'number' ? (ev.data as { id: number }).id : -1;
    scope.postMessage({ t: 'error', id, error: { code: 'bad-request', message: 'not a hash request' } } satisfies FileHashResponse);
    return;
  }
  const m = req.data;
  if (m.t === 'hash-update') {
    let h = running.get(m.id);
    if (!h) running.set(m.id, (h = sha256.create()));
    h.update(new Uint8Array(m.data));
    scope.postMessage({ t: 'hash-fed', id: m.id, bytes: m.data.byteLength } satisfies FileHashResponse);
  } else {
    const h = running.get(m.id) ?? sha256.create();
    running.delete(m.id);
    scope.postMessage({ t: 'hash-done', id: m.id, hex: bytesToHex(h.digest()) } satisfies FileHashResponse);
  }
};
