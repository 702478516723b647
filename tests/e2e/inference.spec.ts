import { chromium, type Page } from '@playwright/test';
import { test as base, expect } from '@playwright/test';
import { TestHub } from './support/hub.ts';
import { CHROMIUM_ARGS, TEST_HOME } from './support/env.ts';
import { appCopy, headersOf, infer, signal } from './support/inference.ts';

type Plain = { dtype: string; dims: number[]; data: number[] };
type RunResult = { outputs: Record<string, Plain>; ms: number };

// A hub per test on a private copy of the build (made once per worker, after global setup).
let appDir: string | null = null;
const test = base.extend<{ hub: TestHub }>({
  hub: async ({}, use, testInfo) => {
    appDir ??= appCopy('infer');
    const hub = new TestHub('infer', { args: ['--app-dir', appDir] });
    await hub.start();
    await use(hub);
    await hub.stop();
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('hub output', { body: hub.output, contentType: 'text/plain' });
  },
});

const vadInputs = (seed: number) => ({
  input: { dtype: 'float32', dims: [1, 512], data: signal(512, 0.5, seed) },
  state: { dtype: 'float32', dims: [2, 1, 128], data: new Array(256).fill(0) },
  sr: { dtype: 'int64', dims: [], data: [16000] },
});
const melInputs = (seed: number) => ({ input: { dtype: 'float32', dims: [1, 1760], data: signal(1760, 8000, seed) } });

async function openTestPage(page: Page, origin: string, query = ''): Promise<void> {
  await page.goto(`${origin}/${query}`);
  await page.waitForFunction(() => 'osmoseInference' in window);
}

/** Median and p95 of `n` round trips through the runtime (page → worker → page), in ms. */
async function timeRuns(page: Page, model: string, inputs: unknown, n: number): Promise<{ p50: number; p95: number; worker50: number }> {
  return page.evaluate(
    async ({ model, inputs, n }) => {
      const h = (window as unknown as { osmoseInference: { run(m: string, i: unknown): Promise<{ ms: number }> } }).osmoseInference;
      const rt: number[] = [];
      const w: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const r = await h.run(model, inputs);
        rt.push(performance.now() - t0);
        w.push(r.ms);
      }
      const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
      return { p50: q(rt, 0.5), p95: q(rt, 0.95), worker50: q(w, 0.5) };
    },
    { model, inputs, n },
  );
}

