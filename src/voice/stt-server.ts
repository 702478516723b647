/**
 * Speech to text for other devices, on a room device that offers the voice service: a phone's
 * command after a wake word (`whole`: the frames are one utterance, transcribed at `stt-end`) and
 * a microphone feeding the scribe (`vad`: cut into utterances here, each answered as it ends).
 * Audio arrives in frames over the mesh, is processed in memory and dropped; nothing is stored,
 * and the text goes back only to the device that sent the audio (which seals it for the scribe).
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { STT_OFFLOAD_LIMITS, int16ToFloat, type AudioFrame, type OffloadedText, type VoiceControl } from '../../protocol/voice.ts';
import type { SttEngine } from './stt-engine.ts';
import { SttFeeder } from './stt-feeder.ts';

export interface SttServerDeps {
  engine: SttEngine;
  send(to: string, msg: VoiceControl): void;
  /** May this device serve now (the person's setting, not on battery)? */
  offering(): boolean;
  changed(): void;
}

interface Served {
  peerId: string;
  stream: number;
  mode: 'command' | 'free';
  lastSeq: number;
  /** `whole`: the utterance so far. */
  whole: Float32Array[] | null;
  samples: number;
  /** `vad`: the stream's feeder. */
  feeder: SttFeeder | null;
}

type SttOp = Extract<VoiceControl, { op: 'stt-open' | 'stt-end' | 'close' }>;

export class SttServer {
  private served = new Map<string, Served>();

  constructor(private readonly deps: SttServerDeps) {}

  get load(): number {
    return this.served.size;
  }

  clients(): string[] {
    return [...new Set([...this.served.values()].map((s) => s.peerId))];
  }

  has(from: string, stream: number): boolean {
    return this.served.has(`${from}:${stream}`);
  }

  control(from: string, msg: SttOp): void {
    const key = `${from}:${msg.stream}`;
    if (msg.op === 'close') return this.drop(key);
    if (msg.op === 'stt-end') return void this.end(key);
    this.drop(key);
    if (!this.deps.offering()) return this.refuse(from, msg.stream, new OsmoseError('busy', 'this device does not offer the voice service now'));
    if (this.served.size >= STT_OFFLOAD_LIMITS.maxStreams) return this.refuse(from, msg.stream, new OsmoseError('busy', 'this device is transcribing as many microphones as it can'));
    // Registered at once: the frames that follow the open on the same channel are taken.
    const entry: Served = { peerId: from, stream: msg.stream, mode: msg.mode, lastSeq: -1, whole: msg.cut === 'whole' ? [] : null, samples: 0, feeder: null };
    if (msg.cut === 'vad') {
      entry.feeder = new SttFeeder(
        this.deps.engine.open(msg.mode),
        (results) => this.results(from, msg.stream, results, false),
        (err) => {
          this.drop(key);
          this.refuse(from, msg.stream, asError(err, 'inference-failed'));
        },
      );
    }
    this.served.set(key, entry);
    this.deps.changed();
    this.deps.send(from, { op: 'stt-opened', stream: msg.stream });
  }

  audio(from: string, frame: AudioFrame): void {
    const s = this.served.get(`${from}:${frame.stream}`);
    if (!s || frame.seq <= s.lastSeq) return;
    s.lastSeq = frame.seq;
    const samples = int16ToFloat(frame.samples);
    if (s.feeder) return s.feeder.push(samples);
    if (!s.whole) return;
    if (s.samples + samples.length > STT_OFFLOAD_LIMITS.wholeSamples) {
      this.drop(`${from}:${frame.stream}`);
      return this.refuse(from, frame.stream, new OsmoseError('too-large', `an utterance is at most ${STT_OFFLOAD_LIMITS.wholeSamples / 16_000} s`));
    }
    s.whole.push(samples);
    s.samples += samples.length;
  }

  peerGone(peerId: string): void {
    for (const [key, s] of this.served) if (s.peerId === peerId) this.drop(key);
  }

  stopAll(): void {
    for (const [key, s] of [...this.served]) {
      this.drop(key);
      this.refuse(s.peerId, s.stream, new OsmoseError('busy', 'this device stopped offering the voice service'));
    }
  }

  private async end(key: string): Promise<void> {
    const s = this.served.get(key);
    if (!s) return;
    try {
      if (s.feeder) await s.feeder.end();
      else if (s.whole) {
        const audio = new Float32Array(s.samples);
        let at = 0;
        for (const part of s.whole) {
          audio.set(part, at);
          at += part.length;
        }
        s.whole = null;
        const text = audio.length ? await this.deps.engine.transcribe(audio, s.mode) : { start: 0, end: 0, text: '' };
        if (this.served.get(key) !== s) return;
        this.results(s.peerId, s.stream, [text], true);
        return this.drop(key);
      }
      if (this.served.get(key) === s) this.results(s.peerId, s.stream, [], true);
    } catch (err) {
      if (this.served.get(key) === s) this.refuse(s.peerId, s.stream, asError(err, 'inference-failed'));
    }
    this.drop(key);
  }

  private results(to: string, stream: number, results: OffloadedText[], final: boolean): void {
    const n = STT_OFFLOAD_LIMITS.resultsPerMessage;
    if (!results.length) return this.deps.send(to, { op: 'stt-results', stream, results: [], final });
    for (let i = 0; i < results.length; i += n) this.deps.send(to, { op: 'stt-results', stream, results: results.slice(i, i + n), final: final && i + n >= results.length });
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

function asError(err: unknown, code: 'inference-failed' | 'model-unavailable'): OsmoseError {
  return err instanceof OsmoseError ? err : new OsmoseError(code, String((err as Error)?.message ?? err));
}
