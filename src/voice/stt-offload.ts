/**
 * Speech to text on a room device, from this device's side (the server: stt-server.ts): a
 * command's audio sent whole and its text awaited, or a microphone streamed for the scribe with
 * each utterance's text coming back. Audio goes only to the chosen room device, over the mesh's
 * encrypted data channel, in the same audio frames as wake-word streams.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { VOICE_LIMITS, encodeAudioFrame, type OffloadedText, type VoiceControl } from '../../protocol/voice.ts';
import type { SttEngine } from './stt-engine.ts';

export interface OffloadDeps {
  send(to: string, msg: VoiceControl): boolean;
  sendAudio(to: string, frame: Uint8Array): void;
}

/** A microphone streamed to a room device for the scribe. */
export interface RemoteSttStream {
  readonly server: string;
  push(samples: Float32Array): void;
  /** Flushes the utterance in progress; resolves when the server says the stream is over. */
  end(timeoutMs?: number): Promise<void>;
  close(): void;
}

interface Pending {
  server: string;
  seq: number;
  onResults(results: OffloadedText[]): void;
  onLost(err: OsmoseError): void;
  onFinal: (() => void) | null;
}

type ClientOp = Extract<VoiceControl, { op: 'stt-opened' | 'stt-results' | 'refused' }>;

export class SttOffload {
  private streams = new Map<number, Pending>();

  constructor(private readonly deps: OffloadDeps) {}

  /** Whether `stream` is one of this device's speech-to-text streams. */
  owns(stream: number): boolean {
    return this.streams.has(stream);
  }

  /** One utterance transcribed on `server`; rejects if it refuses, leaves, or takes over `timeoutMs`. */
  transcribe(server: string, samples: Float32Array, mode: 'command' | 'free', timeoutMs: number): Promise<OffloadedText> {
    return new Promise((resolve, reject) => {
      let got: OffloadedText | null = null;
      const stream = this.newStream();
      const timer = setTimeout(() => fail(new OsmoseError('timeout', `no text from the room device in ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      const fail = (err: OsmoseError) => {
        clearTimeout(timer);
        this.forget(stream, true);
        reject(err);
      };
      this.streams.set(stream, {
        server,
        seq: 0,
        onResults: (r) => (got ??= r[0] ?? null),
        onLost: fail,
        onFinal: () => {
          clearTimeout(timer);
          this.streams.delete(stream);
          resolve(got ?? { start: 0, end: samples.length, text: '' });
        },
      });
      if (!this.deps.send(server, { op: 'stt-open', stream, mode, cut: 'whole' })) return fail(new OsmoseError('not-found', 'that room device is not connected'));
      this.sendAudio(stream, samples);
      this.deps.send(server, { op: 'stt-end', stream });
    });
  }

  /** A microphone stream cut into utterances on `server`; `onLost` when it refuses or leaves. */
  open(server: string, mode: 'command' | 'free', onResults: (r: OffloadedText[]) => void, onLost: (err: OsmoseError) => void): RemoteSttStream {
    const stream = this.newStream();
    const entry: Pending = { server, seq: 0, onResults, onLost, onFinal: null };
    this.streams.set(stream, entry);
    if (!this.deps.send(server, { op: 'stt-open', stream, mode, cut: 'vad' })) {
      this.streams.delete(stream);
      queueMicrotask(() => onLost(new OsmoseError('not-found', 'that room device is not connected')));
    }
    return {
      server,
      push: (samples) => {
        if (this.streams.get(stream) === entry) this.sendAudio(stream, samples);
      },
      end: (timeoutMs = 30_000) =>
        new Promise<void>((resolve) => {
          if (this.streams.get(stream) !== entry) return resolve();
          const timer = setTimeout(() => (this.forget(stream, true), resolve()), timeoutMs);
          entry.onFinal = () => {
            clearTimeout(timer);
            this.streams.delete(stream);
            resolve();
          };
          entry.onLost = (err) => (clearTimeout(timer), onLost(err), resolve());
          this.deps.send(server, { op: 'stt-end', stream });
        }),
      close: () => this.forget(stream, true),
    };
  }

  control(from: string, msg: ClientOp): void {
    const s = this.streams.get(msg.stream);
    if (!s || s.server !== from) return;
    if (msg.op === 'refused') {
      this.streams.delete(msg.stream);
      return s.onLost(new OsmoseError(msg.error.code, msg.error.message));
    }
    if (msg.op === 'stt-results') {
      if (msg.results.length) s.onResults(msg.results);
      if (msg.final) s.onFinal?.();
    }
  }

  peerGone(peerId: string): void {
    for (const [stream, s] of [...this.streams]) {
      if (s.server !== peerId) continue;
      this.streams.delete(stream);
      s.onLost(new OsmoseError('not-found', 'the room device running speech to text left'));
    }
  }

  private sendAudio(stream: number, samples: Float32Array): void {
    const s = this.streams.get(stream)!;
    const n = VOICE_LIMITS.frameSamples;
    for (let at = 0; at < samples.length; at += n) this.deps.sendAudio(s.server, encodeAudioFrame(stream, ++s.seq, samples.subarray(at, at + n)));
  }

  private forget(stream: number, tell: boolean): void {
    const s = this.streams.get(stream);
    if (!s) return;
    this.streams.delete(stream);
    if (tell) this.deps.send(s.server, { op: 'close', stream });
  }

  private newStream(): number {
    let n: number;
    do n = (Math.random() * 0xffff_fffe) >>> 0;
    while (this.streams.has(n));
    return n;
  }
}

/**
 * A command's audio, transcribed where the microphone's models run (`runningOn`, a room device)
 * and here if that device is this one, none, or it fails. Rejects only if this device fails too.
 */
export async function transcribeNear(offload: SttOffload, here: SttEngine, me: string, runningOn: string | null, samples: Float32Array): Promise<{ result: OffloadedText; by: string }> {
  if (runningOn && runningOn !== me) {
    try {
      return { result: await offload.transcribe(runningOn, samples, 'command', 20_000 + samples.length / 8), by: runningOn };
    } catch (err) {
      console.warn('[osmose] the room device could not transcribe a command; trying here', err);
    }
  }
  return { result: await here.transcribe(samples, 'command'), by: me };
}