test.describe('inference runtime (onnxruntime-web in a worker)', () => {
  test('runs Silero VAD and the openWakeWord melspectrogram on wasm, from the hub only, and offline from the cache', async ({ browser, hub }) => {
    // ORT's files and the models are served by the hub with the right types and isolation headers.
    for (const [url, type] of [['/ort/ort-wasm-simd-threaded.wasm', 'application/wasm'], ['/ort/ort-wasm-simd-threaded.mjs', 'text/javascript'], ['/models/silero_vad_v5.onnx', 'application/octet-stream']] as const) {
      const r = await headersOf(hub.origin + url);
      expect(r.status, url).toBe(200);
      expect(String(r.headers['content-type']), url).toContain(type);
      expect(r.headers['cross-origin-resource-policy'], url).toBe('same-origin');
    }

    const context = await browser.newContext();
    const foreign: string[] = [];
    const fetched: string[] = [];
    context.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(hub.origin + '/') && !/^(data|blob):/.test(url)) foreign.push(url);
      if (/\/(models|ort)\//.test(url)) fetched.push(new URL(url).pathname);
    });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && console.log('[page]', m.text()));
    await openTestPage(page, hub.origin);
    // Let the service worker take control, so the worker's fetches go through its caches.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });

    const probe = (await infer(page, 'probe')) as { crossOriginIsolated: boolean; threads: number };
    expect(probe.crossOriginIsolated).toBe(true);

    const t0 = Date.now();
    const vadLoad = (await infer(page, 'load', 'silero_vad_v5', 'wasm')) as { backend: string; inputNames: string[]; outputNames: string[]; ms: Record<string, number> };
    const vadLoadWall = Date.now() - t0;
    expect(vadLoad.backend).toBe('wasm');
    expect(vadLoad.inputNames).toEqual(['input', 'state', 'sr']);
    const vad = (await infer(page, 'run', 'silero_vad_v5', vadInputs(1))) as RunResult;
    expect(vad.outputs.output!.dims).toEqual([1, 1]);
    const p = vad.outputs.output!.data[0]!;
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
    expect(vad.outputs.stateN!.dims).toEqual([2, 1, 128]);
    expect(vad.outputs.stateN!.data.every(Number.isFinite)).toBe(true);

    const t1 = Date.now();
    const mel = (await infer(page, 'run', 'melspectrogram', melInputs(2))) as RunResult;
    const melFirstWall = Date.now() - t1;
    expect(mel.outputs.output!.dims).toEqual([1, 1, 8, 32]);
    expect(mel.outputs.output!.data.every(Number.isFinite)).toBe(true);
    expect(new Set(mel.outputs.output!.data).size).toBeGreaterThan(100); // not a constant

    const vadTimes = await timeRuns(page, 'silero_vad_v5', vadInputs(3), 200);
    const melTimes = await timeRuns(page, 'melspectrogram', melInputs(4), 200);
    console.log(JSON.stringify({ threads: probe.threads, vadLoad: vadLoad.ms, vadLoadWall, vadFirstRun: vad.ms, melFirstWall, vadTimes, melTimes }));

    expect(foreign).toEqual([]);
    expect(fetched).toEqual(expect.arrayContaining(['/ort/ort.wasm.min.mjs', '/ort/ort-wasm-simd-threaded.wasm', '/models/silero_vad_v5.onnx', '/models/melspectrogram.onnx']));
    // The WebGPU build is never fetched when nothing asks for WebGPU.
    expect(fetched.filter((u) => u.includes('asyncify') || u.includes('webgpu'))).toEqual([]);

    const cached = await page.evaluate(async () => (await (await caches.open('osmose-models')).keys()).map((r) => new URL(r.url).pathname).sort());
    expect(cached).toEqual(expect.arrayContaining(['/models/melspectrogram.onnx', '/models/silero_vad_v5.onnx', '/ort/ort-wasm-simd-threaded.wasm']));
    // Not in the app shell's precache.
    const precached = await page.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n !== 'osmose-models');
      const urls: string[] = [];
      for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(r.url);
      return urls;
    });
    expect(precached.filter((u) => /\/(models|ort)\//.test(u))).toEqual([]);

    // Offline: the hub is gone; a fresh page (fresh worker) loads both models from the cache.
    await hub.kill();
    const page2 = await context.newPage();
    await openTestPage(page2, hub.origin);
    const vad2 = (await infer(page2, 'run', 'silero_vad_v5', vadInputs(1))) as RunResult;
    expect(vad2.outputs.output!.data[0]).toBeCloseTo(p, 6); // same input, same answer
    const mel2 = (await infer(page2, 'run', 'melspectrogram', melInputs(2))) as RunResult;
    expect(mel2.outputs.output!.dims).toEqual([1, 1, 8, 32]);
    // A model never fetched online is not there offline, and says so with a code.
    const missing = await infer(page2, 'load', 'timer_v0.1', 'wasm');
    expect(missing).toMatchObject({ error: { code: 'model-unavailable' } });
    await context.close();
  });

  test('a worker crash rejects the request in flight with worker-crashed; the next request starts a new worker', async ({ browser, hub }) => {
    const page = await browser.newPage();
    await openTestPage(page, hub.origin);
    expect(await infer(page, 'workersStarted')).toBe(0); // nothing starts until it is used
    await infer(page, 'load', 'silero_vad_v5', 'wasm');
    const [inFlight] = await Promise.all([
      infer(page, 'load', 'embedding_model', 'wasm'),
      page.evaluate(() => void (window as unknown as { osmoseInference: { crashWorker(): Promise<unknown> } }).osmoseInference.crashWorker().catch(() => undefined)),
    ]);
    expect(inFlight).toMatchObject({ error: { code: 'worker-crashed' } });
    const after = (await infer(page, 'run', 'silero_vad_v5', vadInputs(5))) as RunResult;
    expect(after.outputs.output!.dims).toEqual([1, 1]);
    expect(await infer(page, 'workersStarted')).toBe(2);
    // Bad requests come back as typed errors, not hangs.
    expect(await infer(page, 'load', 'no_such_model', 'wasm')).toMatchObject({ error: { code: 'model-unavailable' } });
    expect(await infer(page, 'run', 'silero_vad_v5', { input: { dtype: 'float32', dims: [1, 512], data: [1, 2, 3] } })).toMatchObject({ error: { code: 'bad-request' } });
  });
});

