/**
 * The voice service as the room uses it (bench/voice.ts measures the worker's stages):
 *
 *   - detection latency: a spoken clip ("hey jarvis", several voices) is pushed into a wake stream
 *     in real time, one 80 ms block every 80 ms as a microphone delivers them; latency runs from
 *     the end of the speech in the clip (its wall-clock moment, block accumulation included) to
 *     the step whose score reaches 0.5;
 *   - offload round trip: the same phone (fake microphone, the clip in a loop) with the models run
 *     here, then on a room device over the mesh; per 80 ms block, from the block's arrival to its
 *     scores (queue wait included), in the same run; "added by offload" is the difference;
 *   - CPU share while listening: Chromium's own per-process CPU time (CDP SystemInfo) over a window
 *     with the microphone on and the models here, against the same window with the microphone off.
 * Measures and reports; never asserts a timing.
 */
import fs from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { launchWithMic, VOICE_DIR } from '../tests/e2e/support/voice.ts';
import { openView } from '../tests/e2e/support/shell.ts';
import { loopingClip, wakeClips } from '../tests/support/voice-fixtures.ts';
import { summarize, round, type Summary } from './stats.ts';
import type { Row } from './report.ts';
import { ensureE2eSetup, newContext, sleep, stopHub, trackHub, waitFor } from './support.ts';

export interface VoiceRoomOptions {
  /** Clips for the detection latency (voices x speeds, taken in order). */
  clips: number;
  /** Seconds per window (offload, local, CPU). */
  windowSeconds: number;
}

export interface VoiceRoomResult {
  detection: { latencyMs: Summary | null; detected: number; clips: number; perClip: { voice: string | null; speed: number | null; latencyMs: number | null; score: number }[] };
  offload: { localMs: Summary; offloadMs: Summary; addedP50Ms: number; addedP95Ms: number };
  cpu: { listeningPercentOfOneCore: number; idlePercentOfOneCore: number; windowSeconds: number };
}

type Osmose = {
  osmose: { deviceId: string; voice(): { runningOn: string | null; live: boolean; steps: number; offloadRtts: number[]; localRtts: number[] } | null };
  osmoseInference: {
    wakeOpen(phrases: string[]): Promise<{ id: string }>;
    wakePush(id: string, samples: number[]): Promise<{ scores: Record<string, number> }[]>;
    wakeClose(id: string): Promise<void>;
  };
};

/** 16-bit mono WAV → samples in [-1, 1] (the fixtures' own format; header fields checked). */
function readWav(file: string): number[] {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let off = 12;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'data') {
      const out: number[] = [];
      for (let i = off + 8; i + 1 < off + 8 + size && i + 1 < b.length; i += 2) out.push(b.readInt16LE(i) / 32768);
      return out;
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

async function detectionLatency(page: Page, samples: number[], speechEndS: number): Promise<{ latencyMs: number | null; score: number }> {
  return page.evaluate(
    async ({ samples, speechEndS }) => {
      const inf = (window as unknown as Osmose).osmoseInference;
      const { id } = await inf.wakeOpen(['hey_jarvis_v0.1']);
      const block = 1280;
      const t0 = performance.now();
      const endAt = t0 + speechEndS * 1000;
      let firstAt: number | null = null;
      let best = 0;
      const pending: Promise<void>[] = [];
      for (let k = 0; (k + 1) * block <= samples.length; k++) {
        // The block's last sample is "spoken" at t0 + (k+1) * 80 ms: deliver it then, as a mic would.
        const due = t0 + ((k + 1) * block) / 16;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(
          inf.wakePush(id, samples.slice(k * block, (k + 1) * block)).then((steps) => {
            for (const s of steps) {
              const score = s.scores['hey_jarvis_v0.1'] ?? 0;
              best = Math.max(best, score);
              if (score >= 0.5 && firstAt === null) firstAt = performance.now();
            }
          }),
        );
      }
      await Promise.all(pending);
      await inf.wakeClose(id);
      return { latencyMs: firstAt === null ? null : firstAt - endAt, score: best };
    },
    { samples, speechEndS },
  );
}

async function cpuSeconds(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { cpuTime: number }[] };
    return info.processInfo.reduce((s, p) => s + p.cpuTime, 0);
  } finally {
    await cdp.detach();
  }
}

const voiceOf = (p: Page) => p.evaluate(() => (window as unknown as Osmose).osmose.voice());

