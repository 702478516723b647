/**
 * Diagnostics: `window.osmoseInference`, the app's inference runtime for tests and benchmarks.
 * Installing it costs nothing: the runtime (and its worker) starts on first use. Tensors cross as
 * plain arrays so that Playwright can pass them. `crashWorker` and `workersStarted` work through
 * the worker factory the diagnostics build wraps (worker-tracker.ts).
 */
import type { Backend } from '../../models/registry.ts';
import type { DType } from '../../protocol/inference.ts';
import type { DetectFacesOptions, FacesFound, InferenceRuntime, OpenWakeOptions, WakeStep, WakeStream, WorkerLike } from '../inference/runtime.ts';
import type { OpenSttOptions, SttResult, SttStream, SttTranscript, TranscribeOptions } from '../inference/stt.ts';
import type { WorkerTracker } from './worker-tracker.ts';
import type { ReadTextOptions, TextRead } from '../inference/ocr.ts';

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
  /** Faces in an RGBA frame (an ImageData's fields, or plain numbers). */
  detectFaces(frame: { width: number; height: number; data: Uint8ClampedArray | Uint8Array | number[] }, options?: DetectFacesOptions): Promise<FacesFound>;
  /** Speech to text: one utterance (16 kHz samples). */
  transcribe(samples: Float32Array | number[], options?: TranscribeOptions): Promise<SttTranscript>;
  /** Opens a speech-to-text stream; returns its id, backends and load times. */
  sttOpen(options?: OpenSttOptions): Promise<{ id: string; backends: Record<string, Backend>; load: unknown }>;
  sttPush(id: string, samples: Float32Array | number[]): Promise<{ results: SttResult[]; speaking: boolean }>;
  sttFlush(id: string): Promise<SttResult[]>;
  sttClose(id: string): Promise<void>;
  sttWarm(options?: OpenSttOptions): Promise<void>;
  /** Benchmarks: from now on, a runtime of its own whose worker runs ORT with 1 or 2 wasm threads (0: the app's runtime again). */
  useThreads(threads: number): Promise<void>;
  /** Decodes a photo (base64 of its file) as the app would (photoPixels), then runtime.ocr.read. */
  ocr(photoBase64: string, options?: ReadTextOptions): Promise<TextRead & { decodeMs: number }>;
  /** runtime.ocr.warm: opens the OCR models ahead of a read. */
  ocrWarm(options?: ReadTextOptions): Promise<void>;
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

/**
 * Workers that run ORT with a set number of threads, told by their name (the worker reads it);
 * vite needs each `new Worker(new URL(...))` written out with static options.
 */
const THREADED: Record<number, () => WorkerLike> = {
  1: () => new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'osmose-inference threads=1' }) as unknown as WorkerLike,
  2: () => new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'osmose-inference threads=2' }) as unknown as WorkerLike,
};

const DECODE = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array } as const;

function toPlain(t: { dtype: DType; dims: number[]; data: ArrayBuffer }): PlainTensor {
  const data = t.dtype === 'int64' ? Array.from(new BigInt64Array(t.data), Number) : Array.from(new DECODE[t.dtype](t.data));
  return { dtype: t.dtype, dims: t.dims, data };
}

function fromPlain(t: PlainTensor): { dtype: DType; dims: number[]; data: ArrayBuffer } {
  const data = t.dtype === 'int64' ? BigInt64Array.from(t.data, (x) => BigInt(x)).buffer : DECODE[t.dtype].from(t.data).buffer;
  return { dtype: t.dtype, dims: t.dims, data };
}

export function inferenceHandle(app: () => Promise<InferenceRuntime>, workers: WorkerTracker): InferenceDebug {
  // useThreads swaps in a runtime of its own; everything else goes to whichever is current.
  let own: Promise<InferenceRuntime> | null = null;
  const get = () => own ?? app();
  return {
    load: async (model, backend) => (await get()).load(model, backend),
    run: async (model, inputs, backend) => {
      const wire = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, fromPlain(v)]));
      const r = await (await get()).run(model, wire, { backend });
      return { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, toPlain(v)])), ms: r.ms };
    },
    runSample: async (model, backend, seed = 1) => {
      const [{ findModel }, { sampleInputs }] = await Promise.all([import('../../models/registry.ts'), import('../../models/sample.ts')]);
      const entry = findModel(model);
      if (!entry) throw new Error(`no model ${model}`);
      const r = await (await get()).run(model, sampleInputs(entry.sample, seed), { backend });
      return { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, toPlain(v)])), ms: r.ms };
    },
    backendFor: async (model) => (await get()).backendFor(model),
    compare: async (model) => (await get()).compareBackends(model),
    probe: async () => (await get()).probe(),
    verdicts: async () => (await get()).verdicts(),
    crashWorker: async () => workers.crash(),
    workersStarted: async () => workers.started,
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
    detectFaces: async (frame, options) => {
      const data = Array.isArray(frame.data) ? Uint8ClampedArray.from(frame.data) : frame.data.slice();
      return (await get()).faces.detect({ width: frame.width, height: frame.height, data }, options);
    },
    transcribe: async (samples, options) => (await get()).stt.transcribe(f32(samples), options),
    sttOpen: async (options) => {
      const s = await (await get()).stt.open(options);
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
    sttWarm: async (options) => (await get()).stt.warm(options),
    useThreads: async (threads) => {
      if (own) (await own).dispose();
      own = THREADED[threads]
        ? import('../inference/runtime.ts').then(({ InferenceRuntime }) => new InferenceRuntime({ createWorker: THREADED[threads]!, verdicts: null }))
        : null;
    },
    ocr: async (photoBase64, options) => {
      const { photoPixels } = await import('../inference/photo-pixels.ts');
      const bytes = Uint8Array.from(atob(photoBase64), (c) => c.charCodeAt(0));
      const t0 = performance.now();
      const pixels = await photoPixels(new Blob([bytes]));
      const decodeMs = performance.now() - t0;
      return { ...(await (await get()).ocr.read(pixels, options)), decodeMs };
    },
    ocrWarm: async (options) => (await get()).ocr.warm(options),
    runtime: () => get(),
    models: async () => (await import('../../models/registry.ts')).MODELS.map((m) => ({ name: m.name, licence: m.licence, licenceNote: m.licenceNote, bytes: m.bytes })),
  };
}
