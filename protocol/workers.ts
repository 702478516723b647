/** Messages between the app and its Web Workers. Pixels cross as transferable buffers. */
import { z } from 'zod';

export const QrDecodeRequest = z.object({
  t: z.literal('decode'),
  id: z.number().int(),
  width: z.number().int().min(1).max(4096),
  height: z.number().int().min(1).max(4096),
  data: z.instanceof(ArrayBuffer),
});
export type QrDecodeRequest = z.infer<typeof QrDecodeRequest>;

export const QrDecodeResponse = z.discriminatedUnion('t', [
  z.object({ t: z.literal('decoded'), id: z.number().int(), text: z.string().nullable() }),
  z.object({ t: z.literal('error'), id: z.number().int(), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type QrDecodeResponse = z.infer<typeof QrDecodeResponse>;

/**
 * The whole-file SHA-256, off the main thread (workers/file-hash.worker.ts): bytes are fed in
 * file order to a running hash per id; each update is acknowledged so the app can bound what is
 * queued in the worker.
 */
export const FILE_HASH_MAX_UPDATE = 1024 * 1024;
export const FileHashRequest = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hash-update'), id: z.number().int(), data: z.instanceof(ArrayBuffer).refine((b) => b.byteLength <= FILE_HASH_MAX_UPDATE, 'update too large') }),
  z.object({ t: z.literal('hash-digest'), id: z.number().int() }),
]);
export type FileHashRequest = z.infer<typeof FileHashRequest>;

export const FileHashResponse = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hash-fed'), id: z.number().int(), bytes: z.number().int() }),
  z.object({ t: z.literal('hash-done'), id: z.number().int(), hex: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.object({ t: z.literal('error'), id: z.number().int(), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type FileHashResponse = z.infer<typeof FileHashResponse>;
