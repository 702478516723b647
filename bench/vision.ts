/**
 * Faces in real Chromium, in the inference worker: face-api's six demo photos as 320x240 camera
 * frames (letterboxed), sent one after another as a camera would. Per frame, in the worker:
 * detection (frame to input, detector, decoding), landmarks and descriptors, batched (one call
 * per model per frame) against the naive pipeline (one call per face), alternated block by block
 * in the same page; the page's round trip; frames per second sustained for counting alone, with
 * descriptors, and counting while a wake-word stream listens in the same worker (80 ms of audio
 * every 80 ms); WebGPU against wasm on the software (SwiftShader) adapter Chromium offers with
 * --enable-unsafe-webgpu (says nothing about a real GPU's speed). Measures; never asserts a timing.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { appCopy } from '../tests/e2e/support/inference.ts';
import { CHROMIUM_ARGS, TEST_HOME } from '../tests/e2e/support/env.ts';
import { demoPhoto, fitFrame, DEMO_PHOTOS, DEMO_FACES } from '../tests/support/face-photos.ts';
import { loadFixtureClip } from '../tests/unit/workers/inference/wake/fixture-clip.ts';
import { summarize, round, type Summary } from './stats.ts';
import { ensureE2eSetup, newContext, stopHub, trackHub } from './support.ts';
import type { Row } from './report.ts';
import { visionCpu, type CpuResult } from './vision-cpu.ts';

export interface VisionOptions {
  /** Frames measured per configuration (after warm-up), cycling through the six photos. */
  frames: number;
  /** Seconds of each sustained frames-per-second run. */
  seconds: number;
}

type Stages = { prepare: Summary; detect: Summary; landmarks: Summary; descriptors: Summary; worker: Summary; roundTrip: Summary };
interface Sustained {
  fps: number;
  frames: number;
  /** With a wake stream: its 80 ms steps, and how far behind real time the audio fell at the end. */
  wake?: { steps: number; lagMs: number };
}

export interface VisionResult {
  frame: string;
  counts: Record<string, { found: number; byEye: number }>;
  detectOnly: Stages;
  batched: Stages;
  naive: Stages & { runs: Summary };
  sustained: { detect: Sustained; describe: Sustained; detectWhileListening: Sustained; listeningAlone: Sustained };
  /** CPU time per frame under Node (same ORT build and models), which the machine's load does not inflate. */
  cpu: CpuResult;
  webgpu: WebGpuResult | { unavailable: string };
}

interface WebGpuResult {
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
  /** Per model: the check on its sample input, and the median sample run per backend (null: failed). */
  models: Record<string, { agrees: boolean; maxAbsDiff: number; tolerance: number; wasmMs: number; webgpuMs: number | null }>;
}

const WIDTH = 320;
const HEIGHT = 240;
const FACE_MODELS = ['tiny_face_detector', 'face_landmark_68', 'face_recognition'];
const BLOCK = 12;
/** While a wake stream listens, frames are counted at 4 per second (the issue's people-in-view rate). */
const LISTEN_PACE_MS = 250;

type Sample = { ms: { prepare: number; detect: number; landmarks: number; descriptors: number }; rt: number; faces: number; runs: number };
type Rt = {
  faces: { detect(f: { width: number; height: number; data: Uint8ClampedArray }, o: object): Promise<{ faces: unknown[]; ms: Sample['ms']; runs: number }> };
  openWake(p: string[], o: object): Promise<{ push(s: Float32Array): Promise<unknown[]>; close(): Promise<void> }>;
  compareBackends(m: string): Promise<{ agrees: boolean; maxAbsDiff: number; tolerance: number }>;
  probe(): Promise<{ adapter: WebGpuResult['adapter'] | null }>;
};
type Handle = { runtime(): Promise<Rt>; runSample(m: string, b: string): Promise<{ ms: number }> };

