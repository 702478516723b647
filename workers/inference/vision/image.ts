/**
 * Frames in, model inputs out. A frame is RGBA bytes (what a canvas or a VideoFrame copy gives),
 * row by row. Model inputs are NCHW float32 RGB in 0..255, written straight into the batch tensor.
 * The resize is TF.js's `resizeBilinear` (align corners off, half-pixel centres off), after
 * padding with black as face-api's `padToSquare` does, so that the ONNX models see what face-api's
 * own nets would.
 */
export interface RgbaFrame {
  width: number;
  height: number;
  /** width * height * 4 bytes. */
  data: Uint8Array | Uint8ClampedArray;
}

/** An integer pixel rectangle of a frame. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ResizeSpec {
  /** The part of the frame to use (default: all of it). */
  crop?: PixelRect;
  /** Output width and height. */
  outWidth: number;
  outHeight: number;
  /**
   * The source after padding with black, in source pixels (at least the crop's size; may be
   * fractional): the resize maps it onto the output, so source pixels per output pixel are
   * srcWidth / outWidth across and srcHeight / outHeight down, as in TF's resizeBilinear.
   */
  srcWidth: number;
  srcHeight: number;
  /** face-api's `isCenterImage`: the padding is split on both sides (else it all goes after). */
  centre?: boolean;
}

/** Checks that a frame's buffer matches its size (a worker message is checked before this too). */
export function assertFrame(f: RgbaFrame): void {
  if (!Number.isInteger(f.width) || !Number.isInteger(f.height) || f.width < 1 || f.height < 1) throw new RangeError(`bad frame size ${f.width}x${f.height}`);
  if (f.data.length !== f.width * f.height * 4) throw new RangeError(`frame has ${f.data.length} bytes, ${f.width}x${f.height} RGBA needs ${f.width * f.height * 4}`);
}

/** Black padding before the crop along one axis: face-api puts round(diff / 2) after it, the rest before. */
function padBefore(crop: number, src: number, centre: boolean | undefined): number {
  if (!centre) return 0;
  const diff = Math.round(src) - crop;
  return diff - Math.round(diff * 0.5);
}

/**
 * Writes the resized, padded crop into `out` at `offset` as planar R, G, B (NCHW for one image).
 */
export function writeResized(frame: RgbaFrame, spec: ResizeSpec, out: Float32Array, offset = 0): void {
  const crop = spec.crop ?? { x: 0, y: 0, width: frame.width, height: frame.height };
  const { outWidth: ow, outHeight: oh } = spec;
  const scaleX = spec.srcWidth / ow;
  const scaleY = spec.srcHeight / oh;
  const left = padBefore(crop.width, spec.srcWidth, spec.centre);
  const top = padBefore(crop.height, spec.srcHeight, spec.centre);
  // TF clamps the second sample to the source's last pixel. Where black padding follows the crop,
  // anything past the crop is black anyway; where none does, the last pixel is the crop's.
  const lastX = spec.srcWidth > left + crop.width + 1e-6 ? Infinity : crop.width - 1 + left;
  const lastY = spec.srcHeight > top + crop.height + 1e-6 ? Infinity : crop.height - 1 + top;
  const plane = ow * oh;
  const px = frame.data;
  const rowBytes = frame.width * 4;
  // Per output column: the two source columns (byte offsets in a row, -1 for black) and the weight.
  const cx0 = new Int32Array(ow);
  const cx1 = new Int32Array(ow);
  const wx = new Float64Array(ow);
  const column = (sx: number) => {
    const x = sx - left;
    return x < 0 || x >= crop.width ? -1 : (crop.x + x) * 4;
  };
  for (let ox = 0; ox < ow; ox++) {
    const inX = ox * scaleX;
    const x0 = Math.floor(inX);
    cx0[ox] = column(x0);
    cx1[ox] = column(Math.min(x0 + 1, lastX));
    wx[ox] = inX - x0;
  }
  const row = (sy: number) => {
    const y = sy - top;
    return y < 0 || y >= crop.height ? -1 : (crop.y + y) * rowBytes;
  };
  // Separable: each source row is interpolated across once (RGB, ow values each), kept for the
  // next output row, then two such rows are blended down. Same arithmetic as four-tap bilinear.
  const across = (r: number, dst: Float32Array) => {
    if (r < 0) return dst.fill(0);
    for (let ox = 0; ox < ow; ox++) {
      const c0 = cx0[ox]!;
      const c1 = cx1[ox]!;
      const dx = wx[ox]!;
      for (let ch = 0; ch < 3; ch++) {
        const l = c0 < 0 ? 0 : px[r + c0 + ch]!;
        const rr = c1 < 0 ? 0 : px[r + c1 + ch]!;
        dst[ch * ow + ox] = l + (rr - l) * dx;
      }
    }
    return dst;
  };
  let rowA = new Float32Array(3 * ow);
  let rowB = new Float32Array(3 * ow);
  let keyA = NaN;
  let keyB = NaN;
  const cached = (r: number): Float32Array => {
    if (r === keyA) return rowA;
    if (r === keyB) return rowB;
    // Replace the older of the two.
    [rowA, rowB, keyA, keyB] = [rowB, rowA, keyB, keyA];
    keyB = r;
    return across(r, rowB);
  };
  for (let oy = 0; oy < oh; oy++) {
    const inY = oy * scaleY;
    const y0 = Math.floor(inY);
    const r0 = row(y0);
    const r1 = row(Math.min(y0 + 1, lastY));
    const dy = inY - y0;
    const t = cached(r0);
    const b = cached(r1);
    const base = offset + oy * ow;
    for (let ch = 0; ch < 3; ch++) {
      const o = base + ch * plane;
      const k = ch * ow;
      for (let ox = 0; ox < ow; ox++) {
        const tv = t[k + ox]!;
        out[o + ox] = tv + (b[k + ox]! - tv) * dy;
      }
    }
  }
}

