/**
 * The whole command path on the real models under Node, as a device runs it: an espeak-ng clip of
 * "hey jarvis", a pause and a command, pushed in 80 ms blocks through the wake pipeline (every
 * phrase model), the detector, the command capture (src/voice/command-capture.ts) on the steps'
 * VAD, then Moonshine in command mode on the blocks it cut. The capture must hold the command's
 * speech and the command must be the one said.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { wakeCommandClip, voiceToolsMissing } from '../../../support/stt-fixtures.ts';
import { WakePipeline } from '../../../../workers/inference/wake/pipeline.ts';
import { PHRASES } from '../../../../workers/inference/wake/models.ts';
import { nodeRunner, readWav } from '../../workers/inference/wake/node-models.ts';
import { CLIP_DIR, nodeDecoder } from '../../workers/inference/stt/node-stt.ts';
import { transcribe } from '../../../../workers/inference/stt/transcriber.ts';
import { WakeDetector } from '../../../../src/voice/detector.ts';
import { toVoiceStep } from '../../../../src/voice/engine.ts';
import { CommandCapture, type CapturedCommand } from '../../../../src/voice/command-capture.ts';
import type { ModelRunner } from '../../../../workers/inference/runner.ts';
import type { MoonshineDecoder } from '../../../../workers/inference/stt/decoder.ts';

const CASES = [
  { text: 'set a timer for seven minutes', voice: 'en-us+f2', speed: 160, want: { kind: 'timer', seconds: 420 } },
  { text: 'set a timer for an hour and a half', voice: 'en', speed: 160, want: { kind: 'timer', seconds: 5400 } },
  { text: 'who is here', voice: 'en+f3', speed: 150, want: { kind: 'who-is-here' } },
  { text: 'start the scribe', voice: 'en-gb-x-rp', speed: 170, want: { kind: 'scribe', on: true } },
] as const;

describe.skipIf(voiceToolsMissing().length > 0)('a command after the wake word, on the real models', () => {
  let runner: ModelRunner;
  let initial: Float32Array;
  let dec: MoonshineDecoder;
  beforeAll(async () => {
    ({ runner, initial } = await nodeRunner());
    dec = await nodeDecoder();
  }, 120_000);

  for (const c of CASES) {
    it(`"hey jarvis … ${c.text}" (${c.voice}, ${c.speed} wpm)`, { timeout: 180_000 }, async () => {
      const clip = wakeCommandClip(CLIP_DIR, c.text, { voice: c.voice, speed: c.speed });
      const x = readWav(clip.file).samples;
      const pipeline = new WakePipeline(runner, { phrases: PHRASES, initialFeatures: initial });
      const detector = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis', 'alexa', 'hey_mycroft', 'hey_rhasspy', 'timer', 'weather'] });
      const got: CapturedCommand[] = [];
      const capture = new CommandCapture((cmd) => got.push(cmd));
      let wakeAt = -1;
      for (let seq = 0; (seq + 1) * 1280 <= x.length; seq++) {
        const b = x.slice(seq * 1280, (seq + 1) * 1280);
        capture.block(seq, b);
        for (const s of await pipeline.push(b)) {
          const step = toVoiceStep(s);
          for (const d of detector.step(step, seq * 80)) if (d.phrase === 'hey_jarvis' && wakeAt < 0) (wakeAt = seq), capture.wake(seq);
          capture.step(seq, step.speech);
        }
      }
      expect(wakeAt, 'the wake word fired').toBeGreaterThan(0);
      expect(got).toHaveLength(1);
      const cut = got[0]!;
      expect(cut.ended).toBe('silence');
      // The cut holds the whole command and starts after the wake word.
      expect(cut.from * 0.08).toBeLessThanOrEqual(clip.speech!.start);
      expect((cut.to + 1) * 0.08).toBeGreaterThanOrEqual(clip.speech!.end);
      expect(cut.from).toBeGreaterThan(wakeAt);
      const t = await transcribe(dec, cut.samples, { mode: 'command' });
      console.log(`[wake+command] ${c.text} (${c.voice}): wake at ${(wakeAt * 0.08).toFixed(2)} s, cut ${(cut.from * 0.08).toFixed(2)}-${((cut.to + 1) * 0.08).toFixed(2)} s (speech ${clip.speech!.start.toFixed(2)}-${clip.speech!.end.toFixed(2)}), free "${t.free.text}" -> ${JSON.stringify(t.command)}`);
      expect(t.command).toMatchObject(c.want);
    });
  }
});
