/**
 * The OCR models' fixed facts: names (as in models/ocr.ts), tensor names and input shapes.
 * Checked against the real files by tests/unit/ocr/models.test.ts.
 */

export const DET_MODEL = 'ppocr_v4_det';
export const REC_MODEL = 'ppocr_v4_rec';
export const CLS_MODEL = 'ppocr_mobile_v2_cls';
/** The recognition model's dictionary (served beside the models, pinned by SHA-256). */
export const DICTIONARY = 'ppocr_keys_v1';

export const INPUT = 'x';
export const DET_OUTPUT = 'sigmoid_0.tmp_0';
export const REC_OUTPUT = 'softmax_11.tmp_0';
export const CLS_OUTPUT = 'softmax_0.tmp_0';

/** Recognition input height (PP-OCRv4: 3 × 48 × W); the width is at least REC_MIN_WIDTH. */
export const REC_HEIGHT = 48;
export const REC_MIN_WIDTH = 320;
/** The recognition model emits one step per 8 pixels of width. */
export const REC_STRIDE = 8;
/** Orientation input: 3 × 48 × 192; classes 0° and 180°. */
export const CLS_HEIGHT = 48;
export const CLS_WIDTH = 192;

/** The models a read runs: detection and recognition, and orientation when asked for. */
export function ocrModels(orientation: boolean): string[] {
  return orientation ? [DET_MODEL, REC_MODEL, CLS_MODEL] : [DET_MODEL, REC_MODEL];
}
