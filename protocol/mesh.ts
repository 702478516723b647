/**
 * Messages on the data channel between two devices. A peer is admitted only after both sides
 * proved the room secret and their device key (hello → auth); before that only hello, auth and
 * error are accepted.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { B64u, DeviceId, Profile, WireErrorSchema } from './common.ts';
import { VoiceControl } from './voice.ts';
import { CameraControl } from './camera.ts';
import { WrappedKey } from './sealed.ts';

const V = z.literal(PROTOCOL_VERSION);

/**
 * A device's X25519 key for receiving wrapped keys (protocol/sealed.ts), with its Ed25519
 * device key's signature over it: a peer wraps a key only for an X25519 key so vouched for.
 */
export const KeyAgreement = z.object({ publicKey: B64u(43, 43), sig: B64u(86, 86) });
export type KeyAgreement = z.infer<typeof KeyAgreement>;

export const MeshHello = z.object({
  v: V,
  t: z.literal('hello'),
  deviceId: DeviceId,
  publicKey: B64u(43, 43),
  nonce: B64u(22, 64),
  keyId: z.string().max(64),
  /** Absent from older apps: such a peer can read no sealed room data. */
  kx: KeyAgreement.optional(),
});
/** proof = HMAC(meshKey, meshProofMessage(from, to, fromNonce, toNonce)); sig = Ed25519 over it. */
export const MeshAuth = z.object({ v: V, t: z.literal('auth'), proof: B64u(43, 43), sig: B64u(86, 86) });
export const MeshProfile = z.object({ v: V, t: z.literal('profile'), profile: Profile });
export const MeshPing = z.object({ v: V, t: z.literal('ping'), n: z.number().int(), at: z.number() });
export const MeshPong = z.object({ v: V, t: z.literal('pong'), n: z.number().int(), at: z.number() });
export const MeshBye = z.object({ v: V, t: z.literal('bye') });
export const MeshError = z.object({ v: V, t: z.literal('error'), error: WireErrorSchema });
/** Shared room compute: a microphone served by another device (protocol/voice.ts). */
export const MeshVoice = z.object({ v: V, t: z.literal('voice'), msg: VoiceControl });
/** Shared room compute: a camera's frames run by another device (protocol/camera.ts). */
export const MeshCamera = z.object({ v: V, t: z.literal('camera'), msg: CameraControl });

/**
 * A content key handed to this device, wrapped for its vouched X25519 key (protocol/sealed.ts):
 * `context` says what it opens (`scribe|<session>`, or another feature's prefix) and is bound
 * into the wrapping; `grant`: given by a member's explicit action to a device that was not
 * present when the key was made.
 */
export const MeshSealedKey = z.object({
  v: V,
  t: z.literal('sealed-key'),
  context: z.string().min(3).max(120).regex(/^[a-z]+\|[0-9A-Za-z|-]+$/),
  key: WrappedKey,
  grant: z.boolean(),
});
export type MeshSealedKey = z.infer<typeof MeshSealedKey>;

export const MeshMessage = z.discriminatedUnion('t', [
  MeshHello,
  MeshAuth,
  MeshProfile,
  MeshPing,
  MeshPong,
  MeshBye,
  MeshError,
  MeshVoice,
  MeshCamera,
  MeshSealedKey,
]);
export type MeshMessage = z.infer<typeof MeshMessage>;
