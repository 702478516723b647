/**
 * Feeds a speech-to-text stream (stt-engine.ts) in order: blocks that arrive while a push is
 * running (one that closes an utterance waits for its text, a second or two) are joined into the
 * next push, so the stream never falls behind by more than one decode. The backlog is bounded
 * (`maxPendingSamples`, oldest dropped and counted). Used by a room device serving another's
 * microphone (stt-server.ts) and by this device's own scribe feed (scribe-feed.ts).
 */
import type { OffloadedText } from '../../protocol/voice.ts';
import type { SttStreamHandle } from './stt-engine.ts';

export class SttFeeder {
  private pending: Float32Array[] = [];
  private pendingSamples = 0;
  private running: Promise<void> | null = null;
  private closed = false;
  /** Samples dropped because the stream fell too far behind. */
  dropped = 0;

  constructor(
    private readonly handle: Promise<SttStreamHandle>,
    private readonly onResults: (results: OffloadedText[]) => void,
    private readonly onError: (err: unknown) => void,
    private readonly maxPendingSamples = 30 * 16_000,
  ) {
    // A handle that fails before any push is reported once, through the first drain.
    handle.catch(() => undefined);
  }

  push(samples: Float32Array): void {
    if (this.closed) return;
    this.pending.push(samples);
    this.pendingSamples += samples.length;
    while (this.pendingSamples > this.maxPendingSamples && this.pending.length > 1) {
      const old = this.pending.shift()!;
      this.pendingSamples -= old.length;
      this.dropped += old.length;
    }
    this.running ??= this.drain();
  }

  /** Pushes what is pending, then closes the utterance in progress; resolves once its text is out. */
  async end(): Promise<void> {
    while (this.running) await this.running;
    if (this.closed) return;
    try {
      const results = await (await this.handle).flush();
      if (!this.closed && results.length) this.onResults(results);
    } catch (err) {
      if (!this.closed) this.onError(err);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.pendingSamples = 0;
    this.handle.then((h) => h.close(), () => undefined);
  }

  private async drain(): Promise<void> {
    try {
      const h = await this.handle;
      while (this.pending.length && !this.closed) {
        const parts = this.pending;
        this.pending = [];
        this.pendingSamples = 0;
        const samples = parts.length === 1 ? parts[0]! : join(parts);
        const results = await h.push(samples);
        if (!this.closed && results.length) this.onResults(results);
      }
    } catch (err) {
      if (!this.closed) this.onError(err);
      this.closed = true;
    } finally {
      this.running = null;
    }
  }
}

function join(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
