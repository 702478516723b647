/**
 * A wake-word stream in the inference worker, as the page holds it (opened by
 * `InferenceRuntime.openWake`). The stream's state lives in the worker it was opened on: when that
 * worker goes, the stream is lost (`lost` resolves, pushes reject with `worker-crashed`) and the
 * owner opens a new one.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { INFERENCE_LIMITS, type InferenceRequest, type InferenceResponse, type WakeOptions, type WakeStep } from '../../protocol/inference.ts';
import type { Backend } from '../../models/registry.ts';
import type { RequestBody, WorkerLike } from '../platform/worker-client.ts';

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

type AnswerOf<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;

/** What a stream needs of the runtime. */
export interface WakeChannel {
  /** The worker requests go to now. */
  running(): WorkerLike | null;
  /** A request to the stream's worker; rejects at once if that worker is gone. */
  request<T extends 'wake-scores' | 'wake-closed'>(h: WakeHandle, body: RequestBody<InferenceRequest>, expect: T, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<AnswerOf<T>>;
  /** The stream is over: the runtime stops telling it about crashes. */
  forget(h: WakeHandle): void;
  /** Deadline for a push of `n` samples. */
  timeoutFor(n: number): number;
}

export class WakeHandle implements WakeStream {
  lostError: OsmoseError | null = null;
  readonly lost: Promise<OsmoseError>;
  private resolveLost!: (e: OsmoseError) => void;

  constructor(
    private readonly rt: WakeChannel,
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
      const timeoutMs = this.rt.timeoutFor(buf.byteLength / 4);
      parts.push(this.rt.request(this, { t: 'wake-audio', stream: this.id, samples: buf, timeoutMs }, 'wake-scores', timeoutMs, [buf]));
    }
    try {
      return (await Promise.all(parts)).flatMap((a) => a.steps);
    } catch (err) {
      // The stream is gone from the worker: it was replaced between our check and the answer.
      if (err instanceof OsmoseError && err.code === 'not-found' && this.rt.running() !== this.worker) throw new OsmoseError('worker-crashed', err.message);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.lostError) return;
    this.lose(new OsmoseError('cancelled', `wake stream ${this.id} was closed`));
    if (this.rt.running() !== this.worker) return;
    await this.rt.request(this, { t: 'wake-close', stream: this.id }, 'wake-closed', 5_000).catch((err: OsmoseError) => {
      if (err.code !== 'not-found' && err.code !== 'worker-crashed') throw err;
    });
  }

  /** The stream is over (its worker went, the runtime closed, or it was closed). */
  lose(err: OsmoseError): void {
    if (this.lostError) return;
    this.lostError = err;
    this.rt.forget(this);
    this.resolveLost(err);
  }
}
