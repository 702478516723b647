/**
 * Word error rate of Moonshine tiny (greedy, key/value cache) on espeak-ng clips of known
 * sentences: five voices, speeds 150-175 wpm, one clip over pink and one over white noise, each
 * cut to its speech with 250 ms around it (as the segmenter hands utterances over). Printed per
 * clip; asserted on the whole set. espeak-ng voices are hard for this model (some sentences come
 * out word-perfect, others garbled): the bound is what was measured here (0.20 over the set, see
 * the report) with a margin, not a claim about human speech.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { readWav } from '../wake/node-models.ts';
import { voiceToolsMissing } from '../../../../support/voice-fixtures.ts';
import { editDistance, werClips, werWords } from '../../../../support/stt-fixtures.ts';
import { transcribe } from '../../../../../workers/inference/stt/transcriber.ts';
import type { MoonshineDecoder } from '../../../../../workers/inference/stt/decoder.ts';
import { CLIP_DIR, nodeDecoder, speechOf } from './node-stt.ts';

const MAX_WER = 0.3;

const missing = voiceToolsMissing();
if (missing.length) console.warn(`[stt] SKIPPING word error rate: ${missing.join(' and ')} not installed (apt-get install espeak-ng sox; CI has them)`);

describe.skipIf(missing.length > 0)('word error rate on espeak-ng clips (real model)', () => {
  let dec: MoonshineDecoder;
  beforeAll(async () => {
    dec = await nodeDecoder();
  }, 60_000);

  it(`is at most ${MAX_WER} over the set`, { timeout: 600_000 }, async () => {
    let errors = 0;
    let words = 0;
    const rows: string[] = [];
    for (const c of werClips(CLIP_DIR)) {
      const t = await transcribe(dec, speechOf(readWav(c.file).samples, c.speech!));
      const ref = werWords(c.text);
      const e = editDistance(ref, werWords(t.text));
      errors += e;
      words += ref.length;
      rows.push(`| ${path.basename(c.file).replace(/-[0-9a-f]{12}\.wav$/, '').slice(0, 58).padEnd(58)} | ${c.seconds.toFixed(1)} s | ${(e / ref.length).toFixed(2)} | ${Math.round(t.ms.total)} ms | ${t.text}`);
    }
    const wer = errors / words;
    console.log(['| clip | speech | WER | time | text |', ...rows, `word error rate over ${rows.length} clips: ${wer.toFixed(3)} (${errors}/${words} words)`].join('\n'));
    expect(wer).toBeLessThanOrEqual(MAX_WER);
  });
});
