/**
 * Wake-word streams inside the inference worker: one WakePipeline per stream (one per microphone
 * this device serves, its own or a remote device's), all sharing the engine's sessions. Runs of a
 * session go through the engine's queue, so streams and plain `run` requests never overlap on one
 * session. The start embeddings are precomputed (workers/inference/wake/start-embeddings.ts), or computed
 * once per (mel, embedding) backend pair where the models differ from those, and shared.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { INFERENCE_LIMITS, type InferenceRequest, type InferenceResponse } from '../../protocol/inference.ts';
import type { Backend } from '../../models/registry.ts';
import { CLASSIFIERS, EMBEDDING_MODEL, EMBEDDING_WINDOW_MODEL, MEL_MODEL, modelsFor } from './wake/models.ts';
import { WakePipeline } from './wake/pipeline.ts';
import { initialFeatures, precomputedFeatures } from './wake/initial-features.ts';
import { findModel } from '../../models/registry.ts';
import { ortRunner, type ModelRunner, type OrtSessionHandle } from './runner.ts';

type Req<T extends InferenceRequest['t']> = Extract<InferenceRequest, { t: T }>;
type Res<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;
type LoadMs = Res<'loaded'>['ms'];

export interface WakeDeps {
  /** Opens (or reuses) the session of `model` on `backend`. */
  open(model: string, backend: Backend, timeoutMs: number): Promise<{ session: OrtSessionHandle; ms: LoadMs }>;
  /** Runs `fn` when no other run of that session is in progress. */
  exclusive<T>(model: string, backend: Backend, fn: () => Promise<T>): Promise<T>;
  now(): number;
}

interface Stream {
  pipeline: WakePipeline;
  models: Set<string>;
}

export class WakeStreams {
  private streams = new Map<string, Stream>();
  /** Streams being opened: their names are taken. */
  private opening = new Set<string>();
  private initial = new Map<string, Promise<Float32Array>>();

  constructor(private readonly deps: WakeDeps) {}

  /** Whether an open stream runs `model` (it must not be unloaded under it). */
  uses(model: string): boolean {
    for (const s of this.streams.values()) if (s.models.has(model)) return true;
    return false;
  }

  get size(): number {
    return this.streams.size;
  }

  async open(req: Req<'wake-open'>): Promise<Res<'wake-opened'>> {
    if (this.streams.has(req.stream) || this.opening.has(req.stream)) throw new OsmoseError('bad-request', `wake stream ${req.stream} is already open`);
    if (this.streams.size + this.opening.size >= INFERENCE_LIMITS.wakeStreams) throw new OsmoseError('too-large', `at most ${INFERENCE_LIMITS.wakeStreams} wake streams at once`);
    const phrases = [...new Set(req.phrases)];
    for (const p of phrases) if (!CLASSIFIERS[p]) throw new OsmoseError('model-unavailable', `${p} is not a wake-word model`);
    const models = modelsFor(phrases, req.options ?? {});
    const backends: Record<string, Backend> = {};
    for (const m of models) {
      const b = req.backends[m];
      if (!b) throw new OsmoseError('bad-request', `no backend given for ${m}`);
      backends[m] = b;
    }
    this.opening.add(req.stream);
    try {
      const loaded = await Promise.all(models.map((m) => this.deps.open(m, backends[m]!, req.timeoutMs)));
      const sessions = new Map(models.map((m, i) => [m, loaded[i]!.session]));
      const runner = ortRunner(
        (m) => sessions.get(m) ?? fail(m),
        (m, fn) => this.deps.exclusive(m, backends[m]!, fn),
      );
      const t0 = this.deps.now();
      const initial = await this.initialFor(runner, backends);
      const pipeline = new WakePipeline(runner, { phrases, initialFeatures: initial, now: this.deps.now, ...req.options });
      const prepareMs = this.deps.now() - t0;
      this.streams.set(req.stream, { pipeline, models: new Set(models) });
      return {
        t: 'wake-opened', v: PROTOCOL_VERSION, id: req.id, stream: req.stream, prepareMs,
        load: Object.fromEntries(models.map((m, i) => [m, loaded[i]!.ms])),
      };
    } finally {
      this.opening.delete(req.stream);
    }
  }

  async audio(req: Req<'wake-audio'>): Promise<Res<'wake-scores'>> {
    const s = this.get(req.stream);
    let steps;
    try {
      steps = await s.pipeline.push(new Float32Array(req.samples));
    } catch (err) {
      if (err instanceof OsmoseError) throw err;
      // The pipeline stays usable: the rest of this push is dropped, the next one continues.
      throw new OsmoseError('inference-failed', `wake stream ${req.stream}: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
    }
    return { t: 'wake-scores', v: PROTOCOL_VERSION, id: req.id, stream: req.stream, steps };
  }

  close(req: Req<'wake-close'>): Res<'wake-closed'> {
    this.get(req.stream);
    this.streams.delete(req.stream);
    return { t: 'wake-closed', v: PROTOCOL_VERSION, id: req.id, stream: req.stream };
  }

  private get(stream: string): Stream {
    const s = this.streams.get(stream);
    if (!s) throw new OsmoseError('not-found', `no wake stream ${stream} in this worker (closed, or the worker restarted)`);
    return s;
  }

  /**
   * Precomputed for the registry's models (no model runs; embedding_window and embedding_step are
   * built from the embedding_model it pins); otherwise computed once per backend pair.
   */
  private initialFor(runner: ModelRunner, backends: Record<string, Backend>): Promise<Float32Array> {
    const embedding = backends[EMBEDDING_MODEL] ? EMBEDDING_MODEL : EMBEDDING_WINDOW_MODEL;
    const key = `${backends[MEL_MODEL]}|${embedding}@${backends[embedding]}`;
    let p = this.initial.get(key);
    if (!p) {
      const known = precomputedFeatures(findModel(MEL_MODEL)?.sha256 ?? '', findModel(EMBEDDING_MODEL)?.sha256 ?? '');
      p = known ? Promise.resolve(known) : initialFeatures(runner, embedding);
      this.initial.set(key, p);
      p.catch(() => this.initial.delete(key));
    }
    return p;
  }
}

function fail(model: string): never {
  throw new OsmoseError('internal', `wake stream has no session for ${model}`);
}
