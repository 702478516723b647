/**
 * openWakeWord's embedding model, rewritten at build time as a streaming graph (no new weights: the
 * package's own nodes and initializers, rewired; no new operators but Concat, Slice, Identity).
 *
 * The embedding model reads a window of 76 melspectrogram frames, and the pipeline moves that
 * window by 8 frames per 80 ms step, so 68 of its 76 frames were already seen. Its convolutions
 * are valid (unpadded) along time and its three time-pooling layers have stride 2, so a shift of 8
 * frames moves every intermediate row by a whole number of rows (8, then 4, 2 and 1): each row of
 * each layer at step n is a row that layer already computed at step n-1, except the newest ones.
 * The streaming graph computes only those (8 new frames in, 8 / 4 / 2 / 1 new rows per layer) and
 * carries, for each convolution that spans 3 rows in time, the last 2 rows of its input as state.
 * Same operators, same weights, same inputs per output value: the embedding is the full model's.
 *
 * Two graphs come out of one model:
 *   - `step`: inputs `frames` [1,1,8,32] (the step's 8 new frames) and `state_0..10` (per time
 *     convolution, the last 2 rows of its input); outputs `embedding` [1,96] and `next_0..10`.
 *   - `window`: the full model (input `window` [1,1,76,32]) with the same outputs: the embedding of
 *     the whole window and the states at its end. The pipeline starts a chain of steps from its mel
 *     history with it (stream start, after a reset, the first embedding of a lazy catch-up).
 */
import pkg from 'onnx-proto';

const { onnx } = pkg;
type INode = pkg.onnx.INodeProto;
type ITensor = pkg.onnx.ITensorProto;

/** Frames per step, and the model's window (openWakeWord: 8 new frames per 80 ms, 76 in all). */
export const STREAM_FRAMES = 8;
export const WINDOW_FRAMES = 76;
export const MEL_BINS = 32;
export const EMBEDDING = 96;

export interface StateSpec {
  name: string;
  /** [1, channels, 2, width] */
  dims: [1, number, 2, number];
}

export interface EmbeddingGraphs {
  step: Uint8Array;
  window: Uint8Array;
  states: StateSpec[];
}

const INT64 = onnx.TensorProto.DataType.INT64;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

function attrInts(n: INode, name: string): number[] | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.ints?.map(Number);
}

function int64(name: string, values: number[]): ITensor {
  const data = BigInt64Array.from(values, BigInt);
  return { name, dataType: INT64, dims: [values.length], rawData: new Uint8Array(data.buffer) };
}

const valueInfo = (name: string, dims: number[]) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/**
 * Builds both graphs from the embedding model's bytes. Throws if the model is not the shape this
 * rewrite understands (an upgraded package must be looked at, not silently streamed).
 */
