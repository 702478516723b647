/** The hub's HTTP API (JSON bodies). Paths are here too so hub and app cannot drift. */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { B64u, DeviceId, RoomId, RoomInfo } from './common.ts';

export const API = {
  hub: '/api/hub',
  challenge: '/api/join/challenge',
  join: '/api/join',
  displayState: '/api/display/state',
  displayEvents: '/api/display/events',
  caPem: '/ca.pem',
  caDer: '/ca.crt',
  roomSocket: '/room',
  /** PeerJS client `path`; the signaling WebSocket is `${signalingPath}peerjs`. */
  signalingPath: '/signal/',
  signalingKey: 'osmose',
} as const;

const V = z.literal(PROTOCOL_VERSION);

/** GET /api/hub: public facts about the hub (no secret). */
export const HubInfo = z.object({
  v: V,
  room: RoomInfo,
  caFingerprint: z.string().max(200).nullable(),
  httpPort: z.number().int(),
  httpsPort: z.number().int(),
  protocol: z.number().int(),
  app: z.string(),
});
export type HubInfo = z.infer<typeof HubInfo>;

/** POST /api/join/challenge → a single-use nonce. */
export const ChallengeRequest = z.object({ v: V });
export const ChallengeResponse = z.object({
  v: V,
  nonce: B64u(22, 64),
  expiresAt: z.number().int(),
});
export type ChallengeResponse = z.infer<typeof ChallengeResponse>;

/**
 * POST /api/join: prove the room secret without sending it.
 * proof = HMAC-SHA256(joinKey(secret), joinProofMessage(...)), sig = Ed25519 over the same bytes.
 */
export const JoinRequest = z.object({
  v: V,
  roomId: RoomId,
  deviceId: DeviceId,
  /** Ed25519 public key, base64url (32 bytes). deviceId must be its hash. */
  publicKey: B64u(43, 43),
  nonce: B64u(22, 64),
  proof: B64u(43, 43),
  sig: B64u(86, 86),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export const IceServer = z.object({
  urls: z.union([z.string().max(200), z.array(z.string().max(200)).max(8)]),
  username: z.string().max(200).optional(),
  credential: z.string().max(200).optional(),
});

export const JoinResponse = z.object({
  v: V,
  room: RoomInfo,
  credential: z.object({
    peerId: DeviceId,
    /** URL-safe: PeerJS sends it in the signaling URL. Bound to peerId and expiry. */
    token: z.string().regex(/^[0-9]{10}\.[A-Za-z0-9_-]{43}$/),
    expiresAt: z.number().int(),
  }),
  keyId: z.string().max(64),
  iceServers: z.array(IceServer).max(8),
  httpPort: z.number().int(),
  httpsPort: z.number().int(),
  /** How long an unreachable device stays listed as away before it is dropped. */
  graceSeconds: z.number().int().positive(),
  awaySeconds: z.number().int().positive(),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

export const ErrorResponse = z.object({
  v: V,
  error: z.object({ code: z.string().max(40), message: z.string().max(500) }),
  retryAfterSeconds: z.number().optional(),
});
