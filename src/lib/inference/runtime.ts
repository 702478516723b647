/**
 * The app's handle on the inference worker. Starts the worker on first use; matches answers to
 * requests by id; gives every request a deadline; on a worker crash rejects what was in flight with
 * `worker-crashed` and starts a fresh worker on the next request. A request that outlives its
 * deadline by a grace period means the worker's event loop is stuck (its own deadline did not
 * fire): the worker is replaced.
 */
import { OsmoseError } from '../../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';
import {
  INFERENCE_LIMITS, InferenceResponse, transferList,
  type DType, type InferenceRequest, type WireTensor, type AdapterInfo, type WakeOptions, type WakeStep,
} from '../../../protocol/inference.ts';
import { findModel, type Backend } from '../../../models/registry.ts';
import { modelsFor, PHRASES } from '../../../workers/voice/models.ts';
import { BackendChooser, type VerdictStore } from './backend-choice.ts';
import { OCR_LIMITS, type OcrLine, type OcrOptions, type OcrTimings } from '../../../protocol/ocr.ts';
import { ocrModels } from '../../../workers/inference/ocr/models.ts';
import { textOf } from '../../../workers/inference/ocr/reading-order.ts';

export type { WakeOptions, WakeStep, OcrLine, OcrTimings };

/** A photo's pixels: RGBA, 4 bytes per pixel, row by row (a canvas's ImageData). */
export interface PhotoPixels {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array | ArrayBuffer;
}

export interface ReadTextOptions extends OcrOptions {
  /** Force backends (benchmarks, tests); models not named here use the chooser's verdict. */
  backends?: Partial<Record<string, Backend>>;
  timeoutMs?: number;
}

/** What `readText` found. */
export interface TextRead {
  /** In reading order: rows top to bottom, left to right within a row. */
  lines: OcrLine[];
  /** The page's text: a row's lines joined by spaces, rows by line breaks. */
  text: string;
  width: number;
  height: number;
  detectSize: { width: number; height: number };
  /** Boxes the detector found (lines under the confidence floor included). */
  boxes: number;
  backends: Record<string, Backend>;
  ms: OcrTimings;
}
/** The phrase models a wake stream can listen for (model names: 'hey_jarvis_v0.1', 'timer_v0.1', ...). */
export const WAKE_PHRASES: readonly string[] = PHRASES;

/**
 * A wake-word stream in the inference worker (see `InferenceRuntime.openWake`). Push 16 kHz mono
 * samples in [-1, 1], any length; each push resolves with the 80 ms steps it completed, in order.
 * Pushes may overlap: they are processed in call order.
 *
 * After a worker crash every push rejects with `worker-crashed` and `lost` resolves: open a new
 * stream with the same arguments (`runtime.openWake(stream.phrases, stream.options)`); the runtime
 * starts a fresh worker for it. The new stream's `endSample` clock starts again at 0.
 */
export interface WakeStream {
  readonly id: string;
  readonly phrases: readonly string[];
  readonly options: OpenWakeOptions;
  /** The backend each model of the pipeline runs on. */
  readonly backends: Readonly<Record<string, Backend>>;
  /** Per model: fetch + verify + session create in ms (zeros when the session was already open). */
  readonly load: Readonly<Record<string, { fetch: number; verify: number; create: number }>>;
  /** Time the worker spent preparing the stream's start state. */
  readonly prepareMs: number;
  /** The caller keeps `samples` (they are copied). */
  push(samples: Float32Array): Promise<WakeStep[]>;
  /** Frees the stream in the worker. Idempotent; pushes after it reject with `cancelled`. */
  close(): Promise<void>;
  /** Resolves, with the reason, once the stream is unusable: worker crashed, runtime disposed, or closed. */
  readonly lost: Promise<OsmoseError>;
}

export interface OpenWakeOptions extends WakeOptions {
  /** Force backends (benchmarks, tests); models not named here use the chooser's verdict. */
  backends?: Partial<Record<string, Backend>>;
}

