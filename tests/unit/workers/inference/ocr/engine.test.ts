/**
 * `ocr-read` through the worker's engine on the real models under Node: the request as the worker
 * gets it (validated), the dictionary fetched and verified by the worker's own code
 * (fetchVerifiedModel over a fake hub), the answer valid under the protocol.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { InferenceEngine } from '../../../../../workers/inference/engine.ts';
import { fetchVerifiedModel } from '../../../../../workers/inference/model-bytes.ts';
import { PROTOCOL_VERSION } from '../../../../../protocol/version.ts';
import { validateMessage } from '../../../../../protocol/codec.ts';
import { InferenceRequest, InferenceResponse } from '../../../../../protocol/inference.ts';
import { DATA_FILES, MODELS, MODELS_PATH, modelUrl } from '../../../../../models/registry.ts';
import { CLS_MODEL, DET_MODEL, REC_MODEL } from '../../../../../workers/inference/ocr/models.ts';
import { textOf } from '../../../../../workers/inference/ocr/reading-order.ts';
import { PRINTED } from '../../../../support/ocr-photos.ts';
import { ocrToolsMissing, readPhoto, renderPhotos } from '../../../../support/ocr-fixtures.ts';
import { REPO } from '../../../../e2e/support/env.ts';

const v = PROTOCOL_VERSION;
const PHOTO = PRINTED.find((p) => p.name === 'print-serif-22')!;
/** Files the fake hub serves: URL path → bytes (a test may replace one). */
const served = new Map<string, Uint8Array>();
let nextId = 1;

function engine(): InferenceEngine {
  const fakeFetch = (async (url: string) => {
    const bytes = served.get(new URL(url).pathname);
    return bytes ? new Response(bytes.slice()) : new Response('not found', { status: 404 });
  }) as typeof fetch;
  return new InferenceEngine({
    loadOrt: async () => ort as never,
    fetchModel: (entry, signal) => fetchVerifiedModel(entry, { fetch: fakeFetch, origin: 'https://hub.test', now: () => performance.now() }, signal),
    adapterInfo: async () => null,
    crossOriginIsolated: false,
    threads: 1,
    now: () => performance.now(),
  });
}

/** Validated as the worker validates it, then handled; the answer validated as the page does. */
async function ask(e: InferenceEngine, body: Record<string, unknown>): Promise<InferenceResponse> {
  const req = validateMessage(InferenceRequest, { ...body, v, id: nextId++ });
  if (!req.ok) return { t: 'error', v, id: 0, error: req.error.toWire() };
  const { message } = await e.handle(req.value);
  const parsed = InferenceResponse.safeParse(message);
  expect(parsed.success, JSON.stringify(parsed.error?.issues[0])).toBe(true);
  return message;
}

const backends = { [DET_MODEL]: 'wasm', [REC_MODEL]: 'wasm' };
let photo: { width: number; height: number; data: Uint8Array };
const image = () => ({ width: photo.width, height: photo.height, data: photo.data.slice().buffer });

describe.skipIf(ocrToolsMissing().length > 0)('ocr-read in the inference engine', () => {
  beforeAll(async () => {
    ort.env.wasm.numThreads = 1;
    for (const f of [...MODELS, ...DATA_FILES]) served.set(modelUrl(f), new Uint8Array(fs.readFileSync(path.join(REPO, 'node_modules', f.package, f.path))));
    const [file] = await renderPhotos(path.join(REPO, '.tmp', 'ocr-fixtures'), [PHOTO]);
    photo = readPhoto(file!);
  }, 120_000);

  it('reads a photo sent as RGBA bytes: lines in order, boxes, confidence, timings', { timeout: 120_000 }, async () => {
    const a = await ask(engine(), { t: 'ocr-read', image: image(), backends, timeoutMs: 60_000 });
    expect(a.t, JSON.stringify(a)).toBe('ocr-lines');
    if (a.t !== 'ocr-lines') return;
    expect(textOf(a.lines)).toBe(PHOTO.lines.join('\n'));
    expect(a.lines.map((l) => l.row)).toEqual([0, 1, 2, 3]);
    for (const l of a.lines) {
      expect(l.confidence).toBeGreaterThan(0.8);
      expect(l.turned).toBe(false);
      for (const [x, y] of l.box) expect(x <= photo.width && y <= photo.height).toBe(true);
    }
    expect(a.ms.load).toBeGreaterThan(0); // models and dictionary fetched, verified, opened
    expect(a.ms.total).toBeGreaterThan(0);
  });

  it('refuses what it cannot read: a size mismatch, a photo over the limit, a missing backend', { timeout: 60_000 }, async () => {
    const e = engine();
    const short = await ask(e, { t: 'ocr-read', image: { width: 10, height: 10, data: new ArrayBuffer(399) }, backends, timeoutMs: 1000 });
    expect(short.t === 'error' && short.error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/width × height × 4/) });
    const big = await ask(e, { t: 'ocr-read', image: { width: 8000, height: 6000, data: new ArrayBuffer(4) }, backends, timeoutMs: 1000 });
    expect(big.t === 'error' && big.error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/pixels/) });
    const noCls = await ask(e, { t: 'ocr-read', image: image(), backends, options: { orientation: true }, timeoutMs: 1000 });
    expect(noCls.t === 'error' && noCls.error).toMatchObject({ code: 'bad-request', message: expect.stringContaining(CLS_MODEL) });
  });

  it('never reads with a dictionary whose bytes differ from the registry', { timeout: 60_000 }, async () => {
    const url = `${MODELS_PATH}${DATA_FILES[0]!.file}`;
    const good = served.get(url)!;
    const bad = good.slice();
    bad[100] = bad[100]! ^ 1;
    served.set(url, bad);
    try {
      const a = await ask(engine(), { t: 'ocr-read', image: image(), backends, timeoutMs: 60_000 });
      expect(a.t === 'error' && a.error.code).toBe('model-integrity');
    } finally {
      served.set(url, good);
    }
  });
});
