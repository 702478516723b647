/**
 * What the voice features need of speech to text on this device: one utterance (a command after
 * a wake word) or a stream cut into utterances by the VAD (the scribe). The app's engine is the
 * inference runtime's `stt` (src/inference/stt.ts); unit tests use a scripted one. A room device
 * serving others (stt-server.ts) uses the same.
 */
import type { OffloadedText } from '../../protocol/voice.ts';

export interface SttStreamHandle {
  /** 16 kHz samples, any length; resolves with the utterances they closed. */
  push(samples: Float32Array): Promise<OffloadedText[]>;
  /** Closes the utterance in progress; resolves with it (if any). */
  flush(): Promise<OffloadedText[]>;
  close(): void;
}

export interface SttEngine {
  /** One utterance; in `command` mode the answer carries the command the grammar read (or `unknown`). */
  transcribe(samples: Float32Array, mode: 'command' | 'free'): Promise<OffloadedText>;
  open(mode: 'command' | 'free'): Promise<SttStreamHandle>;
  /** Starts loading the models (a microphone is about to need them); never throws. */
  warm(): void;
}

/** The runtime's speech to text, as the voice features use it (src/inference/stt.ts `SpeechToText`). */
export interface RuntimeSttLike {
  transcribe(samples: Float32Array, options?: { mode?: 'free' | 'command' }): Promise<{ text: string; command?: OffloadedText['command'] }>;
  open(options?: { mode?: 'free' | 'command'; minSilenceMs?: number }): Promise<{
    push(samples: Float32Array): Promise<{ start: number; end: number; text: string; command?: OffloadedText['command'] }[]>;
    flush(): Promise<{ start: number; end: number; text: string; command?: OffloadedText['command'] }[]>;
    close(): Promise<void>;
  }>;
  warm(): Promise<void>;
}

const strip = (r: { start: number; end: number; text: string; command?: OffloadedText['command'] }): OffloadedText => ({ start: r.start, end: r.end, text: r.text, ...(r.command ? { command: r.command } : {}) });

/**
 * The runtime's speech to text. The models are loaded first (`warm`: each model under its own load
 * deadline; a no-op once they are open), so a cold start on a busy device (28 MB fetched, hashed,
 * compiled) does not count against the transcription's or the stream's deadline.
 */
export function runtimeStt(stt: () => Promise<RuntimeSttLike>): SttEngine {
  return {
    async transcribe(samples, mode) {
      const rt = await stt();
      await rt.warm();
      const t = await rt.transcribe(samples, { mode });
      return { start: 0, end: samples.length, text: t.text, ...(t.command ? { command: t.command } : {}) };
    },
    async open(mode) {
      const rt = await stt();
      await rt.warm();
      const s = await rt.open({ mode });
      return {
        push: async (samples) => (await s.push(samples)).map(strip),
        flush: async () => (await s.flush()).map(strip),
        close: () => void s.close().catch(() => undefined),
      };
    },
    warm() {
      void stt()
        .then((s) => s.warm())
        .catch((err: unknown) => console.warn('[osmose] speech-to-text models could not be warmed', err));
    },
  };
}
