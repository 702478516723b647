/**
 * Speech to text through the inference worker (protocol/stt.ts): the app's side. `runtime.
 * transcribe(samples, {mode})` for one utterance (a command after a wake word), and `runtime.
 * openStt()` for a stream the worker cuts into utterances with Silero VAD (the scribe).
 * A part of the runtime (runtime.ts builds it with the requests it may make), like faces.ts.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { STT_LIMITS, type SttResult, type SttStreamOptions, type SttTranscript } from '../../protocol/stt.ts';
import { INFERENCE_LIMITS, type InferenceRequest, type InferenceResponse } from '../../protocol/inference.ts';
import type { RequestBody, WorkerLike } from '../platform/worker-client.ts';
import type { Backend } from '../../models/registry.ts';
import type { Command } from '../../workers/inference/stt/commands.ts';

export type { SttResult, SttStreamOptions, SttTranscript, Command };
export { parseCommand } from '../../workers/inference/stt/commands.ts';

/** The models speech to text runs: the stream's (VAD first) and a one-shot transcription's. */
export const STT_STREAM_MODELS = ['silero_vad_v5', 'moonshine_tiny_encoder', 'moonshine_tiny_decoder'] as const;
export const STT_MODELS = ['moonshine_tiny_encoder', 'moonshine_tiny_decoder'] as const;

export interface TranscribeOptions {
  /** 'free' (default): any text. 'command': a command after a wake word; see `SttTranscript.command`. */
  mode?: 'free' | 'command';
  /** false: decode without the key/value cache (benchmarks only: slower, same model). */
  cache?: boolean;
  /** Command mode: run the constrained decode even when the free text is a command (measurements). */
  alwaysConstrain?: boolean;
  /** Force backends (benchmarks, tests); others use the chooser's verdict. */
  backends?: Partial<Record<string, Backend>>;
}

export interface OpenSttOptions extends SttStreamOptions {
  backends?: Partial<Record<string, Backend>>;
}

/**
 * A speech-to-text stream in the inference worker. Push 16 kHz mono samples in [-1, 1], any
 * length; each push resolves with the utterances it closed (text, start and end in samples since
 * the stream opened), in order. `flush()` closes the utterance in progress. After a worker crash
 * every push rejects with `worker-crashed` and `lost` resolves: open a new stream.
 */
export interface SttStream {
  readonly id: string;
  readonly options: OpenSttOptions;
  readonly backends: Readonly<Record<string, Backend>>;
  readonly load: Readonly<Record<string, { fetch: number; verify: number; create: number }>>;
  /** Whether speech was heard and its utterance is still open (after the last answer). */
  readonly speaking: boolean;
  /** The caller keeps `samples` (they are copied). */
  push(samples: Float32Array): Promise<SttResult[]>;
  flush(): Promise<SttResult[]>;
  close(): Promise<void>;
  readonly lost: Promise<OsmoseError>;
}

type AnswerOf<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;

/** What the stream handle needs of the runtime. */
export interface SttTransport {
  /** Rejects with the stream's loss once its worker is gone. */
  request<T extends 'stt-results' | 'stt-closed'>(h: SttHandle, body: RequestBody<InferenceRequest>, expect: T, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<AnswerOf<T>>;
  /** Deadline for a request that may decode `n` samples. */
  timeoutFor(n: number): number;
  /** Whether the handle's worker is still the runtime's. */
  current(h: SttHandle): boolean;
  forget(h: SttHandle): void;
}

export class SttHandle implements SttStream {
  lostError: OsmoseError | null = null;
  speaking = false;
  readonly lost: Promise<OsmoseError>;
  private resolveLost!: (e: OsmoseError) => void;

  constructor(
    private readonly rt: SttTransport,
    readonly worker: unknown,
    readonly id: string,
    readonly options: OpenSttOptions,
    readonly backends: Readonly<Record<string, Backend>>,
    readonly load: Readonly<Record<string, { fetch: number; verify: number; create: number }>>,
  ) {
    this.lost = new Promise((r) => (this.resolveLost = r));
  }

  async push(samples: Float32Array): Promise<SttResult[]> {
    if (this.lostError) throw this.lostError;
    const max = STT_LIMITS.pushSamples;
    const parts: Promise<AnswerOf<'stt-results'>>[] = [];
    for (let at = 0; at < samples.length; at += max) {
      const buf = samples.slice(at, at + max).buffer as ArrayBuffer;
      // Any push may close an utterance (up to 30 s) and wait for its text.
      const timeoutMs = this.rt.timeoutFor(STT_LIMITS.transcribeSamples);
      parts.push(this.rt.request(this, { t: 'stt-audio', stream: this.id, samples: buf, timeoutMs }, 'stt-results', timeoutMs, [buf]));
    }
    return this.collect(parts);
  }

  flush(): Promise<SttResult[]> {
    if (this.lostError) return Promise.reject(this.lostError);
    const timeoutMs = this.rt.timeoutFor(STT_LIMITS.transcribeSamples);
    return this.collect([this.rt.request(this, { t: 'stt-flush', stream: this.id, timeoutMs }, 'stt-results', timeoutMs)]);
  }

  async close(): Promise<void> {
    if (this.lostError) return;
    this.lose(new OsmoseError('cancelled', `speech-to-text stream ${this.id} was closed`));
    if (!this.rt.current(this)) return;
    await this.rt.request(this, { t: 'stt-close', stream: this.id }, 'stt-closed', 5_000).catch((err: OsmoseError) => {
      if (err.code !== 'not-found' && err.code !== 'worker-crashed') throw err;
    });
  }

