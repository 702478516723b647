/** The app's side of the join API: challenge → proof → signaling credential. */
import { API, ChallengeResponse, JoinResponse, ErrorResponse } from '../../protocol/hub-api.ts';
import { validateMessage } from '../../protocol/codec.ts';
import { OsmoseError, isErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { deriveRoomKeys, hmacB64u, joinProofMessage, signB64u } from '../../protocol/crypto.ts';
import type { JoinTicket } from '../../protocol/join-link.ts';
import type { Identity } from './identity.ts';

const TIMEOUT_MS = 8_000;

async function post(origin: string, path: string, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(origin + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new OsmoseError('hub-unreachable', 'the hub is unreachable', { cause: err });
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new OsmoseError(res.ok ? 'bad-request' : 'hub-unreachable', `the hub answered ${res.status} without JSON`);
  }
  if (!res.ok) {
    const parsed = ErrorResponse.safeParse(json);
    if (parsed.success && isErrorCode(parsed.data.error.code)) throw new OsmoseError(parsed.data.error.code, parsed.data.error.message);
    throw new OsmoseError('hub-unreachable', `the hub answered ${res.status}`);
  }
  return json;
}

/** Proves the room secret to the hub; the secret itself never leaves the device. */
export async function joinRoom(origin: string, ticket: JoinTicket, identity: Identity): Promise<JoinResponse> {
  const ch = validateMessage(ChallengeResponse, await post(origin, API.challenge, { v: PROTOCOL_VERSION }));
  if (!ch.ok) throw ch.error;
  const message = joinProofMessage(ticket.roomId, identity.deviceId, identity.publicKey, ch.value.nonce);
  const body = {
    v: PROTOCOL_VERSION,
    roomId: ticket.roomId,
    deviceId: identity.deviceId,
    publicKey: identity.publicKey,
    nonce: ch.value.nonce,
    proof: hmacB64u(deriveRoomKeys(ticket.secret).joinKey, message),
    sig: signB64u(identity.secretKey, message),
  };
  const joined = validateMessage(JoinResponse, await post(origin, API.join, body));
  if (!joined.ok) throw joined.error;
  return joined.value;
}