/** What the runtime needs of a Worker (a fake in unit tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: ErrorEvent | Event) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
}

export type TensorInput = { dtype: DType; dims: number[]; data: ArrayBuffer | ArrayBufferView };
type Answer = InferenceResponse;
type AnswerOf<T extends Answer['t']> = Extract<Answer, { t: T }>;
type Omitted<R> = R extends unknown ? Omit<R, 'v' | 'id'> : never;

export interface RuntimeOptions {
  createWorker?: () => WorkerLike;
  /** Per-request deadlines in ms. */
  timeouts?: Partial<Record<'load' | 'run' | 'compare' | 'probe' | 'ocr', number>>;
  /** Extra time the page waits past a deadline before declaring the worker stuck. */
  graceMs?: number;
  verdicts?: VerdictStore | null;
  /** Use a software (fallback) WebGPU adapter even when it agrees with wasm. Off: it is far slower. */
  allowFallbackAdapter?: boolean;
  /** ORT threads in the worker (benchmarks), instead of half the cores; used only when isolated. */
  threads?: number;
}

const DEFAULT_TIMEOUTS = { load: 30_000, run: 5_000, compare: 60_000, probe: 5_000, ocr: 60_000 };

interface Pending {
  resolve(answer: Answer): void;
  reject(err: OsmoseError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class InferenceRuntime {
  /** @internal */
  worker: WorkerLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private readonly timeouts: typeof DEFAULT_TIMEOUTS;
  private readonly chooser: BackendChooser;
  /** How many workers this runtime has started (diagnostics, tests). */
  workersStarted = 0;
  private nextStream = 1;
  /** Open wake streams, told when their worker goes. */
  private wakeStreams = new Set<WakeHandle>();

  constructor(private readonly opts: RuntimeOptions = {}) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.chooser = new BackendChooser({
      probe: () => this.probe().then((p) => p.adapter),
      compare: (model) => this.compareBackends(model),
      store: opts.verdicts ?? null,
      allowFallbackAdapter: opts.allowFallbackAdapter ?? false,
    });
  }

  /** Which backend `model` runs on here (checks WebGPU against wasm once per model and adapter). */
  backendFor(model: string): Promise<Backend> {
    return this.chooser.choose(model);
  }

  async load(model: string, backend?: Backend): Promise<AnswerOf<'loaded'>> {
    const b = backend ?? (await this.backendFor(model));
    return this.request({ t: 'load', model, backend: b, timeoutMs: this.timeouts.load }, 'loaded', this.timeouts.load);
  }

  async run(model: string, inputs: Record<string, TensorInput>, opts: { backend?: Backend; timeoutMs?: number } = {}): Promise<{ outputs: Record<string, WireTensor>; ms: number }> {
    const backend = opts.backend ?? (await this.backendFor(model));
    // A run may have to open the model first (after a worker restart): allow for a load.
    const timeoutMs = opts.timeoutMs ?? this.timeouts.run + this.timeouts.load;
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(inputs)) wire[name] = { dtype: t.dtype, dims: [...t.dims], data: ownBuffer(t.data) };
    const a = await this.request({ t: 'run', model, backend, inputs: wire, timeoutMs }, 'ran', timeoutMs, transferList(wire));
    return { outputs: a.outputs, ms: a.ms };
  }

  unload(model: string): Promise<AnswerOf<'unloaded'>> {
    return this.request({ t: 'unload', model }, 'unloaded', this.timeouts.probe);
  }

  probe(): Promise<AnswerOf<'probed'>> {
    return this.request({ t: 'probe' }, 'probed', this.timeouts.probe);
  }

  compareBackends(model: string): Promise<AnswerOf<'compared'>> {
    return this.request({ t: 'compare-backends', model, timeoutMs: this.timeouts.compare }, 'compared', this.timeouts.compare);
  }

