/**
 * The whole-file SHA-256 (@noble, incremental: ~80 MB/s in JS, and a file is never whole in
 * memory, so `crypto.subtle.digest` cannot do it): one running hash per `hash` id, fed in order.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { FileHashRequest, FileHashResponse } from '../../protocol/workers.ts';

export class RunningHashes {
  private readonly running = new Map<number, ReturnType<typeof sha256.create>>();

  handle(req: FileHashRequest): FileHashResponse {
    const v = PROTOCOL_VERSION;
    if (req.t === 'hash-update') {
      let h = this.running.get(req.hash);
      if (!h) this.running.set(req.hash, (h = sha256.create()));
      h.update(new Uint8Array(req.data));
      return { t: 'hash-fed', v, id: req.id, bytes: req.data.byteLength };
    }
    const h = this.running.get(req.hash) ?? sha256.create();
    this.running.delete(req.hash);
    return { t: 'hash-done', v, id: req.id, hex: bytesToHex(h.digest()) };
  }
}
