/**
 * Speech to text inside the inference worker: streams (one per microphone transcribed here, its
 * own or another device's) and one-shot transcriptions, sharing the engine's sessions and its
 * per-session queue, like the wake streams. `handle` answers every `stt-*` request; failures are
 * OsmoseErrors (the engine turns them into `{code, message}`).
 */
import { OsmoseError } from '../../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';
import { STT_LIMITS, STT_REQUEST_TYPES } from '../../../protocol/stt.ts';
import type { InferenceRequest, InferenceResponse } from '../../../protocol/inference.ts';
import type { Backend } from '../../../models/registry.ts';
import { VAD_MODEL } from '../vad.ts';
import { ortRunner } from '../runner.ts';
import { DECODER_MODEL, ENCODER_MODEL } from './moonshine.ts';
import { ortTensorRunner, type SessionHandle } from './runner.ts';
import { MoonshineDecoder } from './decoder.ts';
import { loadTokenizer } from './tokenizer.ts';
import { UtteranceSegmenter } from './segmenter.ts';
import { transcribe, type Transcript } from './transcriber.ts';

export type SttRequest = Extract<InferenceRequest, { t: (typeof STT_REQUEST_TYPES)[number] }>;
type Req<T extends SttRequest['t']> = Extract<SttRequest, { t: T }>;
type Res<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;
type LoadMs = Res<'loaded'>['ms'];

export function isSttRequest(req: InferenceRequest): req is SttRequest {
  return (STT_REQUEST_TYPES as readonly string[]).includes(req.t);
}

export interface SttDeps {
  open(model: string, backend: Backend, timeoutMs: number): Promise<{ session: SessionHandle; ms: LoadMs }>;
  exclusive<T>(model: string, backend: Backend, fn: () => Promise<T>): Promise<T>;
  now(): number;
}

/** The models a stream needs (VAD first); a one-shot transcription needs the last two. */
export const STREAM_MODELS = [VAD_MODEL, ENCODER_MODEL, DECODER_MODEL] as const;
export const TRANSCRIBE_MODELS = [ENCODER_MODEL, DECODER_MODEL] as const;

interface Stream {
  segmenter: UtteranceSegmenter;
  decoder: MoonshineDecoder;
  mode: 'free' | 'command';
  models: Set<string>;
}

export class SttService {
  private streams = new Map<string, Stream>();
  private opening = new Set<string>();
  /** Models busy in a one-shot transcription (not to be unloaded under it). */
  private busy = new Map<string, number>();

  constructor(private readonly deps: SttDeps) {}

  uses(model: string): boolean {
    if ((this.busy.get(model) ?? 0) > 0) return true;
    for (const s of this.streams.values()) if (s.models.has(model)) return true;
    return false;
  }

  async handle(req: SttRequest): Promise<InferenceResponse> {
    switch (req.t) {
      case 'stt-open':
        return this.open(req);
      case 'stt-audio': {
        const s = this.get(req.stream);
        const utterances = await this.guard(req.stream, () => s.segmenter.push(new Float32Array(req.samples)));
        return this.results(req, s, utterances);
      }
      case 'stt-flush': {
        const s = this.get(req.stream);
        return this.results(req, s, await this.guard(req.stream, () => s.segmenter.flush()));
      }
      case 'stt-close':
        this.get(req.stream);
        this.streams.delete(req.stream);
        return { t: 'stt-closed', v: PROTOCOL_VERSION, id: req.id, stream: req.stream };
      case 'stt-transcribe':
        return this.once(req);
    }
  }

  private async open(req: Req<'stt-open'>): Promise<Res<'stt-opened'>> {
    if (this.streams.has(req.stream) || this.opening.has(req.stream)) throw new OsmoseError('bad-request', `speech-to-text stream ${req.stream} is already open`);
    if (this.streams.size + this.opening.size >= STT_LIMITS.streams) throw new OsmoseError('too-large', `at most ${STT_LIMITS.streams} speech-to-text streams at once`);
    const backends = pick(req.backends, STREAM_MODELS);
    this.opening.add(req.stream);
    try {
      const { sessions, load } = await this.load(backends, req.timeoutMs);
      const exclusive = <T>(m: string, fn: () => Promise<T>) => this.deps.exclusive(m, backends[m]!, fn);
      const session = (m: string) => sessions.get(m) ?? fail(m);
      const decoder = new MoonshineDecoder(ortTensorRunner(session, exclusive), await loadTokenizer(), this.deps.now);
      const segmenter = new UtteranceSegmenter(ortRunner(session, exclusive), req.options ?? {});
      this.streams.set(req.stream, { segmenter, decoder, mode: req.options?.mode ?? 'free', models: new Set(STREAM_MODELS) });
      return { t: 'stt-opened', v: PROTOCOL_VERSION, id: req.id, stream: req.stream, load };
    } finally {
      this.opening.delete(req.stream);
    }
  }

