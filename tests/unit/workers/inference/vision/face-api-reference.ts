/**
 * face-api's own networks on TensorFlow.js (wasm backend, from npm; a devDependency used only
 * here), the reference the ONNX models are checked against.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO } from '../../../../e2e/support/env.ts';
import type { RgbaFrame } from '../../../../../workers/inference/vision/image.ts';

const require = createRequire(path.join(REPO, 'package.json'));

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Tf = any;
export type FaceApi = any;

let ready: Promise<{ tf: Tf; faceapi: FaceApi }> | null = null;

export function faceApi(): Promise<{ tf: Tf; faceapi: FaceApi }> {
  ready ??= (async () => {
    const tf = require('@tensorflow/tfjs');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    wasm.setWasmPaths(path.join(REPO, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    const models = path.join(REPO, 'node_modules', '@vladmandic', 'face-api', 'model');
    await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
    return { tf, faceapi };
  })();
  return ready;
}

/** An RGBA frame as face-api's input: an int32 [H, W, 3] tensor. */
export function frameTensor(tf: Tf, f: RgbaFrame): Tf {
  const rgb = new Int32Array(f.width * f.height * 3);
  for (let i = 0, j = 0; i < f.data.length; i += 4, j += 3) {
    rgb[j] = f.data[i]!;
    rgb[j + 1] = f.data[i + 1]!;
    rgb[j + 2] = f.data[i + 2]!;
  }
  return tf.tensor3d(rgb, [f.height, f.width, 3], 'int32');
}

/** NHWC float data to NCHW. */
export function toNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n!; b++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) for (let k = 0; k < c!; k++) out[((b * c! + k) * h! + y) * w! + x] = data[((b * h! + y) * w! + x) * c! + k]!;
  return out;
}
