/**
 * The wake-word pipeline, streaming: 16 kHz mono Float32 in any chunk sizes, one result per
 * completed 80 ms step out. Silero VAD v5 runs on every 512-sample chunk; openWakeWord's reference
 * pipeline (its Python `AudioFeatures` + `Model.predict`) runs on every 1280-sample step:
 *
 *   samples x 32768 (int16 range) -> melspectrogram of the last 1760 samples -> 8 frames x 32
 *   -> x/10 + 2 -> 76-frame window -> embedding (96) -> last N embeddings -> each classifier.
 *
 * All state lives in fixed-size arrays (the audio ring, the VAD state, the mel window, the
 * embeddings), so memory is bounded whatever is pushed. Where we differ from openWakeWord, and why:
 * - the audio ring starts as 480 zeros, so the first step's melspectrogram also gets 1760 samples
 *   (openWakeWord's first call sees 1280 and yields 5 frames); later steps are the same.
 * - the initial embeddings come from seeded noise, not `np.random` (see initial-features.ts).
 * Like openWakeWord, the mel window starts as ones and the first WARMUP_STEPS scores are zeroed, so
 * start-up junk never triggers; and, as openWakeWord does with `vad_threshold` set, scores are
 * zeroed unless the VAD heard speech a moment before (see `vadGate`).
 *
 * Lazy embeddings (the default): rooms are mostly quiet, and while the gate is shut every score is
 * 0 whatever the classifiers say, so the embedding model (~70% of a step) and the classifiers are
 * not run. The gate of step n reads the VAD of steps n-6..n-4, so at step n the gates of steps
 * n..n+4 are already known. The melspectrogram still runs every step, into a history long enough
 * for the largest window of this stream's classifiers; when a gate is going to open, the missing
 * embeddings are computed from that history, oldest first, spread over the steps before it opens,
 * and the scores are exactly those of the eager pipeline (same model, same inputs, one window per
 * run). `lazyEmbeddings: false` runs every model on every step, as openWakeWord does.
 *
 * (~335 lines: one streaming state machine over shared fixed-size buffers; splitting it would
 * spread that state over several files.)
 *
 * (~330 lines: one streaming state machine, VAD → mel → embeddings → classifiers, checked step for
 * step against reference vectors; splitting it would spread that state over files.)
 */
import type { WakeStep } from '../../../protocol/inference.ts';
import {
  CLASSIFIERS, EMBEDDING_SIZE, FEATURE_FRAMES, MEL_BINS, MEL_FRAMES_PER_STEP, MEL_INPUT, MEL_MODEL, MEL_WINDOW,
  STEP, VAD_CHUNK, type ClassifierSpec,
} from './models.ts';
import { SileroVad } from '../vad.ts';
import { firstOutput } from './initial-features.ts';
import { StepEmbedder, WindowEmbedder, type Embedder } from './embedder.ts';
import type { Feed, ModelRunner } from '../runner.ts';

export type { WakeStep };

/** openWakeWord zeroes each model's first 5 predictions. */
export const WARMUP_STEPS = 5;
/** The gate of step n reads the VAD maxima of steps n-GATE_FROM..n-GATE_TO (openWakeWord's [-7:-4]). */
const GATE_FROM = 6;
const GATE_TO = 4;
/** Power of two, larger than the longest look-back (1760 samples) plus one VAD chunk. */
const RING = 4096;
const MASK = RING - 1;

export interface WakePipelineOptions {
  /** Classifier model names (keys of CLASSIFIERS). */
  phrases: readonly string[];
  /** From initialFeatures(): FEATURE_FRAMES x 96. Copied; the pipeline returns to it on reset(). */
  initialFeatures: Float32Array;
  /** Speech starts when a chunk's probability reaches this (silero's default 0.5)... */
  vadThreshold?: number;
  /** ...and ends when one falls below this (silero's VADIterator: threshold - 0.15). */
  vadNegThreshold?: number;
  /**
   * openWakeWord's `vad_threshold`: a step's scores are zeroed unless the VAD reached this in the
   * steps 240-480 ms before it (openWakeWord reads its VAD buffer [-7:-4]), i.e. while the phrase
   * was being said. 0 turns the gate off (openWakeWord's default); ours is 0.5, because without it
   * noise alone fires some models (pink noise scores 0.84 on alexa_v0.1).
   */
  vadGate?: number;
  /**
   * Run the embedding model and the classifiers only for steps whose gate is open, catching up
   * from the melspectrogram history before it opens (default true). Scores are identical either
   * way; false is for comparisons.
   */
  lazyEmbeddings?: boolean;
  /**
   * Compute each embedding from the previous step's state (embedder.ts, default true); false runs
   * openWakeWord's whole embedding model on every window. The same embeddings to float rounding.
   */
  stepEmbeddings?: boolean;
  now?: () => number;
}

interface Classifier {
  name: string;
  spec: ClassifierSpec;
  input: Float32Array;
  feeds: Record<string, Feed>;
}

