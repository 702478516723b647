/**
 * The utterance after a wake word: which 80 ms blocks of the microphone hold the command. Pure and
 * clock-free: it is fed the microphone's blocks (numbered in order) and, later, the wake pipeline's
 * step for each block (its VAD's `speech`), and decides from the steps alone:
 *
 *   wake at block w ─▶ tail: the wake word's own end may still be speaking; speech that stops
 *                      within `tailSteps` is skipped (speech running on is the command, said
 *                      without a pause)
 *                   ─▶ waiting: up to `startSteps` for speech to start (none: no command)
 *                   ─▶ speech: until `silenceSteps` without speech (~400 ms), or `maxSteps`
 *
 * The command's audio is its blocks with `padSteps` on each side. Blocks are kept in memory only
 * while a command may still need them (a short ring before a wake word, the command while it is
 * captured), then dropped.
 */

export interface CaptureOptions {
  /** Steps (80 ms) without speech that end a command: 5 = 400 ms. */
  silenceSteps: number;
  /** The longest command: 100 = 8 s. */
  maxSteps: number;
  /** How long a command may take to start after the wake word: 38 = ~3 s. */
  startSteps: number;
  /** Speech right after the detection that stops within this many steps is the wake word's tail. */
  tailSteps: number;
  /** Steps of audio kept before the start and after the end. */
  padSteps: number;
}

export const DEFAULT_CAPTURE: CaptureOptions = { silenceSteps: 5, maxSteps: 100, startSteps: 38, tailSteps: 6, padSteps: 3 };

export type CaptureEnd = 'silence' | 'longest' | 'no-command';

export interface CapturedCommand {
  /** The command's audio (16 kHz), with the padding; empty when no command was said. */
  samples: Float32Array;
  /** First and last block of the audio (inclusive); -1 when empty. */
  from: number;
  to: number;
  ended: CaptureEnd;
}

/** Blocks kept while no command is captured: the steps may lag the blocks by this many. */
const RING_BLOCKS = 64;

type Phase = 'idle' | 'tail' | 'waiting' | 'speech';

export class CommandCapture {
  private readonly blocks = new Map<number, Float32Array>();
  private phase: Phase = 'idle';
  private wakeAt = -1;
  private start = -1;
  private lastSpeech = -1;
  private lastStep = -1;

  constructor(
    private readonly done: (c: CapturedCommand) => void,
    private readonly opts: CaptureOptions = DEFAULT_CAPTURE,
  ) {}

  /** A command is being captured (between a wake word and its end). */
  get capturing(): boolean {
    return this.phase !== 'idle';
  }

  /** A block of the microphone, numbered in order (its samples are kept, not copied). */
  block(seq: number, samples: Float32Array): void {
    this.blocks.set(seq, samples);
    if (this.phase === 'idle') {
      for (const k of this.blocks.keys()) {
        if (k > seq - RING_BLOCKS) break;
        this.blocks.delete(k);
      }
    }
  }

  /** The wake word fired on the step of block `seq`: the command starts after it. Ignored while capturing. */
  wake(seq: number): void {
    if (this.phase !== 'idle') return;
    this.phase = 'tail';
    this.wakeAt = seq;
    this.start = -1;
    this.lastSpeech = seq;
    this.lastStep = seq;
    for (const k of [...this.blocks.keys()]) if (k <= seq - this.opts.padSteps) this.blocks.delete(k);
  }

  /** The pipeline's step for block `seq` (steps arrive in order; missing ones are gaps in time). */
  step(seq: number, speech: boolean): void {
    if (this.phase === 'idle' || seq <= this.lastStep) return;
    this.lastStep = seq;
    const o = this.opts;
    if (this.phase === 'tail') {
      if (!speech) this.phase = 'waiting';
      else if (seq - this.wakeAt >= o.tailSteps) {
        // No pause after the wake word: the command was said straight on.
        this.phase = 'speech';
        this.start = this.wakeAt + 1;
      }
    } else if (this.phase === 'waiting') {
      if (speech) {
        this.phase = 'speech';
        this.start = seq;
      } else if (seq - this.wakeAt >= o.startSteps) return this.finish('no-command', -1);
    }
    if (this.phase !== 'speech') return;
    if (speech) this.lastSpeech = seq;
    if (seq - this.lastSpeech >= o.silenceSteps) return this.finish('silence', this.lastSpeech);
    if (seq - this.start + 1 >= o.maxSteps) return this.finish('longest', seq);
  }

  /** Drops whatever is being captured (the microphone stopped or moved). */
  reset(): void {
    this.phase = 'idle';
    this.blocks.clear();
  }

  private finish(ended: CaptureEnd, end: number): void {
    this.phase = 'idle';
    if (ended === 'no-command') return this.done({ samples: new Float32Array(0), from: -1, to: -1, ended });
    const from = Math.max(this.wakeAt + 1, this.start - this.opts.padSteps);
    const to = Math.min(this.lastStep, end + this.opts.padSteps);
    const parts: Float32Array[] = [];
    for (let k = from; k <= to; k++) {
      const b = this.blocks.get(k);
      if (b) parts.push(b);
    }
    const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    for (const k of [...this.blocks.keys()]) if (k <= to) this.blocks.delete(k);
    this.done({ samples, from, to, ended });
  }
}
