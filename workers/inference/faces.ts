/**
 * Faces inside the inference worker: each `faces-*` request runs the vision pipeline
 * (workers/inference/vision/) on the engine's sessions, through the engine's per-session queue, so
 * face requests, wake streams and plain `run` requests never overlap on one session. Frames are
 * read and dropped. The enrolled templates (descriptors only, under opaque ids) live here for
 * `match` until replaced; a worker restart forgets them (the page sets them again).
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { VisionRequest, VisionResponse, FoundFace, WireFrame } from '../../protocol/vision.ts';
import type { Backend } from '../../models/registry.ts';
import { ortRunner, type OrtSessionHandle } from './runner.ts';
import { FacePipeline, type FaceOptions } from './vision/pipeline.ts';
import { DETECTOR_MODEL, LANDMARK_MODEL, RECOGNITION_MODEL } from './vision/models.ts';
import { bestMatch, type Template } from './vision/match.ts';
import type { RgbaFrame } from './vision/image.ts';

type Req<T extends VisionRequest['t']> = Extract<VisionRequest, { t: T }>;
type Res<T extends VisionResponse['t']> = Extract<VisionResponse, { t: T }>;

export interface FaceDeps {
  open(model: string, backend: Backend, timeoutMs: number): Promise<{ session: OrtSessionHandle }>;
  exclusive<T>(model: string, backend: Backend, fn: () => Promise<T>): Promise<T>;
  now(): number;
}

const frameOf = (f: WireFrame): RgbaFrame => ({ width: f.width, height: f.height, data: new Uint8Array(f.data) });

export class FaceService {
  private templates: Template[] = [];

  constructor(private readonly deps: FaceDeps) {}

  handle(req: VisionRequest): Promise<VisionResponse> {
    switch (req.t) {
      case 'faces-detect':
        return this.detect(req);
      case 'faces-enrol':
        return this.enrol(req);
      case 'faces-templates':
        this.templates = req.templates.map((t) => ({ id: t.id, descriptors: t.descriptors.map((d) => Float32Array.from(d)) }));
        return Promise.resolve({ t: 'faces-templates-set', v: PROTOCOL_VERSION, id: req.id, count: this.templates.length });
    }
  }

  /** A pipeline over the sessions of the models this request needs, each on its chosen backend. */
  private async pipeline(backends: Req<'faces-detect'>['backends'], describe: boolean, timeoutMs: number): Promise<FacePipeline> {
    const models = describe ? [DETECTOR_MODEL, LANDMARK_MODEL, RECOGNITION_MODEL] : [DETECTOR_MODEL];
    const chosen = new Map<string, Backend>();
    for (const m of models) {
      const b = backends[m as keyof typeof backends];
      if (!b) throw new OsmoseError('bad-request', `no backend given for ${m}`);
      chosen.set(m, b);
    }
    const open = await Promise.all(models.map((m) => this.deps.open(m, chosen.get(m)!, timeoutMs)));
    const sessions = new Map(models.map((m, i) => [m, open[i]!.session]));
    const runner = ortRunner(
      (m) => {
        const s = sessions.get(m);
        if (!s) throw new OsmoseError('inference-failed', `${m} is not open`);
        return s;
      },
      (m, fn) => this.deps.exclusive(m, chosen.get(m)!, fn),
    );
    return new FacePipeline(runner, this.deps.now);
  }

  private async detect(req: Req<'faces-detect'>): Promise<Res<'faces-found'>> {
    const o = req.options ?? {};
    if (o.match && !this.templates.length) throw new OsmoseError('bad-request', 'no face templates to match against (send faces-templates first)');
    const describe = !!(o.descriptors || o.match);
    const pipeline = await this.pipeline(req.backends, describe, req.timeoutMs);
    const options: FaceOptions = { descriptors: describe, batch: !o.naive };
    if (o.inputSize !== undefined) options.inputSize = o.inputSize;
    if (o.scoreThreshold !== undefined) options.scoreThreshold = o.scoreThreshold;
    if (o.maxFaces !== undefined) options.maxFaces = o.maxFaces;
    const pass = await this.run(pipeline, frameOf(req.frame), options);
    const faces = pass.faces.map((f): FoundFace => {
      const out: FoundFace = { box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height }, score: f.box.score };
      if (o.descriptors && f.landmarks) out.landmarks = Array.from(f.landmarks);
      if (o.descriptors && f.descriptor) out.descriptor = Array.from(f.descriptor);
      if (o.match) out.match = f.descriptor ? bestMatch(f.descriptor, this.templates) : null;
      return out;
    });
    return { t: 'faces-found', v: PROTOCOL_VERSION, id: req.id, faces, ms: pass.ms, runs: pass.runs };
  }

  private async enrol(req: Req<'faces-enrol'>): Promise<Res<'faces-enrolled'>> {
    const pipeline = await this.pipeline(req.backends, true, req.timeoutMs);
    const shots: Res<'faces-enrolled'>['shots'] = [];
    for (const shot of req.shots) {
      const pass = await this.run(pipeline, frameOf(shot), { descriptors: true });
      // Only the person at the device: a shot with someone else in it is refused, not guessed at.
      if (pass.faces.length > 1) shots.push({ verdict: 'several-faces' });
      else if (!pass.faces[0]?.descriptor) shots.push({ verdict: 'no-face' });
      else shots.push({ verdict: 'ok', descriptor: Array.from(pass.faces[0].descriptor) });
    }
    return { t: 'faces-enrolled', v: PROTOCOL_VERSION, id: req.id, shots };
  }

  private async run(pipeline: FacePipeline, frame: RgbaFrame, options: FaceOptions) {
    try {
      return await pipeline.run(frame, options);
    } catch (err) {
      if (err instanceof OsmoseError) throw err;
      throw new OsmoseError('inference-failed', `faces: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
    }
  }
}
