/**
 * The embeddings a wake pipeline starts with. openWakeWord starts its feature buffer with the
 * embeddings of 4 s of random int16 noise in [-1000, 1000); we do the same with a seeded generator,
 * so that every start (and every test) is identical. The scores of the first steps are zeroed
 * anyway (see WakePipeline), and after FEATURE_FRAMES steps none of these are read any more.
 */
import { EMBEDDING_MODEL, EMBEDDING_WINDOW_MODEL, EMBEDDING_SIZE, FEATURE_FRAMES, MEL_BINS, MEL_MODEL, MEL_WINDOW, MEL_FRAMES_PER_STEP, SAMPLE_RATE } from './models.ts';
import type { ModelRunner } from '../runner.ts';
import { START_EMBEDDINGS } from './start-embeddings.ts';

/**
 * The precomputed start embeddings when the feature models are the ones they were computed from
 * (their SHA-256 from the registry), else null: compute them with initialFeatures().
 */
export function precomputedFeatures(melSha256: string, embeddingSha256: string): Float32Array | null {
  const s = START_EMBEDDINGS;
  if (melSha256 !== s.melspectrogram || embeddingSha256 !== s.embedding_model) return null;
  const bin = atob(s.base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const out = new Float32Array(bytes.buffer);
  return out.length === s.values && out.length === FEATURE_FRAMES * EMBEDDING_SIZE ? out : null;
}

/** 4 s of int16-range noise from mulberry32(seed). */
export function initialNoise(seed = 0x0c0ffee, seconds = 4): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(SAMPLE_RATE * seconds);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = Math.floor(u * 2000) - 1000;
  }
  return out;
}

/**
 * The last FEATURE_FRAMES embeddings of the noise, [FEATURE_FRAMES x 96] row-major, from
 * embedding_model (one batch) or embedding_window (one window per run: its graph is for one).
 */
export async function initialFeatures(runner: ModelRunner, embedding: typeof EMBEDDING_MODEL | typeof EMBEDDING_WINDOW_MODEL = EMBEDDING_MODEL): Promise<Float32Array> {
  const noise = initialNoise();
  const mel = await runner.run(MEL_MODEL, { input: { dtype: 'float32', dims: [1, noise.length], data: noise } });
  const spec = firstOutput(mel);
  const frames = spec.length / MEL_BINS;
  const windows = Math.floor((frames - MEL_WINDOW) / MEL_FRAMES_PER_STEP) + 1;
  if (windows < FEATURE_FRAMES) throw new Error(`initial noise gives ${windows} embeddings, need ${FEATURE_FRAMES}`);
  const batch = new Float32Array(windows * MEL_WINDOW * MEL_BINS);
  for (let w = 0; w < windows; w++) {
    const from = w * MEL_FRAMES_PER_STEP * MEL_BINS;
    for (let k = 0; k < MEL_WINDOW * MEL_BINS; k++) batch[w * MEL_WINDOW * MEL_BINS + k] = spec[from + k]! / 10 + 2;
  }
  if (embedding === EMBEDDING_WINDOW_MODEL) {
    const out = new Float32Array(FEATURE_FRAMES * EMBEDDING_SIZE);
    const size = MEL_WINDOW * MEL_BINS;
    for (let w = windows - FEATURE_FRAMES; w < windows; w++) {
      const r = await runner.run(EMBEDDING_WINDOW_MODEL, { window: { dtype: 'float32', dims: [1, 1, MEL_WINDOW, MEL_BINS], data: batch.subarray(w * size, (w + 1) * size) } });
      out.set(r.embedding!, (w - windows + FEATURE_FRAMES) * EMBEDDING_SIZE);
    }
    return out;
  }
  const emb = firstOutput(await runner.run(EMBEDDING_MODEL, { input_1: { dtype: 'float32', dims: [windows, MEL_WINDOW, MEL_BINS, 1], data: batch } }));
  return emb.slice((windows - FEATURE_FRAMES) * EMBEDDING_SIZE, windows * EMBEDDING_SIZE);
}

export function firstOutput(out: Record<string, Float32Array>): Float32Array {
  const first = Object.values(out)[0];
  if (!first) throw new Error('the model gave no float output');
  return first;
}
