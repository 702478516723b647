/** Speech to text through the worker's engine, on the real models under Node (wasm, one thread). */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import crypto from 'node:crypto';
import * as ort from 'onnxruntime-web';
import { InferenceEngine } from '../../../../../workers/inference/engine.ts';
import { PROTOCOL_VERSION } from '../../../../../protocol/version.ts';
import type { InferenceRequest, InferenceResponse } from '../../../../../protocol/inference.ts';
import { modelFile, readWav } from '../wake/node-models.ts';
import { voiceToolsMissing } from '../../../../support/voice-fixtures.ts';
import { commandClips } from '../../../../support/stt-fixtures.ts';
import { CLIP_DIR, speechOf } from './node-stt.ts';

const v = PROTOCOL_VERSION;
type Body = InferenceRequest extends infer R ? (R extends unknown ? Omit<R, 'v' | 'id'> : never) : never;
let engine: InferenceEngine;
let nextId = 1;
const ask = async (body: Body): Promise<InferenceResponse> => (await engine.handle({ ...body, v, id: nextId++ } as InferenceRequest)).message;
const code = (r: InferenceResponse) => (r.t === 'error' ? r.error.code : r.t);
const WASM = { silero_vad_v5: 'wasm', moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' } as const;

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  engine = new InferenceEngine({
    loadOrt: async () => ort as never,
    fetchModel: async (entry) => {
      const bytes = new Uint8Array(fs.readFileSync(modelFile(entry.name)));
      return { bytes, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), from: 'network', ms: { fetch: 0, verify: 0 } };
    },
    adapterInfo: async () => null,
    crossOriginIsolated: false,
    threads: 1,
    now: () => performance.now(),
  });
});

describe.skipIf(voiceToolsMissing().length > 0)('speech to text in the engine', () => {
  it('a stream cuts two commands apart with the VAD and answers each with its text, start, end and command', { timeout: 180_000 }, async () => {
    const clips = commandClips(CLIP_DIR).filter((c) => c.voice === 'en' && (c.command.kind === 'timer' || c.command.kind === 'who-is-here'));
    const a = clips.find((c) => c.command.kind === 'timer' && c.command.seconds === 420)!;
    const b = clips.find((c) => c.command.kind === 'who-is-here')!;
    const first = readWav(a.file).samples;
    const second = readWav(b.file).samples;
    const audio = new Float32Array(first.length + second.length + 16_000);
    audio.set(first);
    audio.set(second, first.length);
    expect(code(await ask({ t: 'stt-open', stream: 'mic', backends: WASM, options: { mode: 'command' }, timeoutMs: 60_000 }))).toBe('stt-opened');
    const answers: InferenceResponse[] = [];
    for (let at = 0; at < audio.length; at += 1280) answers.push(await ask({ t: 'stt-audio', stream: 'mic', samples: audio.slice(at, at + 1280).buffer, timeoutMs: 60_000 }));
    const results = answers.flatMap((r) => (r.t === 'stt-results' ? r.results : []));
    console.log(results.map((r) => `${r.start}-${r.end} ${JSON.stringify(r.text)} ${r.command?.kind}`).join('\n'));
    expect(results).toHaveLength(2);
    const [x, y] = results;
    // Within a VAD chunk or two of where the clips say the speech is.
    expect(Math.abs(x!.start / 16_000 - a.speech!.start)).toBeLessThan(0.2);
    expect(Math.abs(x!.end / 16_000 - a.speech!.end)).toBeLessThan(0.3);
    expect(Math.abs(y!.start / 16_000 - (first.length / 16_000 + b.speech!.start))).toBeLessThan(0.2);
    expect(x!.command).toMatchObject({ kind: 'timer', seconds: 420 });
    expect(y!.command).toMatchObject({ kind: 'who-is-here' });
    expect(code(await ask({ t: 'unload', model: 'moonshine_tiny_decoder' }))).toBe('bad-request');
    expect(code(await ask({ t: 'stt-close', stream: 'mic' }))).toBe('stt-closed');
    expect(code(await ask({ t: 'stt-audio', stream: 'mic', samples: new Float32Array(4).buffer, timeoutMs: 1000 }))).toBe('not-found');
  });

  it('flush ends the utterance in progress; one-shot transcription gives the free and the command text', { timeout: 120_000 }, async () => {
    const c = commandClips(CLIP_DIR).find((x) => x.voice === 'en-us' && x.command.kind === 'timer' && x.command.seconds === 5400)!;
    const wav = readWav(c.file).samples;
    const cut = wav.slice(0, Math.round(c.speech!.end * 16_000));
    expect(code(await ask({ t: 'stt-open', stream: 's2', backends: WASM, timeoutMs: 60_000 }))).toBe('stt-opened');
    const pushed = await ask({ t: 'stt-audio', stream: 's2', samples: cut.slice().buffer, timeoutMs: 60_000 });
    expect(pushed).toMatchObject({ t: 'stt-results', results: [], speaking: true, endSample: cut.length });
    const flushed = await ask({ t: 'stt-flush', stream: 's2', timeoutMs: 60_000 });
    expect(flushed.t === 'stt-results' && flushed.results.length).toBe(1);
    expect(flushed).toMatchObject({ speaking: false });
    await ask({ t: 'stt-close', stream: 's2' });

    const once = await ask({ t: 'stt-transcribe', samples: speechOf(wav, c.speech!).buffer, backends: WASM, mode: 'command', timeoutMs: 60_000 });
    expect(once.t).toBe('stt-text');
    if (once.t !== 'stt-text') return;
    console.log(JSON.stringify(once.transcript));
    expect(once.transcript.command).toMatchObject({ kind: 'timer', seconds: 5400 });
    expect(once.transcript.free.text.length).toBeGreaterThan(0);
  });

  it('refuses missing backends, a name in use, and audio that is not whole samples', { timeout: 60_000 }, async () => {
    expect(code(await ask({ t: 'stt-open', stream: 'x', backends: { silero_vad_v5: 'wasm' }, timeoutMs: 1000 }))).toBe('bad-request');
    expect(code(await ask({ t: 'stt-open', stream: 'x', backends: WASM, timeoutMs: 60_000 }))).toBe('stt-opened');
    expect(code(await ask({ t: 'stt-open', stream: 'x', backends: WASM, timeoutMs: 60_000 }))).toBe('bad-request');
    expect(code(await ask({ t: 'stt-close', stream: 'x' }))).toBe('stt-closed');
    expect(code(await ask({ t: 'stt-transcribe', samples: new Float32Array(8000).buffer, backends: { moonshine_tiny_encoder: 'wasm' }, mode: 'free', timeoutMs: 1000 }))).toBe('bad-request');
  });
});
