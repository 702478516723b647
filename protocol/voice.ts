/**
 * The room's voice service, in one place:
 *
 *   - the fixed phrases the room recognises (openWakeWord classifiers; not free speech);
 *   - what a device says about its microphone and its voice compute in presence (`VoicePresence`);
 *   - detections and room timers as they live in the room's memory (`VoiceEvent`, `RoomTimer`);
 *   - the mesh messages of shared room compute: a device whose models should not run (a phone on
 *     battery) streams its microphone to a room device that offers the voice service. Control
 *     messages are JSON (`VoiceControl`, carried in a mesh `voice` message); audio travels in
 *     binary frames (`encodeAudioFrame`), 16-bit PCM at 16 kHz, never stored anywhere.
 */
import { z } from 'zod';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { DeviceId, WireErrorSchema } from './common.ts';
import { LIMITS } from './limits.ts';
import { OsmoseError } from './errors.ts';
import { FRAME_KIND } from './frame-kinds.ts';
import { CommandSchema, STT_LIMITS } from './stt.ts';

export const SAMPLE_RATE = 16_000;
/** openWakeWord's step: 80 ms. */
export const STEP_SAMPLES = 1280;

export type PhraseKind = 'wake' | 'timer' | 'weather';
export interface Phrase {
  id: string;
  /** The classifier in models/registry.ts. */
  model: string;
  /** What a person says. */
  label: string;
  kind: PhraseKind;
}

export const PHRASES = [
  { id: 'hey_jarvis', model: 'hey_jarvis_v0.1', label: 'Hey Jarvis', kind: 'wake' },
  { id: 'alexa', model: 'alexa_v0.1', label: 'Alexa', kind: 'wake' },
  { id: 'hey_mycroft', model: 'hey_mycroft_v0.1', label: 'Hey Mycroft', kind: 'wake' },
  { id: 'hey_rhasspy', model: 'hey_rhasspy_v0.1', label: 'Hey Rhasspy', kind: 'wake' },
  { id: 'timer', model: 'timer_v0.1', label: 'Set a timer (for … minutes)', kind: 'timer' },
  { id: 'weather', model: 'weather_v0.1', label: "What's the weather", kind: 'weather' },
] as const satisfies readonly Phrase[];

export type PhraseId = (typeof PHRASES)[number]['id'];
export const PhraseId = z.enum(PHRASES.map((p) => p.id) as [PhraseId, ...PhraseId[]]);
export const PHRASE_IDS: readonly PhraseId[] = PHRASES.map((p) => p.id);

export function phrase(id: PhraseId): Phrase {
  return PHRASES.find((p) => p.id === id)!;
}
export function phraseByModel(model: string): Phrase | undefined {
  return PHRASES.find((p) => p.model === model);
}

export const Threshold = z.number().min(0.05).max(0.99);
export const DEFAULT_THRESHOLD = 0.5;

/** In a device's profile: its microphone and what it offers the room (defined with Profile). */
export { VoicePresence } from './common.ts';

const Score = z.number().min(0).max(1);
const Ms = z.number().int().min(0);
const Id = z.string().regex(/^[0-9A-Za-z-]{8,64}$/);

/** A detection, in the room's memory (doc array `voice`): seen by every device and the hub. */
export const VoiceEvent = z.object({
  id: Id,
  phrase: PhraseId,
  /** Whose microphone heard it. */
  heardBy: DeviceId,
  heardByName: z.string().max(LIMITS.displayNameChars),
  /** Which device ran the models (the same device, or the room device serving it). */
  processedBy: DeviceId,
  score: Score,
  at: Ms,
  /** For the timer phrase: the length it heard (its model tells 1, 5, 10, 20, 30 minutes or an hour). */
  timerMinutes: z.number().int().min(1).max(1440).optional(),
});
export type VoiceEvent = z.infer<typeof VoiceEvent>;

/** openWakeWord's timer model names its classes like `5_minute_timer` and `1_hour_timer`. */
export function timerClassMinutes(label: string): number | null {
  const m = /^(\d{1,3})_(minute|hour)s?_timer$/.exec(label);
  if (!m) return null;
  const n = Number(m[1]) * (m[2] === 'hour' ? 60 : 1);
  return n >= 1 && n <= 1440 ? n : null;
}

export const TIMER_LIMITS = { minMs: 10_000, maxMs: 24 * 3_600_000, defaultMinutes: 5 } as const;

/** A room timer (doc map `timers`): shown on every device and on /display. */
export const RoomTimer = z.object({
  id: Id,
  startedBy: DeviceId,
  startedByName: z.string().max(LIMITS.displayNameChars),
  startedAt: Ms,
  durationMs: z.number().int().min(TIMER_LIMITS.minMs).max(TIMER_LIMITS.maxMs),
  /** What started it: a spoken phrase (the voice event's id) or a tap. */
  cause: z.enum(['voice', 'manual']),
  cancelledAt: Ms.optional(),
});
export type RoomTimer = z.infer<typeof RoomTimer>;

/** One 80 ms step's result: speech probability and a score per enabled phrase. */
export const VoiceStep = z.object({
  vad: Score,
  speech: z.boolean(),
  scores: z.partialRecord(PhraseId, Score),
  /** The timer model's best class as minutes ("set a timer for 5 minutes" → 5), when it has one. */
  timerMinutes: z.number().int().min(1).max(1440).optional(),
});
export type VoiceStep = z.infer<typeof VoiceStep>;

