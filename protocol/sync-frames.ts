/**
 * Binary frames that carry the room's memory, on the mesh (data channels) and on the room
 * channel to the hub. Layout: [kind: u8][seq: varuint][payload].
 *
 *   sync       payload is a y-protocols sync message (step 1, step 2 or update)
 *   awareness  payload is a y-protocols awareness update (who is typing, who views which note)
 *   ack        hub → device: every frame up to `seq` with content is durably stored
 *   fragment   a piece of a larger frame (data channels carry <= 64 KiB per message)
 *
 * `seq` is 0 unless the sender wants an ack (devices → hub). Decoding never throws.
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { OsmoseError } from './errors.ts';
import { FRAME_KIND } from './frame-kinds.ts';

/** The memory's frame kinds (their bytes are assigned in protocol/frame-kinds.ts). */
export const FRAME = { sync: FRAME_KIND.sync, awareness: FRAME_KIND.awareness, ack: FRAME_KIND.ack, fragment: FRAME_KIND.fragment } as const;
export type FrameKind = (typeof FRAME)[keyof typeof FRAME];

export interface SyncFrame {
  kind: FrameKind;
  seq: number;
  payload: Uint8Array;
}

export const FRAME_LIMITS = {
  /** A whole (reassembled) memory frame: a late joiner's full catch-up fits. */
  frameBytes: 32 * 1024 * 1024,
  /** One piece on a data channel. */
  fragmentBytes: 60 * 1024,
  maxFragments: 1024,
  /** Unfinished fragmented frames kept per peer. */
  maxPending: 4,
  /** Bytes of unfinished frames kept per peer, all of them together (not 4 x frameBytes). */
  pendingBytes: 32 * 1024 * 1024,
  pendingTimeoutMs: 30_000,
} as const;

export function encodeSyncFrame(kind: FrameKind, seq: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8(e, kind);
  encoding.writeVarUint(e, seq);
  encoding.writeUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

export type DecodedFrame = { ok: true; frame: SyncFrame } | { ok: false; error: OsmoseError };

export function decodeSyncFrame(bytes: Uint8Array, maxBytes: number = FRAME_LIMITS.frameBytes): DecodedFrame {
  if (bytes.byteLength > maxBytes) return { ok: false, error: new OsmoseError('too-large', `frame over ${maxBytes} bytes`) };
  try {
    const d = decoding.createDecoder(bytes);
    const kind = decoding.readUint8(d);
    if (!(Object.values(FRAME) as number[]).includes(kind)) return { ok: false, error: new OsmoseError('unknown-type', `frame kind ${kind}`) };
    const seq = decoding.readVarUint(d);
    if (seq > Number.MAX_SAFE_INTEGER) return { ok: false, error: new OsmoseError('bad-request', 'seq out of range') };
    return { ok: true, frame: { kind: kind as FrameKind, seq, payload: bytes.subarray(d.pos) } };
  } catch {
    return { ok: false, error: new OsmoseError('bad-request', 'truncated frame') };
  }
}

export function encodeAck(seq: number): Uint8Array {
  return encodeSyncFrame(FRAME.ack, seq, new Uint8Array(0));
}

/** Splits a frame into data-channel-sized fragment frames (or returns it whole if it fits). */
export function fragment(frame: Uint8Array, messageId: number, max: number = FRAME_LIMITS.fragmentBytes): Uint8Array[] {
  if (frame.byteLength <= max) return [frame];
  const count = Math.ceil(frame.byteLength / max);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, messageId);
    encoding.writeVarUint(e, i);
    encoding.writeVarUint(e, count);
    encoding.writeUint8Array(e, frame.subarray(i * max, (i + 1) * max));
    out.push(encodeSyncFrame(FRAME.fragment, 0, encoding.toUint8Array(e)));
  }
  return out;
}

/** Puts fragments back together, with bounded memory and time. One per peer. */
export class Reassembler {
  private pending = new Map<number, { parts: (Uint8Array | undefined)[]; received: number; bytes: number; started: number }>();
  private held = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Returns the whole frame once complete, null while waiting, or an error for a bad piece. */
  add(payload: Uint8Array): Uint8Array | null | OsmoseError {
    let id: number, index: number, count: number, data: Uint8Array;
    try {
      const d = decoding.createDecoder(payload);
      id = decoding.readVarUint(d);
      index = decoding.readVarUint(d);
      count = decoding.readVarUint(d);
      data = payload.subarray(d.pos);
    } catch {
      return new OsmoseError('bad-request', 'truncated fragment');
    }
    if (count < 2 || count > FRAME_LIMITS.maxFragments || index >= count) return new OsmoseError('bad-request', 'fragment index out of range');
    this.expire();
    let p = this.pending.get(id);
    if (!p) {
      if (this.pending.size >= FRAME_LIMITS.maxPending) return new OsmoseError('too-large', 'too many unfinished fragmented frames');
      p = { parts: new Array(count), received: 0, bytes: 0, started: this.now() };
      this.pending.set(id, p);
    }
    if (p.parts.length !== count) return new OsmoseError('bad-request', 'fragment count changed');
    if (p.parts[index]) return null; // duplicate
    p.bytes += data.byteLength;
    this.held += data.byteLength;
    if (p.bytes > FRAME_LIMITS.frameBytes) {
      this.forget(id);
      return new OsmoseError('too-large', 'fragmented frame over the limit');
    }
    if (this.held > FRAME_LIMITS.pendingBytes) {
      this.forget(id);
      return new OsmoseError('too-large', 'unfinished fragmented frames over the limit for one peer');
    }
    p.parts[index] = data.slice();
    p.received++;
    if (p.received < count) return null;
    this.forget(id);
    const whole = new Uint8Array(p.bytes);
    let at = 0;
    for (const part of p.parts as Uint8Array[]) {
      whole.set(part, at);
      at += part.byteLength;
    }
    return whole;
  }

  /** Bytes held in unfinished frames. */
  get heldBytes(): number {
    return this.held;
  }

  private forget(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.held -= p.bytes;
    this.pending.delete(id);
  }

  private expire(): void {
    const t = this.now();
    for (const [id, p] of this.pending) if (t - p.started > FRAME_LIMITS.pendingTimeoutMs) this.forget(id);
  }
}
