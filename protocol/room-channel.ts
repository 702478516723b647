/**
 * The room channel: one WebSocket between each device and the hub (path API.roomSocket).
 * The device offers its credential when it opens the socket, as a WebSocket subprotocol
 * (`Sec-WebSocket-Protocol`, never in the URL): the hub checks it before it reads a single frame,
 * so a socket without one costs the hub nothing. The first frame is then the hello (same device).
 * The hub keeps the roster and tells every device who is in the room.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { DeviceId, Profile, RoomInfo, WireErrorSchema } from './common.ts';
import { LIMITS } from './limits.ts';

const V = z.literal(PROTOCOL_VERSION);

export const MemberStatus = z.enum(['present', 'away']);
export type MemberStatus = z.infer<typeof MemberStatus>;

export const Member = z.object({
  peerId: DeviceId,
  profile: Profile,
  status: MemberStatus,
  /** Hub clock, ms: when the hub last heard from this device. */
  lastSeen: z.number().int(),
});
export type Member = z.infer<typeof Member>;

// Device → hub
export const ClientHello = z.object({
  v: V,
  t: z.literal('hello'),
  peerId: DeviceId,
  token: z.string().max(100),
  profile: Profile,
});
export const ClientProfile = z.object({ v: V, t: z.literal('profile'), profile: Profile });
/** Leaving on purpose: drop me now, not after the grace period. */
export const ClientBye = z.object({ v: V, t: z.literal('bye') });
export const ClientPing = z.object({ v: V, t: z.literal('ping'), n: z.number().int() });

export const ClientMessage = z.discriminatedUnion('t', [ClientHello, ClientProfile, ClientBye, ClientPing]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// Hub → device
export const HubWelcome = z.object({
  v: V,
  t: z.literal('welcome'),
  room: RoomInfo,
  you: DeviceId,
  members: z.array(Member).max(LIMITS.rosterMembers),
  hubTime: z.number().int(),
});
export const HubRoster = z.object({
  v: V,
  t: z.literal('roster'),
  members: z.array(Member).max(LIMITS.rosterMembers),
  hubTime: z.number().int(),
});
export const HubPong = z.object({ v: V, t: z.literal('pong'), n: z.number().int() });
/** Sent before the hub closes the channel: why it did. */
export const HubError = z.object({ v: V, t: z.literal('error'), error: WireErrorSchema });

/** The room's links to other rooms changed (a banner, an invitation, the ledger): ask the gateway API again. */
export const HubGatewayChanged = z.object({ v: V, t: z.literal('gateway-changed') });

export const HubMessage = z.discriminatedUnion('t', [HubWelcome, HubRoster, HubPong, HubError, HubGatewayChanged]);
export type HubMessage = z.infer<typeof HubMessage>;

/** WebSocket close codes the hub uses (4000-4999 are the application's). */
export const CLOSE = {
  unauthorized: 4001,
  protocolVersion: 4002,
  evicted: 4003,
  badFrame: 4004,
  replaced: 4005,
  helloTimeout: 4006,
  /** The roster is full (`room-full`): not a refusal, the device tries again later. */
  roomFull: 4007,
} as const;

/** The subprotocol the hub answers with; offered first by every device. */
export const ROOM_SUBPROTOCOL = 'osmose-room.v1';
const CREDENTIAL_PREFIX = 'osmose-cred.';

/** The subprotocols a device offers on /room: the channel's, then its credential. */
export function roomProtocols(peerId: string, token: string): string[] {
  return [ROOM_SUBPROTOCOL, `${CREDENTIAL_PREFIX}${peerId}.${token}`];
}

/** The credential among offered subprotocols (`Sec-WebSocket-Protocol`), or null. */
export function credentialFromProtocols(offered: Iterable<string>): { peerId: string; token: string } | null {
  for (const p of offered) {
    const m = /^osmose-cred\.(d[0-9a-f]{32})\.([0-9]{10}\.[A-Za-z0-9_-]{43})$/.exec(p);
    if (m) return { peerId: m[1]!, token: m[2]! };
  }
  return null;
}
