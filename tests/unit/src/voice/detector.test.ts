import { describe, expect, it } from 'vitest';
import { WakeDetector } from '../../../../src/voice/detector.ts';
import { pickServer } from '../../../../src/voice/server-choice.ts';
import type { VoiceStep } from '../../../../protocol/voice.ts';

const step = (score: number, speech = true): VoiceStep => ({ vad: speech ? 0.9 : 0.01, speech, scores: { hey_jarvis: score, alexa: 0 } });

describe('WakeDetector', () => {
  it('fires once for a phrase that spans several steps', () => {
    const d = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis', 'alexa'] });
    const fired = [0.1, 0.3, 0.7, 0.95, 0.8, 0.4, 0.1].flatMap((s, i) => d.step(step(s), i * 80));
    expect(fired).toEqual([{ phrase: 'hey_jarvis', score: 0.7, at: 160 }]);
  });

  it('fires again for a second phrase after the refractory time', () => {
    const d = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis'], refractoryMs: 1000 });
    const scores = [0.9, 0.1, 0.9, 0.1, ...Array(20).fill(0.1), 0.9];
    const fired = scores.flatMap((s, i) => d.step(step(s), i * 80));
    expect(fired.map((f) => f.at)).toEqual([0, 24 * 80]);
  });

  it('needs speech in the last second', () => {
    const d = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis'], speechHoldSteps: 2 });
    expect(d.step(step(0.9, false), 0)).toEqual([]);
    d.step(step(0.1, true), 80);
    d.step(step(0.1, false), 160);
    d.step(step(0.1, false), 240);
    expect(d.step(step(0.9, false), 320)).toEqual([]);
    d.step(step(0.1, true), 400);
    expect(d.step(step(0.9, false), 480)).toHaveLength(1);
  });

  it('ignores phrases not chosen and follows a new threshold', () => {
    const d = new WakeDetector({ threshold: 0.5, phrases: ['alexa'] });
    expect(d.step(step(0.99), 0)).toEqual([]);
    d.configure({ phrases: ['hey_jarvis'], threshold: 0.95 });
    expect(d.step(step(0.9), 80)).toEqual([]);
    expect(d.step(step(0.97), 160)).toHaveLength(1);
  });
});

describe('pickServer', () => {
  const c = (peerId: string, load: number, serving = true, visible = true) => ({ peerId, voice: { mic: 'off' as const, serving, load }, visible });
  it('picks the least loaded, then the smallest id', () => {
    expect(pickServer([c('d2', 1), c('d3', 0), c('d1', 0)], null)).toBe('d1');
  });
  it('keeps the current server while it offers', () => {
    expect(pickServer([c('d2', 3), c('d1', 0)], 'd2')).toBe('d2');
    expect(pickServer([c('d2', 3, false), c('d1', 0)], 'd2')).toBe('d1');
  });
  it('skips hidden devices, non-servers, older apps and refusers', () => {
    expect(pickServer([c('d1', 0, true, false), c('d2', 0, false), { peerId: 'd0', voice: undefined, visible: true }], null)).toBeNull();
    expect(pickServer([c('d1', 0), c('d2', 1)], null, new Set(['d1']))).toBe('d2');
  });
});

describe('WakeDetector peaks', () => {
  it("reports the utterance's peak once its score falls, for the detection it belongs to", () => {
    const peaks: unknown[] = [];
    const d = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis'], onPeak: (p) => peaks.push(p) });
    const fired = [0.2, 0.55, 0.8, 0.97, 0.9, 0.3].flatMap((s, i) => d.step(step(s), i * 80));
    expect(fired).toEqual([{ phrase: 'hey_jarvis', score: 0.55, at: 80 }]);
    expect(peaks).toEqual([{ phrase: 'hey_jarvis', score: 0.97, at: 80 }]);
  });

  it('says nothing when the first step was the peak, and gives up after peakSteps', () => {
    const peaks: unknown[] = [];
    const d = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis'], onPeak: (p) => peaks.push(p), peakSteps: 3 });
    [0.9, 0.6, 0.1].forEach((s, i) => d.step(step(s), i * 80));
    expect(peaks).toEqual([]);
    const e = new WakeDetector({ threshold: 0.5, phrases: ['hey_jarvis'], onPeak: (p) => peaks.push(p), peakSteps: 3 });
    [0.6, 0.7, 0.8, 0.9, 0.95].forEach((s, i) => e.step(step(s), i * 80));
    expect(peaks).toEqual([{ phrase: 'hey_jarvis', score: 0.9, at: 0 }]);
  });
});
