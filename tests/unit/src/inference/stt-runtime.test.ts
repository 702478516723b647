/** The page side of speech to text (InferenceRuntime.transcribe / openStt) against a fake worker. */
import { describe, it, expect } from 'vitest';
import { InferenceRuntime } from '../../../../src/inference/runtime.ts';
import { FakeWorker } from './fake-worker.ts';
import { STT_LIMITS } from '../../../../protocol/stt.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));
const loadMs = { fetch: 1, verify: 1, create: 1 };
const ms = { encode: 1, decode: 2, constrained: 0, total: 3 };

function setup() {
  const workers: FakeWorker[] = [];
  const rt = new InferenceRuntime({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    verdicts: null,
  });
  return { rt, workers };
}

/** Answers the chooser's probes (no WebGPU adapter: wasm without a check) until `t` is sent. */
async function until(workers: FakeWorker[], t: string): Promise<{ w: FakeWorker; req: Record<string, unknown> }> {
  const answered = new Set<unknown>();
  for (let i = 0; i < 40; i++) {
    await tick();
    const w = workers.at(-1);
    for (const s of w?.sent ?? []) {
      if (s.msg.t === 'probe' && !answered.has(s.msg.id)) {
        answered.add(s.msg.id);
        w!.answer({ t: 'probed', id: s.msg.id, crossOriginIsolated: false, threads: 1, adapter: null });
      }
    }
    const req = w?.sent.find((s) => s.msg.t === t)?.msg;
    if (req) return { w: w!, req };
  }
  throw new Error(`no ${t} sent`);
}

describe('InferenceRuntime speech to text', () => {
  it('transcribe sends a copy of the samples with the chooser\'s backends and returns the transcript', async () => {
    const { rt, workers } = setup();
    const samples = new Float32Array(16_000).fill(0.1);
    const p = rt.stt.transcribe(samples, { mode: 'command' });
    const { w, req } = await until(workers, 'stt-transcribe');
    expect(req).toMatchObject({ mode: 'command', backends: { moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' } });
    expect((req.samples as ArrayBuffer).byteLength).toBe(64_000);
    expect(samples[0]).toBeCloseTo(0.1); // the caller's array is untouched
    const transcript = { text: 'Pin that.', ms, runs: 4, free: { text: 'Pin that.', logProb: -1, tokens: 3, ended: true }, command: { kind: 'pin', text: 'Pin that.' } };
    w.answer({ t: 'stt-text', id: req.id, transcript });
    expect(await p).toEqual(transcript);
    await expect(rt.stt.transcribe(new Float32Array(STT_LIMITS.transcribeSamples + 1))).rejects.toMatchObject({ code: 'too-large' });
  });

  it('a stream: pushes answer with the utterances they close; flush; a crash loses the stream', async () => {
    const { rt, workers } = setup();
    const opening = rt.stt.open({ minSilenceMs: 300 });
    const { w, req } = await until(workers, 'stt-open');
    expect(req).toMatchObject({ options: { minSilenceMs: 300 }, backends: { silero_vad_v5: 'wasm', moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' } });
    w.answer({ t: 'stt-opened', id: req.id, stream: req.stream, load: { silero_vad_v5: loadMs } });
    const stream = await opening;

    const p = stream.push(new Float32Array(STT_LIMITS.pushSamples + 10));
    await tick();
    const audio = w.sent.filter((s) => s.msg.t === 'stt-audio');
    expect(audio).toHaveLength(2);
    w.answer({ t: 'stt-results', id: audio[0]!.msg.id, stream: stream.id, results: [], speaking: true, endSample: STT_LIMITS.pushSamples });
    const result = { start: 100, end: 16_000, text: 'Hello.', ms };
    w.answer({ t: 'stt-results', id: audio[1]!.msg.id, stream: stream.id, results: [result], speaking: false, endSample: STT_LIMITS.pushSamples + 10 });
    expect(await p).toEqual([result]);
    expect(stream.speaking).toBe(false);

    const f = stream.flush();
    await tick();
    w.answer({ t: 'stt-results', id: w.last('stt-flush').id, stream: stream.id, results: [], speaking: false, endSample: 1 });
    expect(await f).toEqual([]);

    const pending = stream.push(new Float32Array(10));
    await tick();
    w.crash();
    await expect(pending).rejects.toMatchObject({ code: 'worker-crashed' });
    expect((await stream.lost).code).toBe('worker-crashed');
    await expect(stream.push(new Float32Array(10))).rejects.toMatchObject({ code: 'worker-crashed' });
  });
});
