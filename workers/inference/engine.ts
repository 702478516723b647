/**
 * The inference worker's logic, without the worker: sessions per (model, backend), loading
 * (fetch → verify → create), running with a deadline, and the WebGPU-vs-wasm check. Every
 * failure becomes an OsmoseError with a code; `handle` never throws.
 */
import type * as Ort from 'onnxruntime-web';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { transferList, type InferenceRequest, type InferenceResponse, type WireTensor } from '../../protocol/inference.ts';
import { findModel, type Backend, type DataFile, type ModelEntry } from '../../models/registry.ts';
import { sampleInputs } from '../../models/sample.ts';
import type { OrtModule } from './ort-loader.ts';
import type { VerifiedModel } from './model-bytes.ts';
import type { AdapterInfo } from '../../protocol/inference.ts';
import { fromOrt, maxAbsDiff, toOrt } from './tensors.ts';
import { WakeStreams } from './wake-streams.ts';
import { FaceService } from './faces.ts';
import { isVisionRequest } from '../../protocol/vision.ts';
import { OcrReader } from './ocr-reader.ts';
import { warmModel } from './warm-model.ts';
import { SttService, isSttRequest } from './stt/service.ts';

export interface EngineDeps {
  loadOrt(backend: Backend): Promise<OrtModule>;
  /** A model's (or a data file's) bytes, verified against the registry. */
  fetchModel(entry: ModelEntry | DataFile, signal: AbortSignal): Promise<VerifiedModel>;
  adapterInfo(): Promise<AdapterInfo | null>;
  crossOriginIsolated: boolean;
  threads: number;
  now(): number;
}

interface OpenSession {
  ort: OrtModule;
  session: Ort.InferenceSession;
  entry: ModelEntry;
  sha256: string;
}

export interface Reply {
  message: InferenceResponse;
  transfer: ArrayBuffer[];
}

type Loaded = Extract<InferenceResponse, { t: 'loaded' }>;

export class InferenceEngine {
  private sessions = new Map<string, Promise<{ open: OpenSession; ms: Loaded['ms'] }>>();
  /**
   * One run at a time per ORT build (backend), not just per session: onnxruntime-web's `run` puts
   * its input and output names on the wasm stack and then awaits once per input, so a run of
   * another session in between moves that stack under it ("input/output name cannot be empty").
   */
  private queues = new Map<Backend, Promise<unknown>>();
  private readonly wake: WakeStreams;
  private readonly faces: FaceService;
  private readonly stt: SttService;
  private readonly ocr: OcrReader;
  private warming = new Map<Backend, Promise<number>>();

  constructor(private readonly deps: EngineDeps) {
    this.wake = new WakeStreams({
      open: (model, backend, timeoutMs) => this.open(model, backend, timeoutMs).then(({ open, ms }) => ({ session: open, ms })),
      exclusive: (_model, backend, fn) => this.exclusive(backend, fn),
      now: deps.now,
    });
    this.faces = new FaceService({
      open: (model, backend, timeoutMs) => this.open(model, backend, timeoutMs).then(({ open }) => ({ session: open })),
      exclusive: (_model, backend, fn) => this.exclusive(backend, fn),
      now: deps.now,
    });
    this.stt = new SttService({
      open: (model, backend, timeoutMs) => this.open(model, backend, timeoutMs).then(({ open, ms }) => ({ session: open, ms })),
      exclusive: (_model, backend, fn) => this.exclusive(backend, fn),
      now: deps.now,
    });
    this.ocr = new OcrReader({
      open: (model, backend, timeoutMs) => this.open(model, backend, timeoutMs).then(({ open, ms }) => ({ session: open, ms })),
      exclusive: (_model, backend, fn) => this.exclusive(backend, fn),
      fetchData: (entry, signal) => deps.fetchModel(entry, signal),
      now: deps.now,
    });
  }

  /**
   * Starts ORT's runtime for `backend` now (import, wasm fetch and compile, ORT start-up) by
   * opening a session on a one-node model, so that it overlaps with fetching the real models
   * instead of starting after the first of them has arrived. Resolves with the ms it took; once
   * per backend. A failure is not kept: the next real load tries again and reports it.
   */
  warmUp(backend: Backend = 'wasm'): Promise<number> {
    let p = this.warming.get(backend);
    if (!p) {
      p = (async () => {
        const t0 = this.deps.now();
        const ort = await this.deps.loadOrt(backend);
        const session = await ort.InferenceSession.create(warmModel(), { executionProviders: [backend] });
        await session.release();
        return this.deps.now() - t0;
      })();
      this.warming.set(backend, p);
      p.catch(() => this.warming.delete(backend));
    }
    return p;
  }