  /**
   * Gets a wake stream ready ahead of time (the Voice panel opened, a listener is being chosen):
   * starts the worker, which starts ORT's wasm runtime, and fetches, verifies and opens every model
   * the stream would need, all at once. A later `openWake` with these phrases then finds the
   * sessions open. Resolves when they are; rejects as `load` would (callers may ignore that: the
   * later `openWake` retries and reports it).
   */
  async warmWake(phrases: readonly string[], options: Pick<OpenWakeOptions, 'backends'> = {}): Promise<void> {
    const known = phrases.filter((p) => PHRASES.includes(p));
    this.ensureWorker();
    await Promise.all(modelsFor(known).map(async (m) => this.load(m, options.backends?.[m] ?? (await this.backendFor(m)))));
  }

  /**
   * Opens a wake-word stream on these phrase models (names from WAKE_PHRASES). Each model of the
   * pipeline (silero_vad_v5, melspectrogram, embedding_model and the phrases) runs on the backend
   * the chooser picks for it: WebGPU only where it was checked against wasm on this device, so
   * silero falls back to wasm where its WebGPU output disagrees. Several streams may be open at
   * once (one per microphone served), up to INFERENCE_LIMITS.wakeStreams.
   */
  async openWake(phrases: readonly string[], options: OpenWakeOptions = {}): Promise<WakeStream> {
    const unknown = phrases.filter((p) => !PHRASES.includes(p));
    if (unknown.length) throw new OsmoseError('model-unavailable', `not wake-word models: ${unknown.join(', ')}`);
    if (!phrases.length) throw new OsmoseError('bad-request', 'a wake stream needs at least one phrase');
    const models = modelsFor(phrases);
    // The worker warms ORT as it boots: start it before the backend choice, not after.
    this.ensureWorker();
    const chosen = await Promise.all(models.map((m) => options.backends?.[m] ?? this.backendFor(m)));
    const backends: Record<string, Backend> = Object.fromEntries(models.map((m, i) => [m, chosen[i]!]));
    const stream = `wake-${this.nextStream++}`;
    const { backends: _forced, ...pipelineOptions } = options;
    // Remember the worker before asking, so that a crash while opening is seen as one.
    const worker = this.ensureWorker();
    const timeoutMs = this.timeouts.load;
    const a = await this.request({ t: 'wake-open', stream, phrases: [...phrases], backends, options: pipelineOptions, timeoutMs }, 'wake-opened', timeoutMs);
    const handle = new WakeHandle(this, worker, stream, [...phrases], options, backends, a.load, a.prepareMs);
    if (this.worker !== worker) handle.lose(new OsmoseError('worker-crashed', 'the inference worker restarted while the stream opened'));
    else this.wakeStreams.add(handle);
    return handle;
  }

  /** @internal WakeHandle's way in. */
  wakeRequest<T extends 'wake-scores' | 'wake-closed'>(h: WakeHandle, body: Omitted<InferenceRequest>, expect: T, timeoutMs: number, transfer: ArrayBuffer[] = []): Promise<AnswerOf<T>> {
    if (this.worker !== h.worker) return Promise.reject(h.lostError ?? new OsmoseError('worker-crashed', 'the inference worker restarted; open the wake stream again'));
    return this.request(body, expect, timeoutMs, transfer);
  }

  /** @internal */
  wakeForget(h: WakeHandle): void {
    this.wakeStreams.delete(h);
  }

  /** @internal Deadline for a push of `n` samples: the run deadline plus real time. */
  wakeTimeout(n: number): number {
    return Math.min(INFERENCE_LIMITS.timeoutMs, this.timeouts.run + Math.ceil(n / 16));
  }

