/**
 * Cuts a stream of 16 kHz samples into utterances with Silero VAD (the worker's shared
 * SileroVad, the same model and hysteresis as the wake pipeline): speech starts at a 32 ms chunk
 * with probability >= threshold and ends after `minSilenceMs` below negThreshold. Each utterance
 * keeps `padMs` of audio before its start and up to `padMs` after its end (the VAD is late by a
 * chunk at onsets, and Moonshine does better with a little silence around words than with a lot).
 * Utterances shorter than `minSpeechMs` are dropped; one longer than `maxUtteranceMs` is cut there
 * and the speech goes on as a new one. Memory: the open utterance, at most maxUtteranceMs.
 */
import { SileroVad, VAD_CHUNK, VAD_CONTEXT } from '../vad.ts';
import type { ModelRunner } from '../runner.ts';
import { STT_SAMPLE_RATE } from './moonshine.ts';

export interface SegmenterOptions {
  vadThreshold?: number;
  vadNegThreshold?: number;
  /** Silence that ends an utterance (default 400 ms): the wait before text can appear. */
  minSilenceMs?: number;
  /** Speech shorter than this is no utterance (default 250 ms, as silero's get_speech_timestamps). */
  minSpeechMs?: number;
  /** Longest utterance (default 20 s); longer speech is cut into several. */
  maxUtteranceMs?: number;
  /** Audio kept before and after the speech (default 250 ms). */
  padMs?: number;
}

export interface Utterance {
  /** Start and end of the speech, in samples since the stream began (pads not included). */
  start: number;
  end: number;
  /** The speech with its pads. */
  audio: Float32Array;
}

const ms = (v: number) => Math.round((v * STT_SAMPLE_RATE) / 1000);

export class UtteranceSegmenter {
  private readonly vad: SileroVad;
  private readonly minSilence: number;
  private readonly minSpeech: number;
  private readonly maxUtterance: number;
  private readonly pad: number;
  /** Audio from `bufStart` (stream clock) to `total`. */
  private buf = new Float32Array(1 << 15);
  private bufStart = 0;
  private total = 0;
  private nextChunkEnd = VAD_CHUNK;
  /** Start of the speech in progress (stream clock), or -1. */
  private speechStart = -1;
  /** Samples since the last chunk that was not silence, while in speech. */
  private silence = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(runner: ModelRunner, opts: SegmenterOptions = {}) {
    this.vad = new SileroVad(runner, { threshold: opts.vadThreshold, negThreshold: opts.vadNegThreshold });
    this.minSilence = ms(opts.minSilenceMs ?? 400);
    this.minSpeech = ms(opts.minSpeechMs ?? 250);
    this.maxUtterance = ms(opts.maxUtteranceMs ?? 20_000);
    this.pad = ms(opts.padMs ?? 250);
  }

  /** Samples since the stream began. */
  get samples(): number {
    return this.total;
  }

  /** Whether an utterance is open (speech heard, its end not yet). */
  get speaking(): boolean {
    return this.speechStart >= 0;
  }

  /** Feeds samples; resolves with the utterances they close, in order. Calls run one after another. */
  push(samples: Float32Array): Promise<Utterance[]> {
    return this.serial(() => this.consume(samples));
  }

  /** Closes the utterance in progress, if any (the stream stops, the scribe is stopped). */
  flush(): Promise<Utterance[]> {
    return this.serial(async () => {
      if (this.speechStart < 0) return [];
      const u = this.cut(this.total - this.silence, this.total);
      this.speechStart = -1;
      this.silence = 0;
      return u ? [u] : [];
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async consume(samples: Float32Array): Promise<Utterance[]> {
    const out: Utterance[] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(samples.length - i, this.nextChunkEnd - this.total);
      this.append(samples.subarray(i, i + n));
      i += n;
      if (this.total < this.nextChunkEnd) break;
      this.nextChunkEnd += VAD_CHUNK;
      const u = await this.chunk();
      if (u) out.push(u);
    }
    return out;
  }

  private append(x: Float32Array): void {
    const used = this.total - this.bufStart;
    if (used + x.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, used + x.length));
      grown.set(this.buf.subarray(0, used));
      this.buf = grown;
    }
    this.buf.set(x, used);
    this.total += x.length;
  }

  /** The VAD on the chunk that just completed; returns an utterance if it closed one. */
  private async chunk(): Promise<Utterance | null> {
    const input = this.vad.input;
    const from = this.total - input.length;
    for (let k = 0; k < input.length; k++) input[k] = from + k < this.bufStart ? 0 : this.buf[from + k - this.bufStart]!;
    const prob = await this.vad.run();
    let closed: Utterance | null = null;
    if (this.speechStart < 0) {
      if (this.vad.speaking) {
        this.speechStart = this.total - VAD_CHUNK;
        this.silence = 0;
      }
    } else {
      this.silence = prob < this.vad.negThreshold ? this.silence + VAD_CHUNK : 0;
      if (this.silence >= this.minSilence) {
        closed = this.cut(this.total - this.silence, this.total);
        this.speechStart = -1;
        this.silence = 0;
      } else if (this.total - this.speechStart >= this.maxUtterance) {
        closed = this.cut(this.total - this.silence, this.total);
        this.speechStart = this.vad.speaking ? this.total : -1;
        this.silence = 0;
      }
    }
    if (this.speechStart < 0) this.trim();
    return closed;
  }

  /** The utterance from speechStart to `end`, with its pads (the one after limited to `limit`). */
  private cut(end: number, limit: number): Utterance | null {
    const start = this.speechStart;
    if (end - start < this.minSpeech) return null;
    const from = Math.max(this.bufStart, start - this.pad);
    const to = Math.min(limit, end + this.pad);
    return { start, end, audio: this.buf.slice(from - this.bufStart, to - this.bufStart) };
  }

  /** Out of speech: keep only the pad and the VAD's context. */
  private trim(): void {
    const keep = this.pad + VAD_CONTEXT + VAD_CHUNK;
    const used = this.total - this.bufStart;
    if (used <= keep * 2) return;
    this.buf.copyWithin(0, used - keep, used);
    this.bufStart = this.total - keep;
  }
}
