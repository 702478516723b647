/**
 * Text from a photo on the inference worker (issue 12): PaddleOCR PP-OCRv4 detection, optional
 * orientation, recognition (workers/inference/ocr/). A part of the runtime (runtime.ts builds it
 * with the requests it may make), like faces.ts and stt.ts.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { INFERENCE_LIMITS, type InferenceRequest, type InferenceResponse } from '../../protocol/inference.ts';
import { OCR_LIMITS, type OcrLine, type OcrOptions, type OcrTimings } from '../../protocol/ocr.ts';
import type { Backend } from '../../models/registry.ts';
import { ocrModels } from '../../workers/inference/ocr/models.ts';
import { textOf } from '../../workers/inference/ocr/reading-order.ts';
import type { RequestBody, WorkerLike } from '../platform/worker-client.ts';
import { ownBuffer } from './faces.ts';

export type { OcrLine, OcrTimings };

/** A photo's pixels: RGBA, 4 bytes per pixel, row by row (a canvas's ImageData). */
export interface PhotoPixels {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array | ArrayBuffer;
}

export interface ReadTextOptions extends OcrOptions {
  /** Force backends (benchmarks, tests); models not named here use the chooser's verdict. */
  backends?: Partial<Record<string, Backend>>;
  timeoutMs?: number;
}

/** What `read` found. */
export interface TextRead {
  /** In reading order: rows top to bottom, left to right within a row. */
  lines: OcrLine[];
  /** The page's text: a row's lines joined by spaces, rows by line breaks. */
  text: string;
  width: number;
  height: number;
  detectSize: { width: number; height: number };
  /** Boxes the detector found (lines under the confidence floor included). */
  boxes: number;
  backends: Record<string, Backend>;
  ms: OcrTimings;
}

type AnswerOf<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;

/** What OCR needs of the runtime. */
export interface OcrChannel {
  start(): WorkerLike;
  request<T extends InferenceResponse['t']>(body: RequestBody<InferenceRequest>, expect: T, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<AnswerOf<T>>;
  backendFor(model: string): Promise<Backend>;
  load(model: string, backend: Backend): Promise<unknown>;
  timeouts: { load: number; ocr: number };
}

export class TextReader {
  constructor(private readonly rt: OcrChannel) {}

  /**
   * Reads the text in a photo. The pixels' buffer is TRANSFERRED: the caller's array is emptied
   * (a view of part of a larger buffer is copied instead). A photo over OCR_LIMITS is refused with
   * `too-large`: scale it down first (photoPixels does).
   */
  async read(image: PhotoPixels, options: ReadTextOptions = {}): Promise<TextRead> {
    if (image.width * image.height > OCR_LIMITS.maxPixels || Math.max(image.width, image.height) > OCR_LIMITS.maxSide) {
      throw new OsmoseError('too-large', `a ${image.width}×${image.height} photo is over ${OCR_LIMITS.maxPixels} pixels or ${OCR_LIMITS.maxSide} per side`);
    }
    const { backends: forced, timeoutMs: asked, ...rest } = options;
    const models = ocrModels(options.orientation ?? false);
    this.rt.start(); // starts ORT while the backends are chosen
    const chosen = await Promise.all(models.map((m) => forced?.[m] ?? this.rt.backendFor(m)));
    const backends: Record<string, Backend> = Object.fromEntries(models.map((m, i) => [m, chosen[i]!]));
    const timeoutMs = Math.min(INFERENCE_LIMITS.timeoutMs, asked ?? this.rt.timeouts.ocr + this.rt.timeouts.load);
    const data = ownBuffer(image.data);
    const a = await this.rt.request({ t: 'ocr-read', image: { width: image.width, height: image.height, data }, backends, options: rest, timeoutMs }, 'ocr-lines', timeoutMs, [data]);
    return { lines: a.lines, text: textOf(a.lines), width: a.width, height: a.height, detectSize: a.detectSize, boxes: a.boxes, backends, ms: a.ms };
  }

  /** Opens the OCR models ahead of a read (the camera opened), on the backends a read would use. */
  async warm(options: Pick<ReadTextOptions, 'orientation' | 'backends'> = {}): Promise<void> {
    this.rt.start();
    await Promise.all(ocrModels(options.orientation ?? false).map(async (m) => this.rt.load(m, options.backends?.[m] ?? (await this.rt.backendFor(m)))));
  }
}
