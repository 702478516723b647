/**
 * `window.osmoseInference`: a small handle for tests, benchmarks and diagnostics (same-origin
 * scripts only). Installing it costs nothing: the runtime (and its worker) is created on first use.
 * Tensors cross as plain arrays so that Playwright can pass them.
 */
import type { Backend } from '../../../models/registry.ts';
import type { DType } from '../../../protocol/inference.ts';
import type { InferenceRuntime, OpenWakeOptions, WakeStep, WakeStream, WorkerLike } from './runtime.ts';
import type { OpenSttOptions, SttResult, SttStream, SttTranscript, TranscribeOptions } from './stt.ts';

export interface PlainTensor {
  dtype: DType;
  dims: number[];
  data: number[];
}

export interface InferenceDebug {
  load(model: string, backend?: Backend): Promise<unknown>;
  run(model: string, inputs: Record<string, PlainTensor>, backend?: Backend): Promise<{ outputs: Record<string, PlainTensor>; ms: number }>;
  /** Runs the model's registry sample input. */
  runSample(model: string, backend?: Backend, seed?: number): Promise<{ outputs: Record<string, PlainTensor>; ms: number }>;
  backendFor(model: string): Promise<Backend>;
  compare(model: string): Promise<unknown>;
  probe(): Promise<unknown>;
  verdicts(): unknown;
  crashWorker(): Promise<unknown>;
  workersStarted(): Promise<number>;
  models(): Promise<unknown>;
  /** Opens a wake stream; returns its id, backends and load times. */
  wakeOpen(phrases: string[], options?: OpenWakeOptions): Promise<{ id: string; backends: Record<string, Backend>; load: unknown; prepareMs: number }>;
  /** runtime.warmWake: gets the stream's models open ahead of `wakeOpen`. */
  wakeWarm(phrases: string[], options?: OpenWakeOptions): Promise<void>;
  wakePush(id: string, samples: Float32Array | number[]): Promise<WakeStep[]>;
  wakeClose(id: string): Promise<void>;
  /** Speech to text: one utterance (16 kHz samples). */
  transcribe(samples: Float32Array | number[], options?: TranscribeOptions): Promise<SttTranscript>;
  /** Opens a speech-to-text stream; returns its id, backends and load times. */
  sttOpen(options?: OpenSttOptions): Promise<{ id: string; backends: Record<string, Backend>; load: unknown }>;
  sttPush(id: string, samples: Float32Array | number[]): Promise<{ results: SttResult[]; speaking: boolean }>;
  sttFlush(id: string): Promise<SttResult[]>;
  sttClose(id: string): Promise<void>;
  sttWarm(options?: OpenSttOptions): Promise<void>;
  /** Benchmarks: from now on, a fresh runtime whose worker runs ORT with 1 or 2 wasm threads (0: its own choice). */
  useThreads(threads: number): Promise<void>;
  /** The runtime itself (benchmarks: typed arrays and transfers, no conversion to plain arrays). */
  runtime(): Promise<InferenceRuntime>;
}

const wakeStreams = new Map<string, WakeStream>();
function wakeStream(id: string): WakeStream {
  const s = wakeStreams.get(id);
  if (!s) throw Object.assign(new Error(`no wake stream ${id}`), { code: 'not-found' });
  return s;
}

const sttStreams = new Map<string, SttStream>();
function sttStream(id: string): SttStream {
  const s = sttStreams.get(id);
  if (!s) throw Object.assign(new Error(`no speech-to-text stream ${id}`), { code: 'not-found' });
  return s;
}
const f32 = (x: Float32Array | number[]) => (x instanceof Float32Array ? x : Float32Array.from(x));

let runtime: Promise<InferenceRuntime> | null = null;
let fallbackAllowed = false;
let forcedThreads = 0;
/**
 * Workers that run ORT with a set number of threads, told by their name (the worker reads it);
 * vite needs each `new Worker(new URL(...))` written out with static options.
 */
