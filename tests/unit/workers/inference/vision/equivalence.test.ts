/**
 * The ONNX face models (built from face-api's weights by scripts/face-models) against face-api's
 * own networks on TensorFlow.js, on face-api's demo photos.
 *
 * Per network, the same input tensors into both: largest absolute difference of the raw outputs
 * under GRID_TOL (detector grid, values up to ~50), LANDMARK_TOL (fractions of the 112 square) and
 * DESCRIPTOR_TOL (descriptor values, ~±0.3). Seen here: 1.2e-4, 7.7e-7 and 3.4e-6: float32
 * rounding (ORT's and XNNPACK's kernels sum in different orders), nothing more.
 *
 * The whole pipeline against face-api's `detectAllFaces(...).withFaceLandmarks().withFaceDescriptors()`
 * with the same options: same faces, boxes and landmarks within 0.01 px, scores within 1e-4,
 * descriptors within a Euclidean distance of 1e-3 (the match threshold is 0.6).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { faceApi, frameTensor, toNchw, type FaceApi, type Tf } from './face-api-reference.ts';
import { faceRunner, faceSession } from './node-models.ts';
import { demoPhoto, fitFrame, DEMO_PHOTOS } from '../../../../support/face-photos.ts';
import { FacePipeline } from '../../../../../workers/inference/vision/pipeline.ts';
import { writeResized, writeFaceInput, clipRect, type RgbaFrame } from '../../../../../workers/inference/vision/image.ts';
import { detectorInput } from '../../../../../workers/inference/vision/detect.ts';
import { alignedBox } from '../../../../../workers/inference/vision/landmarks.ts';
import { euclidean } from '../../../../../workers/inference/vision/match.ts';

const GRID_TOL = 1e-3;
const LANDMARK_TOL = 1e-5;
const DESCRIPTOR_TOL = 1e-4;
const PX_TOL = 0.01;

let tf: Tf;
let faceapi: FaceApi;
let pipeline: FacePipeline;
const frame = (n: number): RgbaFrame => fitFrame(demoPhoto(n), 640, 480);

beforeAll(async () => {
  ({ tf, faceapi } = await faceApi());
  pipeline = new FacePipeline(await faceRunner());
}, 120_000);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Runs one ONNX model and the face-api net on the same NCHW batch; returns the largest difference. */
async function compare(model: string, input: string, batch: Float32Array, dims: number[], reference: (netInput: unknown) => Tf, nhwcOut: boolean): Promise<number> {
  const { session } = await faceSession(model);
  const ours = (Object.values(await session.run({ [input]: new ort.Tensor('float32', batch, dims) }))[0] as ort.Tensor).data as Float32Array;
  const [n, c, h, w] = dims as [number, number, number, number];
  const nhwc = tf.transpose(tf.tensor4d(batch, [n, c, h, w]), [0, 2, 3, 1]);
  const items = Array.from({ length: n }, (_, i) => nhwc.slice([i, 0, 0, 0], [1, h, w, c]));
  const out = reference(new faceapi.NetInput(items));
  const theirs = nhwcOut ? toNchw(out.dataSync(), out.shape) : (out.dataSync() as Float32Array);
  tf.dispose([nhwc, ...items, out]);
  return maxDiff(ours, theirs);
}

