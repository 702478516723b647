/**
 * Text from a photo: PaddleOCR PP-OCRv4's detect → (orient) → recognise pipeline, pure apart from
 * the injected ModelRunner (ORT sessions in the inference worker, the same under Node in vitest).
 *
 *  1. Detection on the photo shrunk so its longer side is at most `maxSide` (multiples of 32).
 *  2. DB post-processing: probability map → text boxes in the photo's coordinates.
 *  3. Each box straightened and read from the FULL-SIZE photo (thin strokes survive).
 *  4. Optionally the orientation model turns upside-down lines (0° / 180°).
 *  5. Recognition at height 48, lines of similar shape batched together (sorted by width/height
 *     so that little padding is computed), CTC greedy decoding with the dictionary.
 *  6. Reading order: rows top to bottom, left to right, after undoing the photo's skew.
 */
import type { ModelRunner } from '../runner.ts';
import { boxesFromMap, DB_DEFAULTS, type DbOptions, type TextBox } from './db-postprocess.ts';
import { lineCrop, scaledWidth, warpInto, type LineCrop } from './crop.ts';
import { ctcGreedy } from './ctc.ts';
import { DET_NORM, detectionSize, normalise, REC_NORM, resizeToPlanes, scaledSize, type RgbaImage } from './image.ts';
import { readingOrder } from './reading-order.ts';
import type { Quad } from './geometry.ts';
import {
  CLS_HEIGHT, CLS_MODEL, CLS_OUTPUT, CLS_WIDTH, DET_MODEL, DET_OUTPUT, INPUT, REC_HEIGHT, REC_MIN_WIDTH, REC_MODEL, REC_OUTPUT,
} from './models.ts';

export interface OcrOptions {
  /** Longest side of the detection input (see OCR_DEFAULTS for why 736). */
  maxSide: number;
  /**
   * When the text found is small at `maxSide` (cores under SMALL_TEXT_CORE map pixels: a page
   * photographed whole), detection runs again at a larger size, up to this longest side
   * (0: never). Small text gets boxes too tall (the probability map's blur is a larger part of
   * it), which take in the neighbouring lines.
   */
  smallTextMaxSide: number;
  /** Run the orientation model and turn lines it finds upside down. */
  orientation: boolean;
  /** Lines whose mean character probability is below this are dropped (PaddleOCR: 0.5). */
  minConfidence: number;
  /** Lines per recognition run. */
  batch: number;
  /** Widest recognition input (pixels at height 48); longer lines are squeezed to it. */
  maxLineWidth: number;
  db: DbOptions;
}

/**
 * 736, not PaddleOCR's 960: a 4032×3024 phone photo becomes 736×544 (0.4 MP instead of 12) and a
 * whiteboard's marker letters (a few percent of the board's height) stay 20-35 pixels high there,
 * which the detector finds well. On the test photos the set read as well at 736 as at 960 (1 − CER
 * 0.991 both) for 28% less CPU on a whiteboard photo (1.1 s against 1.5 s, one wasm thread in
 * Node). Small text gets a second, larger pass (smallTextMaxSide), and only the BOXES come from
 * this size: each line is read from the full-size photo.
 */
export const OCR_DEFAULTS: OcrOptions = {
  maxSide: 736, smallTextMaxSide: 2048, orientation: false, minConfidence: 0.5, batch: 8, maxLineWidth: 3200,
  // A wider margin than PaddleOCR's 1.5: with 1.5 the box hugs the letters and the recognition model
  // drops many spaces between English words. On tests/support/ocr-photos.ts, 1 − CER over the set:
  // 1.5 → 0.955, 1.8 → 0.973, 2.0 → 0.983, 2.2 → 0.991, 2.5 → 0.992 (2.5 takes in more of the
  // neighbouring lines where they are close).
  db: { ...DB_DEFAULTS, unclipRatio: 2.2 },
};

/** Median core (map pixels) below which text counts as small (see smallTextMaxSide). */
export const SMALL_TEXT_CORE = 7.5;
/** The core size the second detection aims for. */
const TARGET_CORE = 9;

