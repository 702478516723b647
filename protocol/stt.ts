/**
 * Speech-to-text messages between the app and the inference worker, joined into the inference
 * protocol (protocol/inference.ts: same `t`/`v`/`id` envelope, same version, validated the same
 * way). Two ways in:
 *  - a stream (`stt-open`, `stt-audio`, `stt-flush`, `stt-close`): microphone samples in, Silero
 *    VAD cuts them into utterances, each answered with its text, start and end (the scribe);
 *  - one utterance (`stt-transcribe`): samples in, text out, optionally as a command after a wake
 *    word (the grammar in workers/inference/stt/commands.ts, constrained decoding when needed).
 * Audio is 16 kHz mono Float32 in a transferable buffer; its size is checked before it is read.
 * The schemas are built from the inference protocol's shared pieces (`sttMessages(shared)`), so
 * that this file needs nothing from inference.ts at load time.
 */
import { z } from 'zod';

export const STT_LIMITS = {
  /** Speech-to-text streams open at once in one worker. */
  streams: 8,
  /** Samples in one `stt-audio` (4 s). */
  pushSamples: 4 * 16_000,
  /** Samples in one `stt-transcribe` (30 s: Moonshine's longest segment). */
  transcribeSamples: 30 * 16_000,
  /** Characters of text in an answer. */
  textChars: 2_000,
  /** Utterances answered in one message. */
  results: 32,
} as const;

const samples = (max: number) =>
  z.instanceof(ArrayBuffer).superRefine((b, ctx) => {
    if (b.byteLength > max * 4) ctx.addIssue({ code: 'custom', message: `over ${max} samples` });
    else if (b.byteLength % 4 !== 0) ctx.addIssue({ code: 'custom', message: 'not a whole number of float32 samples' });
  });

const Text = z.string().max(STT_LIMITS.textChars);
const Sample = z.number().int().min(0);
const Ms = z.number().min(0);

/** What a command asks for (workers/inference/stt/commands.ts `Command`). */
export const CommandSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('timer'), seconds: z.number().positive().max(24 * 3600), text: Text }),
  z.object({ kind: z.literal('timer-until'), hour: z.number().int().min(0).max(23).nullable(), minute: z.number().int().min(0).max(59), text: Text }),
  z.object({ kind: z.literal('note'), note: Text, text: Text }),
  z.object({ kind: z.literal('pin'), text: Text }),
  z.object({ kind: z.literal('who-is-here'), text: Text }),
  z.object({ kind: z.literal('scribe'), on: z.boolean(), text: Text }),
  z.object({ kind: z.literal('unknown'), text: Text }),
]);

export const SttMode = z.enum(['free', 'command']);

export const SttStreamOptions = z.object({
  vadThreshold: z.number().min(0).max(1).optional(),
  vadNegThreshold: z.number().min(0).max(1).optional(),
  /** Silence that ends an utterance (default 400 ms). */
  minSilenceMs: z.number().int().min(100).max(5_000).optional(),
  minSpeechMs: z.number().int().min(0).max(5_000).optional(),
  /** Longest utterance before it is cut (default 20 s). */
  maxUtteranceMs: z.number().int().min(1_000).max(30_000).optional(),
  padMs: z.number().int().min(0).max(1_000).optional(),
  /** Each utterance as free text (default) or as a command. */
  mode: SttMode.optional(),
});
export type SttStreamOptions = z.infer<typeof SttStreamOptions>;

/** One utterance of a stream. */
export const SttResult = z.object({
  /** Start and end of the speech in samples since the stream opened (divide by 16 for ms). */
  start: Sample,
  end: Sample,
  text: Text,
  ms: z.object({ encode: Ms, decode: Ms, constrained: Ms, total: Ms }),
  command: CommandSchema.optional(),
});
export type SttResult = z.infer<typeof SttResult>;

const Decode = z.object({ text: Text, logProb: z.number(), tokens: z.number().int().min(0), ended: z.boolean() });

/** One utterance transcribed (`stt-transcribe`). */
export const SttTranscript = z.object({
  text: Text,
  ms: z.object({ encode: Ms, decode: Ms, constrained: Ms, total: Ms }),
  /** Decoder runs. */
  runs: z.number().int().min(0),
  free: Decode,
  command: CommandSchema.optional(),
  /** Command mode, when the constrained decode ran (null: it found no sentence of the grammar). */
  constrained: Decode.omit({ ended: true }).extend({ believed: z.boolean() }).nullable().optional(),
});
export type SttTranscript = z.infer<typeof SttTranscript>;

/** The inference protocol's pieces the messages are made of. */
export interface Shared {
  V: z.ZodLiteral<number>;
  Id: z.ZodNumber;
  StreamId: z.ZodString;
  ModelName: z.ZodString;
  BackendName: z.ZodEnum<{ wasm: 'wasm'; webgpu: 'webgpu' }>;
  TimeoutMs: z.ZodNumber;
  LoadMs: z.ZodObject<{ fetch: z.ZodNumber; verify: z.ZodNumber; create: z.ZodNumber }>;
}

export function sttMessages(s: Shared) {
  const { V, Id, StreamId, ModelName, BackendName, TimeoutMs } = s;
  const Backends = z.record(ModelName, BackendName);
  const requests = [
    /** Open a stream: Silero VAD + Moonshine, each model on the backend the page chose. */
    z.object({ t: z.literal('stt-open'), v: V, id: Id, stream: StreamId, backends: Backends, options: SttStreamOptions.optional(), timeoutMs: TimeoutMs }),
    /** More samples; answered with the utterances they close. */
    z.object({ t: z.literal('stt-audio'), v: V, id: Id, stream: StreamId, samples: samples(STT_LIMITS.pushSamples), timeoutMs: TimeoutMs }),
    /** End the utterance in progress now; answered with it (if any). */
    z.object({ t: z.literal('stt-flush'), v: V, id: Id, stream: StreamId, timeoutMs: TimeoutMs }),
    z.object({ t: z.literal('stt-close'), v: V, id: Id, stream: StreamId }),
    /** One utterance: text, and in command mode the command. */
    z.object({
      t: z.literal('stt-transcribe'),
      v: V,
      id: Id,
      samples: samples(STT_LIMITS.transcribeSamples),
      backends: Backends,
      mode: SttMode,
      /** Decode without the key/value cache (benchmarks). */
      cache: z.boolean().optional(),
      /** Command mode: run the constrained decode even when the free text parses (measurements). */
      alwaysConstrain: z.boolean().optional(),
      timeoutMs: TimeoutMs,
    }),
  ] as const;
  const responses = [
    z.object({ t: z.literal('stt-opened'), v: V, id: Id, stream: StreamId, load: z.record(ModelName, s.LoadMs) }),
    z.object({
      t: z.literal('stt-results'),
      v: V,
      id: Id,
      stream: StreamId,
      results: z.array(SttResult).max(STT_LIMITS.results),
      /** An utterance is open (speech heard, its end not yet). */
      speaking: z.boolean(),
      /** Samples the stream has received. */
      endSample: Sample,
    }),
    z.object({ t: z.literal('stt-closed'), v: V, id: Id, stream: StreamId }),
    z.object({ t: z.literal('stt-text'), v: V, id: Id, transcript: SttTranscript }),
  ] as const;
  return { requests, responses };
}

export const STT_REQUEST_TYPES = ['stt-open', 'stt-audio', 'stt-flush', 'stt-close', 'stt-transcribe'] as const;
