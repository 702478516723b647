/**
 * The tiny face detector's input and output: how a frame becomes its input (scaled so that the
 * longer side is `inputSize`, padded with black at the end), and how its grid becomes face boxes
 * (face-api's TinyYolov2Base.extractBoxes, then its non-maximum suppression).
 */
import type { RgbaFrame, ResizeSpec } from './image.ts';
import { DETECTOR_IOU, DETECTOR_STRIDE, TINY_ANCHORS } from './models.ts';

/** A face in frame pixels. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface DetectorInput {
  /** Model input size (multiples of 32). */
  width: number;
  height: number;
  /** The frame scaled to fit, before padding (face-api's reshaped input dimensions). */
  reshapedWidth: number;
  reshapedHeight: number;
  resize: ResizeSpec;
}

/**
 * face-api pads every frame to a square of `inputSize` (`square: true`, what the equivalence test
 * checks). The network is fully convolutional, so by default the shorter side is only padded to
 * the next multiple of 32: a 4:3 frame costs 3/4 of the square's time, with the same weights.
 */
export function detectorInput(frame: Pick<RgbaFrame, 'width' | 'height'>, inputSize: number, square = false): DetectorInput {
  if (inputSize % DETECTOR_STRIDE !== 0) throw new RangeError(`detector input size ${inputSize} is not a multiple of ${DETECTOR_STRIDE}`);
  const long = Math.max(frame.width, frame.height);
  const s = inputSize / long;
  const reshapedWidth = Math.round(frame.width * s);
  const reshapedHeight = Math.round(frame.height * s);
  const fit = (n: number) => (square ? inputSize : Math.min(inputSize, Math.ceil(n / DETECTOR_STRIDE) * DETECTOR_STRIDE));
  const width = fit(reshapedWidth);
  const height = fit(reshapedHeight);
  return { width, height, reshapedWidth, reshapedHeight, resize: { outWidth: width, outHeight: height, srcWidth: (width * long) / inputSize, srcHeight: (height * long) / inputSize } };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Boxes from one image's grid ([25, rows, cols] at `offset`: per anchor x, y, w, h, score), in frame
 * pixels, scores over `scoreThreshold`, before suppression. face-api's arithmetic: positions are
 * fractions of the reshaped (unpadded) input, then times the frame's size.
 */
export function decodeGrid(grid: Float32Array, offset: number, rows: number, cols: number, input: DetectorInput, frame: Pick<RgbaFrame, 'width' | 'height'>, scoreThreshold: number): FaceBox[] {
  const plane = rows * cols;
  const fx = input.width / input.reshapedWidth;
  const fy = input.height / input.reshapedHeight;
  const out: FaceBox[] = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      for (let a = 0; a < TINY_ANCHORS.length; a++) {
        const v = (k: number) => grid[offset + (a * 5 + k) * plane + row * cols + col]!;
        const score = sigmoid(v(4));
        if (scoreThreshold && !(score > scoreThreshold)) continue;
        const [ax, ay] = TINY_ANCHORS[a]!;
        const ctX = ((col + sigmoid(v(0))) / cols) * fx;
        const ctY = ((row + sigmoid(v(1))) / rows) * fy;
        const w = ((Math.exp(v(2)) * ax) / cols) * fx;
        const h = ((Math.exp(v(3)) * ay) / rows) * fy;
        const x = ctX - w / 2;
        const y = ctY - h / 2;
        // face-api: a BoundingBox(x, y, x + w, y + h) of fractions, then rescaled to the frame.
        out.push({ x: x * frame.width, y: y * frame.height, width: (x + w - x) * frame.width, height: (y + h - y) * frame.height, score });
      }
    }
  }
  return out;
}

export function iou(a: FaceBox, b: FaceBox): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** face-api's greedy non-maximum suppression: highest score first, drop overlaps over `threshold`. */
export function nonMaxSuppression(boxes: FaceBox[], threshold = DETECTOR_IOU): FaceBox[] {
  // Sorted ascending and popped from the end, as face-api does (ties keep its order).
  let order = boxes.map((b, i) => ({ s: b.score, i })).sort((p, q) => p.s - q.s).map((p) => p.i);
  const picked: FaceBox[] = [];
  while (order.length) {
    const cur = boxes[order.pop()!]!;
    picked.push(cur);
    order = order.filter((i) => iou(cur, boxes[i]!) <= threshold);
  }
  return picked;
}
