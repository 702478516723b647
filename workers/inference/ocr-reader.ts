/**
 * OCR inside the inference worker: an `ocr-read` request runs the whole pipeline
 * (workers/inference/ocr/pipeline.ts) here, so a photo crosses once, not once per model run.
 * Sessions are the engine's (shared with plain `run` requests, one run at a time per session);
 * the dictionary is fetched and checked against the registry once per worker.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { InferenceRequest, InferenceResponse } from '../../protocol/inference.ts';
import { findDataFile, type Backend, type DataFile } from '../../models/registry.ts';
import { ortRunner, type OrtSessionHandle } from './runner.ts';
import { OcrPipeline } from './ocr/pipeline.ts';
import { ctcClasses } from './ocr/ctc.ts';
import { DICTIONARY, ocrModels } from './ocr/models.ts';
import type { VerifiedModel } from './model-bytes.ts';

type Req = Extract<InferenceRequest, { t: 'ocr-read' }>;
type Res = Extract<InferenceResponse, { t: 'ocr-lines' }>;
type LoadMs = { fetch: number; verify: number; create: number };

export interface OcrDeps {
  /** Opens (or reuses) the session of `model` on `backend`. */
  open(model: string, backend: Backend, timeoutMs: number): Promise<{ session: OrtSessionHandle; ms: LoadMs }>;
  /** Runs `fn` when no other run of that session is in progress. */
  exclusive<T>(model: string, backend: Backend, fn: () => Promise<T>): Promise<T>;
  /** The file's bytes, verified against the registry's SHA-256. */
  fetchData(entry: DataFile, signal: AbortSignal): Promise<VerifiedModel>;
  now(): number;
}

export class OcrReader {
  private classes: Promise<string[]> | null = null;
  /** Reads in progress per model (a model in use is not unloaded under them). */
  private active = new Map<string, number>();

  constructor(private readonly deps: OcrDeps) {}

  uses(model: string): boolean {
    return (this.active.get(model) ?? 0) > 0;
  }

  async read(req: Req): Promise<Res> {
    const models = ocrModels(req.options?.orientation ?? false);
    const backends: Record<string, Backend> = {};
    for (const m of models) {
      const b = req.backends[m];
      if (!b) throw new OsmoseError('bad-request', `no backend given for ${m}`);
      backends[m] = b;
    }
    for (const m of models) this.active.set(m, (this.active.get(m) ?? 0) + 1);
    try {
      const t0 = this.deps.now();
      const [classes, ...loaded] = await Promise.all([this.dictionary(req.timeoutMs), ...models.map((m) => this.deps.open(m, backends[m]!, req.timeoutMs))]);
      const load = this.deps.now() - t0;
      const sessions = new Map(models.map((m, i) => [m, loaded[i]!.session]));
      const runner = ortRunner(
        (m) => sessions.get(m) ?? fail(m),
        (m, fn) => this.deps.exclusive(m, backends[m]!, fn),
      );
      const pipeline = new OcrPipeline(runner, classes, this.deps.now);
      const image = { width: req.image.width, height: req.image.height, data: new Uint8Array(req.image.data) };
      let result;
      try {
        result = await pipeline.read(image, {
          ...(req.options?.maxSide !== undefined && { maxSide: req.options.maxSide }),
          ...(req.options?.minConfidence !== undefined && { minConfidence: req.options.minConfidence }),
          orientation: req.options?.orientation ?? false,
        });
      } catch (err) {
        if (err instanceof OsmoseError) throw err;
        throw new OsmoseError('inference-failed', `reading the photo: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
      }
      return {
        t: 'ocr-lines', v: PROTOCOL_VERSION, id: req.id, width: result.width, height: result.height,
        detectSize: result.detectSize, boxes: result.boxes,
        lines: result.lines.map((l) => ({ ...l, box: l.box.map(([x, y]) => [x, y] as [number, number]) as Res['lines'][number]['box'] })),
        ms: { load, ...result.ms },
      };
    } finally {
      for (const m of models) this.active.set(m, this.active.get(m)! - 1);
    }
  }

  /** The recognition classes from the pinned dictionary; fetched once, again after a failure. */
  private dictionary(timeoutMs: number): Promise<string[]> {
    if (!this.classes) {
      const entry = findDataFile(DICTIONARY);
      if (!entry) return Promise.reject(new OsmoseError('model-unavailable', `no data file ${DICTIONARY} in the registry`));
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      const p = this.deps
        .fetchData(entry, abort.signal)
        .then((v) => ctcClasses(new TextDecoder('utf-8', { fatal: true }).decode(v.bytes)))
        .finally(() => clearTimeout(timer));
      this.classes = p;
      p.catch(() => (this.classes = null));
    }
    return this.classes;
  }
}

function fail(model: string): never {
  throw new OsmoseError('internal', `OCR has no session for ${model}`);
}
