/**
 * A photo (a camera capture, a picked file) → the RGBA pixels `InferenceRuntime.ocr.read` takes.
 * The browser decodes it (createImageBitmap: JPEG, PNG, WebP, HEIC where supported; the EXIF
 * orientation applied, so a phone photo taken upright reads upright) and a canvas gives its pixels.
 * A photo over the OCR limits (protocol/ocr.ts) is scaled down to fit, keeping its aspect.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { OCR_LIMITS } from '../../protocol/ocr.ts';
import type { PhotoPixels } from './ocr.ts';

export interface PixelLimits {
  maxPixels: number;
  maxSide: number;
}

/** The size a `width`×`height` photo is read at: itself, or scaled down to fit the limits. */
export function fitSize(width: number, height: number, limits: PixelLimits = OCR_LIMITS): { width: number; height: number } {
  const scale = Math.min(1, Math.sqrt(limits.maxPixels / (width * height)), limits.maxSide / Math.max(width, height));
  if (scale >= 1) return { width, height };
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

export async function photoPixels(source: Blob | ImageBitmap, limits: PixelLimits = OCR_LIMITS): Promise<PhotoPixels & { data: Uint8ClampedArray }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = source instanceof Blob ? await createImageBitmap(source, { imageOrientation: 'from-image' }) : source;
  } catch (err) {
    throw new OsmoseError('bad-request', `this file is not an image the browser can read: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  try {
    const { width, height } = fitSize(bitmap.width, bitmap.height, limits);
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
    const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
    if (!ctx) throw new OsmoseError('internal', 'no 2D canvas to read the photo with');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    return { width, height, data: ctx.getImageData(0, 0, width, height).data };
  } finally {
    if (source instanceof Blob) bitmap.close();
  }
}
