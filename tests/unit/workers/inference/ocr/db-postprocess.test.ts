/** DB post-processing on synthetic probability maps: regions, scores, unclip, filters, scaling. */
import { describe, it, expect } from 'vitest';
import { boxesFromMap, DB_DEFAULTS, meanInside, regions, unclip } from '../../../../../workers/inference/ocr/db-postprocess.ts';
import { minAreaRect, type Point } from '../../../../../workers/inference/ocr/geometry.ts';

const W = 200, H = 120;

/** A map with `value` inside a w×h rectangle centred at (cx, cy) turned by `a` (pixel centres tested, half-open). */
function paint(map: Float32Array, cx: number, cy: number, w: number, h: number, a: number, value: number): void {
  const c = Math.cos(a), s = Math.sin(a);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = (x - cx) * c + (y - cy) * s;
      const v = -(x - cx) * s + (y - cy) * c;
      if (u >= -w / 2 && u < w / 2 && v >= -h / 2 && v < h / 2) map[y * W + x] = value;
    }
  }
}

const shortSide = (q: readonly Point[]) => Math.min(Math.hypot(q[1]![0] - q[0]![0], q[1]![1] - q[0]![1]), Math.hypot(q[3]![0] - q[0]![0], q[3]![1] - q[0]![1]));
const longSide = (q: readonly Point[]) => Math.max(Math.hypot(q[1]![0] - q[0]![0], q[1]![1] - q[0]![1]), Math.hypot(q[3]![0] - q[0]![0], q[3]![1] - q[0]![1]));

describe('DB post-processing', () => {
  it('finds two text lines (one level, one tilted), grows them, and drops specks and weak regions', () => {
    const map = new Float32Array(W * H).fill(0.02);
    paint(map, 60, 30, 80, 8, 0, 0.9); // a level line
    paint(map, 130, 80, 100, 10, 0.2, 0.85); // a tilted one
    paint(map, 180, 15, 2, 2, 0, 0.95); // a speck: short side under minSize
    paint(map, 40, 100, 40, 8, 0, 0.4); // above thresh (0.3), below boxThresh (0.6)
    const boxes = boxesFromMap(map, W, H, W, H, DB_DEFAULTS);
    expect(boxes).toHaveLength(2);
    const [level, tilted] = [...boxes].sort((a, b) => a.quad[0][1] - b.quad[0][1]);
    expect(level!.score).toBeGreaterThan(0.85);
    expect(tilted!.score).toBeGreaterThan(0.8);
    // The level line: 80×8 pixels → centres span 79×7; grown by area×1.5/perimeter on each side.
    const d = (79 * 7 * 1.5) / (2 * (79 + 7));
    expect(shortSide(level!.quad)).toBeCloseTo(7 + 2 * d, 5);
    expect(longSide(level!.quad)).toBeCloseTo(79 + 2 * d, 5);
    expect(level!.core).toBeCloseTo(7, 5);
    // Continuous coordinates: the region's pixel centres 20..99 are at x 20.5..99.5.
    expect(level!.quad[0][0]).toBeCloseTo(20.5 - d, 5);
    // The tilted line keeps its angle (0.2 rad), top-left first.
    const [tl, tr] = tilted!.quad;
    expect(Math.atan2(tr[1] - tl[1], tr[0] - tl[0])).toBeCloseTo(0.2, 1);
  });

  it('scales boxes from the map to the photo, each axis on its own', () => {
    const map = new Float32Array(W * H);
    paint(map, 100, 60, 60, 10, 0, 1);
    const [box] = boxesFromMap(map, W, H, 4 * W, 3 * H, { ...DB_DEFAULTS, unclipRatio: 0 });
    // Pixel centres 70..129 × 55..64 → [70.5, 129.5] × [55.5, 64.5] in map units, ×4 and ×3.
    expect(box!.quad[0][0]).toBeCloseTo(70.5 * 4, 5);
    expect(box!.quad[2][0]).toBeCloseTo(129.5 * 4, 5);
    expect(box!.quad[0][1]).toBeCloseTo(55.5 * 3, 5);
    expect(box!.quad[2][1]).toBeCloseTo(64.5 * 3, 5);
  });

  it('joins diagonal neighbours (8-connectivity), keeps separate regions apart, clips to the photo', () => {
    const map = new Float32Array(16);
    // 4×4: a diagonal of three pixels, and one pixel on its own in a corner.
    for (const i of [0, 5, 10, 3]) map[i] = 1;
    const found = regions(map, 4, 4, 0.3);
    expect(found.map((r) => r.pixels).sort()).toEqual([1, 3]);
    const edge = new Float32Array(W * H);
    paint(edge, 2, 60, 10, 40, 0, 1); // against the left border
    const boxes = boxesFromMap(edge, W, H, W, H, DB_DEFAULTS);
    for (const [x] of boxes[0]!.quad) expect(x).toBeGreaterThanOrEqual(0);
  });

  it('keeps the largest regions when there are more than maxCandidates', () => {
    const map = new Float32Array(W * H);
    paint(map, 30, 30, 40, 10, 0, 1);
    paint(map, 120, 30, 20, 10, 0, 1);
    paint(map, 100, 90, 60, 10, 0, 1);
    expect(boxesFromMap(map, W, H, W, H)).toHaveLength(3);
    const kept = boxesFromMap(map, W, H, W, H, { ...DB_DEFAULTS, maxCandidates: 2 });
    // The 40- and 60-pixel lines; the 20-pixel one is left out.
    expect(kept.map((b) => Math.round((b.quad[0][0] + b.quad[2][0]) / 2)).sort((a, b) => a - b)).toEqual([30, 100]);
  });

  it('scores a box by the mean of the map over the pixels inside it', () => {
    const map = new Float32Array(W * H);
    paint(map, 100, 60, 20, 10, 0, 1);
    const r = minAreaRect([[90, 55], [109, 55], [109, 64], [90, 64]]);
    expect(meanInside(map, W, H, r.corners)).toBeCloseTo(1, 9);
    expect(meanInside(map, W, H, [[80, 55], [109, 55], [109, 64], [80, 64]])).toBeCloseTo(200 / 300, 9);
  });

  it('unclips a rectangle by area × ratio / perimeter', () => {
    const r = minAreaRect([[0, 0], [100, 0], [100, 10], [0, 10]]);
    const g = unclip(r, 2);
    const d = (100 * 10 * 2) / 220;
    expect(g.width).toBeCloseTo(100 + 2 * d, 9);
    expect(g.height).toBeCloseTo(10 + 2 * d, 9);
  });
});
