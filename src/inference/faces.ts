/**
 * Faces on the inference worker (issue 12): detection, enrolment shots, matching against the
 * templates the page hands the worker. A part of the runtime (runtime.ts builds it with the
 * requests it may make); split off so that each model family's facade stays small.
 */
import { INFERENCE_LIMITS, type InferenceRequest, type InferenceResponse } from '../../protocol/inference.ts';
import { FACE_MODEL_NAMES, type FaceDetectOptions, type FaceTemplate, type FoundFace, type ShotVerdict, type VisionResponse } from '../../protocol/vision.ts';
import type { Backend } from '../../models/registry.ts';
import type { RequestBody, WorkerLike } from '../platform/worker-client.ts';

export type { FoundFace, FaceDetectOptions, ShotVerdict };

/** An RGBA frame, row by row (a canvas's ImageData, a VideoFrame copied as RGBA). */
export interface FrameInput {
  width: number;
  height: number;
  /** width x height x 4 bytes. Transferred to the worker: an ArrayBuffer (or a view of a whole one) is detached. */
  data: ArrayBuffer | Uint8Array | Uint8ClampedArray;
}

export type FaceModel = (typeof FACE_MODEL_NAMES)[number];

export interface DetectFacesOptions extends FaceDetectOptions {
  /** Force backends (benchmarks, tests); models not named here use the chooser's verdict. */
  backends?: Partial<Record<FaceModel, Backend>>;
}

export type FacesFound = Omit<Extract<VisionResponse, { t: 'faces-found' }>, 'v' | 'id' | 't'>;

type AnswerOf<T extends InferenceResponse['t']> = Extract<InferenceResponse, { t: T }>;

/** What the faces facade needs of the runtime. */
export interface FacesChannel {
  /** Starts the worker if none runs, and returns it. */
  start(): WorkerLike;
  request<T extends InferenceResponse['t']>(body: RequestBody<InferenceRequest>, expect: T, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<AnswerOf<T>>;
  backendFor(model: string): Promise<Backend>;
  load(model: string, backend: Backend): Promise<unknown>;
  timeouts: { load: number; run: number; probe: number };
}

export class Faces {
  /** The templates to match against, and the worker that has them (a new worker gets them again). */
  private templates: { list: FaceTemplate[]; worker: WorkerLike | null } = { list: [], worker: null };

  constructor(private readonly rt: FacesChannel) {}

  /**
   * Faces in one frame (detection; `descriptors` adds landmarks and 128-d descriptors, `match`
   * the closest template set with `setTemplates`). The frame's buffer is transferred.
   */
  async detect(frame: FrameInput, options: DetectFacesOptions = {}): Promise<FacesFound> {
    const { backends: forced, ...rest } = options;
    const describe = !!(rest.descriptors || rest.match);
    this.rt.start();
    const backends = await this.backends(describe, forced);
    if (rest.match) await this.sendTemplates();
    const timeoutMs = this.rt.timeouts.run + this.rt.timeouts.load;
    const data = ownBuffer(frame.data);
    const a = await this.rt.request({ t: 'faces-detect', frame: { width: frame.width, height: frame.height, data }, options: rest, backends, timeoutMs }, 'faces-found', timeoutMs, [data]);
    return { faces: a.faces, ms: a.ms, runs: a.runs };
  }

  /**
   * Enrolment: one descriptor per shot of the person at this device. A shot with no face, or with
   * more than one, is refused (`verdict`), never guessed at. The shots' buffers are transferred.
   */
  async enrol(shots: FrameInput[], options: Pick<DetectFacesOptions, 'backends'> = {}): Promise<{ verdict: ShotVerdict; descriptor?: number[] }[]> {
    this.rt.start();
    const backends = await this.backends(true, options.backends);
    const timeoutMs = Math.min(INFERENCE_LIMITS.timeoutMs, this.rt.timeouts.load + this.rt.timeouts.run * shots.length);
    const wire = shots.map((f) => ({ width: f.width, height: f.height, data: ownBuffer(f.data) }));
    const a = await this.rt.request({ t: 'faces-enrol', shots: wire, backends, timeoutMs }, 'faces-enrolled', timeoutMs, wire.map((f) => f.data));
    return a.shots;
  }

  /** The templates `detect({ match: true })` compares with (replacing the previous ones; [] forgets them). */
  async setTemplates(templates: { id: string; descriptors: ArrayLike<number>[] }[]): Promise<number> {
    this.templates = { list: templates.map((t) => ({ id: t.id, descriptors: t.descriptors.map((d) => Array.from(d)) })), worker: null };
    return this.sendTemplates();
  }

  /** Opens the face models ahead of the first frame (a camera is being turned on). */
  async warm(descriptors = false, options: Pick<DetectFacesOptions, 'backends'> = {}): Promise<void> {
    this.rt.start();
    const backends = await this.backends(descriptors, options.backends);
    await Promise.all(Object.entries(backends).map(([m, b]) => this.rt.load(m, b)));
  }

  private async backends(describe: boolean, forced: Partial<Record<FaceModel, Backend>> = {}): Promise<Partial<Record<FaceModel, Backend>>> {
    const models = describe ? FACE_MODEL_NAMES : FACE_MODEL_NAMES.slice(0, 1);
    const chosen = await Promise.all(models.map((m) => forced[m] ?? this.rt.backendFor(m)));
    return Object.fromEntries(models.map((m, i) => [m, chosen[i]!]));
  }

  private async sendTemplates(): Promise<number> {
    const worker = this.rt.start();
    if (this.templates.worker === worker) return this.templates.list.length;
    const a = await this.rt.request({ t: 'faces-templates', templates: this.templates.list }, 'faces-templates-set', this.rt.timeouts.probe);
    this.templates.worker = worker;
    return a.count;
  }
}

/** A buffer the message can own and transfer: a view of part of a larger buffer is copied. */
export function ownBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}