describe('face models: ONNX against face-api on TensorFlow.js', () => {
  it('tiny face detector: the raw grid', async () => {
    const size = 416;
    const batch = new Float32Array(2 * 3 * size * size);
    [1, 5].forEach((n, i) => writeResized(frame(n), detectorInput(frame(n), size, true).resize, batch, i * 3 * size * size));
    const diff = await compare('tiny_face_detector', 'image', batch, [2, 3, size, size], (x) => faceapi.nets.tinyFaceDetector.forwardInput(x, size), true);
    console.log(`tiny_face_detector: max |ONNX - TF.js| = ${diff.toExponential(2)} (tolerance ${GRID_TOL})`);
    expect(diff).toBeLessThanOrEqual(GRID_TOL);
  }, 60_000);

  it('landmarks and descriptors: the raw outputs on real faces', async () => {
    const f = frame(4);
    const faces = (await pipeline.run(f, { inputSize: 416, descriptors: true, align: 'face-api' })).faces;
    expect(faces.length).toBeGreaterThanOrEqual(3);
    const lm = new Float32Array(faces.length * 3 * 112 * 112);
    faces.forEach((face, i) => writeFaceInput(f, clipRect(face.box, f.width, f.height), 112, lm, i * 3 * 112 * 112));
    const lmDiff = await compare('face_landmark_68', 'face', lm, [faces.length, 3, 112, 112], (x) => faceapi.nets.faceLandmark68Net.runNet(x), false);
    const rec = new Float32Array(faces.length * 3 * 150 * 150);
    faces.forEach((face, i) => {
      const crop = clipRect(face.box, f.width, f.height);
      writeFaceInput(f, clipRect(alignedBox(face.landmarks!, crop.width, crop.height), f.width, f.height), 150, rec, i * 3 * 150 * 150);
    });
    const recDiff = await compare('face_recognition', 'face', rec, [faces.length, 3, 150, 150], (x) => faceapi.nets.faceRecognitionNet.forwardInput(x), false);
    console.log(`face_landmark_68: ${lmDiff.toExponential(2)} (tolerance ${LANDMARK_TOL}); face_recognition: ${recDiff.toExponential(2)} (tolerance ${DESCRIPTOR_TOL}); ${faces.length} faces`);
    expect(lmDiff).toBeLessThanOrEqual(LANDMARK_TOL);
    expect(recDiff).toBeLessThanOrEqual(DESCRIPTOR_TOL);
  }, 60_000);

  it('the whole pipeline gives face-api\'s boxes, scores, landmarks and descriptors on every demo photo', async () => {
    let worst = { box: 0, score: 0, landmark: 0, descriptor: 0 };
    let faces = 0;
    for (const n of DEMO_PHOTOS) {
      const f = frame(n);
      const input = frameTensor(tf, f);
      const theirs = await faceapi.detectAllFaces(input, new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 })).withFaceLandmarks().withFaceDescriptors();
      tf.dispose(input);
      const ours = (await pipeline.run(f, { inputSize: 416, scoreThreshold: 0.5, square: true, descriptors: true, align: 'face-api' })).faces;
      expect(ours.length, `sample${n}`).toBe(theirs.length);
      ours.forEach((o, i) => {
        const t = theirs[i];
        const b = t.detection.box;
        worst = {
          box: Math.max(worst.box, maxDiff([o.box.x, o.box.y, o.box.width, o.box.height], [b.x, b.y, b.width, b.height])),
          score: Math.max(worst.score, Math.abs(o.box.score - t.detection.score)),
          landmark: Math.max(worst.landmark, maxDiff(o.landmarks!, t.landmarks.positions.flatMap((p: { x: number; y: number }) => [p.x, p.y]))),
          descriptor: Math.max(worst.descriptor, euclidean(o.descriptor!, t.descriptor)),
        };
      });
      faces += ours.length;
    }
    console.log(`pipeline vs face-api over ${faces} faces: box ${worst.box.toExponential(2)} px, score ${worst.score.toExponential(2)}, landmarks ${worst.landmark.toExponential(2)} px, descriptor distance ${worst.descriptor.toExponential(2)}`);
    expect(faces).toBeGreaterThanOrEqual(15);
    expect(worst.box).toBeLessThanOrEqual(PX_TOL);
    expect(worst.score).toBeLessThanOrEqual(1e-4);
    expect(worst.landmark).toBeLessThanOrEqual(PX_TOL);
    expect(worst.descriptor).toBeLessThanOrEqual(1e-3);
  }, 180_000);
});
