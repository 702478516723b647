/**
 * The room's voice service on a device that offers it: runs other devices' microphone streams
 * through this device's models and sends each step's scores back. Audio arrives in binary frames,
 * is processed in memory and dropped; nothing is stored. Detection (threshold, which phrases fire)
 * stays with the microphone's owner, who records the event.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { VOICE_LIMITS, int16ToFloat, type AudioFrame, type VoiceControl } from '../../protocol/voice.ts';
import { OrderedFeeder, type WakeEngine } from './engine.ts';

export interface ServerDeps {
  engine: WakeEngine;
  send(to: string, msg: VoiceControl): void;
  /** May this device serve now (the person's setting)? */
  offering(): boolean;
  /** Streams this device runs besides the ones served here (its own microphone). */
  ownLoad(): number;
  changed(): void;
}

interface Served {
  peerId: string;
  stream: number;
  feeder: OrderedFeeder | null;
  opening: boolean;
  lastSeq: number;
}

export class VoiceServer {
  private served = new Map<string, Served>();

  constructor(private readonly deps: ServerDeps) {}

  /** Streams served for other devices. */
  get load(): number {
    return this.served.size;
  }

  /** Who is being served (for the UI). */
  clients(): string[] {
    return [...new Set([...this.served.values()].map((s) => s.peerId))];
  }

  async control(from: string, msg: VoiceControl): Promise<void> {
    const key = `${from}:${msg.stream}`;
    switch (msg.op) {
      case 'open': {
        this.drop(key);
        if (!this.deps.offering()) return this.refuse(from, msg.stream, new OsmoseError('busy', 'this device does not offer the voice service now'));
        if (this.served.size + this.deps.ownLoad() >= VOICE_LIMITS.maxStreams) return this.refuse(from, msg.stream, new OsmoseError('busy', 'this device is running as many microphones as it can'));
        const entry: Served = { peerId: from, stream: msg.stream, feeder: null, opening: true, lastSeq: -1 };
        this.served.set(key, entry);
        this.deps.changed();
        try {
          const handle = await this.deps.engine.open(msg.phrases);
          if (this.served.get(key) !== entry) return handle.close();
          entry.feeder = new OrderedFeeder(
            handle,
            (steps, seq) => this.deps.send(from, { op: 'result', stream: msg.stream, seq, steps }),
            (err) => {
              this.drop(key);
              this.refuse(from, msg.stream, err instanceof OsmoseError ? err : new OsmoseError('inference-failed', String((err as Error)?.message ?? err)));
            },
          );
          entry.opening = false;
          this.deps.send(from, { op: 'opened', stream: msg.stream });
        } catch (err) {
          if (this.served.get(key) === entry) this.drop(key);
          this.refuse(from, msg.stream, err instanceof OsmoseError ? err : new OsmoseError('model-unavailable', String((err as Error)?.message ?? err)));
        }
        return;
      }
      case 'close':
        return this.drop(key);
      default:
        // opened / refused / result are for clients (voice-client.ts).
        return;
    }
  }

  audio(from: string, frame: AudioFrame): void {
    const s = this.served.get(`${from}:${frame.stream}`);
    // Frames for a stream we do not run (closed, refused, still opening) are dropped.
    if (!s?.feeder || frame.seq <= s.lastSeq) return;
    s.lastSeq = frame.seq;
    s.feeder.push(int16ToFloat(frame.samples), frame.seq);
  }

  peerGone(peerId: string): void {
    for (const [key, s] of this.served) if (s.peerId === peerId) this.drop(key);
  }

  /** Stop serving everyone (the person turned the service off, or the room closed). */
  stopAll(): void {
    for (const [key, s] of [...this.served]) {
      this.drop(key);
      this.deps.send(s.peerId, { op: 'refused', stream: s.stream, error: new OsmoseError('busy', 'this device stopped offering the voice service').toWire() });
    }
  }

  private refuse(to: string, stream: number, err: OsmoseError): void {
    this.deps.send(to, { op: 'refused', stream, error: err.toWire() });
  }

  private drop(key: string): void {
    const s = this.served.get(key);
    if (!s) return;
    this.served.delete(key);
    s.feeder?.close();
    this.deps.changed();
  }
}