export interface OcrLine {
  text: string;
  /** Mean probability of the line's characters, 0-1. */
  confidence: number;
  /**
   * Corners in the photo's pixels: top-left, top-right, bottom-right, bottom-left of the text as
   * read (for a line read turned, its top-left may be the box's lower right in the photo).
   */
  box: Quad;
  /** Row in reading order (0 = top); boxes on one row share it, left to right. */
  row: number;
  /** The orientation model turned this line (read upside down). */
  turned: boolean;
}

export interface OcrTimings {
  /** Resizing and normalising the photo for detection. */
  prepare: number;
  detect: number;
  /** Probability map → boxes. */
  boxes: number;
  /** Orientation: crops and model runs (0 when off). */
  orient: number;
  /** Recognition: crops, model runs, decoding. */
  recognize: number;
  total: number;
}

export interface OcrResult {
  width: number;
  height: number;
  /** The detection input's size. */
  detectSize: { width: number; height: number };
  lines: OcrLine[];
  /** Boxes found before low-confidence lines were dropped. */
  boxes: number;
  ms: OcrTimings;
}

export class OcrPipeline {
  constructor(
    private readonly runner: ModelRunner,
    private readonly classes: readonly string[],
    private readonly now: () => number = () => performance.now(),
  ) {}

  async read(img: RgbaImage, options: Partial<OcrOptions> = {}): Promise<OcrResult> {
    const opts = { ...OCR_DEFAULTS, ...options, db: { ...OCR_DEFAULTS.db, ...options.db } };
    if (img.data.length !== img.width * img.height * 4) throw new Error(`image data is ${img.data.length} bytes, not ${img.width}×${img.height}×4`);
    const ms = { prepare: 0, detect: 0, boxes: 0 };
    const t0 = this.now();
    let size = detectionSize(img.width, img.height, opts.maxSide);
    let found = await this.detect(img, size, opts.db, ms);
    const core = median(found.map((b) => b.core));
    const longest = Math.max(img.width, img.height);
    const side = Math.min(opts.smallTextMaxSide, 2 * longest, Math.round((Math.max(size.width, size.height) * TARGET_CORE) / core));
    if (found.length && core < SMALL_TEXT_CORE && side > Math.max(size.width, size.height) * 1.2) {
      // Never shrunk (ratio 1) when the photo is small: enlarge it instead, by at most 2.
      size = scaledSize(img.width, img.height, side / longest);
      found = await this.detect(img, size, opts.db, ms);
    }
    const t3 = this.now();
    const crops = found.map((b) => lineCrop(b.quad));
    const turned = opts.orientation ? await this.orient(img, crops, opts.batch) : crops.map(() => false);
    const t4 = this.now();
    const read = await this.recognise(img, crops, opts);
    const t5 = this.now();
    const kept = found.map((_, i) => i).filter((i) => read[i]!.text.trim() !== '' && read[i]!.confidence >= opts.minConfidence);
    // Corners as read (a turned line's top-left is where its text starts), so a page photographed
    // upside down is also read in order: its lines' top edges give a skew of 180°.
    const order = readingOrder(kept.map((i) => crops[i]!.quad));
    const lines = order.map(({ row, index }): OcrLine => {
      const i = kept[index]!;
      return { text: read[i]!.text, confidence: read[i]!.confidence, box: crops[i]!.quad, row, turned: turned[i]! };
    });
    return {
      width: img.width, height: img.height, detectSize: size, lines, boxes: found.length,
      ms: { ...ms, orient: t4 - t3, recognize: t5 - t4, total: t5 - t0 },
    };
  }

