/**
 * `window.osmoseInference`: a small handle for tests, benchmarks and diagnostics (same-origin
 * scripts only). Installing it costs nothing: the runtime (and its worker) is created on first use.
 * Tensors cross as plain arrays so that Playwright can pass them.
 */
import type { Backend } from '../../../models/registry.ts';
import type { DType } from '../../../protocol/inference.ts';
import type { InferenceRuntime, OpenWakeOptions, ReadTextOptions, TextRead, WakeStep, WakeStream } from './runtime.ts';

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
  /** Decodes a photo (base64 of its file) as the app would (photoPixels), then runtime.readText. */
  ocr(photoBase64: string, options?: ReadTextOptions): Promise<TextRead & { decodeMs: number }>;
  /** runtime.warmOcr: opens the OCR models ahead of a read. */
  ocrWarm(options?: ReadTextOptions): Promise<void>;
  /** Benchmarks: ORT threads for the runtime this handle creates (before its first use only). */
  useThreads(threads: number): void;
  /** The runtime itself (benchmarks: typed arrays and transfers, no conversion to plain arrays). */
  runtime(): Promise<InferenceRuntime>;
}

const wakeStreams = new Map<string, WakeStream>();
function wakeStream(id: string): WakeStream {
  const s = wakeStreams.get(id);
  if (!s) throw Object.assign(new Error(`no wake stream ${id}`), { code: 'not-found' });
  return s;
}

let runtime: Promise<InferenceRuntime> | null = null;
let fallbackAllowed = false;
let threadsWanted: number | undefined;

/** The app's one inference runtime (one worker), shared by the voice service and this handle. */
export function sharedInferenceRuntime(): Promise<InferenceRuntime> {
  return get();
}

function get(): Promise<InferenceRuntime> {
  runtime ??= import('./runtime.ts').then(
    ({ InferenceRuntime }) => new InferenceRuntime({ verdicts: safeLocalStorage(), allowFallbackAdapter: fallbackAllowed, threads: threadsWanted }),
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
    ocr: async (photoBase64, options) => {
      const { photoPixels } = await import('./photo-pixels.ts');
      const bytes = Uint8Array.from(atob(photoBase64), (c) => c.charCodeAt(0));
      const t0 = performance.now();
      const pixels = await photoPixels(new Blob([bytes]));
      const decodeMs = performance.now() - t0;
      return { ...(await (await get()).readText(pixels, options)), decodeMs };
    },
    ocrWarm: async (options) => (await get()).warmOcr(options),
    useThreads: (threads) => {
      if (runtime) throw Object.assign(new Error('the inference runtime has already started'), { code: 'bad-request' });
      threadsWanted = threads;
    },
    runtime: () => get(),
    models: async () => (await import('../../../models/registry.ts')).MODELS.map((m) => ({ name: m.name, licence: m.licence, licenceNote: m.licenceNote, bytes: m.bytes })),
  };
  (globalThis as unknown as { osmoseInference?: InferenceDebug }).osmoseInference = handle;
}
