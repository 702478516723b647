import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { ERROR_CODES } from './errors.ts';

/** A device id: `d` + 32 hex chars of SHA-256(device public key). Also its PeerJS id. */
export const DeviceId = z.string().regex(/^d[0-9a-f]{32}$/, 'not a device id');
/** The room's public id (made on the hub's first run). */
export const RoomId = z.string().regex(/^r[0-9a-z]{10,32}$/, 'not a room id');
/** base64url without padding. */
export const B64u = (min: number, max: number) =>
  z.string().min(min).max(max).regex(/^[A-Za-z0-9_-]+$/, 'not base64url');
export const Hex = (len: number) => z.string().length(len).regex(/^[0-9a-f]+$/, 'not hex');

export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS.displayNameChars)
  // No control characters: names are shown on every screen in the room.
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters');

export const WireErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string().max(500),
});

export const RoomInfo = z.object({
  id: RoomId,
  name: z.string().min(1).max(LIMITS.roomNameChars),
  place: z.string().max(LIMITS.roomPlaceChars),
});
export type RoomInfo = z.infer<typeof RoomInfo>;

export const Capabilities = z.object({
  webgpu: z.object({
    available: z.boolean(),
    adapter: z.string().max(120).optional(),
    fallback: z.boolean().optional(),
  }),
  camera: z.boolean().nullable(),
  microphone: z.boolean().nullable(),
  cores: z.number().int().min(1).max(1024).nullable(),
  /** navigator.deviceMemory (GiB, coarse) where known. */
  memoryGb: z.number().min(0).max(1024).nullable(),
  memoryClass: z.enum(['low', 'mid', 'high']).nullable(),
  battery: z.object({ charging: z.boolean(), level: z.number().min(0).max(1) }).nullable(),
  secureContext: z.boolean(),
  app: z.string().max(32),
  protocol: z.number().int().min(0).max(1000),
});
export type Capabilities = z.infer<typeof Capabilities>;

export const Visibility = z.enum(['visible', 'hidden']);

/** A device's microphone and voice compute (protocol/voice.ts). Absent on older apps. */
export const VoicePresence = z.object({
  /** The device's microphone is capturing (for itself or for the room). */
  mic: z.enum(['off', 'live']),
  /** The device runs other devices' microphone streams (shared room compute). */
  serving: z.boolean(),
  /** Streams it runs now (its own included). */
  load: z.number().int().min(0).max(64),
  /** The microphone feeds the room's scribe (protocol/scribe.ts): which session, transcribed by which device (null: none yet). */
  scribe: z.object({ session: z.string().regex(/^[0-9A-Za-z-]{8,64}$/), by: DeviceId.nullable() }).optional(),
});
export type VoicePresence = z.infer<typeof VoicePresence>;

/** A person enrolled by face, recognised by a room camera (a face template's id and the name its owner gave). */
export const RecognisedPerson = z.object({ id: z.string().regex(/^[0-9A-Za-z-]{8,64}$/), name: DisplayName });
export type RecognisedPerson = z.infer<typeof RecognisedPerson>;

/**
 * A device's camera and its vision compute (protocol/camera.ts). Absent on older apps. The camera
 * is off until the person at that device turns it on; what it sees is said here as counts and
 * names, never as pixels.
 */
export const VisionPresence = z.object({
  camera: z.enum(['off', 'live']),
  /** Where the camera is, as its person named it ("lectern", "table"); empty when not named. */
  spot: z
    .string()
    .trim()
    .max(40)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters'),
  /** People in view (faces counted, steadied over the last frames); null until counted. */
  inView: z.number().int().min(0).max(64).nullable(),
  /** Enrolled people recognised over several frames. */
  recognised: z.array(RecognisedPerson).max(16),
  /**
   * This device runs face recognition (for its own camera, or for the room's cameras as a room
   * device): the owners of face templates wrap their keys for it (protocol/face-templates.ts).
   */
  recognises: z.boolean(),
  /** It runs other devices' camera frames (shared room compute). */
  serving: z.boolean(),
  /** Camera streams it runs now (its own included). */
  load: z.number().int().min(0).max(64),
});
export type VisionPresence = z.infer<typeof VisionPresence>;

/** What a device says about itself, to the hub and to its peers. */
export const Profile = z.object({
  name: DisplayName,
  caps: Capabilities,
  visibility: Visibility,
  /** ms since epoch, by the device's clock, when visibility last changed. */
  visibilitySince: z.number().int().nonnegative(),
  voice: VoicePresence.optional(),
  vision: VisionPresence.optional(),
});
export type Profile = z.infer<typeof Profile>;
