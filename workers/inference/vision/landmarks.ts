/**
 * 68 landmarks from the landmark net's output, and face-api's dlib-style alignment box from them
 * (`FaceLandmarks.alignDlib`): the square the recognition net sees.
 */
import type { PixelRect } from './image.ts';
import type { FaceBox } from './detect.ts';

/** 68 points, x0, y0, x1, y1, ... in frame pixels. */
export type Landmarks = Float32Array;

/**
 * face-api's FaceLandmark68NetBase.postProcess + FaceLandmarks68 + shiftBy: the net's output
 * (fractions of the 112 square the crop was padded into) to frame pixels. face-api shifts by the
 * detection box's own corner (not floored, unlike the crop): kept, for the same descriptors.
 */
export function landmarksInFrame(out: Float32Array, offset: number, size: number, crop: PixelRect, box: FaceBox): Landmarks {
  const scale = size / Math.max(crop.width, crop.height);
  const w = crop.width * scale;
  const h = crop.height * scale;
  const padX = w < h ? Math.abs(w - h) / 2 : 0;
  const padY = h < w ? Math.abs(w - h) / 2 : 0;
  const pts = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    pts[2 * i] = ((out[offset + 2 * i]! * size - padX) / w) * crop.width + box.x;
    pts[2 * i + 1] = ((out[offset + 2 * i + 1]! * size - padY) / h) * crop.height + box.y;
  }
  return pts;
}

function centre(pts: Landmarks, from: number, to: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += pts[2 * i]!;
    y += pts[2 * i + 1]!;
  }
  return [x / (to - from), y / (to - from)];
}

/**
 * face-api's dlib alignment: a square of side (mean eye-to-mouth distance / 0.45) around the
 * centre of the eyes and the mouth, 0.5 of it left of that centre and 0.43 above. `cropWidth` /
 * `cropHeight` are the landmark crop's size (face-api caps the box with them).
 */
export function alignedBox(pts: Landmarks, cropWidth: number, cropHeight: number): { x: number; y: number; width: number; height: number } {
  const left = centre(pts, 36, 42);
  const right = centre(pts, 42, 48);
  const mouth = centre(pts, 48, 68);
  const dist = (p: [number, number]) => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const size = Math.floor((dist(left) + dist(right)) / 2 / 0.45);
  const cx = (left[0] + right[0] + mouth[0]) / 3;
  const cy = (left[1] + right[1] + mouth[1]) / 3;
  const x = Math.floor(Math.max(0, cx - 0.5 * size));
  const y = Math.floor(Math.max(0, cy - 0.43 * size));
  return { x, y, width: Math.min(size, cropWidth + x), height: Math.min(size, cropHeight + y) };
}

/**
 * The same square as `alignedBox` (side from the eye-to-mouth distance, placed around the centre
 * of eyes and mouth), turned so that the eyes are level: dlib aligns its face chips for roll, and
 * its descriptor was trained on such chips; face-api's box is not turned.
 */
export function rolledSquare(pts: Landmarks): { cx: number; cy: number; side: number; angle: number; ax: number; ay: number } {
  const left = centre(pts, 36, 42);
  const right = centre(pts, 42, 48);
  const mouth = centre(pts, 48, 68);
  const dist = (p: [number, number]) => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const side = (dist(left) + dist(right)) / 2 / 0.45;
  return {
    cx: (left[0] + right[0] + mouth[0]) / 3,
    cy: (left[1] + right[1] + mouth[1]) / 3,
    side,
    angle: Math.atan2(right[1] - left[1], right[0] - left[0]),
    ax: 0.5,
    ay: 0.43,
  };
}
