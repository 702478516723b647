/**
 * The room's cameras, in one place:
 *
 *   - how a camera is sampled (a small frame a few times a second, never stored);
 *   - room events a camera records in the room's memory (`VisionEvent`, doc array `vision`):
 *     someone in view, more people in view than devices present, a face nobody enrolled;
 *   - the mesh messages of shared room compute for cameras: a device whose models should not run
 *     (a phone on battery) sends its frames, as small JPEGs, only to the room device that runs
 *     them, and gets counts and matches back. Control messages are JSON (`CameraControl`, in a
 *     mesh `camera` message); frames travel in binary frames (`encodeCameraFrame`).
 *
 * What a device says about its camera in presence is `VisionPresence` (protocol/common.ts).
 */
import { z } from 'zod';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { DeviceId, WireErrorSchema } from './common.ts';
import { LIMITS } from './limits.ts';
import { OsmoseError } from './errors.ts';
import { FRAME_KIND } from './frame-kinds.ts';

export const CAMERA = {
  /** The frame the camera is sampled at: enough for faces 20-30 px across a room. */
  width: 320,
  height: 240,
  /**
   * A frame at most every 250 ms (4 a second), and one in flight at a time. Paced, never back to
   * back: back-to-back detection starved a wake-word stream in the same worker (ARCHITECTURE.md).
   */
  paceMs: 250,
  /** Recognition (landmarks and descriptors, ~3x a count's cost) runs on one frame in this many. */
  recogniseEvery: 4,
  /** Spots are short names people give a camera's place. */
  spotChars: 40,
} as const;

export const CAMERA_LIMITS = {
  /** Camera streams one device runs at once (its own camera included). */
  maxStreams: 4,
  /** A camera frame on the mesh: one data-channel message (a 320x240 JPEG is 8-25 KB). */
  frameBytes: 60 * 1024,
  /** The largest frame a served camera may send (it is decoded, then checked). */
  frameSide: 640,
  /** Faces reported per frame. */
  maxFaces: 32,
} as const;

const Ms = z.number().int().min(0);
const Id = z.string().regex(/^[0-9A-Za-z-]{8,64}$/);
const Name = z.string().max(LIMITS.displayNameChars);
const Spot = z.string().max(CAMERA.spotChars);

/**
 * A room event a camera recorded (doc array `vision`), seen by every device and the hub:
 *   in-view            someone came in view of a camera where nobody was
 *   more-than-devices  more people in view than devices present in the room
 *   unknown-face       a face that matches no enrolled person (only where recognition runs)
 * Recognised people are shown live in presence and never logged.
 */
export const VisionEventKind = z.enum(['in-view', 'more-than-devices', 'unknown-face']);
export type VisionEventKind = z.infer<typeof VisionEventKind>;

export const VisionEvent = z.object({
  id: Id,
  kind: VisionEventKind,
  /** The camera's device, its name and spot. */
  camera: DeviceId,
  cameraName: Name,
  spot: Spot,
  /** Which device ran the models (the camera's own, or the room device serving it). */
  processedBy: DeviceId,
  inView: z.number().int().min(0).max(64),
  /** Devices present when it was recorded (more-than-devices). */
  devices: z.number().int().min(0).max(LIMITS.rosterMembers).optional(),
  at: Ms,
});
export type VisionEvent = z.infer<typeof VisionEvent>;

/** Vision events kept in the document at most (the writer trims the oldest). */
export const VISION_EVENTS_KEPT = 200;

const Stream = z.number().int().min(0).max(0xffff_ffff);
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** One face in a served frame: its score, and with recognition the enrolled person it matched. */
export const ServedFace = z.object({
  score: z.number().min(0).max(1),
  /** Absent: not described (a count-only frame); null: described, matches nobody enrolled. */
  match: z.object({ id: Id, distance: z.number().min(0).max(10) }).nullable().optional(),
});
export type ServedFace = z.infer<typeof ServedFace>;

/** Mesh messages of shared room compute for cameras (inside a mesh `camera` message). */
export const CameraControl = z.discriminatedUnion('op', [
  /** Client → server: run my camera's frames. */
  z.object({ op: z.literal('open'), stream: Stream }),
  z.object({ op: z.literal('opened'), stream: Stream }),
  /** Server → client: not now (not serving, full, the models failed). The client picks another. */
  z.object({ op: z.literal('refused'), stream: Stream, error: WireErrorSchema }),
  z.object({ op: z.literal('close'), stream: Stream }),
  /** Server → client: the faces in frame `seq` (with recognition when the frame asked for it). */
  z.object({ op: z.literal('result'), stream: Stream, seq: Seq, faces: z.array(ServedFace).max(CAMERA_LIMITS.maxFaces), ms: z.number().min(0).max(600_000) }),
  /** Server → client: frame `seq` could not be read (not a JPEG, too large); the stream goes on. */
  z.object({ op: z.literal('dropped'), stream: Stream, seq: Seq, error: WireErrorSchema }),
]);
export type CameraControl = z.infer<typeof CameraControl>;

export interface CameraFrame {
  stream: number;
  seq: number;
  /** Run recognition on this frame (landmarks, descriptors, match) as well as counting. */
  recognise: boolean;
  /** The frame, JPEG-encoded. */
  jpeg: Uint8Array;
}

/** [0x43][stream varuint][seq varuint][flags u8: 1 = recognise][JPEG]. */
export function encodeCameraFrame(f: CameraFrame): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8(e, FRAME_KIND.camera);
  encoding.writeVarUint(e, f.stream);
  encoding.writeVarUint(e, f.seq);
  encoding.writeUint8(e, f.recognise ? 1 : 0);
  encoding.writeUint8Array(e, f.jpeg);
  return encoding.toUint8Array(e);
}

export type DecodedCameraFrame = { ok: true; frame: CameraFrame } | { ok: false; error: OsmoseError };

export function decodeCameraFrame(bytes: Uint8Array): DecodedCameraFrame {
  if (bytes.byteLength > CAMERA_LIMITS.frameBytes) return { ok: false, error: new OsmoseError('too-large', `camera frame over ${CAMERA_LIMITS.frameBytes} bytes`) };
  try {
    const d = decoding.createDecoder(bytes);
    if (decoding.readUint8(d) !== FRAME_KIND.camera) return { ok: false, error: new OsmoseError('unknown-type', 'not a camera frame') };
    const stream = decoding.readVarUint(d);
    const seq = decoding.readVarUint(d);
    const flags = decoding.readUint8(d);
    if (stream > 0xffff_ffff || seq > Number.MAX_SAFE_INTEGER || flags > 1) return { ok: false, error: new OsmoseError('bad-request', 'camera frame header out of range') };
    const jpeg = bytes.subarray(d.pos);
    // A JPEG starts with SOI (FF D8) and an FF marker: anything else is not decoded at all.
    if (jpeg.byteLength < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[2] !== 0xff) return { ok: false, error: new OsmoseError('bad-request', 'a camera frame must hold a JPEG') };
    return { ok: true, frame: { stream, seq, recognise: flags === 1, jpeg } };
  } catch {
    return { ok: false, error: new OsmoseError('bad-request', 'truncated camera frame') };
  }
}
