/** The app's side of the join API: challenge → proof → signaling credential. */
import { API, ChallengeResponse, JoinResponse } from '../../protocol/hub-api.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { deriveRoomKeys, hmacB64u, joinProofMessage, signB64u } from '../../protocol/crypto.ts';
import type { JoinTicket } from '../../protocol/join-link.ts';
import type { HubHttp } from '../platform/hub-http.ts';
import type { Identity } from './identity.ts';

const TIMEOUT_MS = 8_000;

/** Asks the hub for a single-use challenge (it needs nothing of the device). */
export function requestChallenge(http: HubHttp): Promise<ChallengeResponse> {
  return http.json(ChallengeResponse, API.challenge, { method: 'POST', json: { v: PROTOCOL_VERSION }, timeoutMs: TIMEOUT_MS });
}

/**
 * Proves the room secret to the hub; the secret itself never leaves the device. `challenge`: one
 * asked for earlier (while the device made its identity), else one is asked for now.
 */
export async function joinRoom(http: HubHttp, ticket: JoinTicket, identity: Identity, challenge?: Promise<ChallengeResponse>): Promise<JoinResponse> {
  const ch = await (challenge ?? requestChallenge(http));
  const message = joinProofMessage(ticket.roomId, identity.deviceId, identity.publicKey, ch.nonce);
  const body = {
    v: PROTOCOL_VERSION,
    roomId: ticket.roomId,
    deviceId: identity.deviceId,
    publicKey: identity.publicKey,
    nonce: ch.nonce,
    proof: hmacB64u(deriveRoomKeys(ticket.secret).joinKey, message),
    sig: signB64u(identity.secretKey, message),
  };
  return http.json(JoinResponse, API.join, { method: 'POST', json: body, timeoutMs: TIMEOUT_MS });
}
