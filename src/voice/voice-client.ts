/**
 * This device's microphone run by a room device (shared room compute). Picks the server with the
 * room's rule (server-choice.ts), streams 80 ms blocks as audio frames, takes the steps back, and
 * moves to another server when its server leaves, refuses, stops offering or goes quiet. Audio
 * goes only to the chosen room device, over the mesh's encrypted data channel.
 */
import { encodeAudioFrame, type PhraseId, type VoiceControl, type VoiceStep } from '../../protocol/voice.ts';
import { pickServer, type Candidate } from './server-choice.ts';

export interface ClientDeps {
  send(to: string, msg: VoiceControl): boolean;
  sendAudio(to: string, frame: Uint8Array): void;
  candidates(): Candidate[];
  /** `tag`: the tag the block that completed these steps was given (`block(samples, tag)`). */
  steps(steps: VoiceStep[], server: string, roundTripMs: number | null, tag: number): void;
  state(server: string | null, live: boolean): void;
  now?(): number;
}

/** A server that refused or went quiet is not asked again for this long. */
const AVOID_MS = 30_000;
/** No result for this long while we send: the server is treated as gone. */
const QUIET_MS = 4_000;
/**
 * The newest blocks are kept (in memory, ~1.6 s) and sent first to a new server: a phrase spoken
 * while the stream moves is not lost, and the new pipeline starts warm.
 */
const REPLAY_BLOCKS = 20;

export class VoiceClient {
  server: string | null = null;
  live = false;
  private stream = 0;
  private seq = 0;
  private sentAt = new Map<number, number>();
  private avoid = new Map<string, number>();
  private lastResult = 0;
  private closed = false;
  private recent: { samples: Float32Array; tag: number }[] = [];
  /** Frame seq → the tag of its block. */
  private tags = new Map<number, number>();
  private readonly now: () => number;

  constructor(
    private readonly deps: ClientDeps,
    private phrases: readonly PhraseId[],
  ) {
    this.now = deps.now ?? (() => performance.now());
  }

  /** Re-applies the room's choice (call when peers or their presence change). */
  reconsider(): void {
    if (this.closed) return;
    const t = this.now();
    for (const [id, until] of this.avoid) if (until <= t) this.avoid.delete(id);
    const next = pickServer(this.deps.candidates(), this.server, new Set(this.avoid.keys()));
    if (next !== this.server) this.switchTo(next);
    else if (!next && !this.saidNone) {
      // Nobody offers the service (yet): say so once; a server appearing later is picked up here.
      this.saidNone = true;
      this.deps.state(null, false);
    }
  }

  private saidNone = false;

  setPhrases(phrases: readonly PhraseId[]): void {
    this.phrases = phrases;
    // Reopen on the same server with the new phrases.
    const s = this.server;
    this.server = null;
    this.switchTo(s);
  }

  /** A block of the microphone; `tag` comes back with the steps it completes (the block's number). */
  block(samples: Float32Array, tag = 0): void {
    if (this.closed) return;
    this.recent.push({ samples, tag });
    if (this.recent.length > REPLAY_BLOCKS) this.recent.shift();
    if (!this.server) return this.reconsider();
    if (!this.live) return;
    const t = this.now();
    if (t - this.lastResult > QUIET_MS && this.sentAt.size > 0) return this.giveUp(this.server);
    this.send(samples, t, tag);
  }

  private send(samples: Float32Array, t: number, tag: number): void {
    this.seq++;
    this.deps.sendAudio(this.server!, encodeAudioFrame(this.stream, this.seq, samples));
    this.sentAt.set(this.seq, t);
    this.tags.set(this.seq, tag);
    if (this.sentAt.size > 100) this.sentAt.delete(this.sentAt.keys().next().value!);
    if (this.tags.size > 100) this.tags.delete(this.tags.keys().next().value!);
  }

  control(from: string, msg: VoiceControl): void {
    if (this.closed || from !== this.server || msg.stream !== this.stream) return;
    switch (msg.op) {
      case 'opened': {
        this.live = true;
        this.lastResult = this.now();
        this.deps.state(this.server, true);
        // What the microphone heard while no server ran it (or while the old one was leaving).
        // Not timed: their round trip includes the backlog.
        const t = this.now();
        for (const b of this.recent) this.send(b.samples, t, b.tag);
        this.sentAt.clear();
        return;
      }
      case 'refused':
        return this.giveUp(from);
      case 'result': {
        const t = this.now();
        this.lastResult = t;
        const sent = this.sentAt.get(msg.seq);
        const tag = this.tags.get(msg.seq) ?? 0;
        for (const k of this.sentAt.keys()) if (k <= msg.seq) this.sentAt.delete(k);
        for (const k of this.tags.keys()) if (k <= msg.seq) this.tags.delete(k);
        this.deps.steps(msg.steps, from, sent === undefined ? null : t - sent, tag);
        return;
      }
      default:
        return;
    }
  }

  peerGone(peerId: string): void {
    if (peerId === this.server) {
      this.server = null;
      this.live = false;
      this.reconsider();
      if (!this.server) this.deps.state(null, false);
    }
  }

  close(): void {
    if (this.server) this.deps.send(this.server, { op: 'close', stream: this.stream });
    this.closed = true;
    this.server = null;
    this.live = false;
    this.recent = [];
  }

  private giveUp(peerId: string): void {
    this.avoid.set(peerId, this.now() + AVOID_MS);
    this.server = null;
    this.live = false;
    this.reconsider();
    if (!this.server) this.deps.state(null, false);
  }

  private switchTo(next: string | null): void {
    this.saidNone = next === null;
    if (this.server) this.deps.send(this.server, { op: 'close', stream: this.stream });
    this.server = next;
    this.live = false;
    this.sentAt.clear();
    this.tags.clear();
    this.deps.state(next, false);
    if (!next) return;
    this.stream = (Math.random() * 0xffff_fffe) >>> 0;
    this.seq = 0;
    this.lastResult = this.now();
    if (!this.deps.send(next, { op: 'open', stream: this.stream, phrases: [...this.phrases] })) this.giveUp(next);
  }
}
