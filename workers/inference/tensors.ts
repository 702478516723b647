/** Wire tensors (ArrayBuffer + dtype + dims) to and from onnxruntime-web tensors. */
import type * as Ort from 'onnxruntime-web';
import { DTYPES, type DType, type WireTensor } from '../../protocol/inference.ts';
import { OsmoseError } from '../../protocol/errors.ts';

type OrtModule = typeof Ort;

export function toOrt(ort: OrtModule, t: WireTensor): Ort.Tensor {
  const dims = t.dims;
  switch (t.dtype) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(t.data), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(t.data), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(t.data), dims);
    case 'uint8':
      return new ort.Tensor('uint8', new Uint8Array(t.data), dims);
    case 'int8':
      return new ort.Tensor('int8', new Int8Array(t.data), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(t.data), dims);
  }
}

/** Copies the tensor's data into a fresh buffer of exactly its size (ORT may hand out views of wasm memory). */
export function fromOrt(t: Ort.Tensor): WireTensor {
  if (!(DTYPES as readonly string[]).includes(t.type)) throw new OsmoseError('inference-failed', `output type ${t.type} is not supported`);
  const src = t.data as unknown as ArrayBufferView;
  const copy = new Uint8Array(src.byteLength);
  copy.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  return { dtype: t.type as DType, dims: [...t.dims], data: copy.buffer };
}

/** Largest absolute difference between two sets of outputs; Infinity when shapes or finiteness differ. */
export function maxAbsDiff(a: Record<string, WireTensor>, b: Record<string, WireTensor>): number {
  let worst = 0;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) {
    const x = a[name];
    const y = b[name];
    if (!x || !y || x.dtype !== y.dtype || x.dims.join() !== y.dims.join()) return Infinity;
    const xs = numbers(x);
    const ys = numbers(y);
    for (let i = 0; i < xs.length; i++) {
      const p = xs[i]!;
      const q = ys[i]!;
      if (Number.isNaN(p) !== Number.isNaN(q) || !Number.isFinite(p) !== !Number.isFinite(q)) return Infinity;
      if (Number.isFinite(p)) worst = Math.max(worst, Math.abs(p - q));
    }
  }
  return worst;
}

function numbers(t: WireTensor): ArrayLike<number> {
  switch (t.dtype) {
    case 'float32':
      return new Float32Array(t.data);
    case 'int64':
      return Array.from(new BigInt64Array(t.data), Number);
    case 'int32':
      return new Int32Array(t.data);
    case 'int8':
      return new Int8Array(t.data);
    default:
      return new Uint8Array(t.data);
  }
}
