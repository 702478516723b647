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
