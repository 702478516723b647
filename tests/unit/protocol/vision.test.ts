/** The face messages of protocol/vision.ts, through the inference protocol's unions. */
import { describe, it, expect } from 'vitest';
import { validateMessage } from '../../../protocol/codec.ts';
import { InferenceRequest, InferenceResponse } from '../../../protocol/inference.ts';
import { VISION_LIMITS } from '../../../protocol/vision.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';

const v = PROTOCOL_VERSION;
const code = (r: ReturnType<typeof validateMessage>) => (r.ok ? 'ok' : r.error.code);
const frame = (width: number, height: number, bytes = width * height * 4) => ({ width, height, data: new ArrayBuffer(bytes) });
const detect = (f: unknown, extra: object = {}) => ({ t: 'faces-detect', v, id: 1, frame: f, backends: { tiny_face_detector: 'wasm' }, timeoutMs: 1000, ...extra });

describe('face messages', () => {
  it('a frame is RGBA bytes matching its size, within the pixel limit, as an ArrayBuffer', () => {
    expect(code(validateMessage(InferenceRequest, detect(frame(320, 240))))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, detect(frame(320, 240, 320 * 240 * 3))))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect(frame(0, 240, 0))))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect(frame(4096, 4096, 16))))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect({ width: 2, height: 1, data: [0, 0, 0, 0, 0, 0, 0, 0] })))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect({ width: 1.5, height: 1, data: new ArrayBuffer(6) })))).toBe('bad-request');
    const big = Math.floor(VISION_LIMITS.framePixels / 1000);
    expect(code(validateMessage(InferenceRequest, detect(frame(1000, big))))).toBe('ok');
  });

  it('options and backends are checked', () => {
    expect(code(validateMessage(InferenceRequest, detect(frame(4, 4), { options: { inputSize: 480, descriptors: true, match: true, maxFaces: 4 } })))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, detect(frame(4, 4), { options: { inputSize: 500 } })))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect(frame(4, 4), { options: { maxFaces: 1000 } })))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect(frame(4, 4), { backends: { tiny_face_detector: 'cuda' } })))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, detect(frame(4, 4), { backends: { silero_vad_v5: 'wasm' } })))).toBe('bad-request');
  });

  it('enrolment carries at most enrolShots frames; templates are 128-d descriptors under opaque ids', () => {
    const enrol = { t: 'faces-enrol', v, id: 2, shots: [frame(8, 8)], backends: {}, timeoutMs: 1000 };
    expect(code(validateMessage(InferenceRequest, enrol))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, { ...enrol, shots: [] }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...enrol, shots: Array.from({ length: VISION_LIMITS.enrolShots + 1 }, () => frame(8, 8)) }))).toBe('bad-request');
    const d = Array.from({ length: 128 }, () => 0.01);
    const templates = { t: 'faces-templates', v, id: 3, templates: [{ id: 'person-1', descriptors: [d, d] }] };
    expect(code(validateMessage(InferenceRequest, templates))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, { ...templates, templates: [] }))).toBe('ok');
    expect(code(validateMessage(InferenceRequest, { ...templates, templates: [{ id: 'a b', descriptors: [d] }] }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...templates, templates: [{ id: 'p', descriptors: [d.slice(1)] }] }))).toBe('bad-request');
    expect(code(validateMessage(InferenceRequest, { ...templates, templates: [{ id: 'p', descriptors: [] }] }))).toBe('bad-request');
  });

  it('answers: faces with optional landmarks, descriptor and match; enrolment verdicts', () => {
    const face = { box: { x: 1, y: 2, width: 30, height: 40 }, score: 0.8 };
    const ms = { prepare: 1, detect: 8, landmarks: 0, descriptors: 0 };
    expect(InferenceResponse.safeParse({ t: 'faces-found', v, id: 1, faces: [face], ms, runs: 1 }).success).toBe(true);
    expect(InferenceResponse.safeParse({ t: 'faces-found', v, id: 1, faces: [{ ...face, match: null }, { ...face, match: { id: 'p', distance: 0.3 } }], ms, runs: 3 }).success).toBe(true);
    expect(InferenceResponse.safeParse({ t: 'faces-found', v, id: 1, faces: [{ ...face, score: 2 }], ms, runs: 1 }).success).toBe(false);
    expect(InferenceResponse.safeParse({ t: 'faces-found', v, id: 1, faces: [{ ...face, landmarks: [1, 2] }], ms, runs: 1 }).success).toBe(false);
    expect(InferenceResponse.safeParse({ t: 'faces-enrolled', v, id: 1, shots: [{ verdict: 'ok', descriptor: Array(128).fill(0) }, { verdict: 'several-faces' }] }).success).toBe(true);
    expect(InferenceResponse.safeParse({ t: 'faces-enrolled', v, id: 1, shots: [{ verdict: 'maybe' }] }).success).toBe(false);
  });
});