export function buildEmbeddingGraphs(model: Uint8Array): EmbeddingGraphs {
  const m = onnx.ModelProto.decode(model);
  const g = m.graph!;
  const nodes = g.node!;
  const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
  const dimsOf = (name: string) => (inits.get(name)?.dims ?? []).map(Number);
  if (g.input!.length !== 1 || g.output!.length !== 1) throw new Error('embedding model: expected one input and one output');
  const first = nodes[0]!;
  const last = nodes[nodes.length - 1]!;
  if (first.opType !== 'Reshape' || first.input![0] !== g.input![0]!.name) throw new Error('embedding model: expected a Reshape of the input first');
  if (last.opType !== 'Reshape' || last.output![0] !== g.output![0]!.name) throw new Error('embedding model: expected a Reshape to the output last');

  // Walk the body: rows per step and width of every value, states for the 3-row time convolutions.
  const start = first.output![0]!;
  const shape = new Map<string, { rows: number; channels: number; width: number; windowRows: number }>([[start, { rows: STREAM_FRAMES, channels: 1, width: MEL_BINS, windowRows: WINDOW_FRAMES }]]);
  const states: StateSpec[] = [];
  const stepNodes: INode[] = [];
  const windowNodes: INode[] = [first];
  const stepInits: ITensor[] = [];
  const windowInits: ITensor[] = [];
  const stateOuts: { step: string; window: string; spec: StateSpec; next: string }[] = [];
  for (const n of nodes.slice(1, -1)) {
    const x = n.input![0]!;
    const s = shape.get(x);
    if (!s) throw new Error(`embedding model: ${n.opType} ${n.name} reads ${x}, which this rewrite does not know`);
    const out = n.output![0]!;
    if (n.output!.length !== 1) throw new Error(`embedding model: ${n.name} has several outputs`);
    windowNodes.push(n);
    switch (n.opType) {
      case 'Conv': {
        const k = attrInts(n, 'kernel_shape') ?? dimsOf(n.input![1]!).slice(2);
        const pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
        const strides = attrInts(n, 'strides') ?? [1, 1];
        const dil = attrInts(n, 'dilations') ?? [1, 1];
        const group = Number(n.attribute?.find((a) => a.name === 'group')?.i ?? 1);
        const w = dimsOf(n.input![1]!);
        if (pads[0] !== 0 || pads[2] !== 0 || strides[0] !== 1 || strides[1] !== 1 || dil[0] !== 1 || dil[1] !== 1 || group !== 1) throw new Error(`embedding model: ${n.name} pads, strides or dilates in time`);
        if (n.attribute?.some((a) => a.name === 'auto_pad' && a.s && new TextDecoder().decode(a.s) !== 'NOTSET')) throw new Error(`embedding model: ${n.name} uses auto_pad`);
        const width = s.width + pads[1]! + pads[3]! - (k[1]! - 1);
        const next = { rows: s.rows, channels: w[0]!, width, windowRows: s.windowRows - (k[0]! - 1) };
        if (k[0] === 1) {
          stepNodes.push(n);
        } else {
          // Concat(state, new rows) along time; the conv's output is then `rows` new rows; the
          // next state is the concatenation's last k-1 rows.
          const carry = k[0]! - 1;
          if (carry !== 2) throw new Error(`embedding model: ${n.name} has a time kernel of ${k[0]}`);
          const spec: StateSpec = { name: `state_${states.length}`, dims: [1, s.channels, 2, s.width] };
          const nextName = `next_${states.length}`;
          states.push(spec);
          const cat = `${out}__cat`;
          stepNodes.push({ opType: 'Concat', input: [spec.name, x], output: [cat], name: cat, attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 }] });
          stepNodes.push({ ...n, input: [cat, ...n.input!.slice(1)] });
          const starts = `${out}__starts`, ends = `${out}__ends`, axes = `${out}__axes`;
          stepInits.push(int64(starts, [s.rows]), int64(ends, [s.rows + carry]), int64(axes, [2]));
          const sOut = `${out}__next`;
          stepNodes.push({ opType: 'Slice', input: [cat, starts, ends, axes], output: [sOut], name: sOut });
          // The window graph: the last 2 rows of the conv's input over the whole window.
          const ps = `${out}__pstarts`, pe = `${out}__pends`, pa = `${out}__paxes`;
          windowInits.push(int64(ps, [s.windowRows - carry]), int64(pe, [s.windowRows]), int64(pa, [2]));
          const pOut = `${out}__last`;
          windowNodes.push({ opType: 'Slice', input: [x, ps, pe, pa], output: [pOut], name: pOut });
          stateOuts.push({ step: sOut, window: pOut, spec, next: nextName });
        }
        shape.set(out, next);
        break;
      }
      case 'LeakyRelu':
      case 'Max':
        stepNodes.push(n);
        if (n.opType === 'Max' && n.input!.slice(1).some((i) => dimsOf(i).reduce((a, b) => a * b, 1) !== 1)) throw new Error(`embedding model: ${n.name} is not a max with a constant`);
        shape.set(out, s);
        break;
      case 'MaxPool': {
        const k = attrInts(n, 'kernel_shape')!;
        const st = attrInts(n, 'strides') ?? k;
        const pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
        if (pads.some((p) => p !== 0) || k[0] !== st[0] || k[1] !== st[1]) throw new Error(`embedding model: ${n.name} pools with overlap or padding`);
        if (s.rows % st[0]! !== 0 || s.windowRows % st[0]! !== 0) throw new Error(`embedding model: ${n.name} pools ${s.rows} rows by ${st[0]}`);
        stepNodes.push(n);
        shape.set(out, { rows: s.rows / st[0]!, channels: s.channels, width: Math.floor(s.width / st[1]!), windowRows: s.windowRows / st[0]! });
        break;
      }
      default:
        throw new Error(`embedding model: ${n.opType} (${n.name}) is not streamed by this rewrite`);
    }
  }
  const endValue = last.input![0]!;
  const end = shape.get(endValue)!;
  if (end.rows !== 1 || end.windowRows !== 1 || end.channels * end.width !== EMBEDDING) throw new Error(`embedding model: ends with ${end.rows} rows x ${end.channels} x ${end.width}, expected one row of ${EMBEDDING}`);

  const flat = 'embedding_shape__';
  const bodyInits = g.initializer!.filter((t) => t.name !== first.input![1] && t.name !== last.input![1]);
  const encode = (name: string, doc: string, nodes: INode[], initializer: ITensor[], input: { name: string; dims: number[] }[], outputs: { name: string; from: string; dims: number[] }[]) =>
    onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: m.irVersion,
        producerName: 'osmose scripts/wake-models',
        producerVersion: '1',
        docString: doc,
        opsetImport: m.opsetImport,
        graph: {
          name,
          node: [
            ...nodes,
            { opType: 'Reshape', input: [endValue, flat], output: ['embedding'], name: 'embedding' },
            ...outputs.filter((o) => o.name !== 'embedding').map((o) => ({ opType: 'Identity', input: [o.from], output: [o.name], name: `${o.name}__out` })),
          ],
          initializer: [...initializer, int64(flat, [1, EMBEDDING])],
          input: input.map((i) => valueInfo(i.name, i.dims)),
          output: outputs.map((o) => valueInfo(o.name, o.dims)),
        },
      }),
    ).finish();

  // Step: the input is the NCHW frames themselves (the first Reshape only moved NHWC to NCHW).
  const rename = (n: INode): INode => ({ ...n, input: n.input!.map((i) => (i === start ? 'frames' : i)) });
  const step = encode(
    'openwakeword_embedding_step',
    'openWakeWord embedding_model, one step at a time: 8 new mel frames and the carried states in, the embedding and the next states out (osmose scripts/wake-models).',
    stepNodes.map(rename),
    [...bodyInits, ...stepInits],
    [{ name: 'frames', dims: [1, 1, STREAM_FRAMES, MEL_BINS] }, ...states.map((s) => ({ name: s.name, dims: s.dims }))],
    [{ name: 'embedding', from: '', dims: [1, EMBEDDING] }, ...stateOuts.map((o) => ({ name: o.next, from: o.step, dims: o.spec.dims }))],
  );
  const windowFirst: INode = { ...first, input: ['window', first.input![1]!] };
  const window = encode(
    'openwakeword_embedding_window',
    'openWakeWord embedding_model on a whole 76-frame window, with the step states at its end (osmose scripts/wake-models).',
    [windowFirst, ...windowNodes.slice(1)],
    [...g.initializer!.filter((t) => t.name !== last.input![1]), ...windowInits],
    [{ name: 'window', dims: [1, 1, WINDOW_FRAMES, MEL_BINS] }],
    [{ name: 'embedding', from: '', dims: [1, EMBEDDING] }, ...stateOuts.map((o) => ({ name: o.next, from: o.window, dims: o.spec.dims }))],
  );
  return { step, window, states };
}
