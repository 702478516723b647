/**
 * The face models, built at build time from the TensorFlow.js weights that `@vladmandic/face-api`
 * ships (no converter, no download): each builder writes the network's ONNX graph from face-api's
 * own network definition, with the package's weight bytes. Same package, same bytes out: the
 * SHA-256 of each result is pinned in models/registry.ts.
 */
import path from 'node:path';
import { TfWeights } from './tfjs-weights.ts';
import { buildTinyFaceDetector } from './tiny-face-detector.ts';
import { buildFaceLandmark68 } from './face-landmark-68.ts';
import { buildFaceRecognition } from './face-recognition.ts';

export const FACE_BUILDERS = {
  'face-api/tiny_face_detector': { manifest: 'model/tiny_face_detector_model-weights_manifest.json', build: buildTinyFaceDetector },
  'face-api/face_landmark_68': { manifest: 'model/face_landmark_68_model-weights_manifest.json', build: buildFaceLandmark68 },
  'face-api/face_recognition': { manifest: 'model/face_recognition_model-weights_manifest.json', build: buildFaceRecognition },
} as const;

export type FaceBuilder = keyof typeof FACE_BUILDERS;

export function isFaceBuilder(s: string): s is FaceBuilder {
  return Object.hasOwn(FACE_BUILDERS, s);
}

/** The ONNX bytes of one face model, from the package installed in `packageDir`. */
export function buildFaceModel(builder: FaceBuilder, packageDir: string): Uint8Array {
  const b = FACE_BUILDERS[builder];
  return b.build(TfWeights.read(path.join(packageDir, b.manifest)));
}
