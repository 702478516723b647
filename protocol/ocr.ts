/**
 * Text from a photo: the inference worker's OCR messages, joined into `InferenceRequest` /
 * `InferenceResponse` (protocol/inference.ts). The photo crosses as RGBA bytes in a transferable
 * ArrayBuffer with its size; the buffer's length is checked against width × height × 4, and both
 * against the limits, before any pixel is read. The answer is the lines read, in reading order,
 * each with its box in the photo's pixels and its confidence.
 *
 * This file must not import protocol/inference.ts (which imports it), so the few shared
 * primitives are restated here.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';

export const OCR_LIMITS = {
  /** Longest side of a photo, in pixels. */
  maxSide: 8192,
  /**
   * Pixels in one photo: 16.7 MP (64 MiB of RGBA), a 16 MP phone photo. A larger photo is scaled
   * down before it is sent (src/lib/inference/photo-pixels.ts does); lines are read from it at
   * full size, so 12-16 MP is already more than text needs.
   */
  maxPixels: 4096 * 4096,
  /** Lines in one answer (the detector's own cap on text regions). */
  maxLines: 1000,
  /** Characters in one line. */
  lineChars: 2000,
  /** Bounds of the detection input's longest side a caller may ask for. */
  detectSide: { min: 320, max: 4096 },
} as const;

const V = z.literal(PROTOCOL_VERSION);
const Id = z.number().int().min(0);
/** As in protocol/inference.ts. */
const ModelName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
const BackendName = z.enum(['wasm', 'webgpu']);
const TimeoutMs = z.number().int().min(1).max(120_000);

export const OcrImage = z
  .object({
    width: z.number().int().min(1).max(OCR_LIMITS.maxSide),
    height: z.number().int().min(1).max(OCR_LIMITS.maxSide),
    /** RGBA, 4 bytes per pixel, row by row (what a canvas's getImageData gives). */
    data: z.instanceof(ArrayBuffer),
  })
  .superRefine((img, ctx) => {
    if (img.width * img.height > OCR_LIMITS.maxPixels) ctx.addIssue({ code: 'custom', message: `over ${OCR_LIMITS.maxPixels} pixels` });
    else if (img.data.byteLength !== img.width * img.height * 4) ctx.addIssue({ code: 'custom', message: 'image bytes do not match width × height × 4' });
  });
export type OcrImage = z.infer<typeof OcrImage>;

export const OcrOptions = z.object({
  /** Longest side of the detection input (default 736; see workers/inference/ocr/pipeline.ts). */
  maxSide: z.number().int().min(OCR_LIMITS.detectSide.min).max(OCR_LIMITS.detectSide.max).optional(),
  /** Run the orientation model: lines upside down are turned and read (default false). */
  orientation: z.boolean().optional(),
  /** Drop lines whose mean character probability is below this (default 0.5). */
  minConfidence: z.number().min(0).max(1).optional(),
});
export type OcrOptions = z.infer<typeof OcrOptions>;

/** Read the text in a photo. `backends` names the backend of each model the read runs. */
export const OcrReadRequest = z.object({
  t: z.literal('ocr-read'),
  v: V,
  id: Id,
  image: OcrImage,
  backends: z.record(ModelName, BackendName),
  options: OcrOptions.optional(),
  timeoutMs: TimeoutMs,
});

const Coord = z.number().finite().min(0).max(OCR_LIMITS.maxSide);
const Corner = z.tuple([Coord, Coord]);

export const OcrLine = z.object({
  text: z.string().max(OCR_LIMITS.lineChars),
  /** Mean probability of the line's characters, 0-1. */
  confidence: z.number().min(0).max(1),
  /**
   * Corners in the photo's pixels: top-left, top-right, bottom-right, bottom-left of the text as
   * read (a line read turned starts at what is the box's lower right in the photo).
   */
  box: z.tuple([Corner, Corner, Corner, Corner]),
  /** Row in reading order (0 = top); lines on one row share it and come left to right. */
  row: z.number().int().min(0),
  /** The orientation model found the line upside down and it was read turned. */
  turned: z.boolean(),
});
export type OcrLine = z.infer<typeof OcrLine>;

const Ms = z.number().min(0);
export const OcrTimings = z.object({
  /** Fetch + verify + session create of the models and the dictionary (0 when already open). */
  load: Ms,
  /** Resizing and normalising the photo for detection (both passes). */
  prepare: Ms,
  /** The detection model (both passes when the text was small). */
  detect: Ms,
  /** Probability map → boxes. */
  boxes: Ms,
  /** Orientation (0 when off). */
  orient: Ms,
  /** Crops, the recognition model, decoding. */
  recognize: Ms,
  /** The read, without `load`. */
  total: Ms,
});
export type OcrTimings = z.infer<typeof OcrTimings>;

export const OcrLinesResponse = z.object({
  t: z.literal('ocr-lines'),
  v: V,
  id: Id,
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** The detection input's size (the last pass). */
  detectSize: z.object({ width: z.number().int().min(1), height: z.number().int().min(1) }),
  /** Boxes found before lines under the confidence floor were dropped. */
  boxes: z.number().int().min(0),
  lines: z.array(OcrLine).max(OCR_LIMITS.maxLines),
  ms: OcrTimings,
});
export type OcrLinesResponse = z.infer<typeof OcrLinesResponse>;
