/**
 * Speech to text in real Chromium, in the inference worker (wasm): time from the end of an
 * utterance to its text for ~2 s and ~5-6 s utterances (espeak-ng clips), p50/p95:
 *  - one-shot (`transcribe`, the command path: the wake flow knows where the utterance ends);
 *  - streamed (`openStt`, the scribe): the clip pushed in 80 ms blocks, the VAD deciding the end;
 *    the wait is the silence it needs (audio time) plus the answer's round trip;
 * with ORT on 1 thread and on the threads the page gets (cross-origin isolated; on 2 cores the
 * worker takes 1), and on 2 threads for comparison; the real-time factor; the renderer's memory
 * growth (RSS of Chromium's renderer processes, which hold the worker) from opening the models;
 * the key/value cache against decoding without it; commands: free greedy against the grammar-
 * constrained decode (share carried out, word error rate); the WebGPU check of both models on the
 * software adapter; and offloaded: a phone's utterances transcribed on a room device over the mesh
 * against its own worker in the same run (stt-offload.ts). Measures and reports; never asserts a timing.
 */
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { appCopy } from '../tests/e2e/support/inference.ts';
import { CHROMIUM_ARGS, TEST_HOME, REPO } from '../tests/e2e/support/env.ts';
import { readWav } from '../tests/unit/workers/inference/wake/node-models.ts';
import { carriedOut, commandClips, editDistance, werClips, werWords, type SttClip } from '../tests/support/stt-fixtures.ts';
import { parseCommand, type Command } from '../workers/inference/stt/commands.ts';
import { summarize, round, type Summary } from './stats.ts';
import { offloaded, type SttOffloadResult } from './stt-offload.ts';
import { ensureE2eSetup, newContext, stopHub, trackHub } from './support.ts';
import type { Row } from './report.ts';

export interface SttBenchOptions {
  /** Times each clip is transcribed per configuration. */
  repeats: number;
}

interface Latency {
  /** Wall time in the page, ms. */
  short: Summary;
  long: Summary;
  /** Processing time / audio time (encode + decode + messages), p50 over both lengths. */
  rtf: number;
  encode: Summary;
  decode: Summary;
}

export interface SttBenchResult {
  cores: number;
  crossOriginIsolated: boolean;
  /** Threads the worker takes by itself (what the page gets). */
  pageThreads: number;
  clips: { short: number; long: number; shortSeconds: number[]; longSeconds: number[] };
  /** One-shot, by thread count ('page' = the worker's own choice). */
  oneShot: Record<string, Latency>;
  /** Streamed, page threads: end of speech -> text (silence wait + round trip), and the round trip alone. */
  stream: { minSilenceMs: number; short: Summary; long: Summary; roundTrip: Summary; missed: number };
  /** First transcription in a fresh context: fetch, verify, compile, run. */
  coldMs: number;
  /** Decoder time without / with the key/value cache on the same clips (page threads). */
  kv: { cached: Summary; uncached: Summary; ratio: number; sameText: number; clips: number };
  memory: { rssBeforeMb: number; rssAfterMb: number; growthMb: number };
  commands: { clips: number; free: number; constrained: number; werFree: number; werFinal: number; latency: Summary };
  webgpu: Record<string, { agrees: boolean; maxAbsDiff: number; chosen: string }> | { unavailable: string };
  /** A phone's utterances transcribed on a room device over the mesh, against its own worker. */
  offload: SttOffloadResult | { failed: string };
}

type Handle = {
  transcribe(samples: Float32Array, options?: unknown): Promise<{ text: string; ms: { encode: number; decode: number; total: number }; free: { text: string }; command?: Command }>;
  sttOpen(options?: unknown): Promise<{ id: string }>;
  sttPush(id: string, samples: Float32Array): Promise<{ results: { start: number; end: number; text: string }[]; speaking: boolean }>;
  sttClose(id: string): Promise<void>;
  sttWarm(options?: unknown): Promise<void>;
  useThreads(n: number): Promise<void>;
  probe(): Promise<{ crossOriginIsolated: boolean; threads: number; adapter: { isFallbackAdapter: boolean } | null }>;
  compare(model: string): Promise<{ agrees: boolean; maxAbsDiff: number }>;
  backendFor(model: string): Promise<string>;
};

