/**
 * How speech to text runs a model, injected like the wake pipeline's ModelRunner
 * (workers/inference/runner.ts), but with typed tensors both ways: the decoder takes int64 token ids
 * and a bool, and its key/value outputs (whose shapes grow every step) are fed back as inputs.
 * In the worker the sessions come from the engine (one run at a time per session); under Node in
 * vitest, onnxruntime-web's wasm build on the files in node_modules.
 */
import type * as Ort from 'onnxruntime-web';

export type Tensor =
  | { dtype: 'float32'; dims: readonly number[]; data: Float32Array }
  | { dtype: 'int64'; dims: readonly number[]; data: BigInt64Array }
  | { dtype: 'bool'; dims: readonly number[]; data: Uint8Array };

export interface TensorRunner {
  /**
   * Runs `model`; returns the outputs named in `fetch` (all of them when absent). Outputs are the
   * caller's to keep and may be fed back as inputs.
   */
  run(model: string, feeds: Record<string, Tensor>, fetch?: readonly string[]): Promise<Record<string, Tensor>>;
}

export interface SessionHandle {
  ort: typeof Ort;
  session: Ort.InferenceSession;
}

export function ortTensorRunner(
  sessionFor: (model: string) => SessionHandle,
  exclusive: <T>(model: string, fn: () => Promise<T>) => Promise<T> = (_m, fn) => fn(),
): TensorRunner {
  return {
    async run(model, feeds, fetch) {
      const { ort, session } = sessionFor(model);
      const inputs: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(t.dtype, t.data, t.dims);
      // Outputs left out of `fetch` are never copied out of wasm memory (the encoder's key/value
      // cache, the same at every step, is ~3 MB for 6 s of audio).
      const results = await exclusive(model, () => (fetch ? session.run(inputs, [...fetch]) : session.run(inputs)));
      const out: Record<string, Tensor> = {};
      for (const [name, value] of Object.entries(results)) {
        const t = value as Ort.Tensor;
        const data = t.data;
        const dims = [...t.dims];
        if (data instanceof Float32Array) out[name] = { dtype: 'float32', dims, data };
        else if (data instanceof BigInt64Array) out[name] = { dtype: 'int64', dims, data };
        else if (t.type === 'bool' && data instanceof Uint8Array) out[name] = { dtype: 'bool', dims, data };
      }
      return out;
    },
  };
}
