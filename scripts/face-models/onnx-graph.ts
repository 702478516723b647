/**
 * A small ONNX graph builder over onnx-proto's ModelProto (opset 13, IR 8): just the operators the
 * face networks need. Tensors are NCHW, as ONNX's Conv expects. Names are generated in call order,
 * so the same calls give the same bytes (protobufjs writes fields in declaration order): the
 * generated models are reproducible and their SHA-256 can be pinned in models/registry.ts.
 */
import pkg from 'onnx-proto';

const { onnx } = pkg;
type INode = pkg.onnx.INodeProto;
type ITensor = pkg.onnx.ITensorProto;
type IAttr = pkg.onnx.IAttributeProto;

export const OPSET = 13;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const UINT8 = onnx.TensorProto.DataType.UINT8;
const INT64 = onnx.TensorProto.DataType.INT64;

export type AttrValue = number | number[] | string | { floats: number[] };

/** An integer becomes an INT attribute and any other number a FLOAT one (no float attribute here is whole). */
function attr(name: string, v: AttrValue): IAttr {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'object') return { name, type: T.FLOATS, floats: v.floats };
  return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}

function bytesOf(a: Float32Array | Uint8Array | BigInt64Array): Uint8Array {
  // Little-endian on every platform we build on (x86, ARM): ONNX raw_data is little-endian.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A dimension: a fixed size or a named symbolic one (batch, height, width). */
export type Dim = number | string;

export class GraphBuilder {
  private nodes: INode[] = [];
  private inits: ITensor[] = [];
  private count = 0;

  constructor(private readonly prefix = '') {}

  /** A fresh value name. */
  name(hint: string): string {
    return `${this.prefix}${hint}_${this.count++}`;
  }

  /** A float32 initializer. */
  float(hint: string, dims: number[], data: Float32Array): string {
    const name = this.name(hint);
    this.inits.push({ name, dataType: FLOAT, dims, rawData: bytesOf(data) });
    return name;
  }

  int64(hint: string, values: number[]): string {
    const name = this.name(hint);
    this.inits.push({ name, dataType: INT64, dims: [values.length], rawData: bytesOf(BigInt64Array.from(values, BigInt)) });
    return name;
  }

  uint8(hint: string, dims: number[], data: Uint8Array): string {
    const name = this.name(hint);
    this.inits.push({ name, dataType: UINT8, dims, rawData: data.slice() });
    return name;
  }

  scalar(hint: string, v: number): string {
    return this.float(hint, [], Float32Array.of(v));
  }

  /** Adds a node; returns its (first) output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType.toLowerCase()): string {
    const out = this.name(hint);
    this.nodes.push({ opType, input: inputs, output: [out], name: out, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
    return out;
  }

  encode(opts: { name: string; doc: string; inputs: { name: string; dims: Dim[] }[]; outputs: { name: string; from: string; dims: Dim[] }[] }): Uint8Array {
    const valueInfo = (name: string, dims: Dim[]) => ({
      name,
      type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
    // Outputs get their public names through Identity nodes, so internal names stay generated.
    const nodes = [...this.nodes, ...opts.outputs.map((o) => ({ opType: 'Identity', input: [o.from], output: [o.name], name: `${o.name}_out` }))];
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'osmose scripts/face-models',
      producerVersion: '1',
      docString: opts.doc,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: opts.name,
        node: nodes,
        initializer: this.inits,
        input: opts.inputs.map((i) => valueInfo(i.name, i.dims)),
        output: opts.outputs.map((o) => valueInfo(o.name, o.dims)),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