  /** Detection at `size`: text boxes in the photo's coordinates; adds its times to `ms`. */
  private async detect(img: RgbaImage, size: { width: number; height: number }, db: DbOptions, ms: { prepare: number; detect: number; boxes: number }): Promise<TextBox[]> {
    const t0 = this.now();
    const planes = normalise(resizeToPlanes(img, size.width, size.height), size.width * size.height, DET_NORM);
    const t1 = this.now();
    const det = await this.runner.run(DET_MODEL, { [INPUT]: { dtype: 'float32', dims: [1, 3, size.height, size.width], data: planes } });
    const map = output(det, DET_OUTPUT, size.width * size.height);
    const t2 = this.now();
    const found = boxesFromMap(map, size.width, size.height, img.width, img.height, db);
    ms.prepare += t1 - t0;
    ms.detect += t2 - t1;
    ms.boxes += this.now() - t2;
    return found;
  }

  /** Runs the orientation model; turns (in place) the crops it reads as upside down. */
  private async orient(img: RgbaImage, crops: LineCrop[], batch: number): Promise<boolean[]> {
    const turned = crops.map(() => false);
    const plane = CLS_HEIGHT * CLS_WIDTH;
    for (let at = 0; at < crops.length; at += batch) {
      const part = crops.slice(at, at + batch);
      const data = new Float32Array(part.length * 3 * plane); // zero: the normalised padding
      part.forEach((c, k) => warpInto(img, c, scaledWidth(c, CLS_HEIGHT, CLS_WIDTH), CLS_HEIGHT, REC_NORM, data, k * 3 * plane, CLS_WIDTH, plane));
      const out = await this.runner.run(CLS_MODEL, { [INPUT]: { dtype: 'float32', dims: [part.length, 3, CLS_HEIGHT, CLS_WIDTH], data } });
      const probs = output(out, CLS_OUTPUT, part.length * 2);
      part.forEach((c, k) => {
        // PaddleOCR turns a line only when the model is at least 90% sure it is upside down.
        if (probs[2 * k + 1]! > probs[2 * k]! && probs[2 * k + 1]! >= 0.9) {
          const [tl, tr, br, bl] = c.quad;
          crops[at + k] = { ...c, quad: [br, bl, tl, tr] };
          turned[at + k] = true;
        }
      });
    }
    return turned;
  }

  private async recognise(img: RgbaImage, crops: LineCrop[], opts: OcrOptions): Promise<{ text: string; confidence: number }[]> {
    const out = crops.map(() => ({ text: '', confidence: 0 }));
    const ratio = (c: LineCrop) => (c.height > 0 ? c.width / c.height : 1);
    const order = crops.map((_, i) => i).sort((a, b) => ratio(crops[a]!) - ratio(crops[b]!));
    for (let at = 0; at < order.length; at += opts.batch) {
      const ids = order.slice(at, at + opts.batch);
      const widest = Math.max(REC_MIN_WIDTH / REC_HEIGHT, ...ids.map((i) => ratio(crops[i]!)));
      const width = Math.min(opts.maxLineWidth, Math.floor(REC_HEIGHT * widest));
      const plane = REC_HEIGHT * width;
      const data = new Float32Array(ids.length * 3 * plane); // zero: the normalised padding
      ids.forEach((i, k) => warpInto(img, crops[i]!, scaledWidth(crops[i]!, REC_HEIGHT, width), REC_HEIGHT, REC_NORM, data, k * 3 * plane, width, plane));
      const res = await this.runner.run(REC_MODEL, { [INPUT]: { dtype: 'float32', dims: [ids.length, 3, REC_HEIGHT, width], data } });
      const probs = res[REC_OUTPUT];
      const perLine = probs ? probs.length / ids.length : 0;
      if (!probs || perLine % this.classes.length !== 0) {
        throw new Error(`recognition gave ${probs?.length ?? 0} values for ${ids.length} lines; not a multiple of the dictionary's ${this.classes.length} classes`);
      }
      const steps = perLine / this.classes.length;
      ids.forEach((i, k) => (out[i] = ctcGreedy(probs, k * perLine, steps, this.classes)));
    }
    return out;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : 0;
}

function output(outputs: Record<string, Float32Array>, name: string, size: number): Float32Array {
  const v = outputs[name];
  if (!v || v.length !== size) throw new Error(`model output ${name} has ${v?.length ?? 'no'} values, expected ${size}`);
  return v;
}
