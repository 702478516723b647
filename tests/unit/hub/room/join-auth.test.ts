import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHALLENGE_TTL_MS, JoinAuth, type Credential } from '../../../../hub/room/join-auth.ts';
import { loadOrCreateRoom, rotateRoomSecret, type RoomSecrets } from '../../../../hub/room/room-store.ts';
import {
  b64uEncode,
  deriveRoomKeys,
  deviceIdFromPublicKey,
  hmacB64u,
  joinProofMessage,
  newDeviceKeyPair,
  newRoomSecret,
  signB64u,
  type DeviceKeyPair,
} from '../../../../protocol/crypto.ts';
import { OsmoseError, type ErrorCode } from '../../../../protocol/errors.ts';
import { ChallengeResponse, JoinRequest, JoinResponse } from '../../../../protocol/hub-api.ts';

const CREDENTIAL_TTL_MS = 3_600_000;

let dir: string;
let secrets: RoomSecrets;
let now: number;
let auth: JoinAuth;
let device: DeviceKeyPair;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osmose-join-'));
  secrets = (await loadOrCreateRoom(dir)).secrets;
  now = 1_700_000_000_000;
  auth = new JoinAuth(secrets, CREDENTIAL_TTL_MS, () => now);
  device = newDeviceKeyPair();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What a device sends: it knows only the room secret (from the QR code) and its own key pair. */
function joinRequest(opts: { secret?: string; nonce: string; roomId?: string; keys?: DeviceKeyPair; deviceId?: string }): JoinRequest {
  const keys = opts.keys ?? device;
  const publicKey = b64uEncode(keys.publicKey);
  const deviceId = opts.deviceId ?? deviceIdFromPublicKey(keys.publicKey);
  const roomId = opts.roomId ?? secrets.roomId;
  const message = joinProofMessage(roomId, deviceId, publicKey, opts.nonce);
  const req = {
    v: 1 as const,
    roomId,
    deviceId,
    publicKey,
    nonce: opts.nonce,
    proof: hmacB64u(deriveRoomKeys(opts.secret ?? secrets.secret).joinKey, message),
    sig: signB64u(keys.secretKey, message),
  };
  // The request must be one the HTTP layer would accept, or the test proves nothing.
  expect(JoinRequest.safeParse(req).success).toBe(true);
  return req;
}

function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OsmoseError);
    return (err as OsmoseError).code;
  }
  throw new Error('expected an OsmoseError, nothing was thrown');
}

function joined(): Credential {
  return auth.verifyJoin(joinRequest({ nonce: auth.issueChallenge().nonce }));
}

describe('JoinAuth challenges', () => {
  it('issues distinct single-use nonces that expire after CHALLENGE_TTL_MS', () => {
    const a = auth.issueChallenge();
    const b = auth.issueChallenge();
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.expiresAt).toBe(now + CHALLENGE_TTL_MS);
    expect(ChallengeResponse.safeParse({ v: 1, ...a }).success).toBe(true);
  });
});

