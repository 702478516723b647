/**
 * Character accuracy (1 − CER) of the whole OCR pipeline on the real models under Node, on photos
 * of text rendered by headless Chromium (tests/support/ocr-photos.ts: printed text in five fonts
 * at 14-32 px, a page at ~190 dpi and the same page photographed on a desk, two 12 MP whiteboard
 * photos with marker colours, tilt, perspective, blur, noise and JPEG). Rendered on first run and
 * cached by recipe in .tmp/ocr-fixtures. Prints each photo's accuracy; asserts on the set.
 *
 * Bounds: the set measured 0.991 (PaddleOCR's own unclip ratio of 1.5 gave 0.955). Asserted: the
 * set ≥ 0.97, every photo ≥ 0.85, each whiteboard ≥ 0.95; the slack is for other Chromium and
 * font versions rendering the photos a little differently.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { ALL_PHOTOS, WHITEBOARDS } from '../../../../support/ocr-photos.ts';
import { ocrToolsMissing, readPhoto, renderPhotos } from '../../../../support/ocr-fixtures.ts';
import { charErrors } from '../../../../support/cer.ts';
import { textOf } from '../../../../../workers/inference/ocr/reading-order.ts';
import type { OcrPipeline, OcrResult } from '../../../../../workers/inference/ocr/pipeline.ts';
import { nodeOcr } from './node-ocr.ts';
import { REPO } from '../../../../e2e/support/env.ts';

const DIR = path.join(REPO, '.tmp', 'ocr-fixtures');
const missing = ocrToolsMissing();
if (missing.length) console.warn(`[ocr] SKIPPING accuracy on rendered photos: ${missing.join(', ')} not installed (scripts/install-system-deps.sh; CI has them)`);

let files: string[] = [];
let ocr: OcrPipeline;

describe.skipIf(missing.length > 0)('OCR accuracy on rendered photos', () => {
  beforeAll(async () => {
    files = await renderPhotos(DIR, ALL_PHOTOS);
    ocr = await nodeOcr();
  }, 180_000);

  it('reads printed pages and whiteboard photos with few character errors', { timeout: 600_000 }, async () => {
    const rows: { name: string; size: string; acc: number; edits: number; chars: number; ms: OcrResult['ms']; det: string }[] = [];
    for (const [i, photo] of ALL_PHOTOS.entries()) {
      const img = readPhoto(files[i]!);
      const res = await ocr.read(img);
      const { edits, chars } = charErrors(textOf(res.lines), photo.lines.join('\n'));
      rows.push({ name: photo.name, size: `${img.width}×${img.height}`, acc: 1 - edits / chars, edits, chars, ms: res.ms, det: `${res.detectSize.width}×${res.detectSize.height}` });
      if (edits / chars > 0.05) console.log(`[ocr] ${photo.name} read:\n${textOf(res.lines)}`);
    }
    const edits = rows.reduce((s, r) => s + r.edits, 0);
    const chars = rows.reduce((s, r) => s + r.chars, 0);
    console.log(
      '[ocr] photo               size         detection  accuracy  (edits/chars)  detect+recognise ms\n' +
        rows.map((r) => `[ocr] ${r.name.padEnd(19)} ${r.size.padEnd(12)} ${r.det.padEnd(10)} ${r.acc.toFixed(3).padStart(8)}  (${r.edits}/${r.chars})`.padEnd(72) + `${Math.round(r.ms.detect)} + ${Math.round(r.ms.recognize)}`).join('\n') +
        `\n[ocr] the set: ${(1 - edits / chars).toFixed(4)} (${edits} edits in ${chars} characters)`,
    );
    expect(1 - edits / chars).toBeGreaterThanOrEqual(0.97);
    for (const r of rows) expect(r.acc, r.name).toBeGreaterThanOrEqual(0.85);
    for (const w of WHITEBOARDS) expect(rows.find((r) => r.name === w.name)!.acc, w.name).toBeGreaterThanOrEqual(0.95);
  });

  it('reads a whiteboard photographed upside down when orientation is on, in reading order', { timeout: 300_000 }, async () => {
    const i = ALL_PHOTOS.indexOf(WHITEBOARDS[0]!);
    const img = readPhoto(files[i]!);
    // Turn the photo 180°: pixel k becomes pixel n-1-k.
    const n = img.width * img.height;
    const flipped = new Uint8Array(img.data.length);
    for (let k = 0; k < n; k++) flipped.set(img.data.subarray(4 * k, 4 * k + 4), 4 * (n - 1 - k));
    const truth = WHITEBOARDS[0]!.lines.join('\n');
    const plain = await ocr.read({ width: img.width, height: img.height, data: flipped });
    const turned = await ocr.read({ width: img.width, height: img.height, data: flipped }, { orientation: true });
    const accOf = (r: OcrResult) => { const e = charErrors(textOf(r.lines), truth); return 1 - e.edits / e.chars; };
    console.log(`[ocr] upside-down whiteboard: ${accOf(plain).toFixed(3)} without orientation, ${accOf(turned).toFixed(3)} with (${turned.lines.filter((l) => l.turned).length}/${turned.lines.length} lines turned, orientation ${Math.round(turned.ms.orient)} ms)`);
    expect(turned.lines.every((l) => l.turned)).toBe(true);
    expect(accOf(turned)).toBeGreaterThanOrEqual(0.95);
    expect(accOf(plain)).toBeLessThan(0.5);
  });
});