  async handle(req: InferenceRequest): Promise<Reply> {
    try {
      return await this.dispatch(req);
    } catch (err) {
      const wire = err instanceof OsmoseError ? err.toWire() : { code: 'inference-failed' as const, message: String((err as Error)?.message ?? err).slice(0, 500) };
      if (!(err instanceof OsmoseError)) console.warn('[osmose] inference:', err);
      return { message: { t: 'error', v: PROTOCOL_VERSION, id: req.id, error: wire }, transfer: [] };
    }
  }

  private async dispatch(req: InferenceRequest): Promise<Reply> {
    const v = PROTOCOL_VERSION;
    if (isVisionRequest(req)) return { message: await withDeadline(this.faces.handle(req), 'timeoutMs' in req ? req.timeoutMs : 5_000, req.t), transfer: [] };
    if (isSttRequest(req)) return { message: await withDeadline(this.stt.handle(req), 'timeoutMs' in req ? req.timeoutMs : 5_000, req.t), transfer: [] };
    switch (req.t) {
      case 'probe':
        return {
          message: { t: 'probed', v, id: req.id, crossOriginIsolated: this.deps.crossOriginIsolated, threads: this.deps.threads, adapter: await this.deps.adapterInfo() },
          transfer: [],
        };
      case 'load': {
        const { open, ms } = await withDeadline(this.open(req.model, req.backend, req.timeoutMs), req.timeoutMs, `loading ${req.model}`);
        return {
          message: {
            t: 'loaded', v, id: req.id, model: req.model, backend: req.backend, sha256: open.sha256, bytes: open.entry.bytes,
            inputNames: [...open.session.inputNames], outputNames: [...open.session.outputNames], ms,
          },
          transfer: [],
        };
      }
      case 'run': {
        const t0 = this.deps.now();
        const outputs = await withDeadline(this.runOn(req.model, req.backend, req.inputs, req.timeoutMs), req.timeoutMs, `running ${req.model}`);
        return { message: { t: 'ran', v, id: req.id, outputs, ms: this.deps.now() - t0 }, transfer: transferList(outputs) };
      }
      case 'unload': {
        if (this.stt.uses(req.model)) throw new OsmoseError('bad-request', `${req.model} is in use by speech to text; close its streams first`);
        if (this.wake.uses(req.model)) throw new OsmoseError('bad-request', `${req.model} is in use by a wake stream; close it first`);
        if (this.ocr.uses(req.model)) throw new OsmoseError('bad-request', `${req.model} is reading a photo; try again when it is done`);
        for (const backend of ['wasm', 'webgpu'] as const) {
          const key = `${req.model}@${backend}`;
          const s = this.sessions.get(key);
          this.sessions.delete(key);
          if (s) await s.then(({ open }) => open.session.release()).catch(() => undefined);
        }
        return { message: { t: 'unloaded', v, id: req.id }, transfer: [] };
      }
      case 'compare-backends':
        return { message: await withDeadline(this.compare(req.id, req.model, req.timeoutMs), req.timeoutMs, `checking ${req.model} on WebGPU`), transfer: [] };
      case 'wake-open':
        return { message: await withDeadline(this.wake.open(req), req.timeoutMs, `opening wake stream ${req.stream}`), transfer: [] };
      case 'wake-audio':
        return { message: await withDeadline(this.wake.audio(req), req.timeoutMs, `wake stream ${req.stream}`), transfer: [] };
      case 'wake-close':
        return { message: this.wake.close(req), transfer: [] };
      case 'ocr-read':
        return { message: await withDeadline(this.ocr.read(req), req.timeoutMs, 'reading the photo'), transfer: [] };
    }
  }

  private entry(model: string, backend: Backend): ModelEntry {
    const entry = findModel(model);
    if (!entry) throw new OsmoseError('model-unavailable', `no model named ${model} in the registry`);
    if (!entry.backends.includes(backend)) throw new OsmoseError('backend-unavailable', `${model} is not allowed on ${backend}`);
    return entry;
  }

