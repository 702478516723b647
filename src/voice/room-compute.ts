/**
 * The room compute this device offers other devices' microphones: wake-word streams
 * (voice-server.ts) and speech to text (stt-server.ts), one entry for the mesh's messages and
 * audio frames, routed by stream. Audio is processed in memory and dropped.
 */
import { decodeAudioFrame, type VoiceControl } from '../../protocol/voice.ts';
import type { WakeEngine } from './engine.ts';
import type { SttEngine } from './stt-engine.ts';
import { SttServer } from './stt-server.ts';
import { VoiceServer } from './voice-server.ts';

export interface RoomComputeDeps {
  engine: WakeEngine;
  stt: SttEngine;
  send(to: string, msg: VoiceControl): void;
  offering(): boolean;
  /** Streams this device runs for itself (its own microphone). */
  ownLoad(): number;
  changed(): void;
}

export class RoomCompute {
  private readonly wake: VoiceServer;
  private readonly stt: SttServer;

  constructor(deps: RoomComputeDeps) {
    this.wake = new VoiceServer({ engine: deps.engine, send: deps.send, offering: deps.offering, ownLoad: () => deps.ownLoad() + this.stt.load, changed: deps.changed });
    this.stt = new SttServer({ engine: deps.stt, send: deps.send, offering: deps.offering, changed: deps.changed });
  }

  /** Streams run for other devices (wake words and speech to text). */
  get load(): number {
    return this.wake.load + this.stt.load;
  }

  /** Whose microphones run here. */
  clients(): string[] {
    return [...new Set([...this.wake.clients(), ...this.stt.clients()])];
  }

  /** A server-side message (open/close, stt-open/stt-end); false if it is for a client. */
  control(from: string, msg: VoiceControl): boolean {
    switch (msg.op) {
      case 'open':
        void this.wake.control(from, msg);
        return true;
      case 'stt-open':
      case 'stt-end':
        this.stt.control(from, msg);
        return true;
      case 'close':
        if (this.stt.has(from, msg.stream)) this.stt.control(from, msg);
        else void this.wake.control(from, msg);
        return true;
      default:
        return false;
    }
  }

  audio(from: string, bytes: Uint8Array): void {
    const d = decodeAudioFrame(bytes);
    if (!d.ok) return console.warn('[osmose] audio frame refused from', from.slice(0, 9), d.error.code);
    if (this.stt.has(from, d.frame.stream)) this.stt.audio(from, d.frame);
    else this.wake.audio(from, d.frame);
  }

  peerGone(peerId: string): void {
    this.wake.peerGone(peerId);
    this.stt.peerGone(peerId);
  }

  stopAll(): void {
    this.wake.stopAll();
    this.stt.stopAll();
  }
}
