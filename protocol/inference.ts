/**
 * Messages between the app and the inference worker (workers/inference.worker.ts). One union per
 * direction, kebab-case `t`, a request `id` that the answer echoes (answers are matched by id, not
 * by order), and the protocol version `v`. Tensors cross as transferable ArrayBuffers with their
 * dtype and dims; every buffer's size is checked against its dims before anything reads it.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import { PROTOCOL_VERSION } from './version.ts';
import { VISION_REQUESTS, VISION_RESPONSES } from './vision.ts';
import { sttMessages } from './stt.ts';
import { OcrLinesResponse, OcrReadRequest } from './ocr.ts';

export const INFERENCE_LIMITS = {
  /** One tensor's bytes (the largest input we feed is an embedding window of 76x32 floats). */
  tensorBytes: 16 * 1024 * 1024,
  tensorRank: 8,
  tensorsPerMessage: 16,
  timeoutMs: 120_000,
  /** Samples in one `wake-audio` (4 s at 16 kHz): a stream pushes every few tens of ms. */
  wakeSamples: 4 * 16_000,
  /** Wake streams open at once in one worker (one per microphone the device serves). */
  wakeStreams: 16,
  /** Phrase models per wake stream. */
  wakePhrases: 8,
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
/** A wake stream's name, chosen by the page (unique among its open streams). */
export const StreamId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);
/** 16 kHz mono Float32 samples in [-1, 1], as a transferable buffer; size checked before it is read. */
const WakeSamples = z.instanceof(ArrayBuffer).superRefine((b, ctx) => {
  if (b.byteLength > INFERENCE_LIMITS.wakeSamples * 4) ctx.addIssue({ code: 'custom', message: `over ${INFERENCE_LIMITS.wakeSamples} samples` });
  else if (b.byteLength % 4 !== 0) ctx.addIssue({ code: 'custom', message: 'not a whole number of float32 samples' });
});
const WakeOptions = z.object({
  /** Speech starts at a VAD chunk with at least this probability (default 0.5)... */
  vadThreshold: z.number().min(0).max(1).optional(),
  /** ...and ends at one below this (default vadThreshold - 0.15). */
  vadNegThreshold: z.number().min(0).max(1).optional(),
  /** Scores count only if the VAD reached this 240-480 ms before the step (default 0.5; 0: off). */
  vadGate: z.number().min(0).max(1).optional(),
  /** Skip the embedding model and classifiers while the gate is shut (default true; same scores). */
  lazyEmbeddings: z.boolean().optional(),
  /**
   * Compute each step's embedding from the previous step's (embedding_step, default true; the same
   * embeddings to float rounding); false runs the whole embedding model on every window.
   */
  stepEmbeddings: z.boolean().optional(),
});
export type WakeOptions = z.infer<typeof WakeOptions>;

const LoadMs = z.object({ fetch: z.number(), verify: z.number(), create: z.number() });
/** Speech to text (protocol/stt.ts). */
const STT = sttMessages({ V, Id, StreamId, ModelName, BackendName, TimeoutMs, LoadMs });

export const InferenceRequest = z.discriminatedUnion('t', [
  /** Fetch, verify and open a model on a backend (idempotent: an open session is reused). */
  z.object({ t: z.literal('load'), v: V, id: Id, model: ModelName, backend: BackendName, timeoutMs: TimeoutMs }),
  z.object({ t: z.literal('run'), v: V, id: Id, model: ModelName, backend: BackendName, inputs: Tensors, timeoutMs: TimeoutMs }),
  z.object({ t: z.literal('unload'), v: V, id: Id, model: ModelName }),
  /** Run the model's fixed sample input on wasm and WebGPU and compare the outputs. */
  z.object({ t: z.literal('compare-backends'), v: V, id: Id, model: ModelName, timeoutMs: TimeoutMs }),
  /** What this worker can use: isolation, threads, a WebGPU adapter. */
  z.object({ t: z.literal('probe'), v: V, id: Id }),
  /**
   * Open a wake-word stream: VAD + openWakeWord features + these phrase models, each model on the
   * backend the page chose (every model of the pipeline must be listed).
   */
  z.object({
    t: z.literal('wake-open'),
    v: V,
    id: Id,
    stream: StreamId,
    phrases: z.array(ModelName).min(1).max(INFERENCE_LIMITS.wakePhrases),
    backends: z.record(ModelName, BackendName),
    options: WakeOptions.optional(),
    timeoutMs: TimeoutMs,
  }),
  /** More microphone samples for a stream; answered with the 80 ms steps they complete. */
  z.object({ t: z.literal('wake-audio'), v: V, id: Id, stream: StreamId, samples: WakeSamples, timeoutMs: TimeoutMs }),
  z.object({ t: z.literal('wake-close'), v: V, id: Id, stream: StreamId }),
  /** Faces: protocol/vision.ts. */
  ...VISION_REQUESTS,
  ...STT.requests,
  /** Read the text in a photo (protocol/ocr.ts). */
  OcrReadRequest,
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

const Ms = z.number().min(0);
/** One 80 ms step of a wake stream. */
export const WakeStep = z.object({
  /** Samples since the stream opened, up to the end of this step (divide by 16 for ms). */
  endSample: z.number().int().min(0),
  /** Largest Silero speech probability over the step's 32 ms VAD chunks. */
  vad: z.number(),
  /** Speech (with hysteresis: on at >= vadThreshold, off below vadNegThreshold) at any time in the step. */
  speech: z.boolean(),
  /**
   * Each phrase model's score in [0, 1] (a multi-class model's best class); 0 for the first 5
   * steps, and 0 while the VAD gate is shut (no speech 240-480 ms before).
   */
  scores: z.record(ModelName, z.number()),
  /** Per-class scores of multi-class models (timer_v0.1: '1_minute_timer', ..., '1_hour_timer'). */
  classes: z.record(ModelName, z.record(z.string().max(64), z.number())).optional(),
  /** Time spent per stage on this step (VAD: all its chunks; embedding: all its embedding runs). */
  ms: z.object({ vad: Ms, mel: Ms, embedding: Ms, classifier: Ms }),
  /**
   * Embedding-model runs in this step: 1 per step when eager; when lazy, 0 while the VAD gate is
   * shut and more while it catches up before the gate opens (at most the largest classifier window).
   */
  embeddings: z.number().int().min(0).max(64).optional(),
});
export type WakeStep = z.infer<typeof WakeStep>;

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
    ms: LoadMs,
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
  z.object({
    t: z.literal('wake-opened'),
    v: V,
    id: Id,
    stream: StreamId,
    /** Per model: fetch + verify + session create (0 for a session already open). */
    load: z.record(ModelName, LoadMs),
    /** Preparing the stream's start state (the first stream computes its initial embeddings). */
    prepareMs: Ms,
  }),
  z.object({ t: z.literal('wake-scores'), v: V, id: Id, stream: StreamId, steps: z.array(WakeStep).max(INFERENCE_LIMITS.wakeSamples / 1280) }),
  z.object({ t: z.literal('wake-closed'), v: V, id: Id, stream: StreamId }),
  OcrLinesResponse,
  z.object({ t: z.literal('error'), v: V, id: Id, error: WireErrorSchema }),
  ...VISION_RESPONSES,
  ...STT.responses,
]);
export type InferenceResponse = z.infer<typeof InferenceResponse>;

/** The buffers to transfer with a message carrying these tensors. */
export function transferList(tensors: Record<string, WireTensor>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(tensors)) seen.add(t.data);
  return [...seen];
}
