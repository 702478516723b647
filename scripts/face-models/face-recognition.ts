/**
 * face-api's FaceRecognitionNet (its `src/faceRecognitionNet`: dlib's ResNet-29 face descriptor,
 * `dlib_face_recognition_resnet_model_v1`) as ONNX. Input `face` [N, 3, 150, 150]: RGB pixels in
 * 0..255 (the aligned face box, padded to a square, centred, and resized). Output `descriptor`
 * [N, 128]; two faces are the same person when the Euclidean distance is under ~0.6.
 */
import { GraphBuilder } from './onnx-graph.ts';
import type { TfWeights } from './tfjs-weights.ts';
import { normalize, outSize, samePads } from './layers.ts';
import { FACE_MEAN_RGB } from './face-landmark-68.ts';

export const RECOGNITION_INPUT = 150;

export function buildFaceRecognition(w: TfWeights): Uint8Array {
  const g = new GraphBuilder();
  const relu = (x: string) => g.op('Relu', [x]);
  let size = RECOGNITION_INPUT;
  let channels = 3;

  /** face-api's convLayer: conv + bias, then the scale layer (x * weights + biases), relu or not. */
  const convLayer = (x: string, prefix: string, stride: number, withRelu: boolean, padding: 'same' | 'valid'): string => {
    const shape = w.get(`${prefix}/conv/filters`).shape as [number, number, number, number];
    const k = shape[0];
    const pads = padding === 'same' ? samePads(size, k, stride) : ([0, 0] as [number, number]);
    const filters = w.value(g, `${prefix}/conv/filters`, { perm: [3, 2, 0, 1] });
    let out = g.op('Conv', [x, filters, w.value(g, `${prefix}/conv/bias`)], { strides: [stride, stride], pads: [pads[0], pads[0], pads[1], pads[1]] });
    const scale = (name: string) => w.value(g, `${prefix}/scale/${name}`, { dims: [1, shape[3], 1, 1] });
    out = g.op('Add', [g.op('Mul', [out, scale('weights')]), scale('biases')]);
    size = outSize(size, k, stride, pads);
    channels = shape[3];
    return withRelu ? relu(out) : out;
  };

  const residual = (x: string, prefix: string): string => {
    const out = convLayer(convLayer(x, `${prefix}/conv1`, 1, true, 'same'), `${prefix}/conv2`, 1, false, 'same');
    return relu(g.op('Add', [out, x]));
  };

  const residualDown = (x: string, prefix: string): string => {
    const inSize = size;
    const inChannels = channels;
    let out = convLayer(convLayer(x, `${prefix}/conv1`, 2, true, 'valid'), `${prefix}/conv2`, 1, false, 'same');
    let pooled = g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    const pooledSize = outSize(inSize, 2, 2);
    // face-api appends a row and a column of zeros when the strided conv came out one smaller.
    if (pooledSize !== size) {
      if (pooledSize !== size + 1) throw new Error(`residualDown ${prefix}: sizes ${pooledSize} and ${size}`);
      out = g.op('Pad', [out, g.int64('pads', [0, 0, 0, 0, 0, 0, 1, 1])]);
      size = pooledSize;
    }
    // ...and zero channels to the pooled input when the block widens.
    if (inChannels !== channels) pooled = g.op('Pad', [pooled, g.int64('pads', [0, 0, 0, 0, 0, channels - inChannels, 0, 0])]);
    return relu(g.op('Add', [pooled, out]));
  };

  let x = normalize(g, 'face', FACE_MEAN_RGB);
  x = convLayer(x, 'conv32_down', 2, true, 'valid');
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] });
  size = outSize(size, 3, 2);
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(x, p);
  x = residualDown(x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(x, p);
  x = residualDown(x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) x = residual(x, p);
  x = residualDown(x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) x = residual(x, p);
  x = residualDown(x, 'conv256_down_out');
  x = g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 });
  x = g.op('MatMul', [x, w.value(g, 'fc')]);
  const unused = w.unused();
  if (unused.length) throw new Error(`face recognition net: weights not used: ${unused.join(', ')}`);
  return g.encode({
    name: 'face_recognition',
    doc: 'face-api (vladmandic/face-api, MIT) FaceRecognitionNet with dlib\'s face recognition weights (public domain), rebuilt from model/face_recognition_model.bin by osmose',
    inputs: [{ name: 'face', dims: ['batch', 3, RECOGNITION_INPUT, RECOGNITION_INPUT] }],
    outputs: [{ name: 'descriptor', from: x, dims: ['batch', 128] }],
  });
}
