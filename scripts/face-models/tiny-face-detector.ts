/**
 * face-api's TinyFaceDetector (a Tiny YOLO v2 with depthwise-separable convolutions; its
 * `src/tinyYolov2/TinyYolov2Base.ts` `runMobilenet` with `isFirstLayerConv2d`) as ONNX.
 * Input `image` [N, 3, H, W]: RGB pixels in 0..255 (any H, W; face-api feeds a square of
 * `inputSize`, a multiple of 32). Output `grid` [N, 25, H', W']: per cell, 5 anchors x (x, y, w, h,
 * score) before sigmoid/exp, decoded by workers/inference/vision/detect.ts.
 */
import { GraphBuilder } from './onnx-graph.ts';
import type { TfWeights } from './tfjs-weights.ts';
import { conv, normalize, separableConv } from './layers.ts';

/** face-api's src/tinyFaceDetector/const.ts. */
export const TINY_MEAN_RGB: [number, number, number] = [117.001, 114.697, 97.404];

export function buildTinyFaceDetector(w: TfWeights): Uint8Array {
  const g = new GraphBuilder();
  // leaky(x) = relu(x - 0.1x) + 0.1x in face-api: LeakyRelu(alpha = float32(0.1)) to within rounding.
  const leaky = (x: string) => g.op('LeakyRelu', [x], { alpha: 0.10000000149011612 });
  // tf.maxPool(x, 2, stride, 'same'): the padding (ignored by max) goes at the end, as SAME_UPPER.
  const pool = (x: string, stride: number) => g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [stride, stride], auto_pad: 'SAME_UPPER' });
  let x = normalize(g, 'image', TINY_MEAN_RGB);
  x = pool(leaky(conv(g, w, x, 'conv0', { stride: 1, pads: [0, 0] })), 2);
  for (let i = 1; i <= 5; i++) {
    // tinyYolov2's depthwiseSeparableConv: tf.pad by 1, then a 'valid' separable conv, + bias, leaky.
    x = pool(leaky(separableConv(g, w, x, `conv${i}`, { stride: 1, pads: [1, 1] })), i < 5 ? 2 : 1);
  }
  x = conv(g, w, x, 'conv8', { stride: 1, pads: [0, 0] });
  const unused = w.unused();
  if (unused.length) throw new Error(`tiny face detector: weights not used: ${unused.join(', ')}`);
  return g.encode({
    name: 'tiny_face_detector',
    doc: 'face-api (vladmandic/face-api, MIT) TinyFaceDetector, rebuilt from model/tiny_face_detector_model.bin by osmose',
    inputs: [{ name: 'image', dims: ['batch', 3, 'height', 'width'] }],
    outputs: [{ name: 'grid', from: x, dims: ['batch', 25, 'rows', 'cols'] }],
  });
}
