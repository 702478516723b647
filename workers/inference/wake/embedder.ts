/**
 * The wake pipeline's embeddings: openWakeWord's embedding model on the 76-frame mel window of a
 * step. Two ways to the same numbers:
 *   - `WindowEmbedder`: the package's model on every window, as openWakeWord runs it;
 *   - `StepEmbedder` (the default): the model rewritten as a chain of steps (scripts/wake-models/
 *     embedding-step.ts). Consecutive steps share 68 of their 76 frames, so each step computes only
 *     its new rows from the states the previous step left (about a third of the work); a chain
 *     starts (stream start, after a gap such as a lazy catch-up, after a failure) with the whole
 *     window, which also gives the states. Same weights, same inputs per output value: the
 *     embeddings agree with the whole model's to float rounding (~1e-5 on values of ~±30).
 */
import { EMBEDDING_MODEL, EMBEDDING_SIZE, EMBEDDING_STATES, EMBEDDING_STEP_MODEL, EMBEDDING_WINDOW_MODEL, MEL_BINS, MEL_FRAMES_PER_STEP, MEL_WINDOW } from './models.ts';
import type { Feed, ModelRunner, Outputs } from '../runner.ts';

export interface Embedder {
  /**
   * The embedding of `window` (MEL_WINDOW x MEL_BINS frames, the last 8 new at step `step`).
   * The result is a view that the next call may overwrite.
   */
  embed(step: number, window: Float32Array): Promise<Float32Array>;
  /** Forget the chain (the next call starts from its whole window). */
  reset(): void;
}

function embeddingOf(out: Outputs, name: string, model: string): Float32Array {
  const e = out[name] ?? Object.values(out)[0];
  if (!e || e.length !== EMBEDDING_SIZE) throw new Error(`${model} gave ${e?.length ?? 0} values, expected ${EMBEDDING_SIZE}`);
  return e;
}

/** The package's model on every window (openWakeWord's way; `stepEmbeddings: false`). */
export class WindowEmbedder implements Embedder {
  constructor(private readonly runner: ModelRunner) {}

  async embed(_step: number, window: Float32Array): Promise<Float32Array> {
    const out = await this.runner.run(EMBEDDING_MODEL, { input_1: { dtype: 'float32', dims: [1, MEL_WINDOW, MEL_BINS, 1], data: window } });
    return embeddingOf(out, 'conv2d_19', EMBEDDING_MODEL);
  }

  reset(): void {}
}

const STATE_SIZES = EMBEDDING_STATES.map((d) => d.reduce((a, b) => a * b, 1));
/** Values in all the chain's states (9,472 floats, 37 KB). */
export const EMBEDDING_STATE_VALUES = STATE_SIZES.reduce((a, b) => a + b, 0);

/** The chain of steps (embedding_window to start it, embedding_step after). */
export class StepEmbedder implements Embedder {
  /** Every state, packed: what the chain's last step left. */
  readonly states = new Float32Array(EMBEDDING_STATE_VALUES);
  private readonly frames = new Float32Array(MEL_FRAMES_PER_STEP * MEL_BINS);
  private readonly stepFeeds: Record<string, Feed>;
  /** The step the states belong to; -1: no chain. */
  private at = -1;
  /** Runs of each model since the start (tests and benchmarks read them). */
  readonly runs = { window: 0, step: 0 };

  constructor(private readonly runner: ModelRunner) {
    this.stepFeeds = { frames: { dtype: 'float32', dims: [1, 1, MEL_FRAMES_PER_STEP, MEL_BINS], data: this.frames } };
    let off = 0;
    EMBEDDING_STATES.forEach((dims, i) => {
      this.stepFeeds[`state_${i}`] = { dtype: 'float32', dims, data: this.states.subarray(off, off + STATE_SIZES[i]!) };
      off += STATE_SIZES[i]!;
    });
  }

  async embed(step: number, window: Float32Array): Promise<Float32Array> {
    const chained = this.at >= 0 && step === this.at + 1;
    // Until this run has succeeded, there is no chain: a failure restarts from a whole window.
    this.at = -1;
    let out: Outputs;
    let model: string;
    if (chained) {
      this.frames.set(window.subarray(window.length - this.frames.length));
      model = EMBEDDING_STEP_MODEL;
      out = await this.runner.run(model, this.stepFeeds);
      this.runs.step++;
    } else {
      model = EMBEDDING_WINDOW_MODEL;
      out = await this.runner.run(model, { window: { dtype: 'float32', dims: [1, 1, MEL_WINDOW, MEL_BINS], data: window } });
      this.runs.window++;
    }
    const embedding = embeddingOf(out, 'embedding', model);
    let off = 0;
    for (let i = 0; i < STATE_SIZES.length; i++) {
      const next = out[`next_${i}`];
      if (!next || next.length !== STATE_SIZES[i]) throw new Error(`${model} gave no state next_${i} of ${STATE_SIZES[i]} values`);
      this.states.set(next, off);
      off += STATE_SIZES[i]!;
    }
    this.at = step;
    return embedding;
  }

  reset(): void {
    this.at = -1;
  }
}
