/**
 * Text from a photo in the browser, through the app's own path: the photo's file decoded in the
 * page (photoPixels), its pixels transferred to the inference worker, the PaddleOCR models and the
 * dictionary fetched from the hub only and verified, the lines read in order. And a dictionary
 * whose bytes differ from the registry is refused in the real worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { TestHub } from './support/hub.ts';
import { appCopy, headersOf, infer } from './support/inference.ts';
import { REPO } from './support/env.ts';
import { renderPhotos } from '../support/ocr-fixtures.ts';
import { WHITEBOARDS } from '../support/ocr-photos.ts';
import { charErrors } from '../support/cer.ts';

type Read = { text: string; lines: { text: string; row: number; box: [number, number][]; confidence: number }[]; width: number; height: number; backends: Record<string, string>; ms: Record<string, number> };

const PHOTO = WHITEBOARDS[0]!;
let photoB64 = '';
let appDir: string | null = null;
const test = base.extend<{ hub: TestHub }>({
  hub: async ({}, use) => {
    appDir ??= appCopy('ocr');
    const hub = new TestHub('ocr', { args: ['--app-dir', appDir] });
    await hub.start();
    await use(hub);
    await hub.stop();
  },
});

test.beforeAll(async () => {
  const [file] = await renderPhotos(path.join(REPO, '.tmp', 'ocr-fixtures'), [PHOTO]);
  photoB64 = fs.readFileSync(file!).toString('base64');
});

async function openPage(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'osmoseInference' in window);
}

test('reads a 12 MP whiteboard photo in the inference worker, with models and dictionary from the hub only', async ({ browser, hub }) => {
  test.setTimeout(180_000);
  const dict = await headersOf(`${hub.origin}/models/ppocr_keys_v1.txt`);
  expect(dict.status).toBe(200);
  expect(String(dict.headers['content-type'])).toContain('text/plain');

  const context = await browser.newContext();
  const foreign: string[] = [];
  const fetched: string[] = [];
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(hub.origin + '/') && !/^(data|blob):/.test(url)) foreign.push(url);
    if (/\/models\//.test(url)) fetched.push(new URL(url).pathname);
  });
  const page = await context.newPage();
  await openPage(page, hub.origin);
  const r = (await infer(page, 'ocr', photoB64)) as Read;
  expect(r, JSON.stringify(r).slice(0, 300)).toHaveProperty('lines');
  const { edits, chars } = charErrors(r.text, PHOTO.lines.join('\n'));
  console.log(`[ocr e2e] ${r.width}×${r.height}: 1 − CER ${(1 - edits / chars).toFixed(3)}; ${JSON.stringify(r.ms)}\n${r.text}`);
  expect(r.width * r.height).toBe(PHOTO.width * PHOTO.scale * PHOTO.height * PHOTO.scale);
  expect(1 - edits / chars).toBeGreaterThanOrEqual(0.95);
  expect(r.lines.map((l) => l.row)).toEqual(r.lines.map((_, i) => i)); // one line per row, top to bottom
  for (const l of r.lines) for (const [x, y] of l.box) expect(x >= 0 && x <= r.width && y >= 0 && y <= r.height).toBe(true);
  expect(r.backends).toEqual({ ppocr_v4_det: 'wasm', ppocr_v4_rec: 'wasm' }); // no WebGPU adapter here
  expect(foreign).toEqual([]);
  expect(fetched.sort()).toEqual(['/models/ppocr_keys_v1.txt', '/models/ppocr_v4_det.onnx', '/models/ppocr_v4_rec.onnx']);
  // A photo over the limits is refused before it is sent.
  const tooBig = await page.evaluate(async () => {
    const rt = await (window as unknown as { osmoseInference: { runtime(): Promise<{ ocr: { read(i: unknown): Promise<unknown> } }> } }).osmoseInference.runtime();
    return rt.ocr.read({ width: 8192, height: 8192, data: new ArrayBuffer(4) }).then(() => null, (e: { code: string }) => e.code);
  });
  expect(tooBig).toBe('too-large');
  await context.close();
});

test('a dictionary whose bytes differ from the registry is refused with model-integrity', async ({ browser }) => {
  test.setTimeout(120_000);
  const dir = appCopy('ocr-tampered');
  const file = path.join(dir, 'models', 'ppocr_keys_v1.txt');
  const bytes = fs.readFileSync(file);
  bytes[200] = bytes[200]! ^ 0x01; // one flipped bit, same size
  fs.writeFileSync(file, bytes);
  const hub = new TestHub('ocr-tampered', { args: ['--app-dir', dir] });
  await hub.start();
  try {
    const page = await browser.newPage();
    await openPage(page, hub.origin);
    expect(await infer(page, 'ocr', photoB64)).toMatchObject({ error: { code: 'model-integrity' } });
  } finally {
    await hub.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
