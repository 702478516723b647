/**
 * What the voice service needs of an inference engine: open a wake-word stream for some phrases,
 * push audio, get one step per 80 ms back. The app's engine is the inference worker
 * (src/inference/runtime.ts); unit tests use a scripted one.
 */
import { phrase, phraseByModel, timerClassMinutes, type PhraseId, type VoiceStep } from '../../protocol/voice.ts';
import type { RuntimeSttLike } from './stt-engine.ts';

export interface WakeStreamHandle {
  /** Audio at 16 kHz, any length; resolves with the steps it completed, in order. */
  push(samples: Float32Array): Promise<VoiceStep[]>;
  close(): void;
}

export interface WakeEngine {
  open(phrases: readonly PhraseId[]): Promise<WakeStreamHandle>;
  /** Starts loading what `open` will need (a microphone is about to go live); never throws. */
  warm?(phrases: readonly PhraseId[]): void;
}

/**
 * Feeds a stream one push at a time (a wake stream is stateful: order matters) with a bounded
 * backlog: when the engine falls behind by more than `maxBacklog` blocks the oldest are dropped
 * and counted, so a slow device shows "falling behind" instead of growing memory.
 */
export class OrderedFeeder {
  private queue: Float32Array[] = [];
  private running = false;
  dropped = 0;
  closed = false;

  constructor(
    private readonly stream: WakeStreamHandle,
    /** `ms`: from the push to its steps, queue wait included. */
    private readonly onSteps: (steps: VoiceStep[], tag: number, ms: number) => void,
    private readonly onError: (err: unknown) => void,
    private readonly maxBacklog = 25,
  ) {}

  private tags: number[] = [];
  private queuedAt: number[] = [];

  push(samples: Float32Array, tag = 0): void {
    if (this.closed) return;
    this.queue.push(samples);
    this.tags.push(tag);
    this.queuedAt.push(performance.now());
    while (this.queue.length > this.maxBacklog) {
      this.queue.shift();
      this.tags.shift();
      this.queuedAt.shift();
      this.dropped++;
    }
    if (!this.running) void this.drain();
  }

  get backlog(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length && !this.closed) {
        const samples = this.queue.shift()!;
        const tag = this.tags.shift()!;
        const at = this.queuedAt.shift()!;
        const steps = await this.stream.push(samples);
        if (!this.closed) this.onSteps(steps, tag, performance.now() - at);
      }
    } catch (err) {
      if (!this.closed) this.onError(err);
    } finally {
      this.running = false;
    }
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.tags = [];
    this.queuedAt = [];
    this.stream.close();
  }
}

/** The runtime's wake streams (src/inference/runtime.ts), as the voice service uses them. */
export interface RuntimeLike {
  warmWake?(models: readonly string[]): Promise<void>;
  /** Speech to text (src/inference/stt.ts), where the runtime has it. */
  stt?: RuntimeSttLike;
  openWake(models: readonly string[]): Promise<{
    push(samples: Float32Array): Promise<RuntimeStep[]>;
    close(): Promise<void>;
  }>;
}

export interface RuntimeStep {
  vad: number;
  speech: boolean;
  scores: Record<string, number>;
  classes?: Record<string, Record<string, number>>;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0);

/** One worker step as a room step: scores keyed by phrase, the timer's length read off its class. */
export function toVoiceStep(step: RuntimeStep): VoiceStep {
  const scores: Partial<Record<PhraseId, number>> = {};
  for (const [model, score] of Object.entries(step.scores)) {
    const p = phraseByModel(model);
    if (p) scores[p.id as PhraseId] = clamp01(score);
  }
  const out: VoiceStep = { vad: clamp01(step.vad), speech: step.speech, scores };
  const timerClasses = step.classes?.[phrase('timer').model];
  if (timerClasses) {
    let best: [string, number] | null = null;
    for (const [label, p] of Object.entries(timerClasses)) if (timerClassMinutes(label) !== null && (!best || p > best[1])) best = [label, p];
    if (best) out.timerMinutes = timerClassMinutes(best[0])!;
  }
  return out;
}

export function runtimeEngine(runtime: () => Promise<RuntimeLike>): WakeEngine {
  return {
    async open(phrases) {
      const rt = await runtime();
      const s = await rt.openWake(phrases.map((p) => phrase(p).model));
      return {
        push: async (samples) => (await s.push(samples)).map(toVoiceStep),
        close: () => void s.close().catch(() => undefined),
      };
    },
    warm(phrases) {
      void runtime()
        .then((rt) => rt.warmWake?.(phrases.map((p) => phrase(p).model)))
        .catch((err: unknown) => console.warn('[osmose] voice models could not be warmed', err));
    },
  };
}
