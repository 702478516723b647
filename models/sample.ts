/** Fixed, seeded inputs for a model (backend checks, smoke tests). Same bytes on every device. */
import type { SampleSpec } from './registry.ts';
import type { WireTensor } from '../protocol/inference.ts';

/** mulberry32: a tiny seeded PRNG; good enough for test signals. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 440 Hz tone plus seeded noise, in [-scale, scale] (16 kHz sample rate). */
export function toneAndNoise(n: number, scale: number, seed = 1): Float32Array<ArrayBuffer> {
  const rnd = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * (0.6 * Math.sin((2 * Math.PI * 440 * i) / 16000) + 0.4 * (rnd() * 2 - 1));
  return out;
}

export function sampleTensor(spec: SampleSpec, seed = 1): WireTensor {
  const size = spec.dims.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'bool') return { dtype: 'bool', dims: [...spec.dims], data: new Uint8Array(size).fill(spec.value).buffer };
  if (spec.dtype === 'int64') {
    const data = new BigInt64Array(size).fill(BigInt(spec.value));
    return { dtype: 'int64', dims: [...spec.dims], data: data.buffer };
  }
  const data = spec.fill === 'zeros' ? new Float32Array(size) : toneAndNoise(size, spec.scale, seed);
  return { dtype: 'float32', dims: [...spec.dims], data: data.buffer };
}

export function sampleInputs(sample: Record<string, SampleSpec>, seed = 1): Record<string, WireTensor> {
  const out: Record<string, WireTensor> = {};
  for (const [name, spec] of Object.entries(sample)) out[name] = sampleTensor(spec, seed);
  return out;
}
