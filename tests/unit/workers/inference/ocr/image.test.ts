import { describe, it, expect } from 'vitest';
import { axisTaps, DET_NORM, detectionSize, normalise, resizeToPlanes, scaledSize, type RgbaImage } from '../../../../../workers/inference/ocr/image.ts';
import { lineCrop, scaledWidth, warpInto } from '../../../../../workers/inference/ocr/crop.ts';
import type { Quad } from '../../../../../workers/inference/ocr/geometry.ts';

function image(width: number, height: number, px: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...px(x, y), 255], (y * width + x) * 4);
  return { width, height, data };
}

describe('resizing for detection', () => {
  it('sizes the input: longest side at most maxSide, never enlarged, multiples of 32', () => {
    expect(detectionSize(4032, 3024, 960)).toEqual({ width: 960, height: 736 });
    expect(detectionSize(3024, 4032, 960)).toEqual({ width: 736, height: 960 });
    expect(detectionSize(560, 300, 960)).toEqual({ width: 576, height: 288 });
    expect(detectionSize(10, 5, 960)).toEqual({ width: 32, height: 32 });
    expect(scaledSize(560, 240, 1.5)).toEqual({ width: 832, height: 352 });
  });

  it('weights add up to 1 per target pixel, shrinking and enlarging', () => {
    for (const [src, dst] of [[4032, 960], [1000, 999], [300, 576], [7, 3]] as const) {
      const t = axisTaps(src, dst);
      for (let i = 0; i < dst; i++) {
        let sum = 0;
        for (let k = 0; k < t.taps; k++) sum += t.weight[i * t.taps + k]!;
        expect(sum).toBeCloseTo(1, 5);
      }
    }
  });

  it('averages what a target pixel covers (a 1-pixel checkerboard shrunk 2× is flat grey) and writes B, G, R planes', () => {
    const board = image(64, 64, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0]));
    const planes = resizeToPlanes(board, 32, 32);
    for (const v of planes) expect(v).toBeCloseTo(127.5, 3);
    const red = resizeToPlanes(image(8, 8, () => [200, 10, 50]), 4, 4);
    expect([red[0], red[16], red[32]]).toEqual([50, 10, 200]);
    const n = normalise(red, 16, DET_NORM);
    expect(n[0]).toBeCloseTo((50 / 255 - 0.485) / 0.229, 5);
    expect(n[32]).toBeCloseTo((200 / 255 - 0.406) / 0.225, 5);
  });
});

describe('line crops', () => {
  const gradient = image(200, 100, (x, y) => [x, y, 100]);
  const REC = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] } as const; // writes raw 0-255 back

  it('reads an upright box pixel for pixel, into its slot of a batch tensor', () => {
    const quad: Quad = [[20, 10], [60, 10], [60, 30], [20, 30]];
    const crop = lineCrop(quad);
    expect(crop).toMatchObject({ width: 40, height: 20 });
    expect(scaledWidth(crop, 20, 1000)).toBe(40);
    const stride = 50, plane = 20 * stride;
    const dst = new Float32Array(2 * 3 * plane);
    warpInto(gradient, crop, 40, 20, REC, dst, 3 * plane, stride, plane);
    // Slot 2, R plane (third) = x, G = y: continuous (20, 10) is pixel (20, 10)'s corner; centres at +0.5.
    expect(dst[3 * plane + 2 * plane + 0]).toBeCloseTo(20, 4);
    expect(dst[3 * plane + 2 * plane + 39]).toBeCloseTo(59, 4);
    expect(dst[3 * plane + plane + 19 * stride]).toBeCloseTo(29, 4);
    expect(dst[3 * plane + 45]).toBe(0); // padding beyond the line stays 0
    expect(dst[0]).toBe(0); // slot 1 untouched
  });

  it('averages when shrinking a tall crop and straightens a turned box', () => {
    // A box turned 90°: its "top-left" is at the bottom-left of the photo region.
    const turned: Quad = [[20, 80], [20, 20], [40, 20], [40, 80]];
    const crop = lineCrop(turned);
    expect(crop.width).toBeCloseTo(60, 6);
    expect(crop.height).toBeCloseTo(20, 6);
    const dst = new Float32Array(3 * 10 * 30);
    warpInto(gradient, crop, 30, 10, REC, dst, 0, 30, 300);
    // Along the line, y (G plane) goes from 80 down to 20; across it, x (R) goes 20 → 40. Each
    // target pixel is the mean of 2×2 samples: pixel centres 79 and 78 → 78.5, and so on.
    expect(dst[300 + 0]).toBeCloseTo(78.5, 4);
    expect(dst[300 + 29]).toBeCloseTo(20.5, 4);
    expect(dst[600 + 0]).toBeCloseTo(20.5, 4);
    expect(dst[600 + 9 * 30]).toBeCloseTo(38.5, 4);
  });

  it('turns a box much taller than wide a quarter (np.rot90), and repeats edge pixels outside the photo', () => {
    const tall: Quad = [[10, 10], [20, 10], [20, 60], [10, 60]];
    const c = lineCrop(tall);
    expect(c.quad[0]).toEqual([20, 10]);
    expect(c).toMatchObject({ width: 50, height: 10 });
    const outside: Quad = [[-50, -50], [-10, -50], [-10, -10], [-50, -10]];
    const dst = new Float32Array(3 * 4 * 4);
    warpInto(gradient, lineCrop(outside), 4, 4, REC, dst, 0, 4, 16);
    for (let i = 0; i < 16; i++) expect([dst[32 + i], dst[16 + i]]).toEqual([0, 0]);
  });
});
