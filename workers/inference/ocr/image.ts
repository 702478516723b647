/**
 * Photo pixels → model input. The photo arrives as RGBA bytes (what a canvas gives); the PaddleOCR
 * models were trained on OpenCV's BGR images, so planes are written in B, G, R order.
 *
 * Resizing averages every source pixel a target pixel covers (area resampling) when shrinking, and
 * interpolates linearly when enlarging: a 4032-pixel photo shrunk 4× by plain bilinear sampling
 * would skip three pixels in four and alias thin marker strokes away.
 */

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row by row. */
  data: Uint8Array | Uint8ClampedArray;
}

/** Per target index along one axis: the source indices it reads and their weights (sum 1). */
export interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

export function axisTaps(src: number, dst: number): AxisTaps {
  const scale = src / dst;
  if (scale <= 1) {
    // Enlarging (or same size): linear between the two nearest source centres.
    const index = new Int32Array(dst * 2);
    const weight = new Float32Array(dst * 2);
    for (let i = 0; i < dst; i++) {
      const x = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), src - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, src - 1);
      index[2 * i] = x0;
      index[2 * i + 1] = x1;
      weight[2 * i] = 1 - (x - x0);
      weight[2 * i + 1] = x - x0;
    }
    return { taps: 2, index, weight };
  }
  // Shrinking: every source pixel overlapping [i·scale, (i+1)·scale), weighted by its overlap.
  const taps = Math.ceil(scale) + 1;
  const index = new Int32Array(dst * taps);
  const weight = new Float32Array(dst * taps);
  for (let i = 0; i < dst; i++) {
    const lo = i * scale;
    const hi = lo + scale;
    let k = 0;
    for (let s = Math.floor(lo); s < hi && s < src && k < taps; s++, k++) {
      index[i * taps + k] = s;
      weight[i * taps + k] = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
    }
    for (; k < taps; k++) index[i * taps + k] = Math.min(Math.floor(lo), src - 1); // weight 0
  }
  return { taps, index, weight };
}

/**
 * The photo resized to `dstW`×`dstH`, as three planes (B, G, R) of values 0-255.
 * Separable: rows first (source height × target width), then columns.
 */
export function resizeToPlanes(img: RgbaImage, dstW: number, dstH: number): Float32Array {
  const { width: w, height: h, data } = img;
  const xt = axisTaps(w, dstW);
  const yt = axisTaps(h, dstH);
  const mid = new Float32Array(h * dstW * 3);
  for (let y = 0; y < h; y++) {
    const row = y * w * 4;
    for (let x = 0; x < dstW; x++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < xt.taps; k++) {
        const wt = xt.weight[x * xt.taps + k]!;
        if (wt === 0) continue;
        const at = row + xt.index[x * xt.taps + k]! * 4;
        r += wt * data[at]!;
        g += wt * data[at + 1]!;
        b += wt * data[at + 2]!;
      }
      const o = (y * dstW + x) * 3;
      mid[o] = b;
      mid[o + 1] = g;
      mid[o + 2] = r;
    }
  }
  const plane = dstW * dstH;
  const out = new Float32Array(plane * 3);
  for (let y = 0; y < dstH; y++) {
    for (let x = 0; x < dstW; x++) {
      let b = 0, g = 0, r = 0;
      for (let k = 0; k < yt.taps; k++) {
        const wt = yt.weight[y * yt.taps + k]!;
        if (wt === 0) continue;
        const at = (yt.index[y * yt.taps + k]! * dstW + x) * 3;
        b += wt * mid[at]!;
        g += wt * mid[at + 1]!;
        r += wt * mid[at + 2]!;
      }
      const o = y * dstW + x;
      out[o] = b;
      out[plane + o] = g;
      out[2 * plane + o] = r;
    }
  }
  return out;
}

/** Per-plane (B, G, R) mean and standard deviation of values scaled to [0, 1]. */
export interface Normalisation {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** PaddleOCR's detection input: ImageNet statistics, applied to the B, G, R planes in that order. */
export const DET_NORM: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** Recognition and orientation inputs: [0, 255] → [-1, 1]. */
export const REC_NORM: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** In place: planes of 0-255 values → (v / 255 − mean) / std. */
export function normalise(planes: Float32Array, plane: number, n: Normalisation): Float32Array {
  for (let c = 0; c < 3; c++) {
    const m = n.mean[c]!;
    const s = n.std[c]!;
    for (let i = c * plane, end = i + plane; i < end; i++) planes[i] = (planes[i]! / 255 - m) / s;
  }
  return planes;
}

/**
 * The detection input's size: the longer side brought down to `maxSide` (never enlarged), each
 * side then rounded to a multiple of 32 (the network's stride), at least 32.
 */
export function detectionSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  return scaledSize(width, height, Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1);
}

/** The photo's size times `ratio`, each side rounded to a multiple of 32 (at least 32). */
export function scaledSize(width: number, height: number, ratio: number): { width: number; height: number } {
  const side = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { width: side(width), height: side(height) };
}