  /** @internal */
  lose(err: OsmoseError): void {
    if (this.lostError) return;
    this.lostError = err;
    this.rt.forget(this);
    this.resolveLost(err);
  }

  private async collect(parts: Promise<AnswerOf<'stt-results'>>[]): Promise<SttResult[]> {
    try {
      const answers = await Promise.all(parts);
      if (answers.length) this.speaking = answers.at(-1)!.speaking;
      return answers.flatMap((a) => a.results);
    } catch (err) {
      if (err instanceof OsmoseError && err.code === 'not-found' && !this.rt.current(this)) throw new OsmoseError('worker-crashed', err.message);
      throw err;
    }
  }
}

export type { AnswerOf as SttAnswerOf };
export type SttTranscriptAnswer = AnswerOf<'stt-text'>;

/** What speech to text needs of the runtime. */
export interface SttChannel {
  /** Starts the worker if none runs, and returns it. */
  start(): WorkerLike;
  running(): WorkerLike | null;
  request<T extends InferenceResponse['t']>(body: RequestBody<InferenceRequest>, expect: T, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<AnswerOf<T>>;
  backendFor(model: string): Promise<Backend>;
  load(model: string, backend: Backend): Promise<unknown>;
  timeouts: { load: number; run: number };
  nextStreamId(): string;
}

/** The runtime's speech to text: one-shot transcriptions and streams. */
export class SpeechToText {
  /** Open streams, told when their worker goes. */
  private readonly streams = new Set<SttHandle>();

  constructor(private readonly rt: SttChannel) {}

  /**
   * Speech to text for one utterance (16 kHz mono, up to 30 s; the samples are copied). In
   * 'command' mode the answer's `command` says what was asked (`kind: 'unknown'` with the text
   * heard when the grammar does not parse it). Moonshine's two models run on the backends the
   * chooser picks (WebGPU only where it matched wasm on this device).
   */
  async transcribe(samples: Float32Array, options: TranscribeOptions = {}): Promise<SttTranscript> {
    if (samples.length > STT_LIMITS.transcribeSamples) throw new OsmoseError('too-large', `at most ${STT_LIMITS.transcribeSamples / 16_000} s of audio in one transcription`);
    this.rt.start();
    const backends = await this.backendsFor(STT_MODELS, options.backends);
    const buf = samples.slice().buffer as ArrayBuffer;
    const timeoutMs = this.timeoutFor(samples.length);
    const a = await this.rt.request({ t: 'stt-transcribe', samples: buf, backends, mode: options.mode ?? 'free', cache: options.cache, alwaysConstrain: options.alwaysConstrain, timeoutMs }, 'stt-text', timeoutMs, [buf]);
    return a.transcript;
  }

  /** Opens a speech-to-text stream: the worker cuts the audio into utterances and answers each with its text. */
  async open(options: OpenSttOptions = {}): Promise<SttStream> {
    this.rt.start();
    const backends = await this.backendsFor(STT_STREAM_MODELS, options.backends);
    const { backends: _forced, ...streamOptions } = options;
    const stream = this.rt.nextStreamId();
    // Remember the worker before asking, so that a crash while opening is seen as one.
    const worker = this.rt.start();
    const timeoutMs = this.rt.timeouts.load;
    const a = await this.rt.request({ t: 'stt-open', stream, backends, options: streamOptions, timeoutMs }, 'stt-opened', timeoutMs);
    const handle = new SttHandle(
      {
        request: (h, body, expect, ms, transfer = []) =>
          this.rt.running() !== h.worker ? Promise.reject(h.lostError ?? new OsmoseError('worker-crashed', 'the inference worker restarted; open the stream again')) : this.rt.request(body, expect, ms, transfer),
        timeoutFor: (n) => this.timeoutFor(n),
        current: (h) => this.rt.running() === h.worker,
        forget: (h) => this.streams.delete(h),
      },
      worker, stream, options, backends, a.load,
    );
    if (this.rt.running() !== worker) handle.lose(new OsmoseError('worker-crashed', 'the inference worker restarted while the stream opened'));
    else this.streams.add(handle);
    return handle;
  }

  /** Fetches, verifies and opens the speech-to-text models ahead of use (the scribe is about to start). */
  async warm(options: Pick<OpenSttOptions, 'backends'> = {}): Promise<void> {
    this.rt.start();
    await Promise.all(STT_STREAM_MODELS.map(async (m) => this.rt.load(m, options.backends?.[m] ?? (await this.rt.backendFor(m)))));
  }

  /** The worker went: every open stream is lost. */
  lose(err: OsmoseError): void {
    for (const h of [...this.streams]) h.lose(err);
    this.streams.clear();
  }

  private async backendsFor(models: readonly string[], forced: Partial<Record<string, Backend>> = {}): Promise<Record<string, Backend>> {
    const chosen = await Promise.all(models.map((m) => forced[m] ?? this.rt.backendFor(m)));
    return Object.fromEntries(models.map((m, i) => [m, chosen[i]!]));
  }

  /** A decode may follow any push: the run deadline, a load, and twice real time for the audio. */
  private timeoutFor(n: number): number {
    return Math.min(INFERENCE_LIMITS.timeoutMs, this.rt.timeouts.run + this.rt.timeouts.load + Math.ceil(n / 8));
  }
}
