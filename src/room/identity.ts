/** The device's stable identity: an Ed25519 key pair made here and kept in IndexedDB. */
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../protocol/crypto.ts';
import { getIdentity, putIdentity, type StoredIdentity } from '../platform/storage.ts';

export interface Identity {
  deviceId: string;
  publicKey: string; // base64url
  secretKey: Uint8Array;
}

export async function loadOrCreateIdentity(existing?: StoredIdentity): Promise<Identity> {
  let stored = existing ?? (await getIdentity());
  if (!stored) {
    const kp = newDeviceKeyPair();
    stored = { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: kp.publicKey, secretKey: kp.secretKey, createdAt: Date.now() };
    await putIdentity(stored);
  }
  return { deviceId: stored.deviceId, publicKey: b64uEncode(stored.publicKey), secretKey: stored.secretKey };
}

/** A readable default name: the platform plus a short tag from the device id. */
export function defaultDisplayName(deviceId: string, ua: string): string {
  const kind = /iPhone|iPad/.test(ua) ? 'iPhone' : /Android/.test(ua) ? 'Android' : /Mac OS/.test(ua) ? 'Mac' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'Device';
  return `${kind} ${deviceId.slice(1, 5)}`;
}
