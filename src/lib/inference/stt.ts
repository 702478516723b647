/**
 * Speech to text through the inference worker (protocol/stt.ts): the app's side. `runtime.
 * transcribe(samples, {mode})` for one utterance (a command after a wake word), and `runtime.
 * openStt()` for a stream the worker cuts into utterances with Silero VAD (the scribe).
 * This file holds the stream handle; runtime.ts holds the entry points.
 */
import { OsmoseError } from '../../../protocol/errors.ts';
import { STT_LIMITS, type SttResult, type SttStreamOptions, type SttTranscript } from '../../../protocol/stt.ts';
import type { InferenceRequest, InferenceResponse } from '../../../protocol/inference.ts';
import type { Backend } from '../../../models/registry.ts';
import type { Command } from '../../../workers/inference/stt/commands.ts';

export type { SttResult, SttStreamOptions, SttTranscript, Command };
export { parseCommand } from '../../../workers/inference/stt/commands.ts';

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

type Omitted<R> = R extends unknown ? Omit<R, 'v' | 'id'> : never;
type AnswerOf<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;

/** What the stream handle needs of the runtime. */
export interface SttTransport {
  /** Rejects with the stream's loss once its worker is gone. */
  request<T extends 'stt-results' | 'stt-closed'>(h: SttHandle, body: Omitted<InferenceRequest>, expect: T, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<AnswerOf<T>>;
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
