/**
 * Silero VAD v5, streaming, shared by every audio pipeline of the inference worker: the wake-word
 * pipeline (workers/voice/pipeline.ts) and speech-to-text's utterance segmenter
 * (workers/inference/stt/segmenter.ts). The caller fills `input` with the previous 64 samples and
 * 512 new ones (as silero's OnnxWrapper does at 16 kHz) and calls `run()`; the recurrent
 * [2,1,128] state is carried between calls, and `speaking` follows the probability with
 * hysteresis (on at >= threshold, off below negThreshold, as silero's VADIterator).
 */
import type { Feed, ModelRunner } from './runner.ts';

export const VAD_MODEL = 'silero_vad_v5';
/** 512 new samples per call at 16 kHz (32 ms), with the previous 64 prepended. */
export const VAD_CHUNK = 512;
export const VAD_CONTEXT = 64;
export const VAD_STATE = 2 * 1 * 128;

export interface VadOptions {
  /** Speech starts at a chunk with at least this probability (silero's default 0.5)... */
  threshold?: number;
  /** ...and ends at one below this (silero's VADIterator: threshold - 0.15). */
  negThreshold?: number;
}

export class SileroVad {
  /** The samples of the next call: VAD_CONTEXT previous ones, then VAD_CHUNK new ones. */
  readonly input = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  private readonly state = new Float32Array(VAD_STATE);
  private readonly feeds: Record<string, Feed>;
  readonly threshold: number;
  readonly negThreshold: number;
  /** Speech, with hysteresis, after the last call. */
  speaking = false;

  constructor(
    private readonly runner: ModelRunner,
    opts: VadOptions = {},
  ) {
    this.threshold = opts.threshold ?? 0.5;
    this.negThreshold = opts.negThreshold ?? this.threshold - 0.15;
    this.feeds = {
      input: { dtype: 'float32', dims: [1, VAD_CONTEXT + VAD_CHUNK], data: this.input },
      state: { dtype: 'float32', dims: [2, 1, 128], data: this.state },
      sr: { dtype: 'int64', dims: [], data: BigInt64Array.of(16000n) },
    };
  }

  /** Runs the model on `input`; returns the speech probability and updates `speaking`. */
  async run(): Promise<number> {
    const out = await this.runner.run(VAD_MODEL, this.feeds);
    const prob = out.output?.[0] ?? NaN;
    const state = out.stateN;
    if (!state || state.length !== VAD_STATE || !Number.isFinite(prob)) throw new Error('silero_vad_v5 gave no probability or state');
    this.state.set(state);
    if (prob >= this.threshold) this.speaking = true;
    else if (prob < this.negThreshold) this.speaking = false;
    return prob;
  }

  reset(): void {
    this.state.fill(0);
    this.input.fill(0);
    this.speaking = false;
  }
}
