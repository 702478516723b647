/** Speech-to-text messages: valid ones pass, hostile ones are refused before anything reads them. */
import { describe, it, expect } from 'vitest';
import { InferenceRequest, InferenceResponse } from '../../../protocol/inference.ts';
import { STT_LIMITS } from '../../../protocol/stt.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';

const v = PROTOCOL_VERSION;
const backends = { moonshine_tiny_encoder: 'wasm', moonshine_tiny_decoder: 'wasm' };
const ok = (m: object) => InferenceRequest.safeParse(m).success;
const ms = { encode: 1, decode: 1, constrained: 0, total: 2 };

describe('speech-to-text messages', () => {
  it('accepts the requests and answers the worker uses', () => {
    expect(ok({ t: 'stt-open', v, id: 1, stream: 'stt-1', backends: { ...backends, silero_vad_v5: 'wasm' }, options: { minSilenceMs: 400, mode: 'command' }, timeoutMs: 1000 })).toBe(true);
    expect(ok({ t: 'stt-audio', v, id: 2, stream: 'stt-1', samples: new ArrayBuffer(1280 * 4), timeoutMs: 1000 })).toBe(true);
    expect(ok({ t: 'stt-flush', v, id: 3, stream: 'stt-1', timeoutMs: 1000 })).toBe(true);
    expect(ok({ t: 'stt-close', v, id: 4, stream: 'stt-1' })).toBe(true);
    expect(ok({ t: 'stt-transcribe', v, id: 5, samples: new ArrayBuffer(16_000 * 4), backends, mode: 'command', timeoutMs: 1000 })).toBe(true);
    const results = { t: 'stt-results', v, id: 2, stream: 'stt-1', speaking: false, endSample: 32_000, results: [{ start: 10, end: 20, text: 'Pin that.', ms, command: { kind: 'pin', text: 'Pin that.' } }] };
    expect(InferenceResponse.safeParse(results).success).toBe(true);
    const text = { t: 'stt-text', v, id: 5, transcript: { text: 'x', ms, runs: 3, free: { text: 'x', logProb: -1, tokens: 1, ended: true }, command: { kind: 'unknown', text: 'x' }, constrained: null } };
    expect(InferenceResponse.safeParse(text).success).toBe(true);
  });

  it('refuses oversized or broken audio, a wrong version, unknown modes and bad stream names', () => {
    expect(ok({ t: 'stt-audio', v, id: 1, stream: 's', samples: new ArrayBuffer((STT_LIMITS.pushSamples + 1) * 4), timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-audio', v, id: 1, stream: 's', samples: new ArrayBuffer(6), timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-audio', v, id: 1, stream: 's', samples: new Float32Array(4), timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-transcribe', v, id: 1, samples: new ArrayBuffer((STT_LIMITS.transcribeSamples + 1) * 4), backends, mode: 'free', timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-transcribe', v, id: 1, samples: new ArrayBuffer(4), backends, mode: 'guess', timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-transcribe', v: v + 1, id: 1, samples: new ArrayBuffer(4), backends, mode: 'free', timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-open', v, id: 1, stream: '../x', backends, timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-open', v, id: 1, stream: 's', backends: { moonshine_tiny_encoder: 'cuda' }, timeoutMs: 1000 })).toBe(false);
    expect(ok({ t: 'stt-open', v, id: 1, stream: 's', backends, options: { minSilenceMs: 10 }, timeoutMs: 1000 })).toBe(false);
    const long = 'x'.repeat(STT_LIMITS.textChars + 1);
    expect(InferenceResponse.safeParse({ t: 'stt-results', v, id: 1, stream: 's', speaking: false, endSample: 0, results: [{ start: 0, end: 1, text: long, ms }] }).success).toBe(false);
    expect(InferenceResponse.safeParse({ t: 'stt-results', v, id: 1, stream: 's', speaking: false, endSample: 0, results: [{ start: 0, end: 1, text: 'x', ms, command: { kind: 'timer', seconds: -5, text: 'x' } }] }).success).toBe(false);
  });
});