  /**
   * Reads the text in a photo, in the inference worker (PaddleOCR PP-OCRv4: detection, optional
   * orientation, recognition; workers/inference/ocr/). The pixels' buffer is TRANSFERRED: the
   * caller's array is emptied (a view of part of a larger buffer is copied instead). A photo over
   * OCR_LIMITS is refused with `too-large`: scale it down first (photoPixels does).
   */
  async readText(image: PhotoPixels, options: ReadTextOptions = {}): Promise<TextRead> {
    if (image.width * image.height > OCR_LIMITS.maxPixels || Math.max(image.width, image.height) > OCR_LIMITS.maxSide) {
      throw new OsmoseError('too-large', `a ${image.width}×${image.height} photo is over ${OCR_LIMITS.maxPixels} pixels or ${OCR_LIMITS.maxSide} per side`);
    }
    const { backends: forced, timeoutMs: asked, ...options_ } = options;
    const models = ocrModels(options.orientation ?? false);
    this.ensureWorker(); // starts ORT while the backends are chosen
    const chosen = await Promise.all(models.map((m) => forced?.[m] ?? this.backendFor(m)));
    const backends: Record<string, Backend> = Object.fromEntries(models.map((m, i) => [m, chosen[i]!]));
    const timeoutMs = Math.min(INFERENCE_LIMITS.timeoutMs, asked ?? this.timeouts.ocr + this.timeouts.load);
    const data = ownBuffer(image.data);
    const a = await this.request({ t: 'ocr-read', image: { width: image.width, height: image.height, data }, backends, options: options_, timeoutMs }, 'ocr-lines', timeoutMs, [data]);
    return { lines: a.lines, text: textOf(a.lines), width: a.width, height: a.height, detectSize: a.detectSize, boxes: a.boxes, backends, ms: a.ms };
  }

  /** Opens the OCR models ahead of a read (the camera opened), on the backends a read would use. */
  async warmOcr(options: Pick<ReadTextOptions, 'orientation' | 'backends'> = {}): Promise<void> {
    this.ensureWorker();
    await Promise.all(ocrModels(options.orientation ?? false).map(async (m) => this.load(m, options.backends?.[m] ?? (await this.backendFor(m)))));
  }

  /** Diagnostics: make the worker crash (tests the recovery path). */
  crashWorker(): Promise<never> {
    return this.request({ t: 'crash' }, 'unloaded', this.timeouts.probe) as Promise<never>;
  }

  /** The verdicts this runtime knows (diagnostics). */
  verdicts(): Record<string, { agrees: boolean; maxAbsDiff: number; adapter: AdapterInfo; backend: Backend }> {
    return this.chooser.known();
  }

  dispose(): void {
    this.fail(new OsmoseError('cancelled', 'the inference runtime was closed'));
  }

  private request<T extends Answer['t']>(body: Omitted<InferenceRequest>, expect: T, timeoutMs: number, transfer: ArrayBuffer[] = []): Promise<AnswerOf<T>> {
    if ('model' in body && !findModel(body.model)) return Promise.reject(new OsmoseError('model-unavailable', `no model named ${body.model} in the registry`));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<AnswerOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OsmoseError('timeout', `the inference worker did not answer ${body.t} in ${timeoutMs} ms`));
        // Its own deadline should have answered first: the worker is stuck. Replace it.
        if (this.worker === worker) this.restart(worker, 'the inference worker stopped answering');
      }, timeoutMs + (this.opts.graceMs ?? 2_000));
      this.pending.set(id, {
        timer,
        reject,
        resolve: (answer) => {
          if (answer.t === 'error') reject(new OsmoseError(answer.error.code, answer.error.message));
          else if (answer.t !== expect) reject(new OsmoseError('bad-request', `expected ${expect}, got ${answer.t}`));
          else resolve(answer as AnswerOf<T>);
        },
      });
      try {
        worker.postMessage({ ...body, v: PROTOCOL_VERSION, id }, transfer);
      } catch (err) {
        this.settle(id)?.reject(new OsmoseError('bad-request', `could not send to the inference worker: ${(err as Error)?.message ?? err}`));
      }
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  /** @internal (the worker wake streams belong to) */
  ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    // The worker reads a thread count from its name (ort-loader.ts's threadsAsked).
    const name = this.opts.threads ? `osmose-inference threads=${this.opts.threads}` : 'osmose-inference';
    const w = this.opts.createWorker?.() ?? (new Worker(new URL('../../../workers/inference.worker.ts', import.meta.url), { type: 'module', name }) as unknown as WorkerLike);
    this.workersStarted++;
    w.onmessage = (ev) => this.onAnswer(ev.data);
    w.onerror = (ev) => {
      (ev as Event).preventDefault?.();
      this.restart(w, `the inference worker crashed: ${(ev as ErrorEvent).message ?? 'error'}`);
    };
    w.onmessageerror = () => console.warn('[osmose] inference worker: a message could not be deserialized');
    this.worker = w;
    return w;
  }

  private onAnswer(data: unknown): void {
    const parsed = InferenceResponse.safeParse(data);
    if (!parsed.success) {
      // Unreadable: if it names a request, fail that one rather than let it time out.
      const raw = data as { id?: unknown; v?: unknown } | null;
      console.warn('[osmose] inference worker sent an invalid message', parsed.error.issues[0]?.message);
      if (typeof raw?.id === 'number') this.settle(raw.id)?.reject(new OsmoseError(raw.v !== PROTOCOL_VERSION ? 'protocol-version' : 'bad-request', 'invalid answer from the inference worker'));
      return;
    }
    const p = this.settle(parsed.data.id);
    if (!p) {
      if (parsed.data.t === 'error') console.warn('[osmose] inference worker:', parsed.data.error.message);
      return; // late answer to a request that timed out
    }
    p.resolve(parsed.data);
  }

  private restart(w: WorkerLike, why: string): void {
    console.warn('[osmose]', why);
    if (this.worker !== w) return;
    this.worker = null;
    w.onmessage = w.onerror = w.onmessageerror = null;
    w.terminate();
    this.fail(new OsmoseError('worker-crashed', why));
  }

  private fail(err: OsmoseError): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
    for (const h of [...this.wakeStreams]) h.lose(err);
    this.wakeStreams.clear();
    if (err.code !== 'worker-crashed') {
      this.worker?.terminate();
      this.worker = null;
    }
  }
}

