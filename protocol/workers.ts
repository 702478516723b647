/**
 * Messages between the app and its small workers: the QR decoder (workers/qr-decode.worker.ts) and
 * the whole-file hash (workers/file-hash.worker.ts). As with the inference worker
 * (protocol/inference.ts): kebab-case `t`, the protocol version `v`, a request `id` that the
 * answer echoes (src/platform/worker-client.ts matches answers by id), buffers transferred.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { WireErrorSchema } from './common.ts';

const V = z.literal(PROTOCOL_VERSION);
const Id = z.number().int().min(0);
/** Any worker may answer any request with an error (a bad request, a failure). */
const WorkerError = z.object({ t: z.literal('error'), v: V, id: Id, error: WireErrorSchema });

export const QR_LIMITS = { maxSide: 4096 } as const;

export const QrDecodeRequest = z.object({
  t: z.literal('decode'),
  v: V,
  id: Id,
  width: z.number().int().min(1).max(QR_LIMITS.maxSide),
  height: z.number().int().min(1).max(QR_LIMITS.maxSide),
  /** RGBA pixels, width × height × 4 bytes (checked before jsQR reads them). */
  data: z.instanceof(ArrayBuffer),
});
export type QrDecodeRequest = z.infer<typeof QrDecodeRequest>;

export const QrDecodeResponse = z.discriminatedUnion('t', [
  z.object({ t: z.literal('decoded'), v: V, id: Id, text: z.string().max(4096).nullable() }),
  WorkerError,
]);
export type QrDecodeResponse = z.infer<typeof QrDecodeResponse>;

/**
 * The whole-file SHA-256, off the main thread: bytes are fed in file order to a running hash
 * (`hash`, chosen by the app); each update is answered once hashed, so the app can bound what is
 * queued in the worker. A running hash lives in one worker: if it is replaced, the app starts over.
 */
export const FILE_HASH_MAX_UPDATE = 1024 * 1024;
const HashId = z.number().int().min(0);
export const FileHashRequest = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hash-update'), v: V, id: Id, hash: HashId, data: z.instanceof(ArrayBuffer).refine((b) => b.byteLength <= FILE_HASH_MAX_UPDATE, 'update too large') }),
  z.object({ t: z.literal('hash-digest'), v: V, id: Id, hash: HashId }),
]);
export type FileHashRequest = z.infer<typeof FileHashRequest>;

export const FileHashResponse = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hash-fed'), v: V, id: Id, bytes: z.number().int().min(0) }),
  z.object({ t: z.literal('hash-done'), v: V, id: Id, hex: z.string().regex(/^[0-9a-f]{64}$/) }),
  WorkerError,
]);
export type FileHashResponse = z.infer<typeof FileHashResponse>;
