import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../../protocol/crypto.ts';
import {
  Sealed, WrappedKey, keyAgreementVouched, newContentKey, newKeyAgreementPair, open, openText, seal, sealText, unwrapKey, vouchKeyAgreement, wrapKey,
} from '../../../protocol/sealed.ts';
import { OsmoseError } from '../../../protocol/errors.ts';

const device = () => {
  const id = newDeviceKeyPair();
  const deviceId = deviceIdFromPublicKey(id.publicKey);
  return { deviceId, ed: id, x25519: newKeyAgreementPair() };
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as OsmoseError).code;
  }
  return 'opened';
};

describe('sealed items', () => {
  it('round-trips text and validates as stored', () => {
    const key = newContentKey();
    const s = sealText(key, 'the budget review moves to Thursday', 'scribe|s1|u1');
    expect(Sealed.safeParse(s).success).toBe(true);
    expect(openText(key, s, 'scribe|s1|u1')).toBe('the budget review moves to Thursday');
  });

  it('does not open with another key, in another place, or damaged', () => {
    const key = newContentKey();
    const s = sealText(key, 'hello', 'scribe|s1|u1');
    expect(codeOf(() => open(newContentKey(), s, 'scribe|s1|u1'))).toBe('sealed-unreadable');
    expect(codeOf(() => open(key, s, 'scribe|s1|u2'))).toBe('sealed-unreadable');
    const flipped = { ...s, c: (s.c[0] === 'A' ? 'B' : 'A') + s.c.slice(1) };
    expect(codeOf(() => open(key, flipped, 'scribe|s1|u1'))).toBe('sealed-unreadable');
  });

  it('uses a fresh nonce for every item', () => {
    const key = newContentKey();
    const nonces = new Set(Array.from({ length: 200 }, () => seal(key, new Uint8Array([1]), 'x').n));
    expect(nonces.size).toBe(200);
  });

  it('ciphertext reveals nothing but the length', () => {
    const key = newContentKey();
    const s = sealText(key, 'secret words', 'a');
    expect(s.c).not.toContain(b64uEncode(new TextEncoder().encode('secret')));
  });
});

describe('wrapped content keys', () => {
  it('only the recipient unwraps, only in the same context', () => {
    const alice = device();
    const bob = device();
    const key = newContentKey();
    const w = wrapKey(key, { deviceId: alice.deviceId, x25519Public: alice.x25519.publicKey }, 'scribe|s1');
    expect(WrappedKey.safeParse(w).success).toBe(true);
    expect(unwrapKey(w, alice, 'scribe|s1')).toEqual(key);
    expect(codeOf(() => unwrapKey(w, alice, 'scribe|s2'))).toBe('sealed-unreadable');
    // Bob cannot, even claiming to be the recipient.
    expect(codeOf(() => unwrapKey(w, bob, 'scribe|s1'))).toBe('sealed-unreadable');
    expect(codeOf(() => unwrapKey({ ...w, to: bob.deviceId }, bob, 'scribe|s1'))).toBe('sealed-unreadable');
  });

  it('refuses a low-order key-agreement key', () => {
    const alice = device();
    expect(codeOf(() => wrapKey(newContentKey(), { deviceId: alice.deviceId, x25519Public: new Uint8Array(32) }, 'c'))).toBe('bad-request');
  });

  it("a device's identity key vouches for its key-agreement key, and for no other", () => {
    const alice = device();
    const bob = device();
    const pub = b64uEncode(alice.x25519.publicKey);
    const sig = vouchKeyAgreement(alice.deviceId, alice.ed.secretKey, alice.x25519.publicKey);
    expect(keyAgreementVouched(alice.deviceId, b64uEncode(alice.ed.publicKey), pub, sig)).toBe(true);
    expect(keyAgreementVouched(alice.deviceId, b64uEncode(alice.ed.publicKey), b64uEncode(bob.x25519.publicKey), sig)).toBe(false);
    expect(keyAgreementVouched(bob.deviceId, b64uEncode(alice.ed.publicKey), pub, sig)).toBe(false);
  });

  it('never throws anything but a coded error on hostile input', () => {
    const alice = device();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.uint8Array({ minLength: 48, maxLength: 48 }), (e, n, c) => {
        const w = { v: 1 as const, to: alice.deviceId, e: b64uEncode(e), n: b64uEncode(n), c: b64uEncode(c) };
        expect(codeOf(() => unwrapKey(w, alice, 'c'))).toBe('sealed-unreadable');
      }),
      { numRuns: 50, seed: 7 },
    );
  });
});
