/**
 * Reads a TensorFlow.js weights manifest and its .bin shards as face-api ships them, and turns each
 * weight into an ONNX initializer in ONNX's layout. Quantized weights stay as the shipped uint8
 * bytes, dequantized inside the graph exactly as TF.js does on load (`v * scale + min`), so that
 * the model carries the package's bytes, not a 4x larger float copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GraphBuilder } from './onnx-graph.ts';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'uint8'; scale: number; min: number };
}

export interface TfWeight {
  shape: number[];
  /** Element bytes: one per element when quantized, four (float32, little-endian) otherwise. */
  raw: Uint8Array;
  quantization?: { scale: number; min: number };
}

export class TfWeights {
  private used = new Set<string>();

  private constructor(readonly file: string, private readonly weights: Map<string, TfWeight>) {}

  /** `model/<name>-weights_manifest.json` and its shards, from the package folder. */
  static read(manifestFile: string): TfWeights {
    const groups = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { paths: string[]; weights: ManifestWeight[] }[];
    const map = new Map<string, TfWeight>();
    for (const g of groups) {
      const buf = Buffer.concat(g.paths.map((p) => fs.readFileSync(path.join(path.dirname(manifestFile), p))));
      let at = 0;
      for (const w of g.weights) {
        if (w.dtype !== 'float32') throw new Error(`${manifestFile}: ${w.name} has dtype ${w.dtype}`);
        const q = w.quantization;
        if (q && q.dtype !== 'uint8') throw new Error(`${manifestFile}: ${w.name} is quantized as ${q.dtype}`);
        const n = w.shape.reduce((a, b) => a * b, 1) * (q ? 1 : 4);
        if (at + n > buf.length) throw new Error(`${manifestFile}: ${w.name} runs past the end of the weights`);
        map.set(w.name, { shape: w.shape, raw: new Uint8Array(buf.subarray(at, at + n)), ...(q ? { quantization: { scale: q.scale, min: q.min } } : {}) });
        at += n;
      }
      if (at !== buf.length) throw new Error(`${manifestFile}: ${buf.length - at} bytes left over`);
    }
    return new TfWeights(manifestFile, map);
  }

  get(name: string): TfWeight {
    const w = this.weights.get(name);
    if (!w) throw new Error(`${this.file}: no weight ${name}`);
    this.used.add(name);
    return w;
  }

  /** Weights the graph never asked for (a builder that forgot a layer fails the build). */
  unused(): string[] {
    return [...this.weights.keys()].filter((k) => !this.used.has(k));
  }

  /**
   * The weight as a float32 graph value, its elements permuted by `perm` (TF's HWIO filters to
   * ONNX's OIHW: [3, 2, 0, 1]), optionally reshaped.
   */
  value(g: GraphBuilder, name: string, opts: { perm?: number[]; dims?: number[] } = {}): string {
    const w = this.get(name);
    const size = w.quantization ? 1 : 4;
    const { raw, shape } = opts.perm ? transpose(w.raw, w.shape, opts.perm, size) : w;
    const dims = opts.dims ?? shape;
    if (dims.reduce((a, b) => a * b, 1) !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: cannot reshape ${shape} to ${dims}`);
    const hint = name.replace(/[^A-Za-z0-9]+/g, '_');
    if (!w.quantization) return g.float(hint, dims, new Float32Array(raw.slice().buffer));
    const q = g.uint8(`${hint}_q`, dims, raw);
    const f = g.op('Cast', [q], { to: 1 }, `${hint}_f`);
    // TF.js: values[i] = v * scale + min (constant-folded by ORT when the session opens).
    return g.op('Add', [g.op('Mul', [f, g.scalar(`${hint}_scale`, w.quantization.scale)]), g.scalar(`${hint}_min`, w.quantization.min)], {}, hint);
  }
}

/** Permutes a row-major tensor's elements (of `size` bytes each: 1 or 4). */
export function transpose(raw: Uint8Array, shape: number[], perm: number[], size: 1 | 4): { raw: Uint8Array; shape: number[] } {
  const src = size === 1 ? raw : new Uint32Array(raw.slice().buffer);
  const dst = size === 1 ? new Uint8Array(raw.length) : new Uint32Array(raw.length / 4);
  const outShape = perm.map((p) => shape[p]!);
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  const strides = perm.map((p) => inStrides[p]!);
  const idx = new Array<number>(rank).fill(0);
  let from = 0;
  for (let o = 0; o < s; o++) {
    dst[o] = src[from]!;
    for (let d = rank - 1; d >= 0; d--) {
      from += strides[d]!;
      if (++idx[d]! < outShape[d]!) break;
      from -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return { raw: new Uint8Array(dst.buffer), shape: outShape };
}