  private async once(req: Req<'stt-transcribe'>): Promise<Res<'stt-text'>> {
    const backends = pick(req.backends, TRANSCRIBE_MODELS);
    for (const m of TRANSCRIBE_MODELS) this.busy.set(m, (this.busy.get(m) ?? 0) + 1);
    try {
      const { sessions } = await this.load(backends, req.timeoutMs);
      const runner = ortTensorRunner((m) => sessions.get(m) ?? fail(m), (m, fn) => this.deps.exclusive(m, backends[m]!, fn));
      const decoder = new MoonshineDecoder(runner, await loadTokenizer(), this.deps.now);
      const t = await this.guard('transcription', () =>
        transcribe(decoder, new Float32Array(req.samples), { mode: req.mode, cache: req.cache, alwaysConstrain: req.alwaysConstrain }, this.deps.now),
      );
      return { t: 'stt-text', v: PROTOCOL_VERSION, id: req.id, transcript: clip(t) };
    } finally {
      for (const m of TRANSCRIBE_MODELS) this.busy.set(m, this.busy.get(m)! - 1);
    }
  }

  private async results(req: Req<'stt-audio' | 'stt-flush'>, s: Stream, utterances: { start: number; end: number; audio: Float32Array }[]): Promise<Res<'stt-results'>> {
    const results: Res<'stt-results'>['results'] = [];
    for (const u of utterances.slice(-STT_LIMITS.results)) {
      const t = clip(await this.guard(req.stream, () => transcribe(s.decoder, u.audio, { mode: s.mode }, this.deps.now)));
      results.push({ start: u.start, end: u.end, text: t.text, ms: t.ms, ...(t.command ? { command: t.command } : {}) });
    }
    return { t: 'stt-results', v: PROTOCOL_VERSION, id: req.id, stream: req.stream, results, speaking: s.segmenter.speaking, endSample: s.segmenter.samples };
  }

  private async load(backends: Record<string, Backend>, timeoutMs: number) {
    const models = Object.keys(backends);
    const loaded = await Promise.all(models.map((m) => this.deps.open(m, backends[m]!, timeoutMs)));
    return {
      sessions: new Map(models.map((m, i) => [m, loaded[i]!.session])),
      load: Object.fromEntries(models.map((m, i) => [m, loaded[i]!.ms])),
    };
  }

  private get(stream: string): Stream {
    const s = this.streams.get(stream);
    if (!s) throw new OsmoseError('not-found', `no speech-to-text stream ${stream} in this worker (closed, or the worker restarted)`);
    return s;
  }

  /** A model failure becomes inference-failed; the stream stays usable. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OsmoseError) throw err;
      throw new OsmoseError('inference-failed', `speech to text (${what}): ${String((err as Error)?.message ?? err).slice(0, 300)}`);
    }
  }
}

/** The backend of each model, every one of them required. */
function pick(given: Record<string, Backend>, models: readonly string[]): Record<string, Backend> {
  const out: Record<string, Backend> = {};
  for (const m of models) {
    const b = given[m];
    if (!b) throw new OsmoseError('bad-request', `no backend given for ${m}`);
    out[m] = b;
  }
  return out;
}

/** Texts within the protocol's limit (a 30 s decode stays far below it; a broken model might not). */
function clip(t: Transcript): Transcript {
  const cut = (s: string) => s.slice(0, STT_LIMITS.textChars);
  const out: Transcript = { ...t, text: cut(t.text), free: { ...t.free, text: cut(t.free.text) } };
  if (t.constrained) out.constrained = { ...t.constrained, text: cut(t.constrained.text) };
  if (t.command) out.command = { ...t.command, text: cut(t.command.text) } as Transcript['command'];
  return out;
}

function fail(model: string): never {
  throw new OsmoseError('internal', `speech to text has no session for ${model}`);
}
