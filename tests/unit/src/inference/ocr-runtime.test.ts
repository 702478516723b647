/** InferenceRuntime.ocr.read against a fake worker (which validates every request as the worker does). */
import { describe, it, expect } from 'vitest';
import { InferenceRuntime } from '../../../../src/inference/runtime.ts';
import { fitSize } from '../../../../src/inference/photo-pixels.ts';
import { OCR_LIMITS, OcrLinesResponse } from '../../../../protocol/ocr.ts';
import { CLS_MODEL, DET_MODEL, REC_MODEL } from '../../../../workers/inference/ocr/models.ts';
import { FakeWorker } from './fake-worker.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));
const wasm = { [DET_MODEL]: 'wasm', [REC_MODEL]: 'wasm', [CLS_MODEL]: 'wasm' } as const;
const box = (x: number, y: number): [number, number][] => [[x, y], [x + 50, y], [x + 50, y + 10], [x, y + 10]];

function setup() {
  const workers: FakeWorker[] = [];
  const rt = new InferenceRuntime({ createWorker: () => (workers.push(new FakeWorker()), workers[workers.length - 1]!), verdicts: null });
  return { rt, workers };
}

describe('InferenceRuntime.ocr.read', () => {
  it('sends the pixels once, transferred, with the backends of the models the read runs; joins rows into text', async () => {
    const { rt, workers } = setup();
    const pixels = new Uint8ClampedArray(20 * 10 * 4);
    const p = rt.ocr.read({ width: 20, height: 10, data: pixels }, { backends: wasm, orientation: true, minConfidence: 0.6 });
    await tick();
    const w = workers[0]!;
    const sent = w.last('ocr-read');
    expect(sent.backends).toEqual(wasm);
    expect(sent.options).toEqual({ orientation: true, minConfidence: 0.6 });
    expect(w.sent.find((s) => s.msg.t === 'ocr-read')!.transfer).toEqual([pixels.buffer]);
    const answer = {
      t: 'ocr-lines', id: sent.id, width: 20, height: 10, detectSize: { width: 32, height: 32 }, boxes: 3,
      lines: [
        { text: 'Name:', confidence: 0.9, box: box(0, 0), row: 0, turned: false },
        { text: 'Anil', confidence: 0.8, box: box(60, 0), row: 0, turned: false },
        { text: 'Room 4', confidence: 0.95, box: box(0, 20), row: 1, turned: true },
      ],
      ms: { load: 1, prepare: 1, detect: 2, boxes: 1, orient: 1, recognize: 3, total: 8 },
    };
    expect(OcrLinesResponse.safeParse({ ...answer, v: 1 }).success).toBe(true);
    w.answer(answer);
    const read = await p;
    expect(read.text).toBe('Name: Anil\nRoom 4');
    expect(read.lines).toHaveLength(3);
    expect(read.backends).toEqual(wasm);
  });

  it('refuses a photo over the limits before sending it, and copies a view of part of a buffer', async () => {
    const { rt, workers } = setup();
    await expect(rt.ocr.read({ width: 5000, height: 4000, data: new ArrayBuffer(4) })).rejects.toMatchObject({ code: 'too-large' });
    expect(workers.flatMap((w) => w.sent)).toHaveLength(0);
    const big = new Uint8Array(2 * 4 * 4 + 8);
    const view = big.subarray(8);
    void rt.ocr.read({ width: 2, height: 4, data: view }, { backends: wasm }).catch(() => undefined);
    await tick();
    const sent = workers[0]!.sent.find((s) => s.msg.t === 'ocr-read')!;
    expect(sent.transfer[0]).not.toBe(big.buffer);
    expect(big.byteLength).toBe(40); // not detached
    rt.dispose();
  });

  it('fits a photo over the limits inside them, keeping its aspect', () => {
    expect(fitSize(4032, 3024)).toEqual({ width: 4032, height: 3024 });
    const f = fitSize(8000, 6000);
    expect(f.width * f.height).toBeLessThanOrEqual(OCR_LIMITS.maxPixels);
    expect(f.width / f.height).toBeCloseTo(4 / 3, 2);
    expect(fitSize(20000, 100).width).toBe(OCR_LIMITS.maxSide);
  });
});