export class WakePipeline {
  private readonly ring = new Float32Array(RING);
  /** Samples received since start (or reset). */
  private total = 0;
  private nextVadEnd = VAD_CHUNK;
  private nextStepEnd = STEP;
  private steps = 0;

  private readonly vad: SileroVad;
  /** Over the VAD chunks of the step in progress. */
  private stepVad = 0;
  private stepSpeech = false;
  private stepVadMs = 0;
  /** Each recent step's VAD maximum, by step number modulo its length (for the gate). */
  private readonly vadHistory = new Float32Array(8);
  private readonly gate: number;

  private readonly melIn = new Float32Array(MEL_INPUT);
  /**
   * The last MEL_WINDOW + (need - 1) x 8 melspectrogram frames (x/10 + 2): the embedding windows
   * of the last `need` steps. Starts as ones, like openWakeWord's window.
   */
  private readonly melHistory: Float32Array;
  /** The most embeddings any of this stream's classifiers reads. */
  private readonly need: number;
  private readonly lazy: boolean;
  private readonly embedder: Embedder;
  /** The last FEATURE_FRAMES embeddings, oldest first; the newest is that of step `embedded`. */
  private readonly features = new Float32Array(FEATURE_FRAMES * EMBEDDING_SIZE);
  /** The step whose embedding is newest in `features` (-1: only the start embeddings). */
  private embedded = -1;
  private readonly initial: Float32Array;
  private readonly classifiers: Classifier[];
  private readonly now: () => number;
  /** Pushes and resets run one after another, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: ModelRunner,
    opts: WakePipelineOptions,
  ) {
    if (opts.initialFeatures.length !== this.features.length) throw new Error(`initialFeatures must hold ${FEATURE_FRAMES} x ${EMBEDDING_SIZE} values`);
    this.initial = opts.initialFeatures.slice();
    this.now = opts.now ?? (() => performance.now());
    this.vad = new SileroVad(runner, { threshold: opts.vadThreshold, negThreshold: opts.vadNegThreshold });
    this.gate = opts.vadGate ?? 0.5;
    this.lazy = opts.lazyEmbeddings ?? true;
    this.embedder = opts.stepEmbeddings === false ? new WindowEmbedder(runner) : new StepEmbedder(runner);
    this.classifiers = opts.phrases.map((name) => {
      const spec = CLASSIFIERS[name];
      if (!spec) throw new Error(`${name} is not a wake-word classifier`);
      const input = new Float32Array(spec.frames * EMBEDDING_SIZE);
      return { name, spec, input, feeds: { [spec.input]: { dtype: 'float32', dims: [1, spec.frames, EMBEDDING_SIZE], data: input } } };
    });
    this.need = Math.max(1, ...this.classifiers.map((c) => c.spec.frames));
    this.melHistory = new Float32Array((MEL_WINDOW + (this.need - 1) * MEL_FRAMES_PER_STEP) * MEL_BINS);
    this.clear();
  }

  get phrases(): string[] {
    return this.classifiers.map((c) => c.name);
  }

  /** Samples received since start or the last reset (the `endSample` clock). */
  get samples(): number {
    return this.total;
  }

  /**
   * Feeds samples (16 kHz mono, [-1, 1]); resolves with one result per 80 ms step completed by
   * them (none if they do not complete a step). The caller must not change `samples` until then.
   * If a model fails, the promise rejects and the rest of these samples is dropped; the next push
   * carries on from there.
   */
  push(samples: Float32Array): Promise<WakeStep[]> {
    const p = this.queue.then(() => this.consume(samples));
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Back to the start state (after pushes already made have finished). */
  reset(): Promise<void> {
    const p = this.queue.then(() => this.clear());
    this.queue = p.catch(() => undefined);
    return p;
  }

  private clear(): void {
    this.ring.fill(0);
    this.total = 0;
    this.nextVadEnd = VAD_CHUNK;
    this.nextStepEnd = STEP;
    this.steps = 0;
    this.vad.reset();
    this.stepVad = 0;
    this.stepSpeech = false;
    this.stepVadMs = 0;
    this.vadHistory.fill(0);
    this.melHistory.fill(1);
    this.features.set(this.initial);
    this.embedded = -1;
    this.embedder.reset();
  }

  private async consume(samples: Float32Array): Promise<WakeStep[]> {
    const out: WakeStep[] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(samples.length - i, Math.min(this.nextVadEnd, this.nextStepEnd) - this.total);
      for (let k = 0; k < n; k++) this.ring[(this.total + k) & MASK] = samples[i + k]!;
      this.total += n;
      i += n;
      // A chunk ending where a step ends belongs to that step: VAD first. Boundaries move before
      // the models run, so a failed run loses that chunk or step but leaves the clock consistent.
      if (this.total === this.nextVadEnd) {
        this.nextVadEnd += VAD_CHUNK;
        await this.vadChunk();
      }
      if (this.total === this.nextStepEnd) {
        this.nextStepEnd += STEP;
        out.push(await this.step());
      }
    }
    return out;
  }

