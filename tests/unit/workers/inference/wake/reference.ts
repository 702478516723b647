/**
 * A deliberately naive, non-streaming reference of openWakeWord's `AudioFeatures` + `Model.predict`
 * and of silero's OnnxWrapper, written apart from workers/inference/wake/pipeline.ts to check it:
 *
 *   whole clip -> int16 range -> melspectrogram -> x/10 + 2 -> a mel buffer that starts as 76 rows
 *   of ones (as openWakeWord's) -> embeddings of every 76-frame window at step 8 (one batch) ->
 *   after the start embeddings -> each classifier on the last N embeddings at every step.
 *
 * The melspectrogram, two ways:
 * - 'whole-clip': ONE call over all samples, as openWakeWord's batch `_get_embeddings` does.
 * - 'per-window': one call per 1760-sample window (1280 + 480 before it), each taken from the whole
 *   clip with no carried state, as openWakeWord's streaming `_streaming_melspectrogram` does.
 * They differ: the melspectrogram model clips every value at (its input's maximum - 80 dB), over the
 * whole input tensor (batched rows included), so quiet frames depend on what else is in the call.
 * Streaming can only be 'per-window'; that is what the pipeline must match exactly. 'whole-clip' is
 * kept to show that detection agrees (the fixed-vector test reports both).
 *
 * The clip gets 480 zeros in front, as the streaming pipeline's ring starts with them, so that
 * frame k here is frame k of the stream (8 per 80 ms step). Scores are raw: no warm-up zeroing, no
 * VAD gate. Only the noise generator is shared with the pipeline.
 */
import { initialNoise } from '../../../../../workers/inference/wake/initial-features.ts';
import type { ModelRunner } from '../../../../../workers/inference/runner.ts';

const STEP = 1280;
const CONTEXT = 480;
const BINS = 32;
const WINDOW = 76;
const EMB = 96;
const KEEP = 34; // embeddings kept: the longest classifier input (timer_v0.1)

export interface ClassifierInfo {
  input: string;
  frames: number;
  /** Multi-class: the score is the largest output but the first. */
  multi: boolean;
}

export interface Reference {
  steps: number;
  /** Per step: its 8 new mel frames after x/10 + 2 (8 x 32). */
  mel: Float32Array[];
  /** Per step: the embedding of the 76-frame window ending with it. */
  embedding: Float32Array[];
  /** Per phrase, per step: the raw classifier score. */
  scores: Record<string, number[]>;
  /** Per 512-sample VAD chunk: silero's speech probability. */
  vad: number[];
}

const first = (o: Record<string, Float32Array>) => Object.values(o)[0]!;

async function embeddingsOf(runner: ModelRunner, spec: Float32Array, frames: number): Promise<Float32Array[]> {
  const starts: number[] = [];
  for (let i = 0; i + WINDOW <= frames; i += 8) starts.push(i);
  const batch = new Float32Array(starts.length * WINDOW * BINS);
  starts.forEach((s, w) => batch.set(spec.subarray(s * BINS, (s + WINDOW) * BINS), w * WINDOW * BINS));
  const out = first(await runner.run('embedding_model', { input_1: { dtype: 'float32', dims: [starts.length, WINDOW, BINS, 1], data: batch } }));
  return starts.map((_, w) => out.slice(w * EMB, (w + 1) * EMB));
}

function toInt16Range(x: number): number {
  const v = Math.round(x * 32768);
  return Math.max(-32768, Math.min(32767, v));
}

export type MelMode = 'per-window' | 'whole-clip';

export async function referenceRun(runner: ModelRunner, clip: Float32Array, classifiers: Record<string, ClassifierInfo>, melMode: MelMode = 'per-window'): Promise<Reference> {
  const steps = Math.floor(clip.length / STEP);

  // Start embeddings: openWakeWord's 4 s of noise, batch.
  const noise = initialNoise();
  const noiseSpec = first(await runner.run('melspectrogram', { input: { dtype: 'float32', dims: [1, noise.length], data: noise } })).map((v) => v / 10 + 2);
  const start = (await embeddingsOf(runner, noiseSpec, noiseSpec.length / BINS)).slice(-KEEP);

  // The whole clip at once.
  const audio = new Float32Array(CONTEXT + steps * STEP);
  for (let i = 0; i < steps * STEP; i++) audio[CONTEXT + i] = toInt16Range(clip[i]!);
  let spec: Float32Array;
  if (melMode === 'whole-clip') {
    spec = first(await runner.run('melspectrogram', { input: { dtype: 'float32', dims: [1, audio.length], data: audio } })).map((v) => v / 10 + 2);
  } else {
    spec = new Float32Array(steps * 8 * BINS);
    for (let s = 0; s < steps; s++) {
      const window = audio.slice(s * STEP, s * STEP + STEP + CONTEXT);
      const m = first(await runner.run('melspectrogram', { input: { dtype: 'float32', dims: [1, window.length], data: window } }));
      if (m.length !== 8 * BINS) throw new Error(`melspectrogram gave ${m.length / BINS} frames for one window`);
      spec.set(m.map((v) => v / 10 + 2), s * 8 * BINS);
    }
  }
  const frames = spec.length / BINS;
  if (frames < steps * 8) throw new Error(`melspectrogram gave ${frames} frames for ${steps} steps`);
  const buffer = new Float32Array((WINDOW + steps * 8) * BINS).fill(1);
  buffer.set(spec.subarray(0, steps * 8 * BINS), WINDOW * BINS);
  // Window i*8 ends with step i-1; window 0 is the start state (all ones) and is not used.
  const embedding = (await embeddingsOf(runner, buffer, WINDOW + steps * 8)).slice(1);
  const features = [...start, ...embedding];

  const scores: Record<string, number[]> = {};
  for (const [name, c] of Object.entries(classifiers)) {
    scores[name] = [];
    for (let s = 0; s < steps; s++) {
      const rows = features.slice(KEEP + s + 1 - c.frames, KEEP + s + 1);
      const input = new Float32Array(c.frames * EMB);
      rows.forEach((r, i) => input.set(r, i * EMB));
      const y = first(await runner.run(name, { [c.input]: { dtype: 'float32', dims: [1, c.frames, EMB], data: input } }));
      scores[name]!.push(c.multi ? Math.max(...y.slice(1)) : y[0]!);
    }
  }

  // Silero, as its OnnxWrapper: 64 samples of the previous chunk in front, state carried.
  const vad: number[] = [];
  let state = new Float32Array(256);
  for (let c = 0; (c + 1) * 512 <= steps * STEP; c++) {
    const input = new Float32Array(576);
    for (let k = 0; k < 576; k++) {
      const i = c * 512 - 64 + k;
      input[k] = i >= 0 ? clip[i]! : 0;
    }
    const out = await runner.run('silero_vad_v5', {
      input: { dtype: 'float32', dims: [1, 576], data: input },
      state: { dtype: 'float32', dims: [2, 1, 128], data: state },
      sr: { dtype: 'int64', dims: [], data: BigInt64Array.of(16000n) },
    });
    vad.push(out.output![0]!);
    state = out.stateN!.slice();
  }

  const mel = Array.from({ length: steps }, (_, s) => spec.slice(s * 8 * BINS, (s + 1) * 8 * BINS));
  return { steps, mel, embedding, scores, vad };
}
