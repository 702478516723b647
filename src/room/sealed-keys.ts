/**
 * Handing a content key (protocol/sealed.ts) to the devices present, over the mesh: shared by
 * every feature whose room data only some devices may read (the scribe's transcripts; the
 * camera's templates). A device is "present" when it has an open, mutually authenticated mesh
 * session with this one and announced an X25519 key its device key vouched for (mesh hello):
 * nobody else can be wrapped for. A key arriving is unwrapped with this device's X25519 secret
 * and its context checked against what the feature expects.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import type { MeshSealedKey } from '../../protocol/mesh.ts';
import { unwrapKey, wrapKey, type KeyAgreementPair, type WrappedKey } from '../../protocol/sealed.ts';

/** What the mesh offers for handing keys over (mesh/mesh.ts `Mesh`). */
export interface KeyMesh {
  openPeers(): string[];
  /** The peer's vouched X25519 key (null: none, or an older app). */
  keyAgreementKey(peerId: string): Uint8Array | null;
  sendSealedKey(to: string, context: string, key: WrappedKey, grant: boolean): boolean;
}

/** This device, as keys are wrapped for it. */
export interface KeyHolder {
  deviceId: string;
  x25519: KeyAgreementPair;
}

export interface Recipient {
  deviceId: string;
  x25519Public: Uint8Array;
}

/** The devices present now: an open session and a vouched X25519 key. */
export function presentRecipients(mesh: KeyMesh | null): Recipient[] {
  if (!mesh) return [];
  const out: Recipient[] = [];
  for (const deviceId of mesh.openPeers()) {
    const x25519Public = mesh.keyAgreementKey(deviceId);
    if (x25519Public) out.push({ deviceId, x25519Public });
  }
  return out;
}

/** One recipient if it is present now, else null. */
export function recipient(mesh: KeyMesh | null, deviceId: string): Recipient | null {
  return presentRecipients(mesh).find((r) => r.deviceId === deviceId) ?? null;
}

/**
 * Wraps `contentKey` for each recipient and sends it over the mesh. Returns who it was handed to
 * (a session that closed meanwhile is left out).
 */
export function handOver(mesh: KeyMesh, contentKey: Uint8Array, to: readonly Recipient[], context: string, grant: boolean): string[] {
  const sent: string[] = [];
  for (const r of to) {
    if (mesh.sendSealedKey(r.deviceId, context, wrapKey(contentKey, r, context), grant)) sent.push(r.deviceId);
  }
  return sent;
}

/** The content key wrapped for this device itself (kept in the room's memory, e.g. `scribeKeys`). */
export function wrapForMe(contentKey: Uint8Array, me: KeyHolder, context: string): WrappedKey {
  return wrapKey(contentKey, { deviceId: me.deviceId, x25519Public: me.x25519.publicKey }, context);
}

/**
 * A key handed to this device: its context must start with `prefix` (the feature's, e.g.
 * `scribe|`); throws `bad-request` otherwise, `sealed-unreadable` if it is not for this device or
 * does not unwrap.
 */
export function receiveKey(msg: MeshSealedKey, me: KeyHolder, prefix: string): Uint8Array {
  if (!msg.context.startsWith(prefix)) throw new OsmoseError('bad-request', `a key for ${msg.context.split('|')[0]}, not ${prefix}`);
  return unwrapKey(msg.key, me, msg.context);
}

/** Opens a wrapped key this device keeps; null when it is not this device's or does not unwrap. */
export function openMine(wrapped: WrappedKey, me: KeyHolder, context: string): Uint8Array | null {
  try {
    return unwrapKey(wrapped, me, context);
  } catch {
    return null;
  }
}