const WASM = { silero_vad_v5: 'wasm', moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' };
const PAD = 0.25;
const MIN_SILENCE_MS = 400;

const speech = (c: SttClip, samples: Float32Array) => Array.from(samples.slice(Math.max(0, Math.round((c.speech!.start - PAD) * 16_000)), Math.round((c.speech!.end + PAD) * 16_000)));

async function openPage(context: BrowserContext, origin: string, log: (s: string) => void): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`  [stt] page error: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'osmoseInference' in window);
  return page;
}

/** One-shot transcriptions of each clip, `repeats` times, interleaved; wall time and the worker's split. */
function oneShot(page: Page, clips: number[][], repeats: number, opts: { cache?: boolean } = {}) {
  return page.evaluate(
    async ({ clips, repeats, backends, cache }) => {
      const h = (window as unknown as { osmoseInference: Handle }).osmoseInference;
      const rows: { clip: number; wall: number; encode: number; decode: number; text: string }[] = [];
      for (let r = 0; r < repeats; r++) {
        for (let i = 0; i < clips.length; i++) {
          const samples = Float32Array.from(clips[i]!);
          const t0 = performance.now();
          const t = await h.transcribe(samples, { backends, ...(cache === false ? { cache: false } : {}) });
          rows.push({ clip: i, wall: performance.now() - t0, encode: t.ms.encode, decode: t.ms.decode, text: t.text });
        }
      }
      return rows;
    },
    { clips, repeats, backends: WASM, cache: opts.cache },
  );
}

/** Each clip through a fresh stream, 80 ms per push: when does its text come, after the speech ended? */
function streamed(page: Page, clips: { audio: number[]; endSample: number }[]) {
  return page.evaluate(
    async ({ clips, backends, minSilenceMs }) => {
      const h = (window as unknown as { osmoseInference: Handle }).osmoseInference;
      const rows: { clip: number; waitMs: number | null; rt: number | null; text: string }[] = [];
      for (let i = 0; i < clips.length; i++) {
        const { audio, endSample } = clips[i]!;
        const s = await h.sttOpen({ backends, minSilenceMs });
        const x = Float32Array.from(audio);
        let row: (typeof rows)[number] = { clip: i, waitMs: null, rt: null, text: '' };
        for (let at = 0; at + 1280 <= x.length; at += 1280) {
          const t0 = performance.now();
          const out = await h.sttPush(s.id, x.slice(at, at + 1280));
          const rt = performance.now() - t0;
          if (out.results.length && row.rt === null) row = { clip: i, waitMs: ((at + 1280 - endSample) / 16_000) * 1000, rt, text: out.results.map((r) => r.text).join(' ') };
        }
        await h.sttClose(s.id);
        rows.push(row);
      }
      return rows;
    },
    { clips, backends: WASM, minSilenceMs: MIN_SILENCE_MS },
  );
}

/** RSS of Chromium's renderer processes (the page and its workers), MB. */
async function rendererRssMb(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    let kb = 0;
    for (const p of processInfo.filter((x) => x.type === 'renderer')) {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p.id}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    }
    return round(kb / 1024, 1);
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

async function webgpuCheck(origin: string, log: (s: string) => void): Promise<SttBenchResult['webgpu']> {
  const browser = await chromium.launch({ executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'], env: { ...process.env, HOME: TEST_HOME } });
  try {
    const page = await openPage(await newContext(browser), origin, log);
    const probe = await page.evaluate(() => (window as unknown as { osmoseInference: Handle }).osmoseInference.probe());
    if (!probe.adapter) return { unavailable: 'no WebGPU adapter in this Chromium' };
    const out: Record<string, { agrees: boolean; maxAbsDiff: number; chosen: string }> = {};
    for (const model of ['moonshine_tiny_encoder', 'moonshine_tiny_decoder']) {
      out[model] = await page.evaluate(async (model) => {
        const h = (window as unknown as { osmoseInference: Handle }).osmoseInference;
        const c = await h.compare(model);
        return { agrees: c.agrees, maxAbsDiff: c.maxAbsDiff, chosen: await h.backendFor(model) };
      }, model);
      log(`  stt: ${model} on WebGPU (${probe.adapter.isFallbackAdapter ? 'software adapter' : 'hardware'}): ${out[model]!.agrees ? 'agrees' : 'DISAGREES'} with wasm (max |diff| ${out[model]!.maxAbsDiff.toPrecision(3)}); chooser picks ${out[model]!.chosen}`);
    }
    return out;
  } finally {
    await browser.close().catch(() => undefined);
  }
}

const wall = (rows: { clip: number; wall: number }[], which: Set<number>) => summarize(rows.filter((r) => which.has(r.clip)).map((r) => r.wall));

export async function runStt(browser: Browser, opts: SttBenchOptions, log: (s: string) => void): Promise<SttBenchResult> {
  await ensureE2eSetup();
  const appDir = process.env.OSMOSE_BENCH_APP_DIR ?? appCopy('bench-stt');
  const hub = trackHub(new TestHub('bench-stt', { args: ['--app-dir', appDir] }));
  const contexts: BrowserContext[] = [];
  const dir = `${REPO}/.tmp/voice-fixtures`;
  const all = werClips(dir).filter((c) => !c.file.includes('noise'));
  const short = all.filter((c) => c.seconds <= 2.5);
  const long = all.filter((c) => c.seconds >= 4.5);
  const clips = [...short, ...long];
  const samples = clips.map((c) => readWav(c.file).samples);
  const cut = clips.map((c, i) => speech(c, samples[i]!));
  const shortIdx = new Set(short.map((_, i) => i));
  const longIdx = new Set(long.map((_, i) => i + short.length));
  const audioSeconds = cut.map((x) => x.length / 16_000);
  try {
    await hub.start();
    const ctx = await newContext(browser);
    contexts.push(ctx);
    let page = await openPage(ctx, hub.origin, log);
    // The baseline: the page with its inference worker started and ORT's runtime up (a VAD loaded).
    const probe = await page.evaluate(async () => {
      const h = (window as unknown as { osmoseInference: Handle & { load(m: string, b: string): Promise<unknown> } }).osmoseInference;
      await h.load('silero_vad_v5', 'wasm');
      return h.probe();
    });
    const rssBefore = await rendererRssMb(browser);
    const coldMs = (await oneShot(page, [cut[0]!], 1))[0]!.wall;
    log(`  stt: ${clips.length} clips (${short.length} of ${short.map((c) => c.seconds.toFixed(1)).join('/')} s, ${long.length} of ${long.map((c) => c.seconds.toFixed(1)).join('/')} s); first transcription in a fresh context ${Math.round(coldMs)} ms; page threads ${probe.threads} (isolated: ${probe.crossOriginIsolated})`);

    const latency: Record<string, Latency> = {};
    const measure = async (label: string, threads: number) => {
      if (threads) {
        await page.close();
        page = await openPage(ctx, hub.origin, log);
        await page.evaluate((n) => (window as unknown as { osmoseInference: Handle }).osmoseInference.useThreads(n), threads);
      }
      await oneShot(page, [cut[0]!, cut.at(-1)!], 1); // warm-up
      const rows = await oneShot(page, cut, opts.repeats);
      const sum = (k: 'encode' | 'decode') => summarize(rows.map((r) => r[k]));
      const rtf = summarize(rows.map((r) => r.wall / (audioSeconds[r.clip]! * 1000))).p50;
      latency[label] = { short: wall(rows, shortIdx), long: wall(rows, longIdx), rtf, encode: sum('encode'), decode: sum('decode') };
      const l = latency[label]!;
      log(`  stt: one-shot, ${label}: ~2 s p50/p95 ${l.short.p50}/${l.short.p95} ms, ~5-6 s ${l.long.p50}/${l.long.p95} ms (encode p50 ${l.encode.p50}, decode p50 ${l.decode.p50}); RTF p50 ${round(rtf, 3)}`);
      return rows;
    };
    const pageRows = await measure('page', 0);
    const rssAfter = await rendererRssMb(browser);

    // Without the key/value cache, on the same page and clips (once each).
    const uncached = await oneShot(page, cut, 1, { cache: false });
    const firstCached = pageRows.slice(0, cut.length);
    const kv = {
      cached: summarize(firstCached.map((r) => r.decode)),
      uncached: summarize(uncached.map((r) => r.decode)),
      ratio: 0,
      sameText: uncached.filter((r, i) => r.text === firstCached[i]!.text).length,
      clips: cut.length,
    };
    kv.ratio = round(kv.uncached.mean / kv.cached.mean, 2);
    log(`  stt: decoder without / with the key/value cache: mean ${kv.uncached.mean} / ${kv.cached.mean} ms = ${kv.ratio}x; same text on ${kv.sameText}/${kv.clips}`);

    // Streamed: the VAD finds the end; the text comes after the silence it waits for.
    const streamRows = await streamed(page, clips.map((c, i) => ({ audio: Array.from(samples[i]!), endSample: Math.round(c.speech!.end * 16_000) })));
    const hit = streamRows.filter((r) => r.rt !== null);
    const endToText = (which: Set<number>) => summarize(hit.filter((r) => which.has(r.clip)).map((r) => r.waitMs! + r.rt!));
    const stream = { minSilenceMs: MIN_SILENCE_MS, short: endToText(shortIdx), long: endToText(longIdx), roundTrip: summarize(hit.map((r) => r.rt!)), missed: streamRows.length - hit.length };
    log(`  stt: streamed (VAD, ${MIN_SILENCE_MS} ms of silence ends an utterance): end of speech -> text ~2 s p50/p95 ${stream.short.p50}/${stream.short.p95} ms, ~5-6 s ${stream.long.p50}/${stream.long.p95} ms; the closing push's round trip p50/p95 ${stream.roundTrip.p50}/${stream.roundTrip.p95} ms; missed ${stream.missed}`);

    // Commands: free greedy against grammar-constrained, same clips, same page.
    const cmds = commandClips(dir);
    const cmdRows = await page.evaluate(
      async ({ clips, backends }) => {
        const h = (window as unknown as { osmoseInference: Handle }).osmoseInference;
        const out: { text: string; free: string; command: unknown; wall: number }[] = [];
        for (const c of clips) {
          const t0 = performance.now();
          const t = await h.transcribe(Float32Array.from(c), { backends, mode: 'command' });
          out.push({ text: t.text, free: t.free.text, command: t.command, wall: performance.now() - t0 });
        }
        return out;
      },
      { clips: cmds.map((c) => speech(c, readWav(c.file).samples)), backends: WASM },
    );
    let werFree = 0;
    let werFinal = 0;
    let words = 0;
    cmds.forEach((c, i) => {
      const ref = werWords(c.text);
      words += ref.length;
      werFree += editDistance(ref, werWords(cmdRows[i]!.free));
      werFinal += editDistance(ref, werWords(cmdRows[i]!.text));
    });
    const commands = {
      clips: cmds.length,
      free: cmds.filter((c, i) => carriedOut(parseCommand(cmdRows[i]!.free), c.command)).length,
      constrained: cmds.filter((c, i) => carriedOut(cmdRows[i]!.command as Command, c.command)).length,
      werFree: round(werFree / words, 3),
      werFinal: round(werFinal / words, 3),
      latency: summarize(cmdRows.map((r) => r.wall)),
    };
    log(`  stt: commands (${commands.clips} clips): carried out free greedy ${commands.free}, constrained ${commands.constrained}; WER free ${commands.werFree}, constrained ${commands.werFinal}; end -> command p50/p95 ${commands.latency.p50}/${commands.latency.p95} ms`);

    const offload = await offloaded(browser, hub, cut, shortIdx, Math.max(1, Math.ceil(opts.repeats / 2)), log).catch((err: Error) => {
      log(`  stt: offloaded: failed: ${err.message}`);
      return { failed: err.message.slice(0, 200) };
    });

    await measure('1 thread', 1);
    await measure('2 threads', 2);
    await page.close();

    const webgpu = await webgpuCheck(hub.origin, log).catch((err: Error) => ({ unavailable: `failed: ${err.message.slice(0, 200)}` }));
    return {
      cores: (await import('node:os')).cpus().length,
      crossOriginIsolated: probe.crossOriginIsolated,
      pageThreads: probe.threads,
      clips: { short: short.length, long: long.length, shortSeconds: short.map((c) => round(c.seconds, 2)), longSeconds: long.map((c) => round(c.seconds, 2)) },
      oneShot: latency,
      stream,
      coldMs: round(coldMs, 0),
      kv,
      memory: { rssBeforeMb: rssBefore, rssAfterMb: rssAfter, growthMb: round(rssAfter - rssBefore, 1) },
      commands,
      webgpu,
      offload,
    };
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await stopHub(hub);
  }
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const yn = (ok: boolean) => (ok ? 'yes' : 'no');

