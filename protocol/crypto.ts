/**
 * The room's cryptography, shared by hub and app. Built on @noble (audited, pure JS) rather than
 * WebCrypto because a plain-HTTP guest page has no crypto.subtle and must still prove membership.
 *
 * The room secret never travels: devices prove they hold it with HMACs over fresh nonces, and
 * prove who they are with an Ed25519 device key made in the browser.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes, randomBytes } from '@noble/hashes/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';

export { randomBytes };

const LABEL = 'osmose/v1/';

export function b64uEncode(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function b64uDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A new room secret: 32 random bytes, base64url (43 chars). */
export function newRoomSecret(): string {
  return b64uEncode(randomBytes(32));
}

export function isRoomSecret(text: unknown): text is string {
  return typeof text === 'string' && /^[A-Za-z0-9_-]{43}$/.test(text);
}

export interface RoomKeys {
  /** Proves membership to the hub. */
  joinKey: Uint8Array;
  /** Proves membership to other devices. */
  meshKey: Uint8Array;
  /** Public name of this secret (which one, never what): lets the hub say "rotated". */
  keyId: string;
}

export function deriveRoomKeys(secret: string): RoomKeys {
  const s = b64uDecode(secret);
  const sub = (label: string) => hmac(sha256, s, utf8ToBytes(LABEL + label));
  return { joinKey: sub('join'), meshKey: sub('mesh'), keyId: bytesToHex(sub('key-id')).slice(0, 16) };
}

export function hmacB64u(key: Uint8Array, message: string): string {
  return b64uEncode(hmac(sha256, key, utf8ToBytes(message)));
}

/** Constant-time comparison of two strings of the same alphabet. */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function joinProofMessage(roomId: string, deviceId: string, publicKey: string, nonce: string): string {
  return `${LABEL}join|${roomId}|${deviceId}|${publicKey}|${nonce}`;
}

export function meshProofMessage(fromId: string, toId: string, fromNonce: string, toNonce: string): string {
  return `${LABEL}mesh|${fromId}|${toId}|${fromNonce}|${toNonce}`;
}

export function deviceIdFromPublicKey(publicKey: Uint8Array): string {
  return 'd' + bytesToHex(sha256(publicKey)).slice(0, 32);
}

export interface DeviceKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newDeviceKeyPair(): DeviceKeyPair {
  const { secretKey, publicKey } = ed25519.keygen();
  return { secretKey, publicKey };
}

export function signB64u(secretKey: Uint8Array, message: string): string {
  return b64uEncode(ed25519.sign(utf8ToBytes(message), secretKey));
}

export function verifySig(publicKeyB64u: string, message: string, sigB64u: string): boolean {
  try {
    return ed25519.verify(b64uDecode(sigB64u), utf8ToBytes(message), b64uDecode(publicKeyB64u));
  } catch {
    // Malformed key or signature bytes: a failed verification, not a crash.
    return false;
  }
}

/** Checks that `deviceId` is the hash of `publicKeyB64u`. */
export function deviceIdMatchesKey(deviceId: string, publicKeyB64u: string): boolean {
  try {
    const pub = b64uDecode(publicKeyB64u);
    return pub.length === 32 && deviceIdFromPublicKey(pub) === deviceId;
  } catch {
    return false;
  }
}

export function randomNonce(): string {
  return b64uEncode(randomBytes(24));
}