test('a model whose bytes differ from the registry is refused with model-integrity and never run', async ({ browser }) => {
  const hub = new TestHub('infer-tampered', { args: ['--app-dir', appCopy('tampered', 'melspectrogram')] });
  await hub.start();
  try {
    const page = await browser.newPage();
    await openTestPage(page, hub.origin);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });
    const r = await infer(page, 'run', 'melspectrogram', melInputs(1));
    expect(r).toMatchObject({ error: { code: 'model-integrity' } });
    // The bad copy does not stay in the model cache, and the other models still work.
    const cached = await page.evaluate(async () => (await (await caches.open('osmose-models')).keys()).map((q) => new URL(q.url).pathname));
    expect(cached).not.toContain('/models/melspectrogram.onnx');
    const vad = (await infer(page, 'run', 'silero_vad_v5', vadInputs(1))) as RunResult;
    expect(vad.outputs.output!.dims).toEqual([1, 1]);
  } finally {
    await hub.stop();
  }
});

test('WebGPU (SwiftShader): each model is checked against wasm once; one that disagrees stays on wasm', async ({ hub }) => {
  test.setTimeout(240_000);
  const gpuBrowser = await chromium.launch({
    executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
    env: { ...process.env, HOME: TEST_HOME },
  });
  try {
    const context = await gpuBrowser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => m.type() !== 'debug' && console.log('[gpu page]', m.text()));
    await openTestPage(page, hub.origin, '?allow-fallback-adapter');
    const probe = (await infer(page, 'probe')) as { adapter: { isFallbackAdapter: boolean } | null };
    test.skip(!probe.adapter, 'no WebGPU adapter in this Chromium');
    const results: Record<string, unknown> = {};
    for (const model of ['silero_vad_v5', 'melspectrogram', 'embedding_model', 'hey_jarvis_v0.1']) {
      results[model] = { backend: await infer(page, 'backendFor', model) };
    }
    const verdicts = (await infer(page, 'verdicts')) as Record<string, { agrees: boolean; maxAbsDiff: number; backend: string }>;
    console.log(JSON.stringify({ adapter: probe.adapter, verdicts }));
    expect(verdicts.silero_vad_v5).toMatchObject({ agrees: false, backend: 'wasm' });
    expect(verdicts.melspectrogram).toMatchObject({ agrees: true, backend: 'webgpu' });
    // The chosen backend is used: melspectrogram now runs on WebGPU and still gives sane output.
    const mel = (await infer(page, 'run', 'melspectrogram', melInputs(2))) as RunResult;
    expect(mel.outputs.output!.dims).toEqual([1, 1, 8, 32]);
    const vad = (await infer(page, 'run', 'silero_vad_v5', vadInputs(1))) as RunResult;
    expect(vad.outputs.output!.dims).toEqual([1, 1]);

    // The verdicts are kept (per model hash and adapter), so the check runs once per device;
    // that a stored verdict is used without a new check is covered by the unit tests.
    const keys = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('osmose.webgpu-verdict.')));
    expect(keys).toHaveLength(4);
    await context.close();
  } finally {
    await gpuBrowser.close();
  }
});
