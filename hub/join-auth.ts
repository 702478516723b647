/**
 * Joining: a device proves it holds the room secret (HMAC over a single-use challenge) and owns
 * its device key (Ed25519 signature over the same message), and gets a short-lived signaling
 * credential bound to its device id. Credentials are HMACs under a hub-only key, so they
 * survive a hub restart and die with a secret rotation.
 */
import {
  deviceIdMatchesKey,
  hmacB64u,
  joinProofMessage,
  randomNonce,
  safeEqual,
  verifySig,
} from '../protocol/crypto.ts';
import { OsmoseError } from '../protocol/errors.ts';
import type { JoinRequest } from '../protocol/hub-api.ts';
import type { RoomSecrets } from './room-store.ts';

export const CHALLENGE_TTL_MS = 60_000;
const MAX_OPEN_CHALLENGES = 20_000;

export interface Credential {
  peerId: string;
  token: string;
  expiresAt: number;
}

export class JoinAuth {
  private challenges = new Map<string, { expiresAt: number; used: boolean }>();

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
    const t = this.now();
    if (this.challenges.size >= MAX_OPEN_CHALLENGES) this.prune(t);
    if (this.challenges.size >= MAX_OPEN_CHALLENGES) throw new OsmoseError('rate-limited', 'too many open join challenges; try again shortly');
    const nonce = randomNonce();
    const expiresAt = t + CHALLENGE_TTL_MS;
    this.challenges.set(nonce, { expiresAt, used: false });
    return { nonce, expiresAt };
  }

  /** Throws an OsmoseError with the precise reason; never echoes the proof. */
  verifyJoin(req: JoinRequest): Credential {
    const t = this.now();
    if (req.roomId !== this.secrets.roomId) throw new OsmoseError('wrong-secret', 'this link is for another room');
    const challenge = this.challenges.get(req.nonce);
    if (!challenge) throw new OsmoseError('challenge-unknown', 'unknown join challenge; ask for a new one');
    if (challenge.used) throw new OsmoseError('challenge-used', 'this join challenge was already used (replay refused)');
    // Burn it before checking the proof: one guess per challenge.
    challenge.used = true;
    if (t > challenge.expiresAt) throw new OsmoseError('challenge-expired', 'the join challenge expired; ask for a new one');
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

  private prune(t: number): void {
    for (const [n, c] of this.challenges) if (t > c.expiresAt) this.challenges.delete(n);
  }

  /** Housekeeping, called on a timer. */
  sweep(): void {
    this.prune(this.now());
  }
}