  private open(model: string, backend: Backend, timeoutMs: number): Promise<{ open: OpenSession; ms: Loaded['ms'] }> {
    const key = `${model}@${backend}`;
    const existing = this.sessions.get(key);
    if (existing) return existing.then(({ open }) => ({ open, ms: { fetch: 0, verify: 0, create: 0 } }));
    const p = this.create(model, backend, timeoutMs);
    this.sessions.set(key, p);
    p.catch(() => this.sessions.delete(key)); // a failed load may be retried
    return p;
  }

  private async create(model: string, backend: Backend, timeoutMs: number): Promise<{ open: OpenSession; ms: Loaded['ms'] }> {
    const entry = this.entry(model, backend);
    if (backend === 'webgpu' && !(await this.deps.adapterInfo())) throw new OsmoseError('backend-unavailable', 'this device has no WebGPU adapter');
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let verified: VerifiedModel;
    try {
      [verified] = await Promise.all([this.deps.fetchModel(entry, abort.signal), this.deps.loadOrt(backend)]);
    } finally {
      clearTimeout(timer);
    }
    const ort = await this.deps.loadOrt(backend);
    const t0 = this.deps.now();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(verified.bytes, {
        executionProviders: [backend],
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new OsmoseError('inference-failed', `could not open ${model} on ${backend}: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
    }
    return { open: { ort, session, entry, sha256: verified.sha256 }, ms: { ...verified.ms, create: this.deps.now() - t0 } };
  }

  private async runOn(model: string, backend: Backend, inputs: Record<string, WireTensor>, timeoutMs: number): Promise<Record<string, WireTensor>> {
    const { open } = await this.open(model, backend, timeoutMs);
    return this.exclusive(backend, () => this.runSession(open, inputs));
  }

  /** Runs `fn` after every earlier run on `backend` (any session) has finished. */
  private exclusive<T>(key: Backend, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.queues.set(key, next);
    return next;
  }

  private async runSession(open: OpenSession, inputs: Record<string, WireTensor>): Promise<Record<string, WireTensor>> {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const name of open.session.inputNames) {
      const t = inputs[name];
      if (!t) throw new OsmoseError('bad-request', `input ${name} is missing`);
      feeds[name] = toOrt(open.ort, t);
    }
    let results: Ort.InferenceSession.OnnxValueMapType;
    try {
      results = await open.session.run(feeds);
    } catch (err) {
      throw new OsmoseError('inference-failed', `${open.entry.name}: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
    }
    const outputs: Record<string, WireTensor> = {};
    for (const name of open.session.outputNames) {
      const value = results[name] as Ort.Tensor | undefined;
      if (value) outputs[name] = fromOrt(value);
    }
    for (const t of Object.values(results) as Ort.Tensor[]) t.dispose?.();
    return outputs;
  }

  private async compare(id: number, model: string, timeoutMs: number): Promise<InferenceResponse> {
    const entry = this.entry(model, 'webgpu');
    const adapter = await this.deps.adapterInfo();
    if (!adapter) throw new OsmoseError('backend-unavailable', 'this device has no WebGPU adapter');
    const t0 = this.deps.now();
    const wasm = await this.runOn(model, 'wasm', sampleInputs(entry.sample), timeoutMs);
    const t1 = this.deps.now();
    let diff: number;
    try {
      const gpu = await this.runOn(model, 'webgpu', sampleInputs(entry.sample), timeoutMs);
      diff = maxAbsDiff(wasm, gpu);
    } catch (err) {
      // A model WebGPU cannot open or run disagrees by definition.
      console.warn(`[osmose] ${model} on WebGPU:`, (err as Error)?.message ?? err);
      diff = Infinity;
    }
    const t2 = this.deps.now();
    return {
      t: 'compared', v: PROTOCOL_VERSION, id, model, agrees: diff <= entry.tolerance,
      // Infinity does not survive JSON-like checks downstream; report it as a large number.
      maxAbsDiff: Number.isFinite(diff) ? diff : Number.MAX_VALUE, tolerance: entry.tolerance, adapter, ms: { wasm: t1 - t0, webgpu: t2 - t1 },
    };
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OsmoseError('timeout', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
