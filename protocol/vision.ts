/**
 * Face messages between the app and the inference worker, joined into protocol/inference.ts's
 * unions. A frame crosses as a transferable RGBA buffer with its size (checked against it before
 * anything reads it); it is processed and dropped, never kept. Descriptors (128 numbers, biometric
 * data) leave the worker only when asked for (`descriptors`, `faces-enrol`); matching against
 * enrolled templates can happen inside the worker (`faces-templates`, then `match`), so that a
 * camera counting people needs no descriptor in the page at all.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';

export const VISION_LIMITS = {
  /** Pixels in one frame (2560 x 1440 fits; 4K does not: scale it down first). */
  framePixels: 2560 * 1600,
  frameSide: 4096,
  /** Faces described per frame. */
  maxFaces: 32,
  /** Shots in one enrolment. */
  enrolShots: 8,
  /** Enrolled people matched against at once, and descriptors kept per person. */
  templates: 256,
  descriptorsPerTemplate: 16,
  timeoutMs: 120_000,
} as const;

export const FACE_MODEL_NAMES = ['tiny_face_detector', 'face_landmark_68', 'face_recognition'] as const;
export const DESCRIPTOR_SIZE = 128;

const V = z.literal(PROTOCOL_VERSION);
const Id = z.number().int().min(0);
const TimeoutMs = z.number().int().min(1).max(VISION_LIMITS.timeoutMs);
const Backend = z.enum(['wasm', 'webgpu']);
/** The backend per face model; the detector is always needed, the two others for descriptors or matching. */
const FaceBackends = z.partialRecord(z.enum(FACE_MODEL_NAMES), Backend);

/** An RGBA frame, row by row, as a transferable buffer; its size is checked against width x height x 4. */
export const WireFrame = z
  .object({
    width: z.number().int().min(1).max(VISION_LIMITS.frameSide),
    height: z.number().int().min(1).max(VISION_LIMITS.frameSide),
    data: z.instanceof(ArrayBuffer),
  })
  .superRefine((f, ctx) => {
    if (f.width * f.height > VISION_LIMITS.framePixels) ctx.addIssue({ code: 'custom', message: `frame over ${VISION_LIMITS.framePixels} pixels` });
    else if (f.data.byteLength !== f.width * f.height * 4) ctx.addIssue({ code: 'custom', message: 'frame bytes do not match width x height x 4 (RGBA)' });
  });
export type WireFrame = z.infer<typeof WireFrame>;

export const FaceDetectOptions = z.object({
  /** The detector's input: the frame's longer side is scaled to this (default 480). */
  inputSize: z.number().int().min(128).max(1024).multipleOf(32).optional(),
  /** Faces scoring at or under this are dropped (default 0.3). */
  scoreThreshold: z.number().min(0).max(1).optional(),
  /** At most this many faces, the highest scores (default 16). */
  maxFaces: z.number().int().min(1).max(VISION_LIMITS.maxFaces).optional(),
  /** Return each face's 68 landmarks and 128-d descriptor (default false). */
  descriptors: z.boolean().optional(),
  /** Match each face against the templates set with `faces-templates` (default false). */
  match: z.boolean().optional(),
  /** One model call per face instead of one per frame (benchmarks: the naive baseline). */
  naive: z.boolean().optional(),
});
export type FaceDetectOptions = z.infer<typeof FaceDetectOptions>;

const Descriptor = z.array(z.number()).length(DESCRIPTOR_SIZE);
export const FaceTemplate = z.object({
  /** An opaque id chosen by the app (the worker never learns whose face it is). */
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
  descriptors: z.array(Descriptor).min(1).max(VISION_LIMITS.descriptorsPerTemplate),
});
export type FaceTemplate = z.infer<typeof FaceTemplate>;

export const VISION_REQUESTS = [
  /** Faces in one frame: boxes and scores; landmarks and descriptors, or matches, when asked. */
  z.object({ t: z.literal('faces-detect'), v: V, id: Id, frame: WireFrame, options: FaceDetectOptions.optional(), backends: FaceBackends, timeoutMs: TimeoutMs }),
  /** Enrolment: one descriptor per shot; a shot must show exactly one face. */
  z.object({
    t: z.literal('faces-enrol'),
    v: V,
    id: Id,
    shots: z.array(WireFrame).min(1).max(VISION_LIMITS.enrolShots),
    backends: FaceBackends,
    timeoutMs: TimeoutMs,
  }),
  /** The templates `match` compares with, replacing the previous ones (empty: forget them all). */
  z.object({ t: z.literal('faces-templates'), v: V, id: Id, templates: z.array(FaceTemplate).max(VISION_LIMITS.templates) }),
] as const;

const Ms = z.number().min(0);
export const FoundFace = z.object({
  /** Frame pixels. */
  box: z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() }),
  score: z.number().min(0).max(1),
  /** 68 points, x0, y0, x1, y1, ... in frame pixels (with `descriptors`). */
  landmarks: z.array(z.number()).length(136).optional(),
  descriptor: Descriptor.optional(),
  /** The closest template under the threshold, or null (with `match`). */
  match: z.object({ id: z.string().max(64), distance: z.number().min(0) }).nullable().optional(),
});
export type FoundFace = z.infer<typeof FoundFace>;

export const ShotVerdict = z.enum(['ok', 'no-face', 'several-faces']);
export type ShotVerdict = z.infer<typeof ShotVerdict>;

export const VISION_RESPONSES = [
  z.object({
    t: z.literal('faces-found'),
    v: V,
    id: Id,
    faces: z.array(FoundFace).max(VISION_LIMITS.maxFaces),
    /** Time per stage in the worker, and model runs made. */
    ms: z.object({ prepare: Ms, detect: Ms, landmarks: Ms, descriptors: Ms }),
    runs: z.number().int().min(0),
  }),
  z.object({
    t: z.literal('faces-enrolled'),
    v: V,
    id: Id,
    /** Per shot, in order: the verdict and, when 'ok', the descriptor. */
    shots: z.array(z.object({ verdict: ShotVerdict, descriptor: Descriptor.optional() })).max(VISION_LIMITS.enrolShots),
  }),
  z.object({ t: z.literal('faces-templates-set'), v: V, id: Id, count: z.number().int().min(0) }),
] as const;

export type VisionRequest = z.infer<(typeof VISION_REQUESTS)[number]>;
export type VisionResponse = z.infer<(typeof VISION_RESPONSES)[number]>;
export const VISION_REQUEST_TYPES: readonly string[] = ['faces-detect', 'faces-enrol', 'faces-templates'];

export function isVisionRequest<R extends { t: string }>(r: R): r is Extract<R, VisionRequest> {
  return VISION_REQUEST_TYPES.includes(r.t);
}
