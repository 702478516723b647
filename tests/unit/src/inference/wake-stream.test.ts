/** The page-side wake stream (InferenceRuntime.openWake) against a fake worker. */
import { describe, it, expect } from 'vitest';
import { InferenceRuntime } from '../../../../src/inference/runtime.ts';
import { FakeWorker } from './fake-worker.ts';
import { INFERENCE_LIMITS } from '../../../../protocol/inference.ts';



const tick = () => new Promise((r) => setTimeout(r, 0));
const step = (endSample: number, score: number) => ({ endSample, vad: 0.9, speech: true, scores: { 'hey_jarvis_v0.1': score }, ms: { vad: 1, mel: 1, embedding: 4, classifier: 0.1 } });
const loadMs = { fetch: 1, verify: 1, create: 1 };

function setup() {
  const workers: FakeWorker[] = [];
  const rt = new InferenceRuntime({
    verdicts: null,
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
  });
  return { rt, workers };
}

async function open(rt: InferenceRuntime, workers: FakeWorker[], phrases = ['hey_jarvis_v0.1']) {
  const opens = () => workers.flatMap((w) => w.sent).filter((s) => s.msg.t === 'wake-open').length;
  const before = opens();
  const p = rt.openWake(phrases);
  const answered = new Set<unknown>();
  for (let i = 0; i < 20 && opens() === before; i++) {
    await tick();
    // No WebGPU adapter here: the chooser picks wasm without checking.
    const w = workers.at(-1);
    for (const s of w?.sent ?? []) {
      if (s.msg.t === 'probe' && !answered.has(s.msg.id)) {
        answered.add(s.msg.id);
        w!.answer({ t: 'probed', id: s.msg.id, crossOriginIsolated: false, threads: 1, adapter: null });
      }
    }
  }
  const w = workers.at(-1)!;
  const req = w.last('wake-open');
  w.answer({ t: 'wake-opened', id: req.id, stream: req.stream, load: Object.fromEntries(Object.keys(req.backends as object).map((m) => [m, loadMs])), prepareMs: 3 });
  return { stream: await p, req, w };
}

describe('InferenceRuntime.openWake', () => {
  it('asks for every model of the pipeline with the chooser\'s backend; pushes transfer a copy and return the steps', async () => {
    const { rt, workers } = setup();
    const { stream, req, w } = await open(rt, workers, ['hey_jarvis_v0.1', 'timer_v0.1']);
    expect(req.backends).toEqual({ silero_vad_v5: 'wasm', melspectrogram: 'wasm', embedding_window: 'wasm', embedding_step: 'wasm', 'hey_jarvis_v0.1': 'wasm', 'timer_v0.1': 'wasm' });
    expect(stream.backends.silero_vad_v5).toBe('wasm');
    expect(stream.prepareMs).toBe(3);

    const samples = new Float32Array(1280).fill(0.25);
    const p = stream.push(samples);
    await tick();
    const sent = w.sent.at(-1)!;
    expect(sent.msg).toMatchObject({ t: 'wake-audio', stream: stream.id });
    expect(sent.transfer).toHaveLength(1);
    expect(samples[0]).toBe(0.25); // the caller's array is untouched (a copy was transferred)
    w.answer({ t: 'wake-scores', id: sent.msg.id, stream: stream.id, steps: [step(1280, 0.7)] });
    expect(await p).toEqual([step(1280, 0.7)]);
  });

  it('splits a push longer than one message into several, in order, and joins their steps', async () => {
    const { rt, workers } = setup();
    const { stream, w } = await open(rt, workers);
    const n = INFERENCE_LIMITS.wakeSamples * 2 + 100;
    const p = stream.push(new Float32Array(n));
    await tick();
    const audio = w.sent.filter((s) => s.msg.t === 'wake-audio');
    expect(audio.map((s) => (s.msg.samples as ArrayBuffer).byteLength / 4)).toEqual([INFERENCE_LIMITS.wakeSamples, INFERENCE_LIMITS.wakeSamples, 100]);
    audio.forEach((s, i) => w.answer({ t: 'wake-scores', id: s.msg.id, stream: stream.id, steps: [step(i, i)] }));
    expect((await p).map((s) => s.endSample)).toEqual([0, 1, 2]);
    expect(await stream.push(new Float32Array(0))).toEqual([]);
  });

  it('several streams at once; the worker\'s error codes come through', async () => {
    const { rt, workers } = setup();
    const a = await open(rt, workers);
    const b = await open(rt, workers, ['alexa_v0.1']);
    expect(a.stream.id).not.toBe(b.stream.id);
    const p = b.stream.push(new Float32Array(10));
    await tick();
    const w = workers[0]!;
    w.answer({ t: 'error', id: w.sent.at(-1)!.msg.id, error: { code: 'inference-failed', message: 'x' } });
    await expect(p).rejects.toMatchObject({ code: 'inference-failed' });
  });

  it('after a worker crash, pushes reject with worker-crashed and `lost` says so; reopening uses a new worker', async () => {
    const { rt, workers } = setup();
    const { stream, w } = await open(rt, workers);
    const inFlight = stream.push(new Float32Array(1280));
    await tick();
    w.crash();
    await expect(inFlight).rejects.toMatchObject({ code: 'worker-crashed' });
    await expect(stream.lost).resolves.toMatchObject({ code: 'worker-crashed' });
    await expect(stream.push(new Float32Array(1280))).rejects.toMatchObject({ code: 'worker-crashed' });
    expect(workers).toHaveLength(1); // a dead stream does not start a worker
    const again = await open(rt, workers, [...stream.phrases]);
    expect(workers).toHaveLength(2);
    expect(again.stream.id).not.toBe(stream.id);
  });

  it('close frees the stream in the worker once; later pushes are cancelled; unknown phrases are refused', async () => {
    const { rt, workers } = setup();
    const { stream, w } = await open(rt, workers);
    const c = stream.close();
    await tick();
    const req = w.last('wake-close');
    w.answer({ t: 'wake-closed', id: req.id, stream: stream.id });
    await c;
    await stream.close();
    expect(w.sent.filter((s) => s.msg.t === 'wake-close')).toHaveLength(1);
    await expect(stream.push(new Float32Array(1))).rejects.toMatchObject({ code: 'cancelled' });
    await expect(rt.openWake(['ok_google'])).rejects.toMatchObject({ code: 'model-unavailable' });
    await expect(rt.openWake([])).rejects.toMatchObject({ code: 'bad-request' });
  });
});
