/**
 * The key/value cache: a cached decode must compute what a decode without the cache computes.
 * The model is dynamically quantized (activations quantized per call), so the two differ by up to
 * ~1 in the logits, never more: along the cached decode's path, each step's logits are compared
 * with a single teacher-forced run over the whole sequence, and the cached choice must be the
 * uncached run's best token or within that noise of it. A broken cache (a stale or misordered
 * key/value, the encoder's half dropped) gives differences of 5 and more. The texts of the two
 * full greedy decodes are printed and must agree on most clips.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { readWav } from '../wake/node-models.ts';
import { voiceToolsMissing } from '../../../../support/voice-fixtures.ts';
import { werClips, commandClips } from '../../../../support/stt-fixtures.ts';
import { LogSoftmax, type MoonshineDecoder } from '../../../../../workers/inference/stt/decoder.ts';
import { START_TOKEN, VOCAB } from '../../../../../workers/inference/stt/moonshine.ts';
import { CLIP_DIR, nodeDecoder, speechOf } from './node-stt.ts';

/** Largest |cached - uncached| logit accepted (measured: 0.4-1.2 on these clips). */
const NOISE = 2;

describe.skipIf(voiceToolsMissing().length > 0)('key/value cache (real model)', () => {
  let dec: MoonshineDecoder;
  beforeAll(async () => {
    dec = await nodeDecoder();
  }, 60_000);

  it('cached steps match one uncached run over the same tokens, within quantization noise', { timeout: 300_000 }, async () => {
    const clips = [...werClips(CLIP_DIR).filter((_, i) => i % 4 === 0), ...commandClips(CLIP_DIR).filter((_, i) => i % 6 === 0)];
    let same = 0;
    let worst = 0;
    for (const c of clips) {
      const enc = await dec.encode(speechOf(readWav(c.file).samples, c.speech!));
      const cached = await dec.greedy(enc);
      const plain = await dec.greedy(enc, { cache: false });
      // The cached path, step by step, against one uncached run over it.
      const path_ = [START_TOKEN, ...cached.tokens];
      const all = await dec.scoreAll(enc, path_);
      let kv = null;
      let diff = 0;
      for (let i = 0; i < path_.length; i++) {
        const step = await dec.step(enc, kv, path_[i]!);
        kv = step.kv;
        const ref = new LogSoftmax(all.subarray(i * VOCAB, (i + 1) * VOCAB));
        for (let k = 0; k < VOCAB; k++) diff = Math.max(diff, Math.abs(step.scores.row[k]! - ref.row[k]!));
        const chosen = step.scores.argmax();
        expect(ref.at(ref.argmax()) - ref.at(chosen), `step ${i} of ${path.basename(c.file)}`).toBeLessThanOrEqual(NOISE);
      }
      worst = Math.max(worst, diff);
      if (cached.text === plain.text) same++;
      console.log(`[kv] ${path.basename(c.file).slice(0, 48).padEnd(48)} max|diff| ${diff.toFixed(2)}  cached ${cached.runs} runs ${cached.ms.toFixed(0)} ms, uncached ${plain.ms.toFixed(0)} ms  ${cached.text === plain.text ? 'same text' : `"${cached.text}" vs "${plain.text}"`}`);
    }
    console.log(`[kv] same text on ${same}/${clips.length} clips; largest logit difference ${worst.toFixed(2)}`);
    expect(worst).toBeLessThanOrEqual(NOISE);
    expect(same / clips.length).toBeGreaterThanOrEqual(0.6);
  });
});
