/**
 * face-api's demo photos (node_modules/@vladmandic/face-api/demo/sample1-6.jpg, 1920 px wide, 3-5
 * people each) as RGBA frames: decoded with jpeg-js, and shrunk to a camera-sized frame by area
 * averaging (what a camera's scaler does, roughly), letterboxed in black.
 */
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import type { RgbaFrame } from '../../workers/inference/vision/image.ts';
import { REPO } from '../e2e/support/env.ts';

export const DEMO_DIR = path.join(REPO, 'node_modules', '@vladmandic', 'face-api', 'demo');

/** Faces in each demo photo, counted by eye (every face is clear and frontal or three-quarter). */
export const DEMO_FACES: Record<number, number> = { 1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4 };
export const DEMO_PHOTOS = Object.keys(DEMO_FACES).map(Number);

export function demoPhotoPath(n: number): string {
  return path.join(DEMO_DIR, `sample${n}.jpg`);
}

const cache = new Map<number, RgbaFrame>();

export function demoPhoto(n: number): RgbaFrame {
  let f = cache.get(n);
  if (!f) {
    const img = jpeg.decode(fs.readFileSync(demoPhotoPath(n)), { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    f = { width: img.width, height: img.height, data: img.data };
    cache.set(n, f);
  }
  return f;
}

/** The frame shrunk (area average) to fit width x height, centred, black around it. */
export function fitFrame(src: RgbaFrame, width: number, height: number): RgbaFrame {
  const s = Math.min(width / src.width, height / src.height);
  const w = Math.round(src.width * s);
  const h = Math.round(src.height * s);
  const x0 = Math.floor((width - w) / 2);
  const y0 = Math.floor((height - h) / 2);
  const data = new Uint8Array(width * height * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  for (let y = 0; y < h; y++) {
    const sy0 = Math.floor((y * src.height) / h);
    const sy1 = Math.max(sy0 + 1, Math.floor(((y + 1) * src.height) / h));
    for (let x = 0; x < w; x++) {
      const sx0 = Math.floor((x * src.width) / w);
      const sx1 = Math.max(sx0 + 1, Math.floor(((x + 1) * src.width) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = sy0; yy < sy1; yy++) {
        for (let xx = sx0; xx < sx1; xx++) {
          const k = (yy * src.width + xx) * 4;
          r += src.data[k]!;
          g += src.data[k + 1]!;
          b += src.data[k + 2]!;
        }
      }
      const n = (sy1 - sy0) * (sx1 - sx0);
      const o = ((y0 + y) * width + x0 + x) * 4;
      data[o] = Math.round(r / n);
      data[o + 1] = Math.round(g / n);
      data[o + 2] = Math.round(b / n);
    }
  }
  return { width, height, data };
}

/** A part of a photo (integer pixel rectangle, clipped to the photo). */
export function cropPhoto(src: RgbaFrame, x: number, y: number, width: number, height: number): RgbaFrame {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const w = Math.min(src.width - x0, Math.round(width));
  const h = Math.min(src.height - y0, Math.round(height));
  const data = new Uint8Array(w * h * 4);
  for (let row = 0; row < h; row++) data.set(src.data.subarray(((y0 + row) * src.width + x0) * 4, ((y0 + row) * src.width + x0 + w) * 4), row * w * 4);
  return { width: w, height: h, data };
}

/** Every colour value times `factor`, clamped (a brighter room, a camera's exposure). */
export function brighten(src: RgbaFrame, factor: number): RgbaFrame {
  const data = new Uint8Array(src.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? src.data[i]! : Math.min(255, Math.round(src.data[i]! * factor));
  return { width: src.width, height: src.height, data };
}