export const VOICE_LIMITS = {
  /** Streams one device serves at once (its own microphone included). */
  maxStreams: 4,
  /** Samples in one audio frame (250 ms). */
  frameSamples: 4000,
  stepsPerResult: 8,
} as const;

const Stream = z.number().int().min(0).max(0xffff_ffff);
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** One utterance transcribed by a room device: start and end in samples since its stream opened. */
export const OffloadedText = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  text: z.string().max(STT_LIMITS.textChars),
  command: CommandSchema.optional(),
});
export type OffloadedText = z.infer<typeof OffloadedText>;

export const STT_OFFLOAD_LIMITS = {
  /** Speech-to-text streams one device serves for others at once. */
  maxStreams: 4,
  /** Samples a `whole` stream may send before `stt-end` (30 s: one transcription). */
  wholeSamples: STT_LIMITS.transcribeSamples,
  resultsPerMessage: 8,
} as const;

/**
 * Mesh messages of shared room compute (inside a mesh `voice` message): wake-word streams
 * (`open` … `result`) and speech to text (`stt-*`). Audio for either goes in audio frames.
 */
export const VoiceControl = z.discriminatedUnion('op', [
  /** Client → server: run the pipeline on my microphone for these phrases. */
  z.object({ op: z.literal('open'), stream: Stream, phrases: z.array(PhraseId).min(1).max(PHRASES.length) }),
  z.object({ op: z.literal('opened'), stream: Stream }),
  /** Server → client: not now (not serving, full, the models failed). The client picks another. */
  z.object({ op: z.literal('refused'), stream: Stream, error: WireErrorSchema }),
  z.object({ op: z.literal('close'), stream: Stream }),
  /** Server → client: the steps completed by audio up to frame `seq`. */
  z.object({ op: z.literal('result'), stream: Stream, seq: Seq, steps: z.array(VoiceStep).max(VOICE_LIMITS.stepsPerResult) }),
  /**
   * Client → server: transcribe my audio. `whole`: the frames that follow are one utterance (a
   * command after a wake word), transcribed at `stt-end`; `vad`: a microphone stream the server
   * cuts into utterances (the scribe), each answered as it ends, until `stt-end` (which flushes).
   */
  z.object({ op: z.literal('stt-open'), stream: Stream, mode: z.enum(['command', 'free']), cut: z.enum(['whole', 'vad']) }),
  z.object({ op: z.literal('stt-opened'), stream: Stream }),
  z.object({ op: z.literal('stt-end'), stream: Stream }),
  /** Server → client: utterances transcribed; `final`: the stream is over (after `stt-end`). */
  z.object({ op: z.literal('stt-results'), stream: Stream, results: z.array(OffloadedText).max(STT_OFFLOAD_LIMITS.resultsPerMessage), final: z.boolean() }),
]);
export type VoiceControl = z.infer<typeof VoiceControl>;

/** The first byte of an audio frame (assigned in protocol/frame-kinds.ts). */
export const AUDIO_FRAME_KIND = FRAME_KIND.audio;

export interface AudioFrame {
  stream: number;
  seq: number;
  samples: Int16Array;
}

export function isAudioFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === AUDIO_FRAME_KIND;
}

/** [0x56][stream: varuint][seq: varuint][pcm: int16 little-endian]. Floats are clamped to [-1, 1]. */
export function encodeAudioFrame(stream: number, seq: number, samples: Float32Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8(e, AUDIO_FRAME_KIND);
  encoding.writeVarUint(e, stream);
  encoding.writeVarUint(e, seq);
  const head = encoding.toUint8Array(e);
  const out = new Uint8Array(head.byteLength + samples.length * 2);
  out.set(head, 0);
  const view = new DataView(out.buffer, head.byteLength);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(i * 2, Math.round(s * 32767), true);
  }
  return out;
}

export type DecodedAudio = { ok: true; frame: AudioFrame } | { ok: false; error: OsmoseError };

export function decodeAudioFrame(bytes: Uint8Array): DecodedAudio {
  try {
    const d = decoding.createDecoder(bytes);
    if (decoding.readUint8(d) !== AUDIO_FRAME_KIND) return { ok: false, error: new OsmoseError('unknown-type', 'not an audio frame') };
    const stream = decoding.readVarUint(d);
    const seq = decoding.readVarUint(d);
    const rest = bytes.byteLength - d.pos;
    if (stream > 0xffff_ffff || seq > Number.MAX_SAFE_INTEGER) return { ok: false, error: new OsmoseError('bad-request', 'audio frame header out of range') };
    if (rest % 2 !== 0 || rest === 0) return { ok: false, error: new OsmoseError('bad-request', 'audio frame must hold whole 16-bit samples') };
    if (rest / 2 > VOICE_LIMITS.frameSamples) return { ok: false, error: new OsmoseError('too-large', `audio frame over ${VOICE_LIMITS.frameSamples} samples`) };
    const samples = new Int16Array(rest / 2);
    const view = new DataView(bytes.buffer, bytes.byteOffset + d.pos, rest);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
    return { ok: true, frame: { stream, seq, samples } };
  } catch {
    return { ok: false, error: new OsmoseError('bad-request', 'truncated audio frame') };
  }
}

export function int16ToFloat(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! / 32767;
  return out;
}
