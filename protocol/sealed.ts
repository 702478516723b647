/**
 * Sealed room data: what the room stores but only some devices may read (the scribe's
 * transcripts, face templates). The hub and everyone else store and sync the ciphertext.
 *
 * - A *content key* (32 random bytes) encrypts items with XChaCha20-Poly1305 (a fresh random
 *   24-byte nonce each, so random nonces never collide in practice), bound by associated data
 *   to where the item lives (e.g. `scribe|<session>|<utterance id>`): a ciphertext moved to
 *   another place does not open.
 * - The content key reaches a device *wrapped* for that device's X25519 key: an ephemeral X25519
 *   key agreement, HKDF-SHA-256 over the shared secret (salted with both public keys, bound to
 *   the context and the recipient's device id), then the same AEAD. Only the holder of the
 *   X25519 secret can unwrap it.
 * - A device's X25519 public key is vouched for by its Ed25519 device key (the key its device id
 *   is the hash of): nobody wraps a key for an X25519 key that its device did not sign.
 *
 * All @noble (audited, pure JS): it works on a plain-HTTP guest page without `crypto.subtle`.
 * No primitive is written here, only their composition (the usual ECIES shape).
 */
import { z } from 'zod';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { OsmoseError } from './errors.ts';
import { b64uDecode, b64uEncode, randomBytes, signB64u, verifySig } from './crypto.ts';

const LABEL = 'osmose/v1/';
const B64U = /^[A-Za-z0-9_-]+$/;
const b64u = (bytes: number) => z.string().regex(B64U).length(Math.ceil((bytes * 4) / 3));

/** An AEAD ciphertext as stored in the room's document. */
export const Sealed = z.object({
  v: z.literal(1),
  n: b64u(24),
  /** Ciphertext and its 16-byte tag, base64url; at most 1 MiB of plaintext. */
  c: z.string().regex(B64U).min(22).max(1_400_000),
});
export type Sealed = z.infer<typeof Sealed>;

/** A content key wrapped for one device. */
export const WrappedKey = z.object({
  v: z.literal(1),
  /** The recipient's device id. */
  to: z.string().regex(/^d[0-9a-f]{32}$/),
  /** The sender's ephemeral X25519 public key. */
  e: b64u(32),
  n: b64u(24),
  c: b64u(48),
});
export type WrappedKey = z.infer<typeof WrappedKey>;

export interface KeyAgreementPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newKeyAgreementPair(): KeyAgreementPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey, publicKey };
}

export function newContentKey(): Uint8Array {
  return randomBytes(32);
}

function keyAgreementStatement(deviceId: string, x25519PublicB64u: string): string {
  return `${LABEL}key-agreement|${deviceId}|${x25519PublicB64u}`;
}

/** The device's Ed25519 signature over its X25519 public key (announced with its profile). */
export function vouchKeyAgreement(deviceId: string, ed25519SecretKey: Uint8Array, x25519Public: Uint8Array): string {
  return signB64u(ed25519SecretKey, keyAgreementStatement(deviceId, b64uEncode(x25519Public)));
}

/** True when `ed25519PublicB64u` (the device's identity key) vouched for this X25519 key. */
export function keyAgreementVouched(deviceId: string, ed25519PublicB64u: string, x25519PublicB64u: string, signatureB64u: string): boolean {
  return verifySig(ed25519PublicB64u, keyAgreementStatement(deviceId, x25519PublicB64u), signatureB64u);
}

function unreadable(what: string): OsmoseError {
  return new OsmoseError('sealed-unreadable', `${what} cannot be opened with the keys this device holds`);
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Sealed {
  if (key.length !== 32) throw new OsmoseError('bad-request', 'a content key is 32 bytes');
  const nonce = randomBytes(24);
  const c = xchacha20poly1305(key, nonce, utf8ToBytes(aad)).encrypt(plaintext);
  return { v: 1, n: b64uEncode(nonce), c: b64uEncode(c) };
}

/** Opens an item; throws `sealed-unreadable` for a wrong key, a wrong place or a damaged item. */
export function open(key: Uint8Array, sealed: Sealed, aad: string): Uint8Array {
  try {
    return xchacha20poly1305(key, b64uDecode(sealed.n), utf8ToBytes(aad)).decrypt(b64uDecode(sealed.c));
  } catch {
    throw unreadable('this item');
  }
}

export const sealText = (key: Uint8Array, text: string, aad: string): Sealed => seal(key, utf8ToBytes(text), aad);
export const openText = (key: Uint8Array, sealed: Sealed, aad: string): string => new TextDecoder('utf-8', { fatal: true }).decode(open(key, sealed, aad));

function wrapKeyFor(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array, deviceId: string, context: string): Uint8Array {
  // A low-order public key gives an all-zero shared secret: refuse it rather than derive from it.
  if (shared.every((b) => b === 0)) throw new OsmoseError('bad-request', 'that key-agreement key is not usable');
  return hkdf(sha256, shared, concatBytes(ephemeral, recipient), utf8ToBytes(`${LABEL}wrap|${context}|${deviceId}`), 32);
}

/** Wraps a content key for one device's X25519 key, bound to `context` (e.g. `scribe|<session>`). */
export function wrapKey(contentKey: Uint8Array, to: { deviceId: string; x25519Public: Uint8Array }, context: string): WrappedKey {
  const eph = newKeyAgreementPair();
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(eph.secretKey, to.x25519Public);
  } catch {
    throw new OsmoseError('bad-request', 'that key-agreement key is not usable');
  }
  const kek = wrapKeyFor(shared, eph.publicKey, to.x25519Public, to.deviceId, context);
  const nonce = randomBytes(24);
  const c = xchacha20poly1305(kek, nonce).encrypt(contentKey);
  return { v: 1, to: to.deviceId, e: b64uEncode(eph.publicKey), n: b64uEncode(nonce), c: b64uEncode(c) };
}

/** Unwraps a content key wrapped for this device; throws `sealed-unreadable` otherwise. */
export function unwrapKey(wrapped: WrappedKey, me: { deviceId: string; x25519: KeyAgreementPair }, context: string): Uint8Array {
  if (wrapped.to !== me.deviceId) throw unreadable('a key wrapped for another device');
  try {
    const eph = b64uDecode(wrapped.e);
    const kek = wrapKeyFor(x25519.getSharedSecret(me.x25519.secretKey, eph), eph, me.x25519.publicKey, me.deviceId, context);
    return xchacha20poly1305(kek, b64uDecode(wrapped.n)).decrypt(b64uDecode(wrapped.c));
  } catch {
    throw unreadable('this wrapped key');
  }
}
