/**
 * Moonshine tiny's fixed facts: model names (as in models/stt.ts), tensor names and shapes, and
 * the token ids the decoder uses. Checked against the real files by tests/unit/stt/model.test.ts.
 */

export const ENCODER_MODEL = 'moonshine_tiny_encoder';
export const DECODER_MODEL = 'moonshine_tiny_decoder';
export const STT_SAMPLE_RATE = 16_000;

/** Decoder layers, key/value heads and head size (the merged decoder's past_key_values). */
export const LAYERS = 6;
export const KV_HEADS = 8;
export const HEAD_DIM = 36;
export const HIDDEN = 288;
export const VOCAB = 32_768;

export const START_TOKEN = 1;
export const END_TOKEN = 2;
/** Moonshine's own cap (moonshine-js): at most 6 tokens per second of audio. */
export const TOKENS_PER_SECOND = 6;

/**
 * The encoder's output has floor(floor(floor(n/64 - 127/64)/3)/2) - 1 frames: at least 1 from 895
 * samples. Shorter audio is padded with silence to a quarter of a second, which the model handles
 * better than a single frame.
 */
export const MIN_SAMPLES = 4_000;
/** Longest utterance transcribed in one piece (Moonshine was trained on segments up to ~30 s). */
export const MAX_SECONDS = 30;

export type KvPart = 'decoder' | 'encoder';
export const pastName = (layer: number, part: KvPart, kv: 'key' | 'value') => `past_key_values.${layer}.${part}.${kv}`;
export const presentName = (layer: number, part: KvPart, kv: 'key' | 'value') => `present.${layer}.${part}.${kv}`;

/** Every past_key_values input, in the model's order (layer, then decoder/encoder, then key/value). */
export const PAST_NAMES: readonly string[] = Array.from({ length: LAYERS }, (_, l) =>
  (['decoder', 'encoder'] as const).flatMap((part) => (['key', 'value'] as const).map((kv) => pastName(l, part, kv))),
).flat();

/** The most tokens a decode of `samples` may produce (the start token not counted). */
export function maxTokens(samples: number): number {
  return Math.max(4, Math.trunc((samples / STT_SAMPLE_RATE) * TOKENS_PER_SECOND));
}
