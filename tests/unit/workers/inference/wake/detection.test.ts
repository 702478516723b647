/**
 * Detection on spoken clips (espeak-ng + sox, made on first run and cached by content in
 * .tmp/voice-fixtures), through the streaming pipeline on the real models with every phrase model
 * and the default VAD gate. Every "hey jarvis" variant must score >= 0.5 on hey_jarvis_v0.1;
 * every negative (other speech, silence, white and pink noise) must stay below 0.5 on every
 * phrase model, except the documented confusion ("alexis" fires alexa_v0.1). Variants the model
 * is known to miss (HARD_WAKE) are measured and printed, not asserted. The per-clip table is
 * printed; the last run's figures are in the report for issue 4.
 *
 * CI installs espeak-ng and sox; without them locally this file is skipped with a message.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { hardWakeClips, loopingClip, negativeClips, voiceToolsMissing, wakeClips, type VoiceClip } from '../../../../support/voice-fixtures.ts';
import { WakePipeline } from '../../../../../workers/inference/wake/pipeline.ts';
import { PHRASES } from '../../../../../workers/inference/wake/models.ts';
import type { ModelRunner } from '../../../../../workers/inference/runner.ts';
import { nodeRunner, readWav } from './node-models.ts';
import { REPO } from '../../../../e2e/support/env.ts';
import { WakeDetector } from '../../../../../src/voice/detector.ts';
import { toVoiceStep } from '../../../../../src/voice/engine.ts';

const missing = voiceToolsMissing();
if (missing.length) console.warn(`[voice] SKIPPING detection on spoken clips: ${missing.join(' and ')} not installed (apt-get install espeak-ng sox; CI has them)`);
const DIR = path.join(REPO, '.tmp', 'voice-fixtures');
const THRESHOLD = 0.5;

interface Measured {
  clip: VoiceClip;
  max: Record<string, number>;
  /** Audio time from the end of the speech to the first step at or over the threshold (expected phrase). */
  latencyMs: number | null;
}

async function measure(runner: ModelRunner, initial: Float32Array, clip: VoiceClip): Promise<Measured> {
  const p = new WakePipeline(runner, { phrases: PHRASES, initialFeatures: initial });
  const steps = await p.push(readWav(clip.file).samples);
  const max: Record<string, number> = Object.fromEntries(PHRASES.map((n) => [n, 0]));
  for (const s of steps) for (const [n, v] of Object.entries(s.scores)) max[n] = Math.max(max[n]!, v);
  let latencyMs: number | null = null;
  if (clip.expect && clip.speech) {
    const hit = steps.find((s) => s.scores[clip.expect!]! >= THRESHOLD);
    if (hit) latencyMs = Math.round((hit.endSample / 16_000 - clip.speech.end) * 1000);
  }
  return { clip, max, latencyMs };
}

function row(m: Measured): string {
  const name = path.basename(m.clip.file).replace(/-[0-9a-f]{12}\.wav$/, '');
  const top = Object.entries(m.max).sort((a, b) => b[1] - a[1])[0]!;
  const jarvis = m.max['hey_jarvis_v0.1']!.toFixed(4);
  return `| ${name.padEnd(34)} | ${jarvis} | ${top[0].padEnd(16)} ${top[1].toFixed(4)} | ${m.latencyMs === null ? '' : `${m.latencyMs} ms`} |`;
}

describe.skipIf(missing.length > 0)('detection on espeak-ng clips (real models, default VAD gate)', () => {
  let runner: ModelRunner;
  let initial: Float32Array;
  const results: Measured[] = [];
  beforeAll(async () => {
    ({ runner, initial } = await nodeRunner());
  }, 120_000);

  it('every "hey jarvis" variant scores >= 0.5 on hey_jarvis_v0.1', { timeout: 600_000 }, async () => {
    const clips = wakeClips(DIR);
    expect(clips.length).toBeGreaterThanOrEqual(20);
    const measured = [];
    for (const c of clips) measured.push(await measure(runner, initial, c));
    results.push(...measured);
    const hard = [];
    for (const c of hardWakeClips(DIR)) hard.push(await measure(runner, initial, c));
    results.push(...hard);
    const lat = measured.map((m) => m.latencyMs).filter((v): v is number => v !== null).sort((a, b) => a - b);
    console.log(
      ['[voice] positives (max score over the clip; latency = first step >= 0.5 after the speech ends, in audio time)', '| clip | hey_jarvis | top model | latency |', ...measured.map(row), '[voice] known misses (not asserted):', ...hard.map(row),
        `[voice] latency after the phrase: min ${lat[0]} ms, median ${lat[Math.floor(lat.length / 2)]} ms, max ${lat.at(-1)} ms (step granularity 80 ms)`].join('\n'),
    );
    for (const m of measured) expect(m.max['hey_jarvis_v0.1'], path.basename(m.clip.file)).toBeGreaterThanOrEqual(THRESHOLD);
  });

  it('the looping fake-microphone clip, three times round in one stream, fires three separate times', { timeout: 120_000 }, async () => {
    const clip = loopingClip(DIR);
    const once = readWav(clip.file).samples;
    const p = new WakePipeline(runner, { phrases: PHRASES, initialFeatures: initial });
    const steps = [];
    for (let i = 0; i < 3; i++) steps.push(...(await p.push(once)));
    // Detections as the app makes them (src/voice/detector.ts: re-armed only after the score
    // falls below half the threshold, 2 s refractory): one per repetition. A plain count of rising
    // edges over 0.5 is not this: a score wobbling around 0.5 inside one utterance would count twice.
    const detector = new WakeDetector({ threshold: THRESHOLD, phrases: ['hey_jarvis'], speechHoldSteps: 1_000_000 });
    let edges = 0;
    for (const s of steps) {
      edges += detector.step(toVoiceStep(s), s.endSample / 16).length;
      for (const n of PHRASES.filter((x) => x !== 'hey_jarvis_v0.1')) expect(s.scores[n]!, n).toBeLessThan(THRESHOLD);
    }
    console.log(`[voice] looping clip ${path.basename(clip.file)} (${(once.length / 16000).toFixed(2)} s) x3: ${edges} detections`);
    expect(edges).toBe(3);
  });

  it('other speech, silence and noise stay below 0.5 on every phrase model (except the documented confusion)', { timeout: 600_000 }, async () => {
    const measured = [];
    for (const c of negativeClips(DIR)) measured.push(await measure(runner, initial, c));
    let worst = { score: 0, what: '' };
    for (const m of measured) {
      for (const [n, v] of Object.entries(m.max)) {
        if (m.clip.mayFire?.includes(n)) continue;
        if (v > worst.score) worst = { score: v, what: `${path.basename(m.clip.file)} on ${n}` };
      }
    }
    console.log(['[voice] negatives (max over every phrase model)', '| clip | hey_jarvis | top model | |', ...measured.map(row), `[voice] highest negative score (documented confusions aside): ${worst.score.toFixed(4)} (${worst.what})`].join('\n'));
    for (const m of measured) {
      for (const [n, v] of Object.entries(m.max)) {
        if (m.clip.mayFire?.includes(n)) continue;
        expect(v, `${path.basename(m.clip.file)} on ${n}`).toBeLessThan(THRESHOLD);
      }
    }
    // The documented confusion is real (if a model update fixes it, drop it from CONFUSABLE).
    const alexis = measured.filter((m) => m.clip.mayFire?.includes('alexa_v0.1'));
    expect(alexis.length).toBeGreaterThan(0);
  });
});