async function openPage(browser: Browser, origin: string, frames: number[][], log: (s: string) => void, query = ''): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  page.on('pageerror', (e) => log(`  [vision] page error: ${e.message}`));
  await page.goto(`${origin}/${query}`);
  await page.waitForFunction(() => 'osmoseInference' in window);
  await page.evaluate((frames) => {
    (window as unknown as { benchFrames: Uint8ClampedArray[] }).benchFrames = frames.map((f) => Uint8ClampedArray.from(f));
  }, frames);
  return page;
}

/** `n` frames one after another (each a fresh copy: the buffer is transferred), per-frame samples. */
function measure(page: Page, n: number, options: object): Promise<Sample[]> {
  return page.evaluate(
    async ({ n, options, w, h }) => {
      const rt = await (window as unknown as { osmoseInference: Handle }).osmoseInference.runtime();
      const frames = (window as unknown as { benchFrames: Uint8ClampedArray[] }).benchFrames;
      const out: Sample[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const r = await rt.faces.detect({ width: w, height: h, data: frames[i % frames.length]!.slice() }, options);
        out.push({ ms: r.ms, rt: performance.now() - t0, faces: r.faces.length, runs: r.runs });
      }
      return out;
    },
    { n, options, w: WIDTH, h: HEIGHT },
  );
}

/**
 * Frames back to back for `seconds` (or one every `paceMs`, as a camera counting a few times a
 * second would); with `clip`, a wake stream gets 80 ms of audio every 80 ms meanwhile, in the same
 * worker, and how far its answers fell behind real time is recorded.
 */
function sustained(page: Page, seconds: number, options: object | null, clip: number[] | null, paceMs = 0): Promise<Sustained> {
  return page.evaluate(
    async ({ seconds, options, w, h, clip, paceMs }) => {
      const rt = await (window as unknown as { osmoseInference: Handle }).osmoseInference.runtime();
      const frames = (window as unknown as { benchFrames: Uint8ClampedArray[] }).benchFrames;
      let steps = 0;
      let lagMs = 0;
      let listening: Promise<void> = Promise.resolve();
      let stop = false;
      if (clip) {
        const audio = Float32Array.from(clip);
        const stream = await rt.openWake(['hey_jarvis_v0.1'], { backends: { silero_vad_v5: 'wasm', melspectrogram: 'wasm', embedding_model: 'wasm', 'hey_jarvis_v0.1': 'wasm' } });
        listening = (async () => {
          const start = performance.now();
          let at = 0;
          for (let k = 0; !stop; k++) {
            const due = start + k * 80;
            await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
            const block = new Float32Array(1280);
            for (let j = 0; j < 1280; j++) block[j] = audio[(at + j) % audio.length]!;
            at += 1280;
            steps += (await stream.push(block)).length;
            lagMs = performance.now() - (due + 80);
          }
          await stream.close();
        })();
      }
      const t0 = performance.now();
      let n = 0;
      // No options: no frames, the wake stream alone (the baseline for its lag).
      if (!options) await new Promise((r) => setTimeout(r, seconds * 1000));
      while (options && performance.now() - t0 < seconds * 1000) {
        if (paceMs) await new Promise((r) => setTimeout(r, Math.max(0, t0 + n * paceMs - performance.now())));
        await rt.faces.detect({ width: w, height: h, data: frames[n % frames.length]!.slice() }, options);
        n++;
      }
      const elapsed = performance.now() - t0;
      stop = true;
      await listening;
      return { fps: (n * 1000) / elapsed, frames: n, ...(clip ? { wake: { steps, lagMs } } : {}) };
    },
    { seconds, options, w: WIDTH, h: HEIGHT, clip, paceMs },
  );
}

function stages(samples: Sample[]): Stages {
  const pick = (k: keyof Sample['ms']) => summarize(samples.map((s) => s.ms[k]));
  return {
    prepare: pick('prepare'),
    detect: pick('detect'),
    landmarks: pick('landmarks'),
    descriptors: pick('descriptors'),
    worker: summarize(samples.map((s) => s.ms.prepare + s.ms.detect + s.ms.landmarks + s.ms.descriptors)),
    roundTrip: summarize(samples.map((s) => s.rt)),
  };
}

