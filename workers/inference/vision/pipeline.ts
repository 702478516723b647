/**
 * Faces in a frame: detection, then (when asked) 68 landmarks, face-api's dlib alignment and a
 * 128-d descriptor per face. Pure: the models run through an injected ModelRunner (ORT sessions in
 * the inference worker, the same under Node in vitest). Batched: one landmark call and one
 * recognition call for all the faces of a frame; `batch: false` is the naive variant (one call per
 * face per model) that the benchmark compares against.
 */
import type { ModelRunner } from '../runner.ts';
import { assertFrame, clipRect, writeFaceInput, writeResized, writeRotatedSquare, type RgbaFrame } from './image.ts';
import { decodeGrid, detectorInput, nonMaxSuppression, type FaceBox } from './detect.ts';
import { alignedBox, landmarksInFrame, rolledSquare } from './landmarks.ts';
import { DETECTOR_IO, DETECTOR_MODEL, LANDMARK_IO, LANDMARK_MODEL, RECOGNITION_IO, RECOGNITION_MODEL, DESCRIPTOR_LENGTH } from './models.ts';

export interface FaceOptions {
  /** The detector's input: the frame's longer side is scaled to this (a multiple of 32). */
  inputSize?: number;
  /** Faces scoring at or under this are dropped. */
  scoreThreshold?: number;
  /** Pad to a square as face-api does (default: pad the shorter side to a multiple of 32 only). */
  square?: boolean;
  /** Also compute landmarks and descriptors (default: boxes only). */
  descriptors?: boolean;
  /** At most this many faces (the highest scores) are returned and described. */
  maxFaces?: number;
  /** One model call for all faces (default), or one per face (the naive baseline). */
  batch?: boolean;
  /**
   * How the recognition net's input is cut: 'roll' (default) turns face-api's square so that the
   * eyes are level, as dlib's chips are; 'face-api' is face-api's own upright box (the equivalence
   * test's reference).
   */
  align?: 'roll' | 'face-api';
}

/** What the defaults are and why: see docs/ARCHITECTURE.md, "Faces". */
export const FACE_DEFAULTS = { inputSize: 480, scoreThreshold: 0.3, square: false, descriptors: false, maxFaces: 16, batch: true, align: 'roll' } as const;

/** Writes one face's model input (NCHW) into a batch at `offset`. */
type Writer = (out: Float32Array, offset: number) => void;

export interface Face {
  box: FaceBox;
  /** 68 points, x0, y0, ..., in frame pixels (with descriptors only). */
  landmarks?: Float32Array;
  /** 128-d (with descriptors only). */
  descriptor?: Float32Array;
}

export interface FaceTimes {
  /** Frame to detector input. */
  prepare: number;
  detect: number;
  landmarks: number;
  descriptors: number;
}

export interface FacePass {
  faces: Face[];
  ms: FaceTimes;
  /** Model runs this pass made (1 + 2 when batched, 1 + 2N when not). */
  runs: number;
}

export class FacePipeline {
  constructor(private readonly runner: ModelRunner, private readonly now: () => number = () => performance.now()) {}

  async run(frame: RgbaFrame, options: FaceOptions = {}): Promise<FacePass> {
    assertFrame(frame);
    const o = { ...FACE_DEFAULTS, ...options };
    const ms: FaceTimes = { prepare: 0, detect: 0, landmarks: 0, descriptors: 0 };
    let t = this.now();
    const lap = (k: keyof FaceTimes) => {
      const n = this.now();
      ms[k] += n - t;
      t = n;
    };
    const input = detectorInput(frame, o.inputSize, o.square);
    const image = new Float32Array(3 * input.width * input.height);
    writeResized(frame, input.resize, image);
    lap('prepare');
    const out = await this.runner.run(DETECTOR_MODEL, { [DETECTOR_IO.input]: { dtype: 'float32', dims: [1, 3, input.height, input.width], data: image } });
    const grid = out[DETECTOR_IO.output];
    if (!grid) throw new Error(`${DETECTOR_MODEL} gave no ${DETECTOR_IO.output}`);
    const rows = input.height / 32;
    const cols = input.width / 32;
    if (grid.length !== 25 * rows * cols) throw new Error(`${DETECTOR_MODEL}: ${grid.length} values, expected 25 x ${rows} x ${cols}`);
    const boxes = nonMaxSuppression(decodeGrid(grid, 0, rows, cols, input, frame, o.scoreThreshold)).slice(0, o.maxFaces);
    lap('detect');
    let runs = 1;
    if (!o.descriptors) return { faces: boxes.map((box) => ({ box })), ms, runs };

    // face-api drops a face whose box lies outside the frame (nothing to crop).
    const crops = boxes.map((b) => ({ box: b, crop: clipRect(b, frame.width, frame.height) })).filter((c) => c.crop.width > 0 && c.crop.height > 0);
    const lm = await this.batched(LANDMARK_MODEL, LANDMARK_IO, crops.map((c) => (out, at) => writeFaceInput(frame, c.crop, LANDMARK_IO.size, out, at)), o.batch, 136);
    runs += lm.runs;
    const landmarks = crops.map((c, i) => landmarksInFrame(lm.out, i * 136, LANDMARK_IO.size, c.crop, c.box));
    lap('landmarks');
    const writers: (Writer | null)[] = crops.map((c, i) => {
      const pts = landmarks[i]!;
      if (o.align === 'roll') {
        const sq = rolledSquare(pts);
        return sq.side >= 1 ? (out, at) => writeRotatedSquare(frame, sq, RECOGNITION_IO.size, out, at) : null;
      }
      const r = clipRect(alignedBox(pts, c.crop.width, c.crop.height), frame.width, frame.height);
      return r.width > 0 && r.height > 0 ? (out, at) => writeFaceInput(frame, r, RECOGNITION_IO.size, out, at) : null;
    });
    const ok = writers.map((w) => w !== null);
    const rec = await this.batched(RECOGNITION_MODEL, RECOGNITION_IO, writers.filter((w): w is Writer => w !== null), o.batch, DESCRIPTOR_LENGTH);
    runs += rec.runs;
    let k = 0;
    const faces = crops.map((c, i) => {
      const face: Face = { box: c.box, landmarks: landmarks[i]! };
      if (ok[i]) face.descriptor = rec.out.slice(k * DESCRIPTOR_LENGTH, ++k * DESCRIPTOR_LENGTH);
      return face;
    });
    lap('descriptors');
    return { faces, ms, runs };
  }

  /** Runs a face net on these inputs: one call with all of them, or one call each. */
  private async batched(model: string, io: { input: string; output: string; size: number }, inputs: Writer[], batch: boolean, per: number): Promise<{ out: Float32Array; runs: number }> {
    const out = new Float32Array(inputs.length * per);
    if (!inputs.length) return { out, runs: 0 };
    const one = 3 * io.size * io.size;
    const groups = batch ? [inputs] : inputs.map((c) => [c]);
    let at = 0;
    for (const group of groups) {
      const input = new Float32Array(group.length * one);
      group.forEach((write, i) => write(input, i * one));
      const res = (await this.runner.run(model, { [io.input]: { dtype: 'float32', dims: [group.length, 3, io.size, io.size], data: input } }))[io.output];
      if (!res || res.length !== group.length * per) throw new Error(`${model}: expected ${group.length} x ${per} values`);
      out.set(res, at);
      at += res.length;
    }
    return { out, runs: groups.length };
  }
}