export function sttRows(r: SttBenchResult): Row[] {
  const page = r.oneShot.page!;
  const rows: Row[] = [
    { metric: `speech to text, ~5-6 s utterance end -> text p50 / p95 (one-shot, wasm ${r.pageThreads} thread(s), the page's)`, ours: `${ms(page.long.p50)} / ${ms(page.long.p95)}`, baseline: '', ratio: `RTF ${page.rtf}`, target: '<= 1000 ms p95', meets: yn(page.long.p95 <= 1000) },
    { metric: `speech to text, ~2 s utterance end -> text p50 / p95 (one-shot, page threads)`, ours: `${ms(page.short.p50)} / ${ms(page.short.p95)}`, baseline: '', ratio: '', target: '<= 1000 ms p95', meets: yn(page.short.p95 <= 1000) },
  ];
  for (const [label, l] of Object.entries(r.oneShot)) {
    if (label === 'page') continue;
    rows.push({ metric: `speech to text one-shot, wasm ${label}: ~2 s / ~5-6 s p95`, ours: `${ms(l.short.p95)} / ${ms(l.long.p95)}`, baseline: `${ms(page.short.p95)} / ${ms(page.long.p95)} (page)`, ratio: `${(l.long.p95 / page.long.p95).toFixed(2)}x`, target: '', meets: '' });
  }
  rows.push(
    { metric: `speech to text streamed (VAD, ${r.stream.minSilenceMs} ms silence): end of speech -> text p95, ~2 s / ~5-6 s`, ours: `${ms(r.stream.short.p95)} / ${ms(r.stream.long.p95)}`, baseline: `${ms(r.stream.roundTrip.p95)} (closing push alone)`, ratio: '', target: '', meets: '' },
    'failed' in r.offload
      ? { metric: 'speech to text offloaded to a room device over the mesh', ours: `failed: ${r.offload.failed.slice(0, 80)}`, baseline: '', ratio: '', target: '', meets: 'n/a' }
      : { metric: `speech to text offloaded over the mesh (command path): end -> text on the phone p95, ~2 s / ~5-6 s`, ours: `${ms(r.offload.short.p95)} / ${ms(r.offload.long.p95)}`, baseline: `${ms(r.offload.hereShort.p95)} / ${ms(r.offload.hereLong.p95)} (phone's own worker, same run)`, ratio: `${(r.offload.long.p95 / r.offload.hereLong.p95).toFixed(2)}x`, target: '<= 1000 ms p95', meets: yn(r.offload.long.p95 <= 1000 && r.offload.short.p95 <= 1000) },
    { metric: `decoder without / with key-value cache (mean per utterance)`, ours: ms(r.kv.cached.mean), baseline: `${ms(r.kv.uncached.mean)} (no cache)`, ratio: `${r.kv.ratio}x`, target: '', meets: '' },
    { metric: `renderer memory growth from speech to text (RSS; baseline: worker and ORT up)`, ours: `${r.memory.growthMb} MB`, baseline: `${r.memory.rssBeforeMb} MB before`, ratio: '', target: '', meets: '' },
    { metric: `commands carried out (${r.commands.clips} espeak-ng clips), constrained vs free greedy`, ours: `${r.commands.constrained}/${r.commands.clips}`, baseline: `${r.commands.free}/${r.commands.clips} (free)`, ratio: '', target: '>= 95%', meets: yn(r.commands.constrained / r.commands.clips >= 0.95) },
    { metric: `command clips word error rate, constrained vs free greedy`, ours: String(r.commands.werFinal), baseline: `${r.commands.werFree} (free)`, ratio: `${(r.commands.werFinal / r.commands.werFree).toFixed(2)}x`, target: '<= free', meets: yn(r.commands.werFinal <= r.commands.werFree) },
    { metric: `command end -> command p50 / p95 (greedy, then constrained when needed)`, ours: `${ms(r.commands.latency.p50)} / ${ms(r.commands.latency.p95)}`, baseline: '', ratio: '', target: '', meets: '' },
    { metric: `speech to text cold start (first transcription, fresh context)`, ours: ms(r.coldMs), baseline: '', ratio: '', target: '', meets: '' },
  );
  if ('unavailable' in r.webgpu) rows.push({ metric: 'Moonshine WebGPU check (software adapter)', ours: String(r.webgpu.unavailable).slice(0, 90), baseline: '', ratio: '', target: 'agrees, else wasm', meets: 'n/a' });
  else {
    for (const [m, w] of Object.entries(r.webgpu)) rows.push({ metric: `${m} WebGPU (software adapter) vs wasm`, ours: w.agrees ? 'agrees' : `DISAGREES (${w.maxAbsDiff.toPrecision(2)})`, baseline: '', ratio: '', target: 'agrees, else wasm', meets: `-> ${w.chosen}` });
  }
  return rows;
}