const THREADED: Record<number, () => WorkerLike> = {
  1: () => new Worker(new URL('../../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'osmose-inference threads=1' }) as unknown as WorkerLike,
  2: () => new Worker(new URL('../../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'osmose-inference threads=2' }) as unknown as WorkerLike,
};

/** The app's one inference runtime (one worker), shared by the voice service and this handle. */
export function sharedInferenceRuntime(): Promise<InferenceRuntime> {
  return get();
}

function get(): Promise<InferenceRuntime> {
  runtime ??= import('./runtime.ts').then(
    ({ InferenceRuntime }) => new InferenceRuntime({ verdicts: safeLocalStorage(), allowFallbackAdapter: fallbackAllowed, ...(THREADED[forcedThreads] ? { createWorker: THREADED[forcedThreads] } : {}) }),
  );
  return runtime;
}

function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

const DECODE = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array } as const;

function toPlain(t: { dtype: DType; dims: number[]; data: ArrayBuffer }): PlainTensor {
  const data = t.dtype === 'int64' ? Array.from(new BigInt64Array(t.data), Number) : Array.from(new DECODE[t.dtype](t.data));
  return { dtype: t.dtype, dims: t.dims, data };
}

function fromPlain(t: PlainTensor): { dtype: DType; dims: number[]; data: ArrayBuffer } {
  const data = t.dtype === 'int64' ? BigInt64Array.from(t.data, (x) => BigInt(x)).buffer : DECODE[t.dtype].from(t.data).buffer;
  return { dtype: t.dtype, dims: t.dims, data };
}

export function installInferenceDebug(opts: { allowFallbackAdapter?: boolean } = {}): void {
  fallbackAllowed = opts.allowFallbackAdapter ?? false;
  const handle: InferenceDebug = {
    load: async (model, backend) => (await get()).load(model, backend),
    run: async (model, inputs, backend) => {
      const wire = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, fromPlain(v)]));
      const r = await (await get()).run(model, wire, { backend });
      return { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, toPlain(v)])), ms: r.ms };
    },
    runSample: async (model, backend, seed = 1) => {
      const [{ findModel }, { sampleInputs }] = await Promise.all([import('../../../models/registry.ts'), import('../../../models/sample.ts')]);
      const entry = findModel(model);
      if (!entry) throw new Error(`no model ${model}`);
      const r = await (await get()).run(model, sampleInputs(entry.sample, seed), { backend });
      return { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, toPlain(v)])), ms: r.ms };
    },
    backendFor: async (model) => (await get()).backendFor(model),
    compare: async (model) => (await get()).compareBackends(model),
    probe: async () => (await get()).probe(),
    verdicts: () => (runtime ? get().then((r) => r.verdicts()) : {}),
    crashWorker: async () => (await get()).crashWorker(),
    workersStarted: async () => (runtime ? (await runtime).workersStarted : 0),
    wakeOpen: async (phrases, options) => {
      const s = await (await get()).openWake(phrases, options);
      wakeStreams.set(s.id, s); // kept after a crash, so that a push says `worker-crashed`
      return { id: s.id, backends: { ...s.backends }, load: s.load, prepareMs: s.prepareMs };
    },
    wakeWarm: async (phrases, options) => (await get()).warmWake(phrases, options),
    wakePush: async (id, samples) => wakeStream(id).push(samples instanceof Float32Array ? samples : Float32Array.from(samples)),
    wakeClose: async (id) => {
      await wakeStream(id).close();
      wakeStreams.delete(id);
    },
    transcribe: async (samples, options) => (await get()).transcribe(f32(samples), options),
    sttOpen: async (options) => {
      const s = await (await get()).openStt(options);
      sttStreams.set(s.id, s);
      return { id: s.id, backends: { ...s.backends }, load: s.load };
    },
    sttPush: async (id, samples) => {
      const s = sttStream(id);
      const results = await s.push(f32(samples));
      return { results, speaking: s.speaking };
    },
    sttFlush: async (id) => sttStream(id).flush(),
    sttClose: async (id) => {
      await sttStream(id).close();
      sttStreams.delete(id);
    },
    sttWarm: async (options) => (await get()).warmStt(options),
    useThreads: async (threads) => {
      if (runtime) (await runtime).dispose();
      runtime = null;
      forcedThreads = threads;
    },
    runtime: () => get(),
    models: async () => (await import('../../../models/registry.ts')).MODELS.map((m) => ({ name: m.name, licence: m.licence, licenceNote: m.licenceNote, bytes: m.bytes })),
  };
  (globalThis as unknown as { osmoseInference?: InferenceDebug }).osmoseInference = handle;
}
