/**
 * The speech-to-text models (Moonshine tiny, English), shipped as files in the npm package
 * `@moonshine-ai/moonshine-js` (MIT for its code and its English model). Only the two ONNX files
 * are used: the package's own runtime pulls `@huggingface/transformers` (package.json's
 * `overrides` replace it with an empty package) and a VAD we already ship. The tokenizer is
 * `llama-tokenizer-js` (MIT), imported by the inference worker (workers/inference/stt/tokenizer.ts).
 * Spread into MODELS by models/registry.ts; same rules: hash-pinned, served by the hub, cached.
 */
import type { ModelEntry, SampleSpec } from './registry.ts';

const PKG = '@moonshine-ai/moonshine-js';
const LICENCE_NOTE = 'Moonshine tiny (English), Useful Sensors / Moonshine AI, MIT licence (code and English model).';

/** Decoder shape facts (also in workers/inference/stt/moonshine.ts, checked by the tests). */
const LAYERS = 6;
const past: Record<string, SampleSpec> = {};
for (let l = 0; l < LAYERS; l++) {
  for (const part of ['decoder', 'encoder']) {
    for (const kv of ['key', 'value']) past[`past_key_values.${l}.${part}.${kv}`] = { dtype: 'float32', dims: [1, 8, 0, 36], fill: 'zeros' };
  }
}

export const STT_MODELS: readonly ModelEntry[] = [
  {
    name: 'moonshine_tiny_encoder',
    package: PKG,
    path: 'dist/model/tiny/quantized/encoder_model.onnx',
    sha256: 'c6fc4b7bc5af75c0591fd157a1f3829b533d18e9769a888fd95a62e470dd4f4a',
    bytes: 7937661,
    licence: 'MIT',
    licenceNote: LICENCE_NOTE,
    backends: ['wasm', 'webgpu'],
    // One second of audio at 16 kHz; outputs are hidden states of order 1.
    sample: { input_values: { dtype: 'float32', dims: [1, 16000], fill: 'noise', scale: 0.5 } },
    tolerance: 5e-2,
  },
  {
    name: 'moonshine_tiny_decoder',
    package: PKG,
    path: 'dist/model/tiny/quantized/decoder_model_merged.onnx',
    sha256: 'eed87831c3a6103534aae7d47a5d485025c659a1323901513961c39fe8a1a367',
    bytes: 20243286,
    licence: 'MIT',
    licenceNote: LICENCE_NOTE,
    backends: ['wasm', 'webgpu'],
    // The first step of a decode: the start token, no cache yet.
    sample: {
      input_ids: { dtype: 'int64', dims: [1, 1], fill: 'const', value: 1 },
      encoder_hidden_states: { dtype: 'float32', dims: [1, 40, 288], fill: 'noise', scale: 1 },
      use_cache_branch: { dtype: 'bool', dims: [1], fill: 'const', value: 0 },
      ...past,
    },
    // Logits of order 10: a quantized model's kernels differ by backend.
    tolerance: 1e-1,
  },
];