describe('JoinAuth.verifyJoin', () => {
  it('admits a device that proves the room secret and returns a credential bound to its id', () => {
    const cred = joined();
    expect(cred.peerId).toBe(deviceIdFromPublicKey(device.publicKey));
    expect(cred.expiresAt).toBeGreaterThan(now);
    expect(cred.expiresAt).toBeLessThanOrEqual(now + CREDENTIAL_TTL_MS);
    expect(() => auth.verifyCredential(cred.peerId, cred.token)).not.toThrow();
    // The credential fits the wire schema the app validates.
    const parsed = JoinResponse.shape.credential.safeParse(cred);
    expect(parsed.success).toBe(true);
  });

  it("refuses a proof made with another secret as 'wrong-secret'", () => {
    const other = newRoomSecret();
    const req = joinRequest({ secret: other, nonce: auth.issueChallenge().nonce });
    expect(codeOf(() => auth.verifyJoin(req))).toBe('wrong-secret');
  });

  it("tells a holder of the previous secret 'secret-rotated'", async () => {
    const oldSecret = secrets.secret;
    const rotated = await rotateRoomSecret(dir);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(rotated.roomId).toBe(secrets.roomId);
    auth.setSecrets(rotated);
    const stale = joinRequest({ secret: oldSecret, nonce: auth.issueChallenge().nonce });
    expect(codeOf(() => auth.verifyJoin(stale))).toBe('secret-rotated');
    // The new secret works.
    const fresh = joinRequest({ secret: rotated.secret, nonce: auth.issueChallenge().nonce });
    expect(auth.verifyJoin(fresh).peerId).toBe(fresh.deviceId);
  });

  it('still recognises a secret several rotations old', async () => {
    const first = secrets.secret;
    await rotateRoomSecret(dir);
    await rotateRoomSecret(dir);
    auth.setSecrets(await rotateRoomSecret(dir));
    const req = joinRequest({ secret: first, nonce: auth.issueChallenge().nonce });
    expect(codeOf(() => auth.verifyJoin(req))).toBe('secret-rotated');
  });

  it("refuses a replayed nonce as 'challenge-used'", () => {
    const req = joinRequest({ nonce: auth.issueChallenge().nonce });
    auth.verifyJoin(req);
    expect(codeOf(() => auth.verifyJoin(req))).toBe('challenge-used');
  });

  it("refuses a nonce the hub never issued as 'challenge-unknown'", () => {
    const req = joinRequest({ nonce: 'n'.repeat(32) });
    expect(codeOf(() => auth.verifyJoin(req))).toBe('challenge-unknown');
  });

  it("refuses a challenge used after its 60 s life as 'challenge-expired'", () => {
    const req = joinRequest({ nonce: auth.issueChallenge().nonce });
    now += CHALLENGE_TTL_MS + 1;
    expect(codeOf(() => auth.verifyJoin(req))).toBe('challenge-expired');
  });

  it('accepts a challenge used at the last millisecond of its life', () => {
    const req = joinRequest({ nonce: auth.issueChallenge().nonce });
    now += CHALLENGE_TTL_MS;
    expect(auth.verifyJoin(req).peerId).toBe(req.deviceId);
  });

  it('forgets answered challenges once they expire; an expired one stays refused', () => {
    const answered = joinRequest({ nonce: auth.issueChallenge().nonce });
    auth.verifyJoin(answered);
    expect(auth.answeredCount).toBe(1);
    now += CHALLENGE_TTL_MS + 1;
    auth.sweep();
    expect(auth.answeredCount).toBe(0);
    expect(codeOf(() => auth.verifyJoin(answered))).toBe('challenge-expired');
  });

  it("refuses a challenge made before a restart as 'challenge-unknown'", () => {
    const req = joinRequest({ nonce: auth.issueChallenge().nonce });
    const restarted = new JoinAuth(secrets, CREDENTIAL_TTL_MS, () => now);
    expect(codeOf(() => restarted.verifyJoin(req))).toBe('challenge-unknown');
  });

  it("refuses a forged or altered challenge as 'challenge-unknown'", () => {
    const { nonce } = auth.issueChallenge();
    const bytes = Buffer.from(nonce, 'base64url');
    bytes[20] = bytes[20]! ^ 1; // a later expiry
    expect(codeOf(() => auth.verifyJoin(joinRequest({ nonce: bytes.toString('base64url') })))).toBe('challenge-unknown');
  });

  it('gives a new device its challenge and join however many challenges others hold open', () => {
    // More open challenges than the hub used to allow room-wide (20,000, which ~170 addresses
    // at 120 a minute exhausted): nothing is kept per challenge now.
    for (let i = 0; i < 25_000; i++) auth.issueChallenge();
    expect(auth.answeredCount).toBe(0);
    expect(joined().peerId).toMatch(/^d[0-9a-f]{32}$/);
  });

  it("refuses a link for another room as 'wrong-secret'", () => {
    const req = joinRequest({ roomId: 'rzzzzzzzzzzzz', nonce: auth.issueChallenge().nonce });
    expect(codeOf(() => auth.verifyJoin(req))).toBe('wrong-secret');
  });

  it("refuses a device id that is not the hash of the public key as 'bad-signature'", () => {
    const someoneElse = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
    const req = joinRequest({ deviceId: someoneElse, nonce: auth.issueChallenge().nonce });
    expect(codeOf(() => auth.verifyJoin(req))).toBe('bad-signature');
  });

  it("refuses a signature by a key other than the announced one as 'bad-signature'", () => {
    const req = joinRequest({ nonce: auth.issueChallenge().nonce });
    const message = joinProofMessage(req.roomId, req.deviceId, req.publicKey, req.nonce);
    const forged = { ...req, sig: signB64u(newDeviceKeyPair().secretKey, message) };
    expect(codeOf(() => auth.verifyJoin(forged))).toBe('bad-signature');
  });

  it("refuses a corrupted signature as 'bad-signature'", () => {
    const req = joinRequest({ nonce: auth.issueChallenge().nonce });
    const flipped = (req.sig[0] === 'A' ? 'B' : 'A') + req.sig.slice(1);
    expect(codeOf(() => auth.verifyJoin({ ...req, sig: flipped }))).toBe('bad-signature');
  });

  it('burns the challenge on a failed proof: one guess per challenge', () => {
    const nonce = auth.issueChallenge().nonce;
    const other = newRoomSecret();
    expect(codeOf(() => auth.verifyJoin(joinRequest({ secret: other, nonce })))).toBe('wrong-secret');
    expect(codeOf(() => auth.verifyJoin(joinRequest({ nonce })))).toBe('challenge-used');
  });

  it('never puts the secret, the proof, the signature or a key in an error message', () => {
    const other = newRoomSecret();
    const nonce = auth.issueChallenge().nonce;
    const wrong = joinRequest({ secret: other, nonce });
    const errors: OsmoseError[] = [];
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        errors.push(err as OsmoseError);
      }
    };
    attempt(() => auth.verifyJoin(wrong)); // wrong-secret
    attempt(() => auth.verifyJoin(wrong)); // challenge-used
    attempt(() => auth.verifyJoin(joinRequest({ nonce: 'n'.repeat(32) })));
    attempt(() => auth.verifyJoin(joinRequest({ roomId: 'rzzzzzzzzzzzz', nonce: auth.issueChallenge().nonce })));
    const good = joinRequest({ nonce: auth.issueChallenge().nonce });
    attempt(() => auth.verifyJoin({ ...good, sig: signB64u(newDeviceKeyPair().secretKey, 'x') }));
    const cred = joined();
    attempt(() => auth.verifyCredential('d' + '1'.repeat(32), cred.token));
    expect(errors.map((e) => e.code)).toEqual(['wrong-secret', 'challenge-used', 'challenge-unknown', 'wrong-secret', 'bad-signature', 'unauthorized']);
    const forbidden = [secrets.secret, other, wrong.proof, good.proof, wrong.sig, b64uEncode(secrets.joinKey), b64uEncode(secrets.credentialKey), cred.token];
    for (const e of errors) {
      const text = `${e.message} ${JSON.stringify(e.toWire())}`;
      for (const f of forbidden) expect(text).not.toContain(f);
    }
  });
});

