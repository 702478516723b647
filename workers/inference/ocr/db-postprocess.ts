/**
 * DB (differentiable binarization) post-processing, as PaddleOCR's `DBPostProcess` does it with
 * OpenCV, written out: threshold the text-probability map, take each 8-connected region
 * (OpenCV: the outer contour of each region), its minimum-area rectangle, its mean probability
 * ("fast" score: inside that rectangle), grow it by area × unclip ratio / perimeter (what
 * pyclipper's round offset does to a rectangle), and scale it to the photo.
 */
import { growRect, insideConvex, minAreaRect, orderCorners, type Point, type Quad, type Rect } from './geometry.ts';

export interface DbOptions {
  /** A map value above this is text (PaddleOCR: 0.3). */
  thresh: number;
  /** A region whose mean probability is below this is dropped (PaddleOCR: 0.6). */
  boxThresh: number;
  /** How far a region's rectangle grows: area × ratio / perimeter on each side (PaddleOCR: 1.5). */
  unclipRatio: number;
  /** Rectangles whose short side (in map pixels) is under this are dropped (PaddleOCR: 3). */
  minSize: number;
  /** At most this many regions are considered (largest first when there are more). */
  maxCandidates: number;
}

export const DB_DEFAULTS: DbOptions = { thresh: 0.3, boxThresh: 0.6, unclipRatio: 1.5, minSize: 3, maxCandidates: 1000 };

export interface TextBox {
  /** Corners in the photo's pixels: top-left, top-right, bottom-right, bottom-left. */
  quad: Quad;
  /** Mean text probability inside the region's rectangle. */
  score: number;
  /** Short side of the region's rectangle before it grew, in map pixels (how big the text is there). */
  core: number;
}

interface Region {
  /** Pixel centres on the region's left and right edge, row by row (their hull is the region's). */
  edge: Point[];
  pixels: number;
}

/** 8-connected regions of `map > thresh`; each as its row-wise left and right edge pixels. */
export function regions(map: Float32Array, width: number, height: number, thresh: number): Region[] {
  if (map.length !== width * height) throw new Error(`probability map has ${map.length} values, not ${width}×${height}`);
  const label = new Int32Array(width * height); // 0: unvisited or background
  const stack = new Int32Array(width * height);
  const out: Region[] = [];
  for (let start = 0; start < map.length; start++) {
    if (label[start] !== 0 || !(map[start]! > thresh)) continue;
    const id = out.length + 1;
    // Per row of this region: leftmost and rightmost x.
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    let top = 0;
    let pixels = 0;
    stack[top++] = start;
    label[start] = id;
    while (top > 0) {
      const i = stack[--top]!;
      pixels++;
      const y = (i / width) | 0;
      const x = i - y * width;
      const lo = rowMin.get(y);
      if (lo === undefined || x < lo) rowMin.set(y, x);
      const hi = rowMax.get(y);
      if (hi === undefined || x > hi) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if ((dx === 0 && dy === 0) || nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (label[j] === 0 && map[j]! > thresh) {
            label[j] = id;
            stack[top++] = j;
          }
        }
      }
    }
    const edge: Point[] = [];
    for (const [y, lo] of rowMin) {
      edge.push([lo, y]);
      const hi = rowMax.get(y)!;
      if (hi !== lo) edge.push([hi, y]);
    }
    out.push({ edge, pixels });
  }
  return out;
}

/** Mean of `map` over the pixels whose centres lie in `quad` (PaddleOCR's `box_score_fast`). */
export function meanInside(map: Float32Array, width: number, height: number, quad: readonly Point[]): number {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, width - 1);
  const x1 = clamp(Math.ceil(Math.max(...xs)), 0, width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, height - 1);
  const y1 = clamp(Math.ceil(Math.max(...ys)), 0, height - 1);
  let sum = 0;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insideConvex(quad, x, y)) continue;
      sum += map[y * width + x]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/**
 * Text boxes from a probability map of `mapW`×`mapH` computed on the photo resized to that size;
 * corners are scaled back to the photo's `photoW`×`photoH` (each axis on its own, as the resize
 * rounds each side to a multiple of 32), in continuous coordinates: pixel (x, y) of the photo
 * covers [x, x + 1) × [y, y + 1).
 */
export function boxesFromMap(
  map: Float32Array, mapW: number, mapH: number, photoW: number, photoH: number, opts: DbOptions = DB_DEFAULTS,
): TextBox[] {
  let found = regions(map, mapW, mapH, opts.thresh);
  if (found.length > opts.maxCandidates) found = [...found].sort((a, b) => b.pixels - a.pixels).slice(0, opts.maxCandidates);
  const boxes: TextBox[] = [];
  for (const region of found) {
    const rect = minAreaRect(region.edge);
    if (Math.min(rect.width, rect.height) < opts.minSize) continue;
    const score = meanInside(map, mapW, mapH, orderCorners(rect.corners));
    if (score < opts.boxThresh) continue;
    const grown = unclip(rect, opts.unclipRatio);
    if (Math.min(grown.width, grown.height) < opts.minSize + 2) continue;
    const sx = photoW / mapW;
    const sy = photoH / mapH;
    // Map pixel k is centred at k + 0.5 in continuous coordinates (pixel k covers [k, k + 1)).
    const quad = orderCorners(grown.corners.map(([x, y]): Point => [clamp((x + 0.5) * sx, 0, photoW), clamp((y + 0.5) * sy, 0, photoH)]));
    boxes.push({ quad, score, core: Math.min(rect.width, rect.height) });
  }
  return boxes;
}

/**
 * PaddleOCR grows a box with pyclipper (round joins) by area × ratio / perimeter; a rectangle
 * grown so is a rounded rectangle whose minimum-area rectangle is the rectangle grown by that
 * distance on each side.
 */
export function unclip(rect: Rect, ratio: number): Rect {
  const perimeter = 2 * (rect.width + rect.height);
  const d = perimeter > 0 ? (rect.width * rect.height * ratio) / perimeter : 0;
  return growRect(rect, d);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
