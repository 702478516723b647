/**
 * File transfer, device ↔ device (bulk data channels) and device ↔ hub (HTTP). The bytes of a
 * file are cut into chunks of `meta.chunkSize` (the last one shorter); each chunk's SHA-256 is in
 * the file's metadata in the room document (`FileMeta`, protocol/room-doc.ts), so every copy of
 * every chunk can be checked wherever it came from.
 *
 * Bulk channel (PeerJS `serialization: 'raw'`, label `bulk:file:<fileId>`, one file per channel,
 * opened by the device that wants chunks): control messages are JSON text (`BulkMessage`), chunk
 * bytes are binary frames (`encodeChunkFrame`). A chunk larger than one frame travels as parts:
 * Chromium refuses data-channel messages over 256 KiB and PeerJS `raw` does not split them.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { B64u, WireErrorSchema } from './common.ts';
import { FileMeta, ItemId } from './room-doc.ts';
import { OsmoseError } from './errors.ts';
import type { Decoded } from './codec.ts';
import { BULK_FRAME_KIND } from './frame-kinds.ts';

export const FILE_LIMITS = {
  /** Payload bytes in one binary frame (one data-channel message). */
  partBytes: 64 * 1024,
  /** A whole binary frame: payload plus header (at most 76 bytes). */
  frameBytes: 64 * 1024 + 128,
  /** A JSON control message on a bulk channel (a 16,384-chunk bitmap is ~2.7 KB). */
  controlBytes: 8 * 1024,
  minChunkSize: 16 * 1024,
  maxChunkSize: 1024 * 1024,
  /** Chunk size the app picks when the file is small enough (see `chooseChunkSize`). */
  defaultChunkSize: 256 * 1024,
  maxChunks: 16_384,
  /** Ranges in one `want`/`missing`. */
  maxRanges: 256,
  /** A manifest body: 16,384 hashes of 67 JSON bytes plus the rest. */
  manifestBytes: 1536 * 1024,
} as const;

export const MAX_FILE_BYTES = FILE_LIMITS.maxChunks * FILE_LIMITS.maxChunkSize;

export function chunkCount(meta: Pick<FileMeta, 'size' | 'chunkSize'>): number {
  return Math.ceil(meta.size / meta.chunkSize);
}

/** Bytes in chunk `index` (the last chunk is shorter). */
export function chunkLength(meta: Pick<FileMeta, 'size' | 'chunkSize'>, index: number): number {
  return Math.max(0, Math.min(meta.chunkSize, meta.size - index * meta.chunkSize));
}

export function partCount(chunkBytes: number): number {
  return Math.max(1, Math.ceil(chunkBytes / FILE_LIMITS.partBytes));
}

/** The default size, doubled until the file fits in `maxChunks` chunks. */
export function chooseChunkSize(size: number): number {
  let c: number = FILE_LIMITS.defaultChunkSize;
  while (c < FILE_LIMITS.maxChunkSize && Math.ceil(size / c) > FILE_LIMITS.maxChunks) c *= 2;
  return c;
}

/** Metadata whose numbers agree with each other (the schema checks each field alone). */
export function checkManifest(meta: FileMeta): OsmoseError | null {
  if (meta.size > MAX_FILE_BYTES) return new OsmoseError('too-large', `files are limited to ${MAX_FILE_BYTES} bytes`);
  if (meta.chunkHashes.length !== chunkCount(meta)) return new OsmoseError('bad-request', 'chunkHashes does not match size and chunkSize');
  if (chunkCount(meta) > FILE_LIMITS.maxChunks) return new OsmoseError('too-large', `files are limited to ${FILE_LIMITS.maxChunks} chunks`);
  return null;
}

// ---- bulk channel: control messages (JSON text) ----------------------------------------------

const V = z.literal(PROTOCOL_VERSION);
const Index = z.number().int().min(0).max(FILE_LIMITS.maxChunks);
const Ranges = z
  .array(z.tuple([Index, Index]).refine(([a, b]) => a < b, 'empty range'))
  .min(1)
  .max(FILE_LIMITS.maxRanges);

/** Receiver → sender, first: which file (must match the channel's label). */
export const BulkHello = z.object({ v: V, t: z.literal('hello'), fileId: ItemId });
/** Sender → receiver: the chunks the sender holds (bitmap of `chunks` bits). */
export const BulkHave = z.object({ v: V, t: z.literal('have'), fileId: ItemId, chunks: Index, bitmap: B64u(0, 2731).or(z.literal('')) });
/** Receiver → sender: send these chunks. Receivers keep a bounded window of chunks asked for. */
export const BulkWant = z.object({ v: V, t: z.literal('want'), fileId: ItemId, ranges: Ranges });
/** Sender → receiver: asked for, but not held (forgotten since the `have`). */
export const BulkMissing = z.object({ v: V, t: z.literal('missing'), fileId: ItemId, ranges: Ranges });
/** Receiver → sender: chunks verified and stored so far (the sender's progress bar). */
export const BulkAck = z.object({ v: V, t: z.literal('ack'), fileId: ItemId, stored: Index, total: Index });
/** Either side: stop; the channel is closed right after. */
export const BulkCancel = z.object({ v: V, t: z.literal('cancel'), fileId: ItemId });
export const BulkError = z.object({ v: V, t: z.literal('error'), error: WireErrorSchema });