async function webgpu(origin: string, frames: number[][], opts: VisionOptions, log: (s: string) => void): Promise<VisionResult['webgpu']> {
  // A browser of its own: the flag would otherwise change the wasm runs' browser.
  const browser = await chromium.launch({ executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'], env: { ...process.env, HOME: TEST_HOME } });
  try {
    const page = await openPage(browser, origin, frames, log, '?allow-fallback-adapter');
    const probe = await page.evaluate(async () => (await (window as unknown as { osmoseInference: Handle }).osmoseInference.runtime()).probe());
    if (!probe.adapter) return { unavailable: 'no WebGPU adapter in this Chromium, even with --enable-unsafe-webgpu' };
    const models: WebGpuResult['models'] = {};
    for (const m of FACE_MODELS) {
      const r = await page.evaluate(
        async ({ m, runs }) => {
          const h = (window as unknown as { osmoseInference: Handle }).osmoseInference;
          const c = await (await h.runtime()).compareBackends(m);
          const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
          const time = async (backend: string) => {
            await h.runSample(m, backend);
            const ms: number[] = [];
            for (let i = 0; i < runs; i++) ms.push((await h.runSample(m, backend)).ms);
            return median(ms);
          };
          const wasmMs = await time('wasm');
          let webgpuMs: number | null = null;
          try {
            webgpuMs = await time('webgpu');
          } catch {
            webgpuMs = null;
          }
          return { agrees: c.agrees, maxAbsDiff: c.maxAbsDiff, tolerance: c.tolerance, wasmMs, webgpuMs };
        },
        { m, runs: 3 },
      );
      models[m] = r;
      log(`  vision: ${m} on WebGPU (${probe.adapter.isFallbackAdapter ? 'software adapter' : probe.adapter.vendor}): ${r.agrees ? 'agrees' : 'DISAGREES'} with wasm (max |diff| ${r.maxAbsDiff.toPrecision(3)}, tolerance ${r.tolerance}); median sample run wasm ${round(r.wasmMs, 1)} ms, WebGPU ${r.webgpuMs === null ? 'failed' : `${round(r.webgpuMs, 1)} ms`}`);
    }
    return { adapter: probe.adapter, models };
  } finally {
    await browser.close().catch(() => undefined);
  }
}

export async function runVision(browser: Browser, opts: VisionOptions, log: (s: string) => void): Promise<VisionResult> {
  await ensureE2eSetup();
  const appDir = process.env.OSMOSE_BENCH_APP_DIR ?? appCopy('bench-vision');
  const hub = trackHub(new TestHub('bench-vision', { args: ['--app-dir', appDir] }));
  const frames = DEMO_PHOTOS.map((n) => Array.from(fitFrame(demoPhoto(n), WIDTH, HEIGHT).data));
  try {
    await hub.start();
    const page = await openPage(browser, hub.origin, frames, log);
    const wasm = { backends: Object.fromEntries(FACE_MODELS.map((m) => [m, 'wasm'])) };
    const first = await measure(page, DEMO_PHOTOS.length, { ...wasm, descriptors: true });
    const counts = Object.fromEntries(DEMO_PHOTOS.map((n, i) => [`sample${n}`, { found: first[i]!.faces, byEye: DEMO_FACES[n]! }]));
    log(`  vision: faces per 320x240 frame (found/by eye): ${Object.entries(counts).map(([k, c]) => `${k} ${c.found}/${c.byEye}`).join(', ')}`);
    // Warm-up, then the three configurations alternate block by block.
    await measure(page, DEMO_PHOTOS.length, { ...wasm, descriptors: true, naive: true });
    const det: Sample[] = [];
    const bat: Sample[] = [];
    const nai: Sample[] = [];
    while (det.length < opts.frames) {
      det.push(...(await measure(page, BLOCK, wasm)));
      bat.push(...(await measure(page, BLOCK, { ...wasm, descriptors: true })));
      nai.push(...(await measure(page, BLOCK, { ...wasm, descriptors: true, naive: true })));
    }
    const clip = Array.from(loadFixtureClip().samples);
    const result: VisionResult = {
      frame: `${WIDTH}x${HEIGHT}`,
      counts,
      detectOnly: stages(det),
      batched: stages(bat),
      naive: { ...stages(nai), runs: summarize(nai.map((s) => s.runs)) },
      sustained: {
        detect: await sustained(page, opts.seconds, wasm, null),
        describe: await sustained(page, opts.seconds, { ...wasm, descriptors: true }, null),
        listeningAlone: await sustained(page, opts.seconds, null, clip),
        detectWhileListening: await sustained(page, opts.seconds, wasm, clip, LISTEN_PACE_MS),
      },
      cpu: await visionCpu(DEMO_PHOTOS.map((n) => fitFrame(demoPhoto(n), WIDTH, HEIGHT)), opts.frames),
      webgpu: { unavailable: 'not measured' },
    };
    const s = (x: Summary) => `${x.p50}/${x.p99}`;
    log(`  vision: detection only, per frame p50/p99 ms: prepare ${s(result.detectOnly.prepare)}, detect ${s(result.detectOnly.detect)}; round trip ${s(result.detectOnly.roundTrip)} (n=${det.length})`);
    for (const [name, r] of [['batched', result.batched], ['naive', result.naive]] as const) {
      log(`  vision: with descriptors, ${name}: detect ${s(r.detect)}, landmarks ${s(r.landmarks)}, descriptors ${s(r.descriptors)}, worker ${s(r.worker)}, round trip ${s(r.roundTrip)} ms`);
    }
    const sus = result.sustained;
    log(`  vision: sustained: counting ${round(sus.detect.fps, 1)} frames/s, with descriptors ${round(sus.describe.fps, 1)} frames/s, counting at 4/s while a wake stream listens ${round(sus.detectWhileListening.fps, 1)} frames/s (wake steps ${sus.detectWhileListening.wake?.steps}, audio lag at the end ${round(sus.detectWhileListening.wake?.lagMs ?? NaN, 0)} ms; listening alone: wake steps ${sus.listeningAlone.wake?.steps}, lag ${round(sus.listeningAlone.wake?.lagMs ?? NaN, 0)} ms)`);
    const c = result.cpu;
    log(`  vision: CPU time per frame under Node (ORT wasm, 1 thread) p50/p99 ms: prepare ${s(c.detectOnly.prepare)}, detect ${s(c.detectOnly.detect)} (wall ${s(c.detectWall)}); with descriptors: landmarks ${s(c.describe.landmarks)}, descriptors ${s(c.describe.descriptors)}`);
    await page.context().close();
    result.webgpu = await webgpu(hub.origin, frames, opts, log).catch((err: Error) => ({ unavailable: `failed: ${err.message.slice(0, 300)}` }));
    return result;
  } finally {
    await stopHub(hub);
  }
}

const ms = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${round(v, d)} ms`);
const yn = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : 'no');

export function visionRows(v: VisionResult): Row[] {
  const right = Object.values(v.counts).filter((c) => c.found === c.byEye).length;
  const total = Object.keys(v.counts).length;
  const rows: Row[] = [
    { metric: `faces counted right, demo photos as ${v.frame} frames`, ours: `${right}/${total}`, baseline: '', ratio: '', target: 'all', meets: yn(right === total) },
    { metric: `face detection per ${v.frame} frame in worker p50 / p99 (wasm)`, ours: `${ms(v.detectOnly.detect.p50)} / ${ms(v.detectOnly.detect.p99)}`, baseline: '', ratio: '', target: '<= 15 ms', meets: yn(v.detectOnly.detect.p50 <= 15) },
    { metric: `face detection CPU time per frame p50 / p99 (Node, same ORT wasm; load-independent)`, ours: `${ms(v.cpu.detectOnly.detect.p50)} / ${ms(v.cpu.detectOnly.detect.p99)}`, baseline: '', ratio: '', target: '<= 15 ms', meets: yn(v.cpu.detectOnly.detect.p50 <= 15) },
    { metric: `frame to detector input p50 (worker wall / CPU)`, ours: `${ms(v.detectOnly.prepare.p50, 2)} / ${ms(v.cpu.detectOnly.prepare.p50, 2)}`, baseline: '', ratio: '', target: '', meets: '' },
    { metric: `landmarks + descriptors CPU time per frame p50 (Node)`, ours: `${ms(v.cpu.describe.landmarks.p50)} + ${ms(v.cpu.describe.descriptors.p50)}`, baseline: '', ratio: '', target: '', meets: '' },
    { metric: `landmarks per frame p50, batched vs naive`, ours: ms(v.batched.landmarks.p50), baseline: `${ms(v.naive.landmarks.p50)} (call per face)`, ratio: `${(v.batched.landmarks.p50 / v.naive.landmarks.p50).toFixed(2)}x`, target: '', meets: '' },
    { metric: `descriptors per frame p50, batched vs naive`, ours: ms(v.batched.descriptors.p50), baseline: `${ms(v.naive.descriptors.p50)} (call per face)`, ratio: `${(v.batched.descriptors.p50 / v.naive.descriptors.p50).toFixed(2)}x`, target: '', meets: '' },
    { metric: `whole frame with descriptors in worker p50 / p99, batched vs naive`, ours: `${ms(v.batched.worker.p50)} / ${ms(v.batched.worker.p99)}`, baseline: `${ms(v.naive.worker.p50)} / ${ms(v.naive.worker.p99)}`, ratio: `${(v.batched.worker.p50 / v.naive.worker.p50).toFixed(2)}x`, target: '', meets: '' },
    { metric: `page round trip per frame p50: counting / with descriptors`, ours: `${ms(v.detectOnly.roundTrip.p50)} / ${ms(v.batched.roundTrip.p50)}`, baseline: `${ms(v.naive.roundTrip.p50)} (naive)`, ratio: '', target: '', meets: '' },
    { metric: `frames per second sustained: counting / with descriptors`, ours: `${round(v.sustained.detect.fps, 1)} / ${round(v.sustained.describe.fps, 1)}`, baseline: '', ratio: '', target: '', meets: '' },
    {
      metric: `counting paced at 4/s while a wake stream listens (same worker): frames/s, audio lag at the end`,
      ours: `${round(v.sustained.detectWhileListening.fps, 1)}`,
      baseline: '',
      ratio: `audio lag ${ms(v.sustained.detectWhileListening.wake?.lagMs, 0)} (alone: ${ms(v.sustained.listeningAlone.wake?.lagMs, 0)})`,
      target: '>= 4 /s, audio in real time',
      meets: yn(v.sustained.detectWhileListening.fps >= 3.8 && (v.sustained.detectWhileListening.wake?.lagMs ?? Infinity) < 160),
    },
  ];
  if ('models' in v.webgpu) {
    const kind = v.webgpu.adapter.isFallbackAdapter ? 'software adapter' : v.webgpu.adapter.vendor;
    for (const [m, r] of Object.entries(v.webgpu.models)) {
      rows.push({
        metric: `${m} WebGPU (${kind}) vs wasm, median sample run`,
        ours: r.webgpuMs === null ? 'failed' : ms(r.webgpuMs),
        baseline: `${ms(r.wasmMs)} (wasm)`,
        ratio: r.webgpuMs === null ? '' : `${(r.webgpuMs / r.wasmMs).toFixed(1)}x`,
        target: 'agrees, else wasm',
        meets: r.agrees ? `agrees (${r.maxAbsDiff.toPrecision(2)})` : `DISAGREES (${r.maxAbsDiff.toPrecision(2)}) -> wasm`,
      });
    }
  } else rows.push({ metric: 'faces: WebGPU vs wasm', ours: v.webgpu.unavailable, baseline: '', ratio: '', target: '', meets: 'n/a' });
  return rows;
}
