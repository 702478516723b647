/**
 * The smallest ONNX model ORT accepts (y = Identity(x), one float), built here byte by byte so
 * that no file has to be fetched. Opening a session on it makes onnxruntime-web start its wasm
 * runtime (fetch + compile of the 14 MB .wasm, instantiation, ORT's own start-up: ~1 s on the
 * 2-core test machine, most of a voice cold start) before any real model has arrived, so the two
 * overlap instead of following each other.
 */

/** Protobuf wire format, just what ModelProto needs: varint fields (type 0) and bytes (type 2). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const int = (field: number, n: number) => [...varint(field << 3), ...varint(n)];
const bytes = (field: number, b: number[]) => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);

/** ValueInfoProto: a float tensor of shape [1]. */
function floatOfOne(name: string): number[] {
  const dim = bytes(1, int(1, 1)); // TensorShapeProto.dim { dim_value: 1 }
  const tensor = [...int(1, 1), ...bytes(2, dim)]; // TypeProto.Tensor { elem_type: FLOAT, shape }
  return [...str(1, name), ...bytes(2, bytes(1, tensor))];
}

export const WARM_MODEL_INPUT = 'x';

export function warmModel(): Uint8Array {
  const node = [...str(1, 'x'), ...str(2, 'y'), ...str(4, 'Identity')];
  const graph = [...bytes(1, node), ...str(2, 'warm'), ...bytes(11, floatOfOne('x')), ...bytes(12, floatOfOne('y'))];
  const model = [...int(1, 8), ...bytes(8, int(2, 13)), ...bytes(7, graph)]; // ir_version 8, opset 13
  return Uint8Array.from(model);
}
