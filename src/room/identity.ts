/**
 * The device's stable identity, made here and kept in IndexedDB: an Ed25519 key pair (its device
 * id is the hash of the public key; it signs the mesh handshake) and an X25519 key pair that the
 * Ed25519 key vouches for, for the keys other devices wrap for this one (protocol/sealed.ts).
 */
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../protocol/crypto.ts';
import { newKeyAgreementPair, vouchKeyAgreement, type KeyAgreementPair } from '../../protocol/sealed.ts';
import type { KeyAgreement } from '../../protocol/mesh.ts';
import { getIdentity, putIdentity, type StoredIdentity } from '../platform/storage.ts';

export interface Identity {
  deviceId: string;
  publicKey: string; // base64url
  secretKey: Uint8Array;
  /** X25519: unwraps keys wrapped for this device. */
  kx: KeyAgreementPair;
  /** What peers are told of it (public key and the Ed25519 signature over it). */
  kxAnnounce: KeyAgreement;
}

/**
 * The stored identity, or a new one. Nothing here waits for the disk: a new or upgraded identity
 * is written in the background (IndexedDB keeps the order of writes, so a read that follows sees
 * it), and joining goes on meanwhile; if the write fails, the next start makes another identity
 * and proves the room secret again. The vouching signature is kept with the identity, so that a
 * reopened app signs nothing before its sockets are open.
 */
export async function loadOrCreateIdentity(existing?: StoredIdentity): Promise<Identity> {
  let stored = existing ?? (await getIdentity());
  let changed = false;
  if (!stored) {
    const kp = newDeviceKeyPair();
    stored = { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: kp.publicKey, secretKey: kp.secretKey, createdAt: Date.now() };
    changed = true;
  }
  if (!stored.kx) {
    // A new identity, or one made before devices had a key-agreement key: add one, same device.
    stored = { ...stored, kx: newKeyAgreementPair() };
    delete stored.kxSig;
    changed = true;
  }
  const kx = stored.kx!;
  if (!stored.kxSig) {
    stored = { ...stored, kxSig: vouchKeyAgreement(stored.deviceId, stored.secretKey, kx.publicKey) };
    changed = true;
  }
  if (changed) putIdentity(stored).catch((err: unknown) => console.warn("[osmose] could not save this device's identity", err));
  return {
    deviceId: stored.deviceId,
    publicKey: b64uEncode(stored.publicKey),
    secretKey: stored.secretKey,
    kx,
    kxAnnounce: { publicKey: b64uEncode(kx.publicKey), sig: stored.kxSig! },
  };
}

/** A readable default name: the platform plus a short tag from the device id. */
export function defaultDisplayName(deviceId: string, ua: string): string {
  const kind = /iPhone|iPad/.test(ua) ? 'iPhone' : /Android/.test(ua) ? 'Android' : /Mac OS/.test(ua) ? 'Mac' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'Device';
  return `${kind} ${deviceId.slice(1, 5)}`;
}
