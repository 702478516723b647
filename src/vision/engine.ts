/**
 * What the camera needs of the inference runtime: faces in a frame (counted; with recognition,
 * matched in the worker against the templates this device may use), enrolment shots, the
 * templates, and warming the models. The app's engine is the inference worker
 * (src/inference/faces.ts); unit tests use a scripted one.
 */
import type { ServedFace } from '../../protocol/camera.ts';
import type { Faces, FrameInput } from '../inference/faces.ts';
import type { TextReader } from '../inference/ocr.ts';

/** An RGBA frame, row by row. */
export interface RgbaFrame {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

export interface FaceEngine {
  /** Faces in one frame; with `recognise`, each described and matched (`match` null: nobody enrolled). The frame's buffer is transferred. */
  detect(frame: RgbaFrame, recognise: boolean): Promise<{ faces: ServedFace[]; ms: number }>;
  /** The templates matching uses (replacing the previous ones). */
  setTemplates(templates: { id: string; descriptors: Float32Array[] }[]): Promise<void>;
  /** One verdict (and descriptor) per shot of the person at this device. */
  enrol(shots: RgbaFrame[]): Promise<{ verdict: 'ok' | 'no-face' | 'several-faces'; descriptor?: number[] }[]>;
  /** Opens the models ahead of the first frame (rejects when they cannot be opened). */
  warm(recognise: boolean): Promise<void>;
}

/** The runtime's parts the vision features use (InferenceRuntime has them). */
export interface VisionRuntimeLike {
  faces: Pick<Faces, 'detect' | 'enrol' | 'setTemplates' | 'warm'>;
  ocr: Pick<TextReader, 'read' | 'warm'>;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0);

export function runtimeFaceEngine(runtime: () => Promise<VisionRuntimeLike>): FaceEngine {
  // With no template to match, every face in view is one nobody enrolled: detection alone says so
  // (the worker refuses to match against nothing, and describing faces would be wasted work).
  let templates = 0;
  return {
    async detect(frame, recognise) {
      const rt = await runtime();
      const match = recognise && templates > 0;
      const r = await rt.faces.detect(frame as FrameInput, match ? { match: true } : {});
      const ms = r.ms.prepare + r.ms.detect + r.ms.landmarks + r.ms.descriptors;
      return { faces: r.faces.map((f) => ({ score: clamp01(f.score), ...(recognise ? { match: f.match ?? null } : {}) })), ms };
    },
    async setTemplates(list) {
      templates = await (await runtime()).faces.setTemplates(list);
    },
    async enrol(shots) {
      return (await runtime()).faces.enrol(shots as FrameInput[]);
    },
    async warm(recognise) {
      await (await runtime()).faces.warm(recognise);
    },
  };
}
