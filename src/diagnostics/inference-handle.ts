/**
 * Diagnostics: `window.osmoseInference`, the app's inference runtime for tests and benchmarks.
 * Installing it costs nothing: the runtime (and its worker) starts on first use. Tensors cross as
 * plain arrays so that Playwright can pass them. `crashWorker` and `workersStarted` work through
 * the worker factory the diagnostics build wraps (worker-tracker.ts).
 */
import type { Backend } from '../../models/registry.ts';
import type { DType } from '../../protocol/inference.ts';
import type { DetectFacesOptions, FacesFound, InferenceRuntime, OpenWakeOptions, WakeStep, WakeStream } from '../inference/runtime.ts';
import type { WorkerTracker } from './worker-tracker.ts';

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
  /** The runtime itself (benchmarks: typed arrays and transfers, no conversion to plain arrays). */
  runtime(): Promise<InferenceRuntime>;
}

const wakeStreams = new Map<string, WakeStream>();
function wakeStream(id: string): WakeStream {
  const s = wakeStreams.get(id);
  if (!s) throw Object.assign(new Error(`no wake stream ${id}`), { code: 'not-found' });
  return s;
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

export function inferenceHandle(get: () => Promise<InferenceRuntime>, workers: WorkerTracker): InferenceDebug {
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
    runtime: () => get(),
    models: async () => (await import('../../models/registry.ts')).MODELS.map((m) => ({ name: m.name, licence: m.licence, licenceNote: m.licenceNote, bytes: m.bytes })),
  };
}
