/** workers/inference/ocr/models.ts and models/ocr.ts against the real files: names, shapes, classes, licences. */
import { describe, it, expect } from 'vitest';
import { findDataFile, findModel } from '../../../../../models/registry.ts';
import { OCR_DATA, OCR_MODELS } from '../../../../../models/ocr.ts';
import { CLS_MODEL, CLS_OUTPUT, DET_MODEL, DET_OUTPUT, DICTIONARY, INPUT, REC_HEIGHT, REC_MODEL, REC_OUTPUT } from '../../../../../workers/inference/ocr/models.ts';
import { ctcClasses } from '../../../../../workers/inference/ocr/ctc.ts';
import { session } from '../wake/node-models.ts';
import { dictionaryText } from './node-ocr.ts';

type Meta = { name: string; shape?: (number | string)[] };
const shape = (metas: unknown, i = 0) => (metas as Meta[])[i]!.shape!.map((d) => (typeof d === 'number' ? d : '?'));

describe('OCR models', () => {
  it('are in the registry under Apache-2.0, and the dictionary is pinned beside them', () => {
    for (const m of [DET_MODEL, REC_MODEL, CLS_MODEL]) {
      const e = findModel(m)!;
      expect(e, m).toBeDefined();
      expect(e.licence).toBe('Apache-2.0');
      expect(e.licenceNote).toMatch(/PaddleOCR.*Apache/);
    }
    expect(OCR_MODELS.map((m) => m.name).sort()).toEqual([CLS_MODEL, DET_MODEL, REC_MODEL].sort());
    expect(findDataFile(DICTIONARY)).toBe(OCR_DATA[0]);
  });

  it('have the tensor names and shapes the pipeline uses', { timeout: 60_000 }, async () => {
    const det = (await session(DET_MODEL)).session;
    expect([det.inputNames, det.outputNames]).toEqual([[INPUT], [DET_OUTPUT]]);
    expect(shape(det.inputMetadata)).toEqual(['?', 3, '?', '?']);
    expect(shape(det.outputMetadata)).toEqual(['?', 1, '?', '?']);
    const rec = (await session(REC_MODEL)).session;
    expect([rec.inputNames, rec.outputNames]).toEqual([[INPUT], [REC_OUTPUT]]);
    expect(shape(rec.inputMetadata)).toEqual(['?', 3, REC_HEIGHT, '?']);
    const cls = (await session(CLS_MODEL)).session;
    expect([cls.inputNames, cls.outputNames]).toEqual([[INPUT], [CLS_OUTPUT]]);
    expect(shape(cls.outputMetadata)).toEqual(['?', 2]);
  });

  it('the dictionary gives exactly the recognition model\'s 6,625 classes', { timeout: 60_000 }, async () => {
    const classes = ctcClasses(dictionaryText());
    expect(classes).toHaveLength(6625);
    const rec = (await session(REC_MODEL)).session;
    expect(shape(rec.outputMetadata)).toEqual(['?', '?', classes.length]);
    // ASCII is all there; some Latin letters are not (what a user may meet: no ç ù ô ö ß ñ € £).
    for (let c = 33; c < 127; c++) expect(classes).toContain(String.fromCharCode(c));
    for (const c of ['ç', 'ß', '€']) expect(classes).not.toContain(c);
  });
});
