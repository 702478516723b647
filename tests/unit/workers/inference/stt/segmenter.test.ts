/** Utterance segmentation with the real Silero VAD (the worker's shared SileroVad). */
import { describe, it, expect, beforeAll } from 'vitest';
import { readWav } from '../wake/node-models.ts';
import { negativeClips, voiceToolsMissing } from '../../../../support/voice-fixtures.ts';
import { werClips } from '../../../../support/stt-fixtures.ts';
import { UtteranceSegmenter } from '../../../../../workers/inference/stt/segmenter.ts';
import type { ModelRunner } from '../../../../../workers/inference/runner.ts';
import { CLIP_DIR, nodeVadRunner } from './node-stt.ts';

describe.skipIf(voiceToolsMissing().length > 0)('utterance segmenter (real VAD)', () => {
  let vad: ModelRunner;
  beforeAll(async () => {
    vad = await nodeVadRunner();
  }, 60_000);

  it('finds a sentence where the clip has it, in any push sizes, with its pads; nothing in silence or noise', { timeout: 120_000 }, async () => {
    const clip = werClips(CLIP_DIR).find((c) => c.seconds > 4.5)!;
    const audio = readWav(clip.file).samples;
    for (const size of [1280, 777, audio.length]) {
      const seg = new UtteranceSegmenter(vad, { minSilenceMs: 400, padMs: 250 });
      const found = [];
      for (let at = 0; at < audio.length; at += size) found.push(...(await seg.push(audio.slice(at, at + size))));
      found.push(...(await seg.flush()));
      // espeak leaves short pauses between words: at most a brief extra cut, never lost speech.
      expect(found.length, `push size ${size}`).toBe(1);
      const u = found[0]!;
      expect(Math.abs(u.start / 16_000 - clip.speech!.start)).toBeLessThan(0.15);
      expect(Math.abs(u.end / 16_000 - clip.speech!.end)).toBeLessThan(0.3);
      expect(u.audio.length).toBe(Math.min(audio.length, u.end + 4000) - (u.start - 4000));
    }
    for (const c of negativeClips(CLIP_DIR).filter((n) => n.kind !== 'speech')) {
      const seg = new UtteranceSegmenter(vad);
      const found = [...(await seg.push(readWav(c.file).samples)), ...(await seg.flush())];
      expect(found, c.kind).toEqual([]);
    }
  });

  it('cuts speech longer than maxUtteranceMs into several utterances that cover it', { timeout: 60_000 }, async () => {
    const clip = werClips(CLIP_DIR).find((c) => c.seconds > 4.5)!;
    const seg = new UtteranceSegmenter(vad, { maxUtteranceMs: 2000 });
    const found = [...(await seg.push(readWav(clip.file).samples)), ...(await seg.flush())];
    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const u of found) expect(u.end - u.start).toBeLessThanOrEqual(2000 * 16 + 512);
    for (let i = 1; i < found.length; i++) expect(found[i]!.start).toBeGreaterThanOrEqual(found[i - 1]!.end);
  });
});