/** A buffer the message can own and transfer: a view of part of a larger buffer is copied. */
function ownBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}

class WakeHandle implements WakeStream {
  lostError: OsmoseError | null = null;
  readonly lost: Promise<OsmoseError>;
  private resolveLost!: (e: OsmoseError) => void;

  constructor(
    private readonly rt: InferenceRuntime,
    readonly worker: WorkerLike,
    readonly id: string,
    readonly phrases: readonly string[],
    readonly options: OpenWakeOptions,
    readonly backends: Readonly<Record<string, Backend>>,
    readonly load: Readonly<Record<string, { fetch: number; verify: number; create: number }>>,
    readonly prepareMs: number,
  ) {
    this.lost = new Promise((r) => (this.resolveLost = r));
  }

  async push(samples: Float32Array): Promise<WakeStep[]> {
    if (this.lostError) throw this.lostError;
    // Longer than one message may carry: several messages, processed in order by the worker.
    const max = INFERENCE_LIMITS.wakeSamples;
    const parts: Promise<AnswerOf<'wake-scores'>>[] = [];
    for (let at = 0; at < samples.length; at += max) {
      const buf = samples.slice(at, at + max).buffer as ArrayBuffer;
      const timeoutMs = this.rt.wakeTimeout(buf.byteLength / 4);
      parts.push(this.rt.wakeRequest(this, { t: 'wake-audio', stream: this.id, samples: buf, timeoutMs }, 'wake-scores', timeoutMs, [buf]));
    }
    try {
      return (await Promise.all(parts)).flatMap((a) => a.steps);
    } catch (err) {
      // The stream is gone from the worker: it was replaced between our check and the answer.
      if (err instanceof OsmoseError && err.code === 'not-found' && this.rt.worker !== this.worker) throw new OsmoseError('worker-crashed', err.message);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.lostError) return;
    this.lose(new OsmoseError('cancelled', `wake stream ${this.id} was closed`));
    if (this.rt.worker !== this.worker) return;
    await this.rt.wakeRequest(this, { t: 'wake-close', stream: this.id }, 'wake-closed', 5_000).catch((err: OsmoseError) => {
      if (err.code !== 'not-found' && err.code !== 'worker-crashed') throw err;
    });
  }

  /** @internal */
  lose(err: OsmoseError): void {
    if (this.lostError) return;
    this.lostError = err;
    this.rt.wakeForget(this);
    this.resolveLost(err);
  }
}
