/**
 * face-api's FaceLandmark68Net (its `src/faceFeatureExtractor/FaceFeatureExtractor.ts`: four dense
 * blocks of depthwise-separable convolutions, then `src/faceProcessor`'s fully connected layer) as
 * ONNX. Input `face` [N, 3, 112, 112]: RGB pixels in 0..255 (the face's box, padded to a square,
 * centred, and resized). Output `landmarks` [N, 136]: x0, y0, x1, y1, ... relative to the 112 square.
 */
import { GraphBuilder } from './onnx-graph.ts';
import type { TfWeights } from './tfjs-weights.ts';
import { conv, fullyConnected, normalize, samePads, separableConv } from './layers.ts';

export const FACE_MEAN_RGB: [number, number, number] = [122.782, 117.001, 104.298];
export const LANDMARK_INPUT = 112;

export function buildFaceLandmark68(w: TfWeights): Uint8Array {
  const g = new GraphBuilder();
  const relu = (x: string) => g.op('Relu', [x]);
  const add = (a: string, b: string) => g.op('Add', [a, b]);
  let size = LANDMARK_INPUT;
  let x = normalize(g, 'face', FACE_MEAN_RGB);
  for (let block = 0; block < 4; block++) {
    const p = `dense${block}`;
    // denseBlock4(x, params, isFirstLayer = block 0): the first conv halves the size ('same', stride 2).
    const down = { stride: 2, pads: samePads(size, 3, 2) };
    const out1 = relu(block === 0 ? conv(g, w, x, `${p}/conv0`, down) : separableConv(g, w, x, `${p}/conv0`, down));
    size = Math.ceil(size / 2);
    const same = { stride: 1, pads: samePads(size, 3, 1) };
    const out2 = separableConv(g, w, out1, `${p}/conv1`, same);
    const out3 = separableConv(g, w, relu(add(out1, out2)), `${p}/conv2`, same);
    const out4 = separableConv(g, w, relu(add(out1, add(out2, out3))), `${p}/conv3`, same);
    x = relu(add(out1, add(out2, add(out3, out4))));
  }
  // tf.avgPool(out, 7, 2, 'valid') on the 7x7 map: one value per channel.
  x = g.op('AveragePool', [x], { kernel_shape: [size, size], strides: [2, 2] });
  x = fullyConnected(g, w, g.op('Flatten', [x], { axis: 1 }), 'fc');
  const unused = w.unused();
  if (unused.length) throw new Error(`face landmark net: weights not used: ${unused.join(', ')}`);
  return g.encode({
    name: 'face_landmark_68',
    doc: 'face-api (vladmandic/face-api, MIT) FaceLandmark68Net, rebuilt from model/face_landmark_68_model.bin by osmose',
    inputs: [{ name: 'face', dims: ['batch', 3, LANDMARK_INPUT, LANDMARK_INPUT] }],
    outputs: [{ name: 'landmarks', from: x, dims: ['batch', 136] }],
  });
}
