/**
 * The app's handle on the inference worker. Starts the worker on first use; matches answers to
 * requests by id; gives every request a deadline; on a worker crash rejects what was in flight with
 * `worker-crashed` and starts a fresh worker on the next request. A request that outlives its
 * deadline by a grace period means the worker's event loop is stuck (its own deadline did not
 * fire): the worker is replaced.
 */
import { OsmoseError } from '../../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';
import { InferenceResponse, transferList, type DType, type InferenceRequest, type WireTensor, type AdapterInfo } from '../../../protocol/inference.ts';
import { findModel, type Backend } from '../../../models/registry.ts';
import { BackendChooser, type VerdictStore } from './backend-choice.ts';

/** What the runtime needs of a Worker (a fake in unit tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: ErrorEvent | Event) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
}

export type TensorInput = { dtype: DType; dims: number[]; data: ArrayBuffer | ArrayBufferView };
type Answer = InferenceResponse;
type AnswerOf<T extends Answer['t']> = Extract<Answer, { t: T }>;
type Omitted<R> = R extends unknown ? Omit<R, 'v' | 'id'> : never;

export interface RuntimeOptions {
  createWorker?: () => WorkerLike;
  /** Per-request deadlines in ms. */
  timeouts?: Partial<Record<'load' | 'run' | 'compare' | 'probe', number>>;
  /** Extra time the page waits past a deadline before declaring the worker stuck. */
  graceMs?: number;
  verdicts?: VerdictStore | null;
  /** Use a software (fallback) WebGPU adapter even when it agrees with wasm. Off: it is far slower. */
  allowFallbackAdapter?: boolean;
}

const DEFAULT_TIMEOUTS = { load: 30_000, run: 5_000, compare: 60_000, probe: 5_000 };

interface Pending {
  resolve(answer: Answer): void;
  reject(err: OsmoseError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class InferenceRuntime {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private readonly timeouts: typeof DEFAULT_TIMEOUTS;
  private readonly chooser: BackendChooser;
  /** How many workers this runtime has started (diagnostics, tests). */
  workersStarted = 0;

  constructor(private readonly opts: RuntimeOptions = {}) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.chooser = new BackendChooser({
      probe: () => this.probe().then((p) => p.adapter),
      compare: (model) => this.compareBackends(model),
      store: opts.verdicts ?? null,
      allowFallbackAdapter: opts.allowFallbackAdapter ?? false,
    });
  }

  /** Which backend `model` runs on here (checks WebGPU against wasm once per model and adapter). */
  backendFor(model: string): Promise<Backend> {
    return this.chooser.choose(model);
  }

  async load(model: string, backend?: Backend): Promise<AnswerOf<'loaded'>> {
    const b = backend ?? (await this.backendFor(model));
    return this.request({ t: 'load', model, backend: b, timeoutMs: this.timeouts.load }, 'loaded', this.timeouts.load);
  }

  async run(model: string, inputs: Record<string, TensorInput>, opts: { backend?: Backend; timeoutMs?: number } = {}): Promise<{ outputs: Record<string, WireTensor>; ms: number }> {
    const backend = opts.backend ?? (await this.backendFor(model));
    // A run may have to open the model first (after a worker restart): allow for a load.
    const timeoutMs = opts.timeoutMs ?? this.timeouts.run + this.timeouts.load;
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(inputs)) wire[name] = { dtype: t.dtype, dims: [...t.dims], data: ownBuffer(t.data) };
    const a = await this.request({ t: 'run', model, backend, inputs: wire, timeoutMs }, 'ran', timeoutMs, transferList(wire));
    return { outputs: a.outputs, ms: a.ms };
  }

  unload(model: string): Promise<AnswerOf<'unloaded'>> {
    return this.request({ t: 'unload', model }, 'unloaded', this.timeouts.probe);
  }

  probe(): Promise<AnswerOf<'probed'>> {
    return this.request({ t: 'probe' }, 'probed', this.timeouts.probe);
  }

