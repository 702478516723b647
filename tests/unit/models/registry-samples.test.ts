/**
 * Each model's registry sample (the input of the WebGPU-vs-wasm check) must fit the real model:
 * a wrong name or shape makes the check fail and leaves the model on wasm for a wrong reason.
 * Runs every model from node_modules (the face models as the build writes them) on onnxruntime-web's wasm backend under Node.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { MODELS } from '../../../models/registry.ts';
import { sampleInputs } from '../../../models/sample.ts';
import { modelBytes } from '../../../scripts/vite-plugin-models.ts';

ort.env.wasm.numThreads = 1;

describe('model registry samples', () => {
  for (const m of MODELS) {
    it(`${m.name}: the sample input runs`, async () => {
      const session = await ort.InferenceSession.create(modelBytes(m), { executionProviders: ['wasm'] });
      expect([...session.inputNames].sort()).toEqual(Object.keys(m.sample).sort());
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(sampleInputs(m.sample, 1))) {
        feeds[name] =
          t.dtype === 'int64' ? new ort.Tensor('int64', new BigInt64Array(t.data), t.dims)
          : t.dtype === 'bool' ? new ort.Tensor('bool', new Uint8Array(t.data), t.dims)
          : new ort.Tensor('float32', new Float32Array(t.data), t.dims);
      }
      const out = await session.run(feeds);
      for (const v of Object.values(out)) expect(Array.from(v.data as Float32Array).every(Number.isFinite)).toBe(true);
      await session.release();
    }, 60_000);
  }
});
