/**
 * The layers face-api's networks are made of (its `src/common`, `src/tinyYolov2`,
 * `src/faceFeatureExtractor`, `src/faceRecognitionNet`), as ONNX nodes on NCHW tensors. TF's
 * filters are HWIO: [3, 2, 0, 1] makes them OIHW; a depthwise filter [h, w, C, 1] becomes [C, 1, h, w].
 */
import type { GraphBuilder } from './onnx-graph.ts';
import type { TfWeights } from './tfjs-weights.ts';

const HWIO_TO_OIHW = [3, 2, 0, 1];

/** TF's explicit padding for 'same': [begin, end] along one axis (the extra pixel goes at the end). */
export function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Output size of a convolution or pool with these pads. */
export function outSize(size: number, kernel: number, stride: number, pads: [number, number] = [0, 0]): number {
  return Math.floor((size + pads[0] + pads[1] - kernel) / stride) + 1;
}

/** ONNX `pads` for a square input: [top, left, bottom, right]. */
const pads2d = ([b, e]: [number, number]) => [b, b, e, e];

/** `(x - meanRgb) / 255`, face-api's `normalize(...).div(255)`, on [N, 3, H, W] pixels in 0..255. */
export function normalize(g: GraphBuilder, x: string, meanRgb: [number, number, number]): string {
  const mean = g.float('mean_rgb', [1, 3, 1, 1], Float32Array.from(meanRgb));
  return g.op('Div', [g.op('Sub', [x, mean]), g.scalar('c255', 255)]);
}

/** tf.conv2d(x, filters, stride, pads) + bias. */
export function conv(g: GraphBuilder, w: TfWeights, x: string, prefix: string, opts: { stride: number; pads: [number, number]; bias?: string }): string {
  const filters = w.value(g, `${prefix}/filters`, { perm: HWIO_TO_OIHW });
  const bias = w.value(g, opts.bias ?? `${prefix}/bias`);
  return g.op('Conv', [x, filters, bias], { strides: [opts.stride, opts.stride], pads: pads2d(opts.pads) });
}

/**
 * tf.separableConv2d(x, depthwise, pointwise, stride, pads) + bias: a depthwise Conv (group = C, no
 * bias), then a 1x1 Conv with the bias.
 */
export function separableConv(g: GraphBuilder, w: TfWeights, x: string, prefix: string, opts: { stride: number; pads: [number, number] }): string {
  const [kh, kw, c] = w.get(`${prefix}/depthwise_filter`).shape as [number, number, number, number];
  const dw = w.value(g, `${prefix}/depthwise_filter`, { perm: [2, 3, 0, 1], dims: [c, 1, kh, kw] });
  const depthwise = g.op('Conv', [x, dw], { group: c, strides: [opts.stride, opts.stride], pads: pads2d(opts.pads) });
  const pw = w.value(g, `${prefix}/pointwise_filter`, { perm: HWIO_TO_OIHW });
  return g.op('Conv', [depthwise, pw, w.value(g, `${prefix}/bias`)], {});
}

/** face-api's fully connected layer: x [N, K] · weights [K, M] + bias. */
export function fullyConnected(g: GraphBuilder, w: TfWeights, x: string, prefix: string): string {
  return g.op('Gemm', [x, w.value(g, `${prefix}/weights`), w.value(g, `${prefix}/bias`)], {});
}
