/**
 * Speech to text in real Chromium, in the inference worker: Moonshine's files come from the hub
 * only (hash-checked), a command after a wake word is transcribed and parsed (constrained when the
 * free text is no command), and a stream cuts two utterances apart and answers each with its text.
 */
import { test as base, expect } from '@playwright/test';
import { TestHub } from './support/hub.ts';
import { appCopy, infer } from './support/inference.ts';
import { VOICE_DIR } from './support/voice.ts';
import { readWav } from '../unit/workers/inference/wake/node-models.ts';
import { commandClips } from '../support/stt-fixtures.ts';

let appDir: string | null = null;
const test = base.extend<{ hub: TestHub }>({
  hub: async ({}, use, testInfo) => {
    appDir ??= appCopy('stt');
    const hub = new TestHub('stt', { args: ['--app-dir', appDir] });
    await hub.start();
    await use(hub);
    await hub.stop();
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('hub output', { body: hub.output, contentType: 'text/plain' });
  },
});

const WASM = { silero_vad_v5: 'wasm', moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' };
const speechOf = (samples: Float32Array, s: { start: number; end: number }) => Array.from(samples.slice(Math.round((s.start - 0.25) * 16_000), Math.round((s.end + 0.25) * 16_000)));

test('a spoken command is transcribed and parsed in the worker; a stream answers each utterance; models only from the hub', async ({ browser, hub }) => {
  test.setTimeout(240_000);
  const clips = commandClips(VOICE_DIR).filter((c) => c.voice === 'en-us');
  const timer = clips.find((c) => c.command.kind === 'timer' && c.command.seconds === 5400)!;
  const who = clips.find((c) => c.command.kind === 'who-is-here')!;
  const context = await browser.newContext();
  const page = await context.newPage();
  const foreign: string[] = [];
  const models: string[] = [];
  context.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(hub.origin + '/') && !/^(data|blob):/.test(url)) foreign.push(url);
    if (url.includes('/models/moonshine')) models.push(new URL(url).pathname);
  });
  await page.goto(`${hub.origin}/`);
  await page.waitForFunction(() => 'osmoseInference' in window);

  const t = (await infer(page, 'transcribe', speechOf(readWav(timer.file).samples, timer.speech!), { mode: 'command', backends: WASM })) as { text: string; command: unknown; free: { text: string } };
  console.log(JSON.stringify(t));
  expect(t.command).toMatchObject({ kind: 'timer', seconds: 5400 });

  // Two utterances in one stream, pushed in 80 ms blocks: each answered with its text and where it was.
  const a = readWav(timer.file).samples;
  const b = readWav(who.file).samples;
  const audio = [...a, ...b, ...new Float32Array(16_000)];
  const results = await page.evaluate(
    async ({ audio, backends }) => {
      const h = (window as unknown as { osmoseInference: { sttOpen(o: unknown): Promise<{ id: string }>; sttPush(id: string, s: Float32Array): Promise<{ results: { start: number; end: number; text: string; command?: { kind: string } }[] }>; sttClose(id: string): Promise<void> } }).osmoseInference;
      const s = await h.sttOpen({ backends, mode: 'command' });
      const x = Float32Array.from(audio);
      const out = [];
      for (let at = 0; at < x.length; at += 1280) out.push(...(await h.sttPush(s.id, x.slice(at, at + 1280))).results);
      await h.sttClose(s.id);
      return out;
    },
    { audio, backends: WASM },
  );
  console.log(JSON.stringify(results));
  expect(results.map((r) => r.command?.kind)).toEqual(['timer', 'who-is-here']);
  expect(results[0]!.start / 16_000).toBeCloseTo(timer.speech!.start, 0);
  expect(results[1]!.start / 16_000).toBeGreaterThan(a.length / 16_000);

  expect(foreign).toEqual([]);
  expect(new Set(models)).toEqual(new Set(['/models/moonshine_tiny_encoder.onnx', '/models/moonshine_tiny_decoder.onnx']));
  await context.close();
});