  private async vadChunk(): Promise<void> {
    const t0 = this.now();
    const input = this.vad.input;
    const from = this.total - input.length;
    for (let k = 0; k < input.length; k++) input[k] = this.ring[(from + k) & MASK]!;
    const prob = await this.vad.run();
    this.stepVad = Math.max(this.stepVad, prob);
    this.stepSpeech ||= this.vad.speaking;
    this.stepVadMs += this.now() - t0;
  }

  private async step(): Promise<WakeStep> {
    const t0 = this.now();
    const from = this.total - MEL_INPUT;
    for (let k = 0; k < MEL_INPUT; k++) {
      const x = Math.round(this.ring[(from + k) & MASK]! * 32768);
      this.melIn[k] = x > 32767 ? 32767 : x < -32768 ? -32768 : x;
    }
    const spec = firstOutput(await this.runner.run(MEL_MODEL, { input: { dtype: 'float32', dims: [1, MEL_INPUT], data: this.melIn } }));
    if (spec.length !== MEL_FRAMES_PER_STEP * MEL_BINS) throw new Error(`melspectrogram gave ${spec.length} values, expected ${MEL_FRAMES_PER_STEP * MEL_BINS}`);
    // From here on the step is counted: the history holds one step's frames per step number, so
    // a later failure loses this step's scores but never misaligns the history.
    const w = this.melHistory;
    const fresh = MEL_FRAMES_PER_STEP * MEL_BINS;
    w.copyWithin(0, fresh);
    for (let k = 0; k < fresh; k++) w[w.length - fresh + k] = spec[k]! / 10 + 2;
    const n = this.steps++;
    const vad = this.stepVad;
    const speech = this.stepSpeech;
    const vadMs = this.stepVadMs;
    this.vadHistory[n % this.vadHistory.length] = vad;
    this.stepVad = 0;
    this.stepSpeech = this.vad.speaking;
    this.stepVadMs = 0;
    const t1 = this.now();

    const warm = this.gateOpen(n);
    const embedded = await this.embed(n);
    const t2 = this.now();

    const scores: Record<string, number> = {};
    let classes: Record<string, Record<string, number>> | undefined;
    for (const c of this.classifiers) {
      let y: Float32Array | null = null;
      // Lazy and gated: every score is zeroed, so the classifier need not run.
      if (warm || !this.lazy) {
        c.input.set(this.features.subarray(this.features.length - c.input.length));
        y = firstOutput(await this.runner.run(c.name, c.feeds));
      }
      const labels = c.spec.labels;
      if (!labels) {
        scores[c.name] = warm && y ? y[0]! : 0;
        continue;
      }
      let best = 0;
      const per: Record<string, number> = {};
      for (let k = 1; k < labels.length; k++) {
        const v = warm && y ? (y[k] ?? 0) : 0;
        per[labels[k]!] = v;
        best = Math.max(best, v);
      }
      scores[c.name] = best;
      (classes ??= {})[c.name] = per;
    }
    const t3 = this.now();

    const result: WakeStep = {
      endSample: this.total,
      vad,
      speech,
      scores,
      ms: { vad: vadMs, mel: t1 - t0, embedding: t2 - t1, classifier: t3 - t2 },
      embeddings: embedded,
    };
    if (classes) result.classes = classes;
    return result;
  }

  /** Whether step m's scores count: past the warm-up, and the VAD heard speech in steps m-6..m-4. */
  private gateOpen(m: number): boolean {
    if (m < WARMUP_STEPS) return false;
    if (this.gate <= 0) return true;
    if (m < GATE_FROM) return false;
    const h = this.vadHistory;
    let heard = 0;
    for (let k = m - GATE_FROM; k <= m - GATE_TO; k++) heard = Math.max(heard, h[k % h.length]!);
    return heard >= this.gate;
  }

  /**
   * Brings `features` up to date as far as step n needs; returns how many embeddings it ran.
   * Eager: every missing step up to n. Lazy: nothing unless a gate opens within GATE_TO steps;
   * then the embeddings of the `need` steps up to that one, oldest first, spread evenly over the
   * steps until it opens (all of them now if it is this step's gate).
   */
  private async embed(n: number): Promise<number> {
    let ahead = 0;
    if (this.lazy) {
      while (ahead <= GATE_TO && !this.gateOpen(n + ahead)) ahead++;
      if (ahead > GATE_TO) return 0;
    }
    // Older embeddings than the `need` before the gate opens are never read: skip them.
    const first = Math.max(this.embedded + 1, n + ahead - this.need + 1);
    const missing = n - first + 1;
    const count = Math.min(missing, Math.ceil((missing + ahead) / (ahead + 1)));
    const size = MEL_WINDOW * MEL_BINS;
    for (let k = first; k < first + count; k++) {
      const end = this.melHistory.length - (n - k) * MEL_FRAMES_PER_STEP * MEL_BINS;
      const emb = await this.embedder.embed(k, this.melHistory.subarray(end - size, end));
      this.features.copyWithin(0, EMBEDDING_SIZE);
      this.features.set(emb, this.features.length - EMBEDDING_SIZE);
      this.embedded = k;
    }
    return count;
  }
}
