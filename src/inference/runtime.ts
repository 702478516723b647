/**
 * The app's handle on the inference worker (workers/inference.worker.ts), through the one worker
 * client (platform/worker-client.ts): the worker starts on first use, answers are matched by id
 * and validated, every request has a deadline, and a crashed or stuck worker is replaced (what was
 * in flight rejects with `worker-crashed`; the next request starts a new worker). On top of that:
 * which backend each model runs on (backend-choice.ts), and wake-word streams (wake-stream.ts).
 */
import { OsmoseError } from '../../protocol/errors.ts';
import {
  INFERENCE_LIMITS, InferenceResponse, transferList,
  type DType, type InferenceRequest, type WireTensor, type AdapterInfo, type WakeOptions, type WakeStep,
} from '../../protocol/inference.ts';
import { findModel, type Backend } from '../../models/registry.ts';
import { modelsFor, PHRASES } from '../../workers/inference/wake/models.ts';
import { WorkerClient, type RequestBody, type WorkerLike } from '../platform/worker-client.ts';
import { BackendChooser, type VerdictStore } from './backend-choice.ts';
import { WakeHandle, type OpenWakeOptions, type WakeChannel, type WakeStream } from './wake-stream.ts';
import { Faces, ownBuffer } from './faces.ts';
import { SpeechToText } from './stt.ts';
import { TextReader } from './ocr.ts';

export type { WakeOptions, WakeStep, WakeStream, OpenWakeOptions, WorkerLike };
export type { PhotoPixels, ReadTextOptions, TextRead, OcrLine, OcrTimings } from './ocr.ts';
export type { OpenSttOptions, SttStream, SttTranscript, TranscribeOptions } from './stt.ts';
export type { FrameInput, FaceModel, DetectFacesOptions, FacesFound, FoundFace, FaceDetectOptions, ShotVerdict } from './faces.ts';
/** The phrase models a wake stream can listen for (model names: 'hey_jarvis_v0.1', 'timer_v0.1', ...). */
export const WAKE_PHRASES: readonly string[] = PHRASES;

export type TensorInput = { dtype: DType; dims: number[]; data: ArrayBuffer | ArrayBufferView };
type Answer = InferenceResponse;
type AnswerOf<T extends Answer['t']> = Extract<Answer, { t: T }>;

export interface RuntimeOptions {
  /** Starts an inference worker (the app's: `new Worker(…inference.worker.ts)`). */
  createWorker: () => WorkerLike;
  /** Where WebGPU verdicts are kept between starts (localStorage in the app; null: not kept). */
  verdicts: VerdictStore | null;
  /** Use a software (fallback) WebGPU adapter even when it agrees with wasm. Off: it is far slower. */
  allowFallbackAdapter?: boolean;
  /** Per-request deadlines in ms (defaults below). */
  timeouts?: Partial<Record<'load' | 'run' | 'compare' | 'probe' | 'ocr', number>>;
  /** Extra time the page waits past a deadline before declaring the worker stuck. */
  graceMs?: number;
}

const DEFAULT_TIMEOUTS = { load: 30_000, run: 5_000, compare: 60_000, probe: 5_000, ocr: 60_000 };

export class InferenceRuntime {
  private readonly client: WorkerClient<InferenceRequest, Answer>;
  private readonly timeouts: typeof DEFAULT_TIMEOUTS;
  private readonly chooser: BackendChooser;
  private nextStream = 1;
  /** Open wake streams, told when their worker goes. */
  private readonly wakeStreams = new Set<WakeHandle>();
  /** Faces: detection, enrolment shots, matching (faces.ts). */
  readonly faces: Faces;
  /** Speech to text: one utterance, or a stream cut into utterances (stt.ts). */
  readonly stt: SpeechToText;
  /** Text from a photo (ocr.ts). */
  readonly ocr: TextReader;