export async function runVoiceRoom(browser: Browser, opts: VoiceRoomOptions, log: (s: string) => void): Promise<VoiceRoomResult> {
  await ensureE2eSetup();
  const hub = trackHub(new TestHub('bench-voice', { args: ['--challenges', '100000'] }));
  const loop = loopingClip(VOICE_DIR, 'hey jarvis');
  const micBrowser = await launchWithMic(loop.file);
  try {
    await hub.start();

    // ---- detection latency (worker, real-time pacing) ----
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(hub.origin + '/');
    await page.waitForFunction(() => 'osmoseInference' in window);
    const clips = wakeClips(VOICE_DIR).slice(0, opts.clips);
    const perClip: VoiceRoomResult['detection']['perClip'] = [];
    // Warm: models loaded and compiled before the first timed clip.
    await detectionLatency(page, readWav(clips[0]!.file).slice(0, 1280 * 4), 0);
    for (const c of clips) {
      const r = await detectionLatency(page, readWav(c.file), c.speech!.end);
      perClip.push({ voice: c.voice, speed: c.speed, latencyMs: r.latencyMs === null ? null : round(r.latencyMs, 1), score: round(r.score, 3) });
      log(`  detection ${c.voice}@${c.speed}: ${r.latencyMs === null ? 'not detected' : `${r.latencyMs.toFixed(0)} ms after the speech ended`} (best ${r.score.toFixed(3)})`);
    }
    await ctx.close();
    const lat = perClip.map((p) => p.latencyMs).filter((x): x is number => x !== null);

    // ---- offload round trip: local then offloaded, same phone, same run ----
    const phoneCtx = await newContext(micBrowser);
    const phone = await phoneCtx.newPage();
    const serverCtx = await newContext(browser);
    const server = await serverCtx.newPage();
    for (const p of [phone, server]) {
      await p.goto(hub.joinUrl());
      await openView(p, 'voice');
    }
    await waitFor(async () => (await phone.getByTestId('member').count()) >= 1, 30_000, 'the phone to see the room device');
    const cpuIdle0 = await cpuSeconds(micBrowser);
    await sleep(opts.windowSeconds * 1000);
    const cpuIdle = (await cpuSeconds(micBrowser)) - cpuIdle0;

    await phone.getByTestId('voice-where').selectOption('here');
    await phone.getByTestId('voice-listen').check();
    await waitFor(async () => ((await voiceOf(phone))?.steps ?? 0) > 30, 60_000, 'the local pipeline to run').catch(async (err: Error) => {
      throw new Error(`${err.message}; the phone's voice state: ${JSON.stringify(await voiceOf(phone))}, panel: ${await phone.getByTestId('voice-panel').innerText()}`);
    });
    const cpuListen0 = await cpuSeconds(micBrowser);
    await sleep(opts.windowSeconds * 1000);
    const cpuListen = (await cpuSeconds(micBrowser)) - cpuListen0;
    const local = (await voiceOf(phone))!.localRtts.slice(-Math.round((opts.windowSeconds * 1000) / 80));

    await phone.getByTestId('voice-where').selectOption('room');
    await waitFor(async () => (await voiceOf(phone))?.live && (await voiceOf(phone))?.runningOn !== (await phone.evaluate(() => (window as unknown as Osmose).osmose.deviceId)), 30_000, 'the phone to stream to the room device');
    await sleep(2000); // past the remote pipeline's warm-up
    await sleep(opts.windowSeconds * 1000);
    // The service keeps the last 200 round trips (16 s of blocks): the window's are the newest.
    const offload = (await voiceOf(phone))!.offloadRtts.slice(-Math.round((opts.windowSeconds * 1000) / 80));
    await phoneCtx.close();
    await serverCtx.close();

    const localS = summarize(local);
    const offS = summarize(offload);
    return {
      detection: { latencyMs: lat.length ? summarize(lat) : null, detected: lat.length, clips: clips.length, perClip },
      offload: { localMs: localS, offloadMs: offS, addedP50Ms: round(offS.p50 - localS.p50, 2), addedP95Ms: round(offS.p95 - localS.p95, 2) },
      cpu: {
        listeningPercentOfOneCore: round((cpuListen / opts.windowSeconds) * 100, 1),
        idlePercentOfOneCore: round((cpuIdle / opts.windowSeconds) * 100, 1),
        windowSeconds: opts.windowSeconds,
      },
    };
  } finally {
    await micBrowser.close().catch(() => undefined);
    await stopHub(hub);
  }
}

const ms = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${round(v, d)} ms`);

export function voiceRoomRows(v: VoiceRoomResult): Row[] {
  const d = v.detection.latencyMs;
  return [
    {
      metric: `detection after the speech ends, real-time blocks (${v.detection.detected}/${v.detection.clips} clips detected) p50 / p95`,
      ours: d ? `${ms(d.p50, 0)} / ${ms(d.p95, 0)}` : 'n/a',
      baseline: '',
      ratio: '',
      target: '<= 300 ms p95',
      meets: d ? (d.p95 <= 300 ? 'yes' : 'no') : 'n/a',
    },
    {
      metric: `80 ms block to its scores, models on this device p50 / p95 (n=${v.offload.localMs.n})`,
      ours: `${ms(v.offload.localMs.p50)} / ${ms(v.offload.localMs.p95)}`,
      baseline: '',
      ratio: '',
      target: '',
      meets: '',
    },
    {
      metric: `the same, models on a room device over the mesh p50 / p95 (n=${v.offload.offloadMs.n})`,
      ours: `${ms(v.offload.offloadMs.p50)} / ${ms(v.offload.offloadMs.p95)}`,
      baseline: `${ms(v.offload.localMs.p50)} (here)`,
      ratio: `+${ms(v.offload.addedP50Ms)} p50, +${ms(v.offload.addedP95Ms)} p95`,
      target: 'offload adds <= 20 ms',
      meets: v.offload.addedP50Ms <= 20 ? 'yes' : 'no',
    },
    {
      metric: `CPU while listening (all of the browser's processes, ${v.cpu.windowSeconds} s)`,
      ours: `${v.cpu.listeningPercentOfOneCore}% of one core`,
      baseline: `${v.cpu.idlePercentOfOneCore}% (mic off, same page)`,
      ratio: '',
      target: '',
      meets: '',
    },
  ];
}
