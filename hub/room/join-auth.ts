/**
 * Joining: a device proves it holds the room secret (HMAC over a single-use challenge) and owns
 * its device key (Ed25519 signature over the same message), and gets a short-lived signaling
 * credential bound to its device id. Credentials are HMACs under a hub-only key, so they
 * survive a hub restart and die with a secret rotation.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { b64uDecode, b64uEncode, deviceIdMatchesKey, hmacB64u, joinProofMessage, safeEqual, verifySig } from '../../protocol/crypto.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import type { JoinRequest } from '../../protocol/hub-api.ts';
import type { RoomSecrets } from './room-store.ts';

export const CHALLENGE_TTL_MS = 60_000;
/** A challenge: 16 random bytes, its expiry (6 bytes, ms), and a 16-byte MAC over both. */
const NONCE_RANDOM = 16;
const NONCE_TIME = 6;
const NONCE_MAC = 16;
const NONCE_BYTES = NONCE_RANDOM + NONCE_TIME + NONCE_MAC;

export interface Credential {
  peerId: string;
  token: string;
  expiresAt: number;
}

/**
 * Challenges are stateless: the hub MACs each one under a key made at start (so a restart forgets
 * them all, as before) and remembers only those already answered, until they expire, to refuse a
 * replay. Nothing is kept per challenge issued, so no flood of challenge requests, from however
 * many addresses, can fill a table and leave a new device without one. What stays bounded by
 * source is answering: failed joins are limited per address and per IPv6 /64 (routes/api.ts).
 */
export class JoinAuth {
  private readonly challengeKey = randomBytes(32);
  /** Answered challenges (nonce → expiry), kept to refuse a replay until they expire. */
  private answered = new Map<string, number>();

  constructor(
    private secrets: RoomSecrets,
    private readonly credentialTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  setSecrets(secrets: RoomSecrets): void {
    this.secrets = secrets;
  }

  get roomId(): string {
    return this.secrets.roomId;
  }

  issueChallenge(): { nonce: string; expiresAt: number } {
    const expiresAt = this.now() + CHALLENGE_TTL_MS;
    const body = Buffer.alloc(NONCE_RANDOM + NONCE_TIME);
    randomBytes(NONCE_RANDOM).copy(body);
    body.writeUIntBE(expiresAt, NONCE_RANDOM, NONCE_TIME);
    return { nonce: b64uEncode(Buffer.concat([body, this.challengeMac(body)])), expiresAt };
  }

  /** The expiry a nonce carries, or null when this hub (since its start) did not make it. */
  private challengeExpiry(nonce: string): number | null {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(b64uDecode(nonce));
    } catch {
      return null;
    }
    if (bytes.length !== NONCE_BYTES) return null;
    const body = bytes.subarray(0, NONCE_RANDOM + NONCE_TIME);
    if (!timingSafeEqual(this.challengeMac(body), bytes.subarray(NONCE_RANDOM + NONCE_TIME))) return null;
    return body.readUIntBE(NONCE_RANDOM, NONCE_TIME);
  }

  private challengeMac(body: Buffer): Buffer {
    return createHmac('sha256', this.challengeKey).update(body).digest().subarray(0, NONCE_MAC);
  }

  /** Throws an OsmoseError with the precise reason; never echoes the proof. */
  verifyJoin(req: JoinRequest): Credential {
    const t = this.now();
    if (req.roomId !== this.secrets.roomId) throw new OsmoseError('wrong-secret', 'this link is for another room');
    const expiresAt = this.challengeExpiry(req.nonce);
    if (expiresAt === null) throw new OsmoseError('challenge-unknown', 'unknown join challenge; ask for a new one');
    if (this.answered.has(req.nonce)) throw new OsmoseError('challenge-used', 'this join challenge was already used (replay refused)');
    if (t > expiresAt) throw new OsmoseError('challenge-expired', 'the join challenge expired; ask for a new one');
    // Burn it before checking the proof: one guess per challenge.
    this.answered.set(req.nonce, expiresAt);
    const message = joinProofMessage(req.roomId, req.deviceId, req.publicKey, req.nonce);
    if (!safeEqual(hmacB64u(this.secrets.joinKey, message), req.proof)) {
      const old = this.secrets.previousJoinKeys.some((k) => safeEqual(hmacB64u(k, message), req.proof));
      if (old) throw new OsmoseError('secret-rotated', "this room's secret was changed; scan the room's new QR code");
      throw new OsmoseError('wrong-secret', 'the room secret does not match; scan the QR code in the room again');
    }
    if (!deviceIdMatchesKey(req.deviceId, req.publicKey)) throw new OsmoseError('bad-signature', 'device id does not match its key');
    if (!verifySig(req.publicKey, message, req.sig)) throw new OsmoseError('bad-signature', 'device signature is invalid');
    return this.issueCredential(req.deviceId);
  }

  issueCredential(peerId: string): Credential {
    const expiresAt = this.now() + this.credentialTtlMs;
    const exp = Math.floor(expiresAt / 1000);
    return { peerId, token: `${String(exp).padStart(10, '0')}.${this.sign(peerId, exp)}`, expiresAt: exp * 1000 };
  }

  /** Checks a signaling credential; throws `unauthorized` or `credential-expired`. */
  verifyCredential(peerId: string | null | undefined, token: string | null | undefined): void {
    if (!peerId || !token || token.length > 100) throw new OsmoseError('unauthorized', 'a signaling credential is required');
    const m = /^([0-9]{10})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) throw new OsmoseError('unauthorized', 'malformed signaling credential');
    const exp = Number(m[1]);
    if (!safeEqual(this.sign(peerId, exp), m[2]!)) throw new OsmoseError('unauthorized', 'invalid signaling credential');
    if (exp * 1000 < this.now()) throw new OsmoseError('credential-expired', 'the signaling credential expired; join again');
  }

  private sign(peerId: string, exp: number): string {
    return hmacB64u(this.secrets.credentialKey, `cred|${this.secrets.roomId}|${peerId}|${exp}`);
  }

  /** How many answered challenges are remembered (until they expire; the hub's census reports it). */
  get answeredCount(): number {
    return this.answered.size;
  }

  private prune(t: number): void {
    // An expired challenge is refused as expired whether or not it was answered: forget it.
    for (const [n, expiresAt] of this.answered) if (t > expiresAt) this.answered.delete(n);
  }

  /** Housekeeping, called on a timer. */
  sweep(): void {
    this.prune(this.now());
  }
}
