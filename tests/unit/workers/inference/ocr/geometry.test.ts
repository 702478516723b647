import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { convexHull, growRect, insideConvex, minAreaRect, orderCorners, squareToQuad, type Point, type Quad } from '../../../../../workers/inference/ocr/geometry.ts';

/** The corners of a w×h rectangle centred at (cx, cy), turned by `a` radians. */
function rect(cx: number, cy: number, w: number, h: number, a: number): Point[] {
  const c = Math.cos(a), s = Math.sin(a);
  return [[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]].map(([x, y]): Point => [cx + x! * c - y! * s, cy + x! * s + y! * c]);
}

describe('convex hull', () => {
  it('keeps the corners of a square and drops inner and collinear points', () => {
    const pts: Point[] = [[0, 0], [2, 0], [2, 2], [0, 2], [1, 1], [1, 0], [0.5, 1.5]];
    const hull = convexHull(pts);
    expect(hull).toHaveLength(4);
    expect(new Set(hull.map((p) => p.join(',')))).toEqual(new Set(['0,0', '2,0', '2,2', '0,2']));
  });
});

describe('minimum-area rectangle', () => {
  it('finds a turned rectangle from points inside it and on its corners', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 5, max: 300, noNaN: true }), fc.double({ min: 2, max: 60, noNaN: true }), fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        fc.array(fc.tuple(fc.double({ min: -0.5, max: 0.5, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true })), { maxLength: 40 }),
        (w, h, a, inner) => {
          const corners = rect(100, 80, w, h, a);
          const c = Math.cos(a), s = Math.sin(a);
          const pts = [...corners, ...inner.map(([u, v]): Point => [100 + u * w * c - v * h * s, 80 + u * w * s + v * h * c])];
          const r = minAreaRect(pts);
          expect(r.width * r.height).toBeCloseTo(w * h, 6);
          expect(Math.min(r.width, r.height)).toBeCloseTo(Math.min(w, h), 6);
          for (const p of pts) expect(insideConvex(r.corners, p[0] + (100 - p[0]) * 1e-9, p[1] + (80 - p[1]) * 1e-9)).toBe(true);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('is degenerate for one point and a segment', () => {
    expect(minAreaRect([[3, 4]])).toMatchObject({ width: 0, height: 0 });
    const seg = minAreaRect([[0, 0], [10, 0], [5, 0]]);
    expect(seg.width * seg.height).toBe(0);
    expect(Math.max(seg.width, seg.height)).toBeCloseTo(10);
  });

  it('grows by the same distance on every side, whatever the angle', () => {
    const r = minAreaRect(rect(50, 50, 40, 10, 0.3));
    const g = growRect(r, 3);
    expect([g.width, g.height].sort((a, b) => a - b)).toEqual([expect.closeTo(16, 9), expect.closeTo(46, 9)]);
    const cx = (q: readonly Point[]) => q.reduce((s, p) => s + p[0], 0) / 4;
    expect(cx(g.corners)).toBeCloseTo(50, 9);
  });
});

describe('corner order', () => {
  it("orders corners as PaddleOCR does: top-left, top-right, bottom-right, bottom-left", () => {
    const q = orderCorners([[10, 20], [0, 0], [10, 0], [0, 20]]);
    expect(q).toEqual([[0, 0], [10, 0], [10, 20], [0, 20]]);
    // A line tilted down to the right.
    const t = orderCorners(rect(100, 100, 100, 20, 0.1));
    expect(t[0][0]).toBeLessThan(t[1][0]);
    expect(t[3][1]).toBeGreaterThan(t[0][1]);
    expect(t[2][1]).toBeGreaterThan(t[1][1]);
  });
});

describe('square → quadrilateral', () => {
  it('maps the unit square corners onto the quad, and the centre onto the diagonals crossing', () => {
    const q: Quad = [[10, 10], [110, 20], [120, 70], [5, 60]];
    const f = squareToQuad(q);
    for (const [[u, v], p] of [[[0, 0], q[0]], [[1, 0], q[1]], [[1, 1], q[2]], [[0, 1], q[3]]] as const) {
      const [x, y] = f(u, v);
      expect(x).toBeCloseTo(p[0], 9);
      expect(y).toBeCloseTo(p[1], 9);
    }
    // A projective map sends the square's centre to where the quad's diagonals cross.
    const [x0, y0] = q[0], [x2, y2] = q[2], [x1, y1] = q[1], [x3, y3] = q[3];
    const d = (x2 - x0) * (y3 - y1) - (y2 - y0) * (x3 - x1);
    const t = ((x1 - x0) * (y3 - y1) - (y1 - y0) * (x3 - x1)) / d;
    const [cx, cy] = f(0.5, 0.5);
    expect(cx).toBeCloseTo(x0 + t * (x2 - x0), 9);
    expect(cy).toBeCloseTo(y0 + t * (y2 - y0), 9);
  });

  it('is affine for a parallelogram', () => {
    const f = squareToQuad([[0, 0], [10, 0], [13, 5], [3, 5]]);
    expect(f(0.5, 0.5)).toEqual([6.5, 2.5]);
  });
});
