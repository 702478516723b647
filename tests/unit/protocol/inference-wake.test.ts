/** The wake-stream messages of protocol/inference.ts: limits are checked before anything is read. */
import { describe, it, expect } from 'vitest';
import { validateMessage } from '../../../protocol/codec.ts';
import { INFERENCE_LIMITS, InferenceRequest, InferenceResponse } from '../../../protocol/inference.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';

const v = PROTOCOL_VERSION;
const code = (r: ReturnType<typeof validateMessage>) => (r.ok ? 'ok' : r.error.code);
const audio = (bytes: number, stream = 'local') => ({ t: 'wake-audio', v, id: 1, stream, samples: new ArrayBuffer(bytes), timeoutMs: 1000 });

describe('wake stream messages', () => {
  it('audio: whole float32 samples, at most wakeSamples, as an ArrayBuffer', () => {
    expect(code(validateMessage(InferenceRequest, audio(1280 * 4)))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, audio(INFERENCE_LIMITS.wakeSamples * 4)))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, audio(INFERENCE_LIMITS.wakeSamples * 4 + 4)))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, audio(6)))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...audio(8), samples: [0, 0] }))).toBe('bad-request');
  });

  it('stream names are short and plain; open lists phrases and backends', () => {
    expect(code(validateMessage(InferenceRequest, audio(4, 'remote:device-12.a_b')))).toBe('ok');
    for (const bad of ['', 'a b', '../x', 'x'.repeat(65)]) expect(code(validateMessage(InferenceRequest, audio(4, bad)))).toBe('bad-request');
    const open = { t: 'wake-open', v, id: 2, stream: 's', phrases: ['hey_jarvis_v0.1'], backends: { silero_vad_v5: 'wasm' }, timeoutMs: 1000 };
    expect(code(validateMessage(InferenceRequest, open))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, { ...open, phrases: [] }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...open, backends: { silero_vad_v5: 'cuda' } }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...open, options: { vadGate: 2 } }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...open, options: { lazyEmbeddings: false } }))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, { ...open, options: { lazyEmbeddings: 'no' } }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { t: 'wake-close', v, id: 3, stream: 's' }))).toBe('ok');
  });

  it('scores carry steps with per-stage times; optional per-class scores', () => {
    const step = { endSample: 1280, vad: 0.1, speech: false, scores: { 'timer_v0.1': 0.2 }, classes: { 'timer_v0.1': { '5_minute_timer': 0.2 } }, ms: { vad: 1, mel: 1, embedding: 3, classifier: 0.1 } };
    expect(InferenceResponse.safeParse({ t: 'wake-scores', v, id: 1, stream: 's', steps: [step] }).success).toBe(true);
    expect(InferenceResponse.safeParse({ t: 'wake-scores', v, id: 1, stream: 's', steps: [{ ...step, ms: { vad: 1 } }] }).success).toBe(false);
    // How many embeddings a (lazy) step ran: 0 to the largest classifier window.
    expect(InferenceResponse.safeParse({ t: 'wake-scores', v, id: 1, stream: 's', steps: [{ ...step, embeddings: 0 }, { ...step, embeddings: 34 }] }).success).toBe(true);
    expect(InferenceResponse.safeParse({ t: 'wake-scores', v, id: 1, stream: 's', steps: [{ ...step, embeddings: -1 }] }).success).toBe(false);
    expect(InferenceResponse.safeParse({ t: 'wake-opened', v, id: 1, stream: 's', load: { silero_vad_v5: { fetch: 1, verify: 1, create: 1 } }, prepareMs: 5 }).success).toBe(true);
  });
});
