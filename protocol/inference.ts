/**
 * Messages between the app and the inference worker (workers/inference.worker.ts). One union per
 * direction, kebab-case `t`, a request `id` that the answer echoes (answers are matched by id, not
 * by order), and the protocol version `v`. Tensors cross as transferable ArrayBuffers with their
 * dtype and dims; every buffer's size is checked against its dims before anything reads it.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import { PROTOCOL_VERSION } from './version.ts';

export const INFERENCE_LIMITS = {
  /** One tensor's bytes (the largest input we feed is an embedding window of 76x32 floats). */
  tensorBytes: 16 * 1024 * 1024,
  tensorRank: 8,
  tensorsPerMessage: 16,
  timeoutMs: 120_000,
} as const;

export const DTYPES = ['float32', 'int64', 'int32', 'uint8', 'int8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];
export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1 };

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export const WireTensor = z
  .object({
    dtype: z.enum(DTYPES),
    dims: z.array(z.number().int().min(0).max(1 << 24)).max(INFERENCE_LIMITS.tensorRank),
    data: z.instanceof(ArrayBuffer),
  })
  .superRefine((t, ctx) => {
    if (t.data.byteLength > INFERENCE_LIMITS.tensorBytes) ctx.addIssue({ code: 'custom', message: 'tensor too large' });
    else if (elementCount(t.dims) * BYTES_PER_ELEMENT[t.dtype] !== t.data.byteLength) {
      ctx.addIssue({ code: 'custom', message: 'tensor bytes do not match dtype and dims' });
    }
  });
export type WireTensor = z.infer<typeof WireTensor>;

const TensorName = z.string().min(1).max(128);
const Tensors = z
  .record(TensorName, WireTensor)
  .refine((r) => Object.keys(r).length <= INFERENCE_LIMITS.tensorsPerMessage, 'too many tensors');
export const BackendName = z.enum(['wasm', 'webgpu']);
export const ModelName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
const Id = z.number().int().min(0);
const V = z.literal(PROTOCOL_VERSION);
const TimeoutMs = z.number().int().min(1).max(INFERENCE_LIMITS.timeoutMs);

export const InferenceRequest = z.discriminatedUnion('t', [
  /** Fetch, verify and open a model on a backend (idempotent: an open session is reused). */
  z.object({ t: z.literal('load'), v: V, id: Id, model: ModelName, backend: BackendName, timeoutMs: TimeoutMs }),
  z.object({ t: z.literal('run'), v: V, id: Id, model: ModelName, backend: BackendName, inputs: Tensors, timeoutMs: TimeoutMs }),
  z.object({ t: z.literal('unload'), v: V, id: Id, model: ModelName }),
  /** Run the model's fixed sample input on wasm and WebGPU and compare the outputs. */
  z.object({ t: z.literal('compare-backends'), v: V, id: Id, model: ModelName, timeoutMs: TimeoutMs }),
  /** What this worker can use: isolation, threads, a WebGPU adapter. */
  z.object({ t: z.literal('probe'), v: V, id: Id }),
  /** Diagnostics: the worker throws an uncaught error, as a crash would (tests the recovery). */
  z.object({ t: z.literal('crash'), v: V, id: Id }),
]);
export type InferenceRequest = z.infer<typeof InferenceRequest>;

export const AdapterInfo = z.object({
  vendor: z.string().max(200),
  architecture: z.string().max(200),
  device: z.string().max(200),
  description: z.string().max(400),
  isFallbackAdapter: z.boolean(),
});
export type AdapterInfo = z.infer<typeof AdapterInfo>;

export const WireErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string().max(1000) });

export const InferenceResponse = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('loaded'),
    v: V,
    id: Id,
    model: ModelName,
    backend: BackendName,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().min(0),
    inputNames: z.array(z.string()),
    outputNames: z.array(z.string()),
    /** 0 when the session was already open. */
    ms: z.object({ fetch: z.number(), verify: z.number(), create: z.number() }),
  }),
  z.object({ t: z.literal('ran'), v: V, id: Id, outputs: Tensors, ms: z.number() }),
  z.object({ t: z.literal('unloaded'), v: V, id: Id }),
  z.object({
    t: z.literal('compared'),
    v: V,
    id: Id,
    model: ModelName,
    agrees: z.boolean(),
    maxAbsDiff: z.number(),
    tolerance: z.number(),
    adapter: AdapterInfo,
    ms: z.object({ wasm: z.number(), webgpu: z.number() }),
  }),
  z.object({
    t: z.literal('probed'),
    v: V,
    id: Id,
    crossOriginIsolated: z.boolean(),
    threads: z.number().int().min(1),
    adapter: AdapterInfo.nullable(),
  }),
  z.object({ t: z.literal('error'), v: V, id: Id, error: WireErrorSchema }),
]);
export type InferenceResponse = z.infer<typeof InferenceResponse>;

/** The buffers to transfer with a message carrying these tensors. */
export function transferList(tensors: Record<string, WireTensor>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(tensors)) seen.add(t.data);
  return [...seen];
}
