/**
 * The little plane geometry OCR needs, in place of OpenCV: convex hull, minimum-area rectangle
 * (OpenCV's `minAreaRect` + `boxPoints`), corner order, and the homography that maps the unit
 * square onto a quadrilateral (for rotated and perspective crops).
 */

export type Point = readonly [number, number];
/** Four corners: top-left, top-right, bottom-right, bottom-left (as PaddleOCR orders them). */
export type Quad = readonly [Point, Point, Point, Point];

const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, no repeated point. */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length <= 2) return pts;
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

export interface Rect {
  /** The four corners, in no particular order (see `orderCorners`). */
  corners: [Point, Point, Point, Point];
  /** Side lengths: `width` along the first edge direction, `height` across it. */
  width: number;
  height: number;
}

/**
 * The smallest-area rectangle enclosing `points` (rotating calipers over the hull's edges: the
 * optimal rectangle has a side on one of them). A single point or a segment gives a zero-area one.
 */
export function minAreaRect(points: readonly Point[]): Rect {
  const hull = convexHull(points);
  if (hull.length === 0) throw new Error('minAreaRect: no points');
  if (hull.length === 1) {
    const p = hull[0]!;
    return { corners: [p, p, p, p], width: 0, height: 0 };
  }
  let best: Rect | null = null;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const at = (u: number, v: number): Point => [u * ux - v * uy, u * uy + v * ux];
      best = { corners: [at(minU, minV), at(maxU, minV), at(maxU, maxV), at(minU, maxV)], width: maxU - minU, height: maxV - minV };
    }
  }
  return best!;
}

/** The rectangle grown by `d` on every side (same centre and orientation). */
export function growRect(r: Rect, d: number): Rect {
  const [p0, p1, , p3] = r.corners;
  // Unit vectors along the two sides (a degenerate side takes the perpendicular of the other).
  let ux = p1[0] - p0[0], uy = p1[1] - p0[1];
  let vx = p3[0] - p0[0], vy = p3[1] - p0[1];
  const lu = Math.hypot(ux, uy), lv = Math.hypot(vx, vy);
  if (lu > 0) (ux /= lu), (uy /= lu);
  if (lv > 0) (vx /= lv), (vy /= lv);
  if (lu === 0 && lv === 0) (ux = 1), (uy = 0), (vx = 0), (vy = 1);
  else if (lu === 0) (ux = vy), (uy = -vx);
  else if (lv === 0) (vx = -uy), (vy = ux);
  const cx = r.corners.reduce((s, p) => s + p[0], 0) / 4;
  const cy = r.corners.reduce((s, p) => s + p[1], 0) / 4;
  const hw = r.width / 2 + d, hh = r.height / 2 + d;
  const at = (su: number, sv: number): Point => [cx + su * hw * ux + sv * hh * vx, cy + su * hw * uy + sv * hh * vy];
  return { corners: [at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)], width: r.width + 2 * d, height: r.height + 2 * d };
}

/**
 * PaddleOCR's corner order (`get_mini_boxes`): of the two leftmost corners the upper is the
 * top-left, the lower the bottom-left; of the two rightmost the upper is the top-right.
 */
export function orderCorners(corners: readonly Point[]): Quad {
  const p = [...corners].sort((a, b) => a[0] - b[0]);
  const [tl, bl] = p[1]![1] > p[0]![1] ? [p[0]!, p[1]!] : [p[1]!, p[0]!];
  const [tr, br] = p[3]![1] > p[2]![1] ? [p[2]!, p[3]!] : [p[3]!, p[2]!];
  return [tl, tr, br, bl];
}

export const distance = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Whether `p` lies inside (or on) the convex quadrilateral `q`, in either winding. */
export function insideConvex(q: readonly Point[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i]!;
    const b = q[(i + 1) % q.length]!;
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (c === 0) continue;
    const s = c > 0 ? 1 : -1;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/**
 * The projective map from the unit square to `q` ((0,0)→tl, (1,0)→tr, (1,1)→br, (0,1)→bl),
 * Heckbert's closed form. Returns a function (u, v) → [x, y].
 */
export function squareToQuad(q: Quad): (u: number, v: number) => [number, number] {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q;
  const sx = x0 - x1 + x2 - x3;
  const sy = y0 - y1 + y2 - y3;
  let a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number;
  if (Math.abs(sx) < 1e-9 && Math.abs(sy) < 1e-9) {
    // A parallelogram: affine.
    (a = x1 - x0), (b = x3 - x0), (c = x0), (d = y1 - y0), (e = y3 - y0), (f = y0), (g = 0), (h = 0);
  } else {
    const dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
    const den = dx1 * dy2 - dx2 * dy1;
    g = (sx * dy2 - dx2 * sy) / den;
    h = (dx1 * sy - sx * dy1) / den;
    (a = x1 - x0 + g * x1), (b = x3 - x0 + h * x3), (c = x0);
    (d = y1 - y0 + g * y1), (e = y3 - y0 + h * y3), (f = y0);
  }
  return (u, v) => {
    const w = g * u + h * v + 1;
    return [(a * u + b * v + c) / w, (d * u + e * v + f) / w];
  };
}
