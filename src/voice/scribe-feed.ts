/**
 * This device's microphone feeding the scribe (Use 2): while a scribe session runs, this device
 * holds its key, its microphone is live and its person lets the scribe use it, every block goes
 * to a speech-to-text stream that the VAD cuts into utterances: on this device when its models
 * run here, else on the room device that runs them (stt-offload.ts; if that one refuses or
 * leaves, here). Each utterance's text comes back to this device, which hands it to the scribe
 * (`ScribeTarget.record`: sealed there, then into the room's memory). Audio is never kept.
 */
import type { OsmoseError } from '../../protocol/errors.ts';
import type { OffloadedText } from '../../protocol/voice.ts';
import type { SttEngine } from './stt-engine.ts';
import { SttFeeder } from './stt-feeder.ts';
import type { RemoteSttStream, SttOffload } from './stt-offload.ts';

/** What the scribe (src/scribe/) gives a feeding microphone. */
export interface ScribeTarget {
  session: string;
  /** One utterance: wall-clock start and end (ms), its text, and the device that transcribed it. */
  record(u: { start: number; end: number; text: string; processedBy: string }): void;
}

export interface ScribeFeedDeps {
  deviceId: string;
  engine: SttEngine;
  offload: SttOffload;
  changed(): void;
  now?(): number;
}

interface Open {
  session: string;
  target: ScribeTarget;
  /** Who transcribes: this device's id, or a room device's. */
  by: string;
  local: SttFeeder | null;
  remote: RemoteSttStream | null;
  /** Wall-clock time of the stream's first sample, and samples sent since. */
  t0: number;
  samples: number;
}

export class ScribeFeed {
  private target: ScribeTarget | null = null;
  private live = false;
  private server: string | null = null;
  private open: Open | null = null;
  /** A room device that refused or failed the scribe's stream is not asked again for a while. */
  private readonly avoid = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly deps: ScribeFeedDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** What the presence says: the session fed and who transcribes it. */
  get state(): { session: string; by: string | null } | null {
    return this.open ? { session: this.open.session, by: this.open.by } : this.target && this.live ? { session: this.target.session, by: null } : null;
  }

  /** The scribe's session this device may feed (null: none runs, or this device holds no key). */
  want(target: ScribeTarget | null): void {
    this.target = target;
    this.apply();
  }

  /** The microphone is live (and allowed to feed the scribe), its models run on `runningOn`. */
  route(live: boolean, runningOn: string | null): void {
    this.live = live;
    this.server = runningOn && runningOn !== this.deps.deviceId ? runningOn : null;
    this.apply();
  }

  block(samples: Float32Array): void {
    const o = this.open;
    if (!o) return;
    o.samples += samples.length;
    if (o.local) o.local.push(samples);
    else o.remote?.push(samples);
  }

  /** Stops feeding, after the utterance in progress is transcribed. */
  stop(): void {
    this.target = null;
    this.apply();
  }

  private apply(): void {
    const server = this.server && (this.avoid.get(this.server) ?? 0) <= this.now() ? this.server : null;
    const want = this.live && this.target ? { session: this.target.session, by: server ?? this.deps.deviceId } : null;
    const o = this.open;
    if (o && want && o.session === want.session && o.by === want.by && o.target === this.target) return;
    if (o) this.end(o);
    this.open = null;
    if (want && this.target) this.start(this.target, want.by);
    this.deps.changed();
  }

  private start(target: ScribeTarget, by: string): void {
    const o: Open = { session: target.session, target, by, local: null, remote: null, t0: this.now(), samples: 0 };
    const take = (results: OffloadedText[]) => {
      for (const r of results) {
        const text = r.text.trim();
        if (text) target.record({ start: Math.round(o.t0 + r.start / 16), end: Math.round(o.t0 + r.end / 16), text, processedBy: o.by });
      }
    };
    // Set first: a refusal may come back before `open` returns.
    this.open = o;
    if (by === this.deps.deviceId) o.local = new SttFeeder(this.deps.engine.open('free'), take, (err) => this.lost(o, err));
    else o.remote = this.deps.offload.open(by, 'free', take, (err) => this.lost(o, err));
  }

  /** The stream failed: go on here (the room device refused or left, or the models failed). */
  private lost(o: Open, err: unknown): void {
    if (this.open !== o) return;
    console.warn('[osmose] the scribe lost its speech-to-text stream', (err as OsmoseError)?.code ?? err);
    o.local?.close();
    o.remote?.close();
    this.open = null;
    if (o.by !== this.deps.deviceId) this.avoid.set(o.by, this.now() + 30_000);
    if (o.by !== this.deps.deviceId && this.target === o.target && this.live) this.start(o.target, this.deps.deviceId);
    this.deps.changed();
  }

  private end(o: Open): void {
    // The utterance in progress is still transcribed and recorded, then the stream closes.
    if (o.local) void o.local.end().finally(() => o.local?.close());
    if (o.remote) void o.remote.end().finally(() => o.remote?.close());
  }
}
