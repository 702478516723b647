/** Warming up: the one-node model ORT starts on, the engine's warm-up, and runtime.warmWake. */
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-web';
import { warmModel, WARM_MODEL_INPUT } from '../../../../workers/inference/warm-model.ts';
import { InferenceEngine, type EngineDeps } from '../../../../workers/inference/engine.ts';
import { InferenceRuntime, type WorkerLike } from '../../../../src/inference/runtime.ts';
import { modelsFor } from '../../../../workers/inference/wake/models.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';

ort.env.wasm.numThreads = 1;

function engineWith(loadOrt: EngineDeps['loadOrt']): InferenceEngine {
  return new InferenceEngine({
    loadOrt,
    fetchModel: () => Promise.reject(new Error('no models in this test')),
    adapterInfo: async () => null,
    crossOriginIsolated: false,
    threads: 1,
    now: () => performance.now(),
  });
}

describe('warming up ORT', () => {
  it('the built-in model is a valid ONNX model: y = x', async () => {
    const s = await ort.InferenceSession.create(warmModel(), { executionProviders: ['wasm'] });
    expect([...s.inputNames]).toEqual([WARM_MODEL_INPUT]);
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(3.5), [1]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3.5]);
    await s.release();
  });

  it('the engine warms each backend once, and a failed warm-up is tried again', async () => {
    let calls = 0;
    let fail = true;
    const engine = engineWith(async () => {
      calls++;
      if (fail) throw new Error('hub away');
      return ort as never;
    });
    await expect(engine.warmUp('wasm')).rejects.toThrow(/hub away/);
    fail = false;
    const [a, b] = await Promise.all([engine.warmUp('wasm'), engine.warmUp('wasm')]);
    expect(a).toBe(b);
    expect(a).toBeGreaterThanOrEqual(0);
    await engine.warmUp();
    expect(calls).toBe(2);
  });
});

describe('runtime.warmWake', () => {
  it('starts the worker and loads every model of the stream at once, on the backends given', async () => {
    const sent: Record<string, unknown>[] = [];
    let w: WorkerLike | null = null;
    let started = 0;
    const rt = new InferenceRuntime({
      verdicts: null,
      createWorker: () => {
        started++;
        w = {
          onmessage: null,
          onerror: null,
          onmessageerror: null,
          terminate() {},
          postMessage(msg: unknown) {
            const m = msg as Record<string, unknown>;
            sent.push(m);
            // Answer each load as the worker would.
            queueMicrotask(() =>
              w!.onmessage?.({
                data: { t: 'loaded', v: PROTOCOL_VERSION, id: m.id, model: m.model, backend: m.backend, sha256: '0'.repeat(64), bytes: 1, inputNames: [], outputNames: [], ms: { fetch: 0, verify: 0, create: 0 } },
              } as MessageEvent),
            );
          },
        };
        return w;
      },
    });
    const models = modelsFor(['hey_jarvis_v0.1']);
    await rt.warmWake(['hey_jarvis_v0.1'], { backends: Object.fromEntries(models.map((m) => [m, 'wasm' as const])) });
    expect(sent.map((m) => m.t)).toEqual(models.map(() => 'load'));
    expect(sent.map((m) => m.model).sort()).toEqual([...models].sort());
    expect(started).toBe(1);
    rt.dispose();
  });
});
