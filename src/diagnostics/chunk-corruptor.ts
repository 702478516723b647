/**
 * Diagnostics: damages file chunks in flight, to show that receivers catch them by their SHA-256,
 * drop them and fetch them again. Flips one payload byte in the first part of each of the next
 * `remaining` chunks sent; every other frame passes untouched.
 */
import { decodeChunkFrame, encodeChunkFrame } from '../../protocol/files.ts';

export class ChunkCorruptor {
  /** Chunks still to damage. */
  remaining = 0;

  apply<T>(data: T): T {
    if (this.remaining <= 0) return data;
    const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null;
    if (!bytes) return data;
    const frame = decodeChunkFrame(bytes);
    if (!frame.ok || frame.value.part !== 0) return data;
    this.remaining--;
    const payload = frame.value.payload.slice();
    payload[0]! ^= 0xff;
    const damaged = encodeChunkFrame({ ...frame.value, payload });
    return (data instanceof ArrayBuffer ? damaged.buffer : damaged) as T;
  }
}
