/**
 * Turns per-step scores into detections. A phrase fires when its score reaches the threshold while
 * someone has been speaking in the last second (Silero VAD), once: it cannot fire again until its
 * score has fallen back below half the threshold and a refractory time has passed, so one spoken
 * phrase gives one event however many 80 ms steps it spans. The event fires on the first step over
 * the threshold (the room reacts at once); the utterance's peak score is reported when its score
 * falls again (`onPeak`), so the event can show how sure the model was.
 */
import type { PhraseId, VoiceStep } from '../../protocol/voice.ts';

export interface DetectorOptions {
  threshold: number;
  phrases: readonly PhraseId[];
  /** After a detection the phrase is quiet this long. */
  refractoryMs?: number;
  /** Steps (80 ms) after the last speech during which a detection still counts. */
  speechHoldSteps?: number;
  /** The peak score of an utterance that fired, once its score falls (or after `peakSteps`). */
  onPeak?: (d: Detection) => void;
  peakSteps?: number;
}

export interface Detection {
  phrase: PhraseId;
  score: number;
  /** When the step that fired ended (caller's clock). */
  at: number;
}

export class WakeDetector {
  private armed = new Map<PhraseId, boolean>();
  private lastFired = new Map<PhraseId, number>();
  private sinceSpeech = Infinity;
  /** Utterances that fired and are still rising: phrase → the detection and its best score. */
  private peaks = new Map<PhraseId, { d: Detection; best: number; steps: number }>();
  private readonly refractoryMs: number;
  private readonly speechHoldSteps: number;

  constructor(private opts: DetectorOptions) {
    this.refractoryMs = opts.refractoryMs ?? 2000;
    this.speechHoldSteps = opts.speechHoldSteps ?? 12;
  }

  configure(opts: Partial<Pick<DetectorOptions, 'threshold' | 'phrases'>>): void {
    this.opts = { ...this.opts, ...opts };
  }

  /** Feeds one step; returns the phrases that fired on it. */
  step(step: VoiceStep, at: number): Detection[] {
    this.sinceSpeech = step.speech ? 0 : this.sinceSpeech + 1;
    const out: Detection[] = [];
    for (const phrase of this.opts.phrases) {
      const score = step.scores[phrase];
      if (score === undefined) continue;
      const p = this.peaks.get(phrase);
      if (p) {
        p.steps++;
        if (score > p.best) p.best = score;
        if (score < p.best || p.steps >= (this.opts.peakSteps ?? 12)) {
          this.peaks.delete(phrase);
          if (p.best > p.d.score) this.opts.onPeak?.({ ...p.d, score: p.best });
        }
      }
      if (score < this.opts.threshold / 2) this.armed.set(phrase, true);
      const armed = this.armed.get(phrase) ?? true;
      const rested = at - (this.lastFired.get(phrase) ?? -Infinity) >= this.refractoryMs;
      if (score >= this.opts.threshold && armed && rested && this.sinceSpeech <= this.speechHoldSteps) {
        this.armed.set(phrase, false);
        this.lastFired.set(phrase, at);
        out.push({ phrase, score, at });
        this.peaks.set(phrase, { d: { phrase, score, at }, best: score, steps: 0 });
      }
    }
    return out;
  }

  reset(): void {
    this.armed.clear();
    this.lastFired.clear();
    this.sinceSpeech = Infinity;
    this.peaks.clear();
  }
}
