/**
 * Speech to text offloaded over the mesh (part of the `stt` stage): a phone and a room device join
 * the room; the phone has each utterance transcribed on the room device (the command path: the
 * utterance sent whole in audio frames once it ended, `stt-open` … `stt-end`, the text back), and
 * the same clips transcribed in its own worker, interleaved, in the same run. Time from the end
 * of the utterance (the call) to its text on the phone. Measures and reports; never asserts.
 */
import type { Browser, Page } from '@playwright/test';
import type { TestHub } from '../tests/e2e/support/hub.ts';
import { summarize, type Summary } from './stats.ts';
import { newContext, waitFor } from './support.ts';
import { showView } from '../tests/e2e/support/shell.ts';

export interface SttOffloadResult {
  /** End of the utterance to its text on the phone, transcribed on the room device. */
  short: Summary;
  long: Summary;
  /** The same clips in the phone's own worker, same run. */
  hereShort: Summary;
  hereLong: Summary;
  /** Utterances whose text on the room device equals the phone's own. */
  sameText: number;
  clips: number;
}

type Handles = {
  osmose: { deviceId: string; members(): { peerId: string; direct: boolean }[]; sttOn(server: string, samples: number[], mode: 'free'): Promise<{ text: string; ms: number }> };
  osmoseInference: { transcribe(samples: Float32Array, options?: unknown): Promise<{ text: string }> };
};

const WASM = { silero_vad_v5: 'wasm', moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' };

async function joined(browser: Browser, hub: TestHub): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await page.goto(hub.joinUrl());
  await showView(page, 'voice');
  await page.getByTestId('voice-panel').waitFor({ timeout: 60_000 });
  return page;
}

export async function offloaded(browser: Browser, hub: TestHub, clips: number[][], shortIdx: Set<number>, repeats: number, log: (s: string) => void): Promise<SttOffloadResult> {
  const server = await joined(browser, hub);
  const phone = await joined(browser, hub);
  try {
    const serverId = await server.evaluate(() => (window as unknown as Handles).osmose.deviceId);
    await waitFor(() => phone.evaluate((id) => (window as unknown as Handles).osmose.members().some((m) => m.peerId === id && m.direct), serverId), 60_000, 'the phone to reach the room device over the mesh');
    const rows = await phone.evaluate(
      async ({ serverId, clips, repeats, backends }) => {
        const h = window as unknown as Handles;
        const here = async (x: number[]) => {
          const t0 = performance.now();
          const t = await h.osmoseInference.transcribe(Float32Array.from(x), { backends });
          return { text: t.text, ms: performance.now() - t0 };
        };
        // Warm both: the room device's models load on its first utterance, the phone's on its own.
        await h.osmose.sttOn(serverId, clips[0]!, 'free');
        await here(clips[0]!);
        const out: { clip: number; remote: number; local: number; same: boolean }[] = [];
        for (let r = 0; r < repeats; r++) {
          for (let i = 0; i < clips.length; i++) {
            const remote = await h.osmose.sttOn(serverId, clips[i]!, 'free');
            const local = await here(clips[i]!);
            out.push({ clip: i, remote: remote.ms, local: local.ms, same: remote.text === local.text });
          }
        }
        return out;
      },
      { serverId, clips, repeats, backends: WASM },
    );
    const pick = (short: boolean, k: 'remote' | 'local') => summarize(rows.filter((r) => shortIdx.has(r.clip) === short).map((r) => r[k]));
    const result = {
      short: pick(true, 'remote'),
      long: pick(false, 'remote'),
      hereShort: pick(true, 'local'),
      hereLong: pick(false, 'local'),
      sameText: rows.slice(0, clips.length).filter((r) => r.same).length,
      clips: clips.length,
    };
    log(`  stt: offloaded to a room device over the mesh: ~2 s p50/p95 ${result.short.p50}/${result.short.p95} ms, ~5-6 s ${result.long.p50}/${result.long.p95} ms; on the phone itself, same run: ${result.hereShort.p50}/${result.hereShort.p95}, ${result.hereLong.p50}/${result.hereLong.p95} ms; same text ${result.sameText}/${result.clips}`);
    return result;
  } finally {
    await phone.context().close().catch(() => undefined);
    await server.context().close().catch(() => undefined);
  }
}