export const BulkMessage = z.discriminatedUnion('t', [BulkHello, BulkHave, BulkWant, BulkMissing, BulkAck, BulkCancel, BulkError]);
export type BulkMessage = z.infer<typeof BulkMessage>;

const LABEL_PREFIX = 'file:';

/** The bulk channel label (without mesh's `bulk:` prefix) for one file. */
export function bulkLabel(fileId: string): string {
  return LABEL_PREFIX + fileId;
}

export function fileIdOfLabel(label: string): string | null {
  if (!label.startsWith(LABEL_PREFIX)) return null;
  const id = label.slice(LABEL_PREFIX.length);
  return ItemId.safeParse(id).success ? id : null;
}

// ---- bulk channel: chunk frames (binary) -----------------------------------------------------

/**
 *  0        protocol version (1)
 *  1        kind (1 = chunk part)
 *  2        L = fileId length (8..64)
 *  3..3+L   fileId, ASCII
 *  +0  u32  chunk index (big-endian)
 *  +4  u16  part index
 *  +6  u16  part count
 *  +8       payload (1..partBytes bytes)
 */
export const FRAME_KIND_CHUNK = BULK_FRAME_KIND.chunkPart;

export interface ChunkFrame {
  fileId: string;
  index: number;
  part: number;
  parts: number;
  payload: Uint8Array;
}

const MAX_PARTS = FILE_LIMITS.maxChunkSize / FILE_LIMITS.partBytes;
const ID_CHARS = /^[0-9A-Za-z-]{8,64}$/;

export function encodeChunkFrame(f: ChunkFrame): Uint8Array {
  const L = f.fileId.length;
  const out = new Uint8Array(3 + L + 8 + f.payload.byteLength);
  out[0] = PROTOCOL_VERSION;
  out[1] = FRAME_KIND_CHUNK;
  out[2] = L;
  for (let i = 0; i < L; i++) out[3 + i] = f.fileId.charCodeAt(i);
  const dv = new DataView(out.buffer);
  dv.setUint32(3 + L, f.index);
  dv.setUint16(7 + L, f.part);
  dv.setUint16(9 + L, f.parts);
  out.set(f.payload, 11 + L);
  return out;
}

/** Size first, then header; never throws. The payload is a view into `raw`, not a copy. */
export function decodeChunkFrame(raw: unknown): Decoded<ChunkFrame> {
  let bytes: Uint8Array;
  if (raw instanceof Uint8Array) bytes = raw;
  else if (raw instanceof ArrayBuffer) bytes = new Uint8Array(raw);
  else return fail('bad-request', 'chunk frame is not binary');
  if (bytes.byteLength > FILE_LIMITS.frameBytes) return fail('too-large', `chunk frame over ${FILE_LIMITS.frameBytes} bytes`);
  if (bytes.byteLength < 3) return fail('bad-request', 'chunk frame too short');
  if (bytes[0] !== PROTOCOL_VERSION) return fail('protocol-version', `chunk frame version ${bytes[0]} is not supported`);
  if (bytes[1] !== FRAME_KIND_CHUNK) return fail('unknown-type', `unknown frame kind ${bytes[1]}`);
  const L = bytes[2]!;
  if (bytes.byteLength < 3 + L + 8 + 1) return fail('bad-request', 'chunk frame too short');
  const fileId = String.fromCharCode(...bytes.subarray(3, 3 + L));
  if (!ID_CHARS.test(fileId)) return fail('bad-request', 'chunk frame: bad file id');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = dv.getUint32(3 + L);
  const part = dv.getUint16(7 + L);
  const parts = dv.getUint16(9 + L);
  if (index >= FILE_LIMITS.maxChunks) return fail('bad-request', 'chunk frame: index out of range');
  if (parts < 1 || parts > MAX_PARTS || part >= parts) return fail('bad-request', 'chunk frame: bad part numbers');
  const payload = bytes.subarray(11 + L);
  if (payload.byteLength > FILE_LIMITS.partBytes) return fail('too-large', 'chunk frame: payload over one part');
  return { ok: true, value: { fileId, index, part, parts, payload } };
}

// ---- hub HTTP API ------------------------------------------------------------------------------

/**
 * Every request carries `Authorization: Bearer <signaling token>` and `X-Osmose-Device: <device
 * id>`; the hub checks them like the signaling server does. Outside `/api` because a manifest is
 * larger than the API's 8 KiB JSON limit.
 */
export const FILES_API = {
  prefix: '/files/',
  deviceHeader: 'X-Osmose-Device',
  manifest: (fileId: string) => `/files/${fileId}/manifest`,
  status: (fileId: string) => `/files/${fileId}/status`,
  chunk: (fileId: string, index: number) => `/files/${fileId}/chunks/${index}`,
} as const;

/** PUT manifest body; GET manifest answer. A manifest never changes once stored. */
export const ManifestBody = z.object({ v: V, meta: FileMeta });
/** GET status, PUT manifest and PUT chunk answer: what the hub holds of the file. */
export const FileStatus = z.object({
  v: V,
  fileId: ItemId,
  chunks: Index,
  stored: Index,
  bitmap: B64u(0, 2731).or(z.literal('')),
});
export type FileStatus = z.infer<typeof FileStatus>;
/** PUT chunk answer: verified and on disk. */
export const ChunkStored = z.object({ v: V, fileId: ItemId, index: Index });

function fail(code: OsmoseError['code'], message: string): { ok: false; error: OsmoseError } {
  return { ok: false, error: new OsmoseError(code, message) };
}