/** A face-api box clipped to the frame and floored (its `clipAtImageBorders`). */
export function clipRect(box: { x: number; y: number; width: number; height: number }, width: number, height: number): PixelRect {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const w = Math.min(box.x + box.width - x, width - x);
  const h = Math.min(box.y + box.height - y, height - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(w), height: Math.floor(h) };
}

/**
 * The input for a face net: the crop padded to a square (centred) and resized to `size`, as
 * face-api's `toBatchTensor(size, true)` on an extracted face tensor.
 */
export function writeFaceInput(frame: RgbaFrame, crop: PixelRect, size: number, out: Float32Array, offset: number): void {
  const side = Math.max(crop.width, crop.height);
  writeResized(frame, { crop, outWidth: size, outHeight: size, srcWidth: side, srcHeight: side, centre: true }, out, offset);
}

/**
 * A rotated square of the frame, resized to `size` x `size` by bilinear sampling (black outside
 * the frame): the square of side `side` whose point (`ax` * side, `ay` * side) sits at (cx, cy),
 * turned by `angle` (radians, the face's roll) so that the eyes come out level.
 */
export function writeRotatedSquare(frame: RgbaFrame, sq: { cx: number; cy: number; side: number; angle: number; ax: number; ay: number }, size: number, out: Float32Array, offset: number): void {
  const cos = Math.cos(sq.angle);
  const sin = Math.sin(sq.angle);
  const step = sq.side / size;
  const plane = size * size;
  const px = frame.data;
  const at = (x: number, y: number, c: number) => (x < 0 || y < 0 || x >= frame.width || y >= frame.height ? 0 : px[(y * frame.width + x) * 4 + c]!);
  for (let v = 0; v < size; v++) {
    const by = (v + 0.5) * step - sq.ay * sq.side;
    for (let u = 0; u < size; u++) {
      const bx = (u + 0.5) * step - sq.ax * sq.side;
      // Pixel centres are at +0.5: sample between the four nearest.
      const sx = sq.cx + cos * bx - sin * by - 0.5;
      const sy = sq.cy + sin * bx + cos * by - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const dx = sx - x0;
      const dy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const t = at(x0, y0, c) + (at(x0 + 1, y0, c) - at(x0, y0, c)) * dx;
        const b = at(x0, y0 + 1, c) + (at(x0 + 1, y0 + 1, c) - at(x0, y0 + 1, c)) * dx;
        out[offset + c * plane + v * size + u] = t + (b - t) * dy;
      }
    }
  }
}