  compareBackends(model: string): Promise<AnswerOf<'compared'>> {
    return this.request({ t: 'compare-backends', model, timeoutMs: this.timeouts.compare }, 'compared', this.timeouts.compare);
  }

  /** Diagnostics: make the worker crash (tests the recovery path). */
  crashWorker(): Promise<never> {
    return this.request({ t: 'crash' }, 'unloaded', this.timeouts.probe) as Promise<never>;
  }

  /** The verdicts this runtime knows (diagnostics). */
  verdicts(): Record<string, { agrees: boolean; maxAbsDiff: number; adapter: AdapterInfo; backend: Backend }> {
    return this.chooser.known();
  }

  dispose(): void {
    this.fail(new OsmoseError('cancelled', 'the inference runtime was closed'));
  }

  private request<T extends Answer['t']>(body: Omitted<InferenceRequest>, expect: T, timeoutMs: number, transfer: ArrayBuffer[] = []): Promise<AnswerOf<T>> {
    if ('model' in body && !findModel(body.model)) return Promise.reject(new OsmoseError('model-unavailable', `no model named ${body.model} in the registry`));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<AnswerOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OsmoseError('timeout', `the inference worker did not answer ${body.t} in ${timeoutMs} ms`));
        // Its own deadline should have answered first: the worker is stuck. Replace it.
        if (this.worker === worker) this.restart(worker, 'the inference worker stopped answering');
      }, timeoutMs + (this.opts.graceMs ?? 2_000));
      this.pending.set(id, {
        timer,
        reject,
        resolve: (answer) => {
          if (answer.t === 'error') reject(new OsmoseError(answer.error.code, answer.error.message));
          else if (answer.t !== expect) reject(new OsmoseError('bad-request', `expected ${expect}, got ${answer.t}`));
          else resolve(answer as AnswerOf<T>);
        },
      });
      try {
        worker.postMessage({ ...body, v: PROTOCOL_VERSION, id }, transfer);
      } catch (err) {
        this.settle(id)?.reject(new OsmoseError('bad-request', `could not send to the inference worker: ${(err as Error)?.message ?? err}`));
      }
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const w = this.opts.createWorker?.() ?? (new Worker(new URL('../../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'osmose-inference' }) as unknown as WorkerLike);
    this.workersStarted++;
    w.onmessage = (ev) => this.onAnswer(ev.data);
    w.onerror = (ev) => {
      (ev as Event).preventDefault?.();
      this.restart(w, `the inference worker crashed: ${(ev as ErrorEvent).message ?? 'error'}`);
    };
    w.onmessageerror = () => console.warn('[osmose] inference worker: a message could not be deserialized');
    this.worker = w;
    return w;
  }

  private onAnswer(data: unknown): void {
    const parsed = InferenceResponse.safeParse(data);
    if (!parsed.success) {
      // Unreadable: if it names a request, fail that one rather than let it time out.
      const raw = data as { id?: unknown; v?: unknown } | null;
      console.warn('[osmose] inference worker sent an invalid message', parsed.error.issues[0]?.message);
      if (typeof raw?.id === 'number') this.settle(raw.id)?.reject(new OsmoseError(raw.v !== PROTOCOL_VERSION ? 'protocol-version' : 'bad-request', 'invalid answer from the inference worker'));
      return;
    }
    const p = this.settle(parsed.data.id);
    if (!p) {
      if (parsed.data.t === 'error') console.warn('[osmose] inference worker:', parsed.data.error.message);
      return; // late answer to a request that timed out
    }
    p.resolve(parsed.data);
  }

  private restart(w: WorkerLike, why: string): void {
    console.warn('[osmose]', why);
    if (this.worker !== w) return;
    this.worker = null;
    w.onmessage = w.onerror = w.onmessageerror = null;
    w.terminate();
    this.fail(new OsmoseError('worker-crashed', why));
  }

  private fail(err: OsmoseError): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
    if (err.code !== 'worker-crashed') {
      this.worker?.terminate();
      this.worker = null;
    }
  }
}

/** A buffer the message can own and transfer: a view of part of a larger buffer is copied. */
function ownBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}
