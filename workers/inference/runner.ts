/**
 * How the voice pipeline runs a model, injected so that the same pipeline runs in the inference
 * worker (sessions from the engine, one run at a time per session) and in vitest under Node
 * (onnxruntime-web's wasm build on the files in node_modules).
 */
import type * as Ort from 'onnxruntime-web';

export type Feed =
  | { dtype: 'float32'; dims: readonly number[]; data: Float32Array }
  | { dtype: 'int64'; dims: readonly number[]; data: BigInt64Array };

/** Outputs by name. They may be views that the next run overwrites: copy what you keep. */
export type Outputs = Record<string, Float32Array>;

export interface ModelRunner {
  run(model: string, feeds: Record<string, Feed>): Promise<Outputs>;
}

export interface OrtSessionHandle {
  /** The module that created the session (the wasm and WebGPU builds have their own Tensor class). */
  ort: typeof Ort;
  session: Ort.InferenceSession;
}

/**
 * A runner over open onnxruntime-web sessions. `exclusive` serialises runs (ORT sessions are not
 * re-entrant, and runs of different sessions must not interleave either: see the engine's queue);
 * pass the engine's queue where other requests share the worker.
 */
export function ortRunner(
  sessionFor: (model: string) => OrtSessionHandle,
  exclusive: <T>(model: string, fn: () => Promise<T>) => Promise<T> = (_m, fn) => fn(),
): ModelRunner {
  return {
    async run(model, feeds) {
      const { ort, session } = sessionFor(model);
      const tensors: Record<string, Ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) {
        tensors[name] = f.dtype === 'float32' ? new ort.Tensor('float32', f.data, f.dims) : new ort.Tensor('int64', f.data, f.dims);
      }
      const results = await exclusive(model, () => session.run(tensors));
      const out: Outputs = {};
      for (const [name, t] of Object.entries(results)) {
        const data = (t as Ort.Tensor).data;
        if (data instanceof Float32Array) out[name] = data;
      }
      return out;
    },
  };
}
