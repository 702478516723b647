/**
 * A text box's pixels, straightened: the quadrilateral is mapped onto an upright rectangle
 * (perspective, so rotated and slanted lines come out level), read from the full-size photo, and
 * written straight into the recognition input at its final height. Each target pixel averages up
 * to 4×4 bilinear samples, so a 150-pixel-high marker line brought down to 48 keeps its strokes.
 * Outside the photo the nearest edge pixel is repeated (OpenCV's BORDER_REPLICATE).
 */
import { distance, squareToQuad, type Quad } from './geometry.ts';
import type { Normalisation, RgbaImage } from './image.ts';

export interface LineCrop {
  /** Corners as read: top-left first, turned a quarter when the box is much taller than wide. */
  quad: Quad;
  width: number;
  height: number;
}

/**
 * The box's upright size (PaddleOCR's `get_rotate_crop_image`: the longer of each pair of
 * opposite sides). A box at least 1.5 times taller than wide is read turned a quarter
 * counter-clockwise (`np.rot90`): a vertical line of text, or a line photographed sideways.
 */
export function lineCrop(quad: Quad): LineCrop {
  const [tl, tr, br, bl] = quad;
  const width = Math.max(distance(tl, tr), distance(br, bl));
  const height = Math.max(distance(tl, bl), distance(tr, br));
  if (width > 0 && height / width >= 1.5) return { quad: [tr, br, bl, tl], width: height, height: width };
  return { quad, width, height };
}

/** How wide the line is at `height` pixels high (PaddleOCR: ceil(h × w / h)), at most `maxWidth`. */
export function scaledWidth(crop: LineCrop, height: number, maxWidth: number): number {
  const ratio = crop.height > 0 ? crop.width / crop.height : 1;
  return Math.max(1, Math.min(maxWidth, Math.ceil(height * ratio)));
}

/**
 * Writes the crop, resized to `outW`×`outH`, normalised, into three planes of `dst` starting at
 * `offset`, rows `stride` values apart and planes `plane` values apart (a slot of a batch tensor).
 */
export function warpInto(
  img: RgbaImage, crop: LineCrop, outW: number, outH: number, norm: Normalisation,
  dst: Float32Array, offset: number, stride: number, plane: number,
): void {
  const map = squareToQuad(crop.quad);
  const su = Math.min(4, Math.max(1, Math.ceil(crop.width / outW)));
  const sv = Math.min(4, Math.max(1, Math.ceil(crop.height / outH)));
  const n = su * sv;
  const { width: w, height: h, data } = img;
  const scale = [1 / (255 * norm.std[0]), 1 / (255 * norm.std[1]), 1 / (255 * norm.std[2])] as const;
  const shift = [norm.mean[0] / norm.std[0], norm.mean[1] / norm.std[1], norm.mean[2] / norm.std[2]] as const;
  for (let j = 0; j < outH; j++) {
    for (let i = 0; i < outW; i++) {
      let r = 0, g = 0, b = 0;
      for (let sj = 0; sj < sv; sj++) {
        const v = (j + (sj + 0.5) / sv) / outH;
        for (let si = 0; si < su; si++) {
          const u = (i + (si + 0.5) / su) / outW;
          const [x, y] = map(u, v);
          // Bilinear, pixel centres at integer coordinates, edges repeated.
          const fx = Math.min(Math.max(x - 0.5, 0), w - 1);
          const fy = Math.min(Math.max(y - 0.5, 0), h - 1);
          const x0 = Math.floor(fx), y0 = Math.floor(fy);
          const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
          const ax = fx - x0, ay = fy - y0;
          const p00 = (y0 * w + x0) * 4, p01 = (y0 * w + x1) * 4, p10 = (y1 * w + x0) * 4, p11 = (y1 * w + x1) * 4;
          const w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
          r += w00 * data[p00]! + w01 * data[p01]! + w10 * data[p10]! + w11 * data[p11]!;
          g += w00 * data[p00 + 1]! + w01 * data[p01 + 1]! + w10 * data[p10 + 1]! + w11 * data[p11 + 1]!;
          b += w00 * data[p00 + 2]! + w01 * data[p01 + 2]! + w10 * data[p10 + 2]! + w11 * data[p11 + 2]!;
        }
      }
      const o = offset + j * stride + i;
      // B, G, R planes (the models were trained on OpenCV's BGR).
      dst[o] = (b / n) * scale[0] - shift[0];
      dst[o + plane] = (g / n) * scale[1] - shift[1];
      dst[o + 2 * plane] = (r / n) * scale[2] - shift[2];
    }
  }
}
