import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validateMessage } from '../../../protocol/codec.ts';
import { InferenceRequest, InferenceResponse, WireTensor, transferList } from '../../../protocol/inference.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';
import { ERROR_CODES } from '../../../protocol/errors.ts';

const v = PROTOCOL_VERSION;
const f32 = (n: number) => new Float32Array(n).buffer;

describe('inference messages', () => {
  it('accepts a well-formed run request with tensors of every dtype', () => {
    const r = validateMessage(InferenceRequest, {
      t: 'run', v, id: 3, model: 'silero_vad_v5', backend: 'wasm', timeoutMs: 1000,
      inputs: { input: { dtype: 'float32', dims: [1, 512], data: f32(512) }, sr: { dtype: 'int64', dims: [], data: new BigInt64Array(1).buffer }, m: { dtype: 'bool', dims: [2], data: new ArrayBuffer(2) } },
    });
    expect(r.ok).toBe(true);
  });

  it('refuses a tensor whose bytes do not match its dims, an unknown type, and another version', () => {
    const bad = validateMessage(InferenceRequest, { t: 'run', v, id: 1, model: 'm', backend: 'wasm', timeoutMs: 10, inputs: { x: { dtype: 'float32', dims: [1, 512], data: f32(511) } } });
    expect(bad.ok || bad.error.code).toBe('bad-request');
    const unknown = validateMessage(InferenceRequest, { t: 'train', v, id: 1 });
    expect(unknown.ok || unknown.error.code).toBe('unknown-type');
    const version = validateMessage(InferenceRequest, { t: 'probe', v: 99, id: 1 });
    expect(version.ok || version.error.code).toBe('protocol-version');
    const backend = validateMessage(InferenceRequest, { t: 'load', v, id: 1, model: 'm', backend: 'webgl', timeoutMs: 10 });
    expect(backend.ok || backend.error.code).toBe('bad-request');
    const path = validateMessage(InferenceRequest, { t: 'load', v, id: 1, model: '../etc/passwd', backend: 'wasm', timeoutMs: 10 });
    expect(path.ok || path.error.code).toBe('bad-request');
  });

  it('refuses a tensor over the size limit before reading it', () => {
    expect(WireTensor.safeParse({ dtype: 'uint8', dims: [17 * 1024 * 1024], data: new ArrayBuffer(17 * 1024 * 1024) }).success).toBe(false);
  });

  it('errors carry only known codes', () => {
    expect(InferenceResponse.safeParse({ t: 'error', v, id: 1, error: { code: 'model-integrity', message: 'x' } }).success).toBe(true);
    expect(InferenceResponse.safeParse({ t: 'error', v, id: 1, error: { code: 'oops', message: 'x' } }).success).toBe(false);
    for (const c of ['model-integrity', 'model-unavailable', 'backend-unavailable', 'inference-failed', 'worker-crashed', 'timeout']) expect(ERROR_CODES).toContain(c);
  });

  it('lists each buffer once for transfer', () => {
    const b = f32(4);
    expect(transferList({ a: { dtype: 'float32', dims: [4], data: b }, b: { dtype: 'float32', dims: [2, 2], data: b } })).toEqual([b]);
  });

  it('fuzz: never throws, and whatever passes has consistent tensors', () => {
    const dtype = fc.constantFrom('float32', 'int64', 'int32', 'uint8', 'int8', 'bool', 'float16', 7);
    const tensor = fc.record({ dtype, dims: fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 4 }), data: fc.integer({ min: 0, max: 800 }).map((n) => new ArrayBuffer(n)) });
    const msg = fc.record(
      {
        t: fc.constantFrom('load', 'run', 'unload', 'compare-backends', 'probe', 'crash', 'nope', 3),
        v: fc.constantFrom(v, 0, '1'),
        id: fc.oneof(fc.nat(), fc.constant(-1), fc.double()),
        model: fc.oneof(fc.constantFrom('silero_vad_v5', 'melspectrogram'), fc.string({ maxLength: 80 })),
        backend: fc.constantFrom('wasm', 'webgpu', 'cpu'),
        timeoutMs: fc.integer({ min: -5, max: 200_000 }),
        inputs: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tensor, { maxKeys: 3 }),
      },
      { requiredKeys: ['t'] },
    );
    fc.assert(
      fc.property(fc.oneof(msg, fc.anything()), (m) => {
        const r = validateMessage(InferenceRequest, m);
        if (r.ok && r.value.t === 'run') {
          for (const t of Object.values(r.value.inputs)) {
            const per = { float32: 4, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1 }[t.dtype];
            expect(t.dims.reduce((a, b) => a * b, 1) * per).toBe(t.data.byteLength);
          }
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
