/** Moonshine's fixed facts (workers/inference/stt/moonshine.ts) against the real files; the tokenizer. */
import { describe, it, expect } from 'vitest';
import { session } from '../wake/node-models.ts';
import { DECODER_MODEL, ENCODER_MODEL, LAYERS, PAST_NAMES, presentName, VOCAB, KV_HEADS, HEAD_DIM, HIDDEN } from '../../../../../workers/inference/stt/moonshine.ts';
import { loadTokenizer } from '../../../../../workers/inference/stt/tokenizer.ts';
import { findModel } from '../../../../../models/registry.ts';

describe('Moonshine tiny', () => {
  it('the encoder and the merged decoder have the tensors the decoder loop feeds and reads', async () => {
    const enc = (await session(ENCODER_MODEL)).session;
    expect([...enc.inputNames]).toEqual(['input_values']);
    expect([...enc.outputNames]).toEqual(['last_hidden_state']);
    const dec = (await session(DECODER_MODEL)).session;
    expect([...dec.inputNames]).toEqual(['input_ids', 'encoder_hidden_states', ...PAST_NAMES, 'use_cache_branch']);
    expect(PAST_NAMES).toHaveLength(LAYERS * 4);
    expect([...dec.outputNames]).toEqual(['logits', ...PAST_NAMES.map((n) => n.replace('past_key_values', 'present'))]);
    expect(dec.outputNames).toContain(presentName(LAYERS - 1, 'encoder', 'value'));
    const meta = dec.inputMetadata as unknown as { name: string; shape: (string | number)[] }[];
    expect(meta.find((m) => m.name === PAST_NAMES[0])!.shape.slice(1)).toEqual([KV_HEADS, 'past_decoder_sequence_length', HEAD_DIM]);
    expect(meta.find((m) => m.name === 'encoder_hidden_states')!.shape[2]).toBe(HIDDEN);
    const out = dec.outputMetadata as unknown as { name: string; shape: (string | number)[] }[];
    expect(out.find((m) => m.name === 'logits')!.shape[2]).toBe(VOCAB);
  }, 60_000);

  it('is registered as MIT with its hash; the tokenizer decodes LLaMA pieces and skips special ids', async () => {
    for (const m of [ENCODER_MODEL, DECODER_MODEL]) expect(findModel(m)).toMatchObject({ licence: 'MIT', package: '@moonshine-ai/moonshine-js' });
    const tok = await loadTokenizer();
    // "▁Set", "▁a", "▁timer", "▁for", "▁", "7", "▁minutes", "." in LLaMA's vocabulary.
    const ids = ['▁Set', '▁a', '▁timer', '▁for', '▁', '7', '▁minutes', '.'].map((p) => tok.pieces.indexOf(p.replaceAll('▁', ' ')));
    expect(ids.every((i) => i > 2)).toBe(true);
    expect(tok.decode([1, ...ids, 2, 32_500])).toBe('Set a timer for 7 minutes.');
    expect(tok.decode([])).toBe('');
    expect(tok.pieces[2]).toBeNull();
    expect(tok.pieces[32_500]).toBeUndefined();
  });
});