  constructor(opts: RuntimeOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.client = new WorkerClient({
      name: 'the inference worker',
      create: opts.createWorker,
      answers: InferenceResponse,
      graceMs: opts.graceMs,
      onLost: (err) => {
        for (const h of [...this.wakeStreams]) h.lose(err);
        this.wakeStreams.clear();
        this.stt.lose(err);
      },
    });
    this.chooser = new BackendChooser({
      probe: () => this.probe().then((p) => p.adapter),
      compare: (model) => this.compareBackends(model),
      store: opts.verdicts,
      allowFallbackAdapter: opts.allowFallbackAdapter ?? false,
    });
    this.faces = new Faces({
      start: () => this.client.start(),
      request: (body, expect, timeoutMs, transfer) => this.request(body, expect, timeoutMs, transfer),
      backendFor: (m) => this.backendFor(m),
      load: (m, b) => this.load(m, b),
      timeouts: this.timeouts,
    });
    this.stt = new SpeechToText({
      start: () => this.client.start(),
      running: () => this.client.running,
      request: (body, expect, timeoutMs, transfer) => this.request(body, expect, timeoutMs, transfer),
      backendFor: (m) => this.backendFor(m),
      load: (m, b) => this.load(m, b),
      timeouts: this.timeouts,
      nextStreamId: () => `stt-${this.nextStream++}`,
    });
    this.ocr = new TextReader({
      start: () => this.client.start(),
      request: (body, expect, timeoutMs, transfer) => this.request(body, expect, timeoutMs, transfer),
      backendFor: (m) => this.backendFor(m),
      load: (m, b) => this.load(m, b),
      timeouts: this.timeouts,
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
    this.client.start();
    await Promise.all(modelsFor(known).map(async (m) => this.load(m, options.backends?.[m] ?? (await this.backendFor(m)))));
  }

  /**
   * Opens a wake-word stream on these phrase models (names from WAKE_PHRASES). Each model of the
   * pipeline (silero_vad_v5, melspectrogram, the embedding models and the phrases) runs on the backend
   * the chooser picks for it: WebGPU only where it was checked against wasm on this device, so
   * silero falls back to wasm where its WebGPU output disagrees. Several streams may be open at
   * once (one per microphone served), up to INFERENCE_LIMITS.wakeStreams.
   */
  async openWake(phrases: readonly string[], options: OpenWakeOptions = {}): Promise<WakeStream> {
    const unknown = phrases.filter((p) => !PHRASES.includes(p));
    if (unknown.length) throw new OsmoseError('model-unavailable', `not wake-word models: ${unknown.join(', ')}`);
    if (!phrases.length) throw new OsmoseError('bad-request', 'a wake stream needs at least one phrase');
    const models = modelsFor(phrases, options);
    // The worker warms ORT as it boots: start it before the backend choice, not after.
    this.client.start();
    const chosen = await Promise.all(models.map((m) => options.backends?.[m] ?? this.backendFor(m)));
    const backends: Record<string, Backend> = Object.fromEntries(models.map((m, i) => [m, chosen[i]!]));
    const stream = `wake-${this.nextStream++}`;
    const { backends: _forced, ...pipelineOptions } = options;
    // Remember the worker before asking, so that a crash while opening is seen as one.
    const worker = this.client.start();
    const timeoutMs = this.timeouts.load;
    const a = await this.request({ t: 'wake-open', stream, phrases: [...phrases], backends, options: pipelineOptions, timeoutMs }, 'wake-opened', timeoutMs);
    const handle = new WakeHandle(this.wakeChannel(), worker, stream, [...phrases], options, backends, a.load, a.prepareMs);
    if (this.client.running !== worker) handle.lose(new OsmoseError('worker-crashed', 'the inference worker restarted while the stream opened'));
    else this.wakeStreams.add(handle);
    return handle;
  }

  /** The verdicts this runtime knows (diagnostics). */
  verdicts(): Record<string, { agrees: boolean; maxAbsDiff: number; adapter: AdapterInfo; backend: Backend }> {
    return this.chooser.known();
  }

  dispose(): void {
    this.client.dispose(new OsmoseError('cancelled', 'the inference runtime was closed'));
  }

  /** What a wake stream needs of the runtime: requests to the worker it was opened on. */
  private wakeChannel(): WakeChannel {
    return {
      running: () => this.client.running,
      request: (h, body, expect, timeoutMs, transfer = []) => {
        if (this.client.running !== h.worker) return Promise.reject(h.lostError ?? new OsmoseError('worker-crashed', 'the inference worker restarted; open the wake stream again'));
        return this.request(body, expect, timeoutMs, transfer);
      },
      forget: (h) => void this.wakeStreams.delete(h),
      // Deadline for a push of `n` samples: the run deadline plus real time.
      timeoutFor: (n) => Math.min(INFERENCE_LIMITS.timeoutMs, this.timeouts.run + Math.ceil(n / 16)),
    };
  }

  private request<T extends Answer['t']>(body: RequestBody<InferenceRequest>, expect: T, timeoutMs: number, transfer: ArrayBuffer[] = []): Promise<AnswerOf<T>> {
    if ('model' in body && !findModel(body.model)) return Promise.reject(new OsmoseError('model-unavailable', `no model named ${body.model} in the registry`));
    return this.client.request(body, expect, timeoutMs, transfer);
  }
}