describe('JoinAuth.verifyCredential', () => {
  it("refuses device A's credential presented by device B as 'unauthorized'", () => {
    const cred = joined();
    const b = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
    expect(codeOf(() => auth.verifyCredential(b, cred.token))).toBe('unauthorized');
  });

  it('refuses a tampered token', () => {
    const cred = joined();
    const mac = cred.token.slice(11);
    const flippedMac = cred.token.slice(0, 11) + (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    expect(codeOf(() => auth.verifyCredential(cred.peerId, flippedMac))).toBe('unauthorized');
    // Pushing the expiry out invalidates the MAC too.
    const later = String(Number(cred.token.slice(0, 10)) + 86_400).padStart(10, '0') + cred.token.slice(10);
    expect(codeOf(() => auth.verifyCredential(cred.peerId, later))).toBe('unauthorized');
  });

  it.each([
    ['no peer id', null, 'token'],
    ['no token', 'd' + '0'.repeat(32), undefined],
    ['a malformed token', 'd' + '0'.repeat(32), 'not-a-token'],
    ['an overlong token', 'd' + '0'.repeat(32), '1'.repeat(101)],
  ])("refuses %s as 'unauthorized'", (_what, peerId, token) => {
    expect(codeOf(() => auth.verifyCredential(peerId, token))).toBe('unauthorized');
  });

  it("refuses a credential past its expiry as 'credential-expired'", () => {
    const cred = joined();
    now = cred.expiresAt;
    expect(() => auth.verifyCredential(cred.peerId, cred.token)).not.toThrow();
    now = cred.expiresAt + 1;
    expect(codeOf(() => auth.verifyCredential(cred.peerId, cred.token))).toBe('credential-expired');
  });

  it('survives a hub restart with the same stored room', async () => {
    const cred = joined();
    const restarted = new JoinAuth((await loadOrCreateRoom(dir)).secrets, CREDENTIAL_TTL_MS, () => now);
    expect(() => restarted.verifyCredential(cred.peerId, cred.token)).not.toThrow();
  });

  it('stops accepting credentials issued before a secret rotation', async () => {
    const cred = joined();
    auth.setSecrets(await rotateRoomSecret(dir));
    expect(codeOf(() => auth.verifyCredential(cred.peerId, cred.token))).toBe('unauthorized');
  });
});
