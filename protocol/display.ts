/**
 * The wall display (`/display`, served to the hub's own machine only): its state
 * (`GET API.displayState`) and its server-sent events (`GET API.displayEvents`). The hub builds
 * them from these schemas and the page validates every one before showing it.
 *
 * The join links hold the room secret: that is why the hub answers loopback clients only.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { RoomInfo } from './common.ts';
import { LIMITS } from './limits.ts';
import { Member } from './room-channel.ts';
import { RoomTimer, VoiceEvent } from './voice.ts';
import { GatewayDisplay } from './gateway.ts';
import { CommandEvent } from './voice-commands.ts';
import { ScribeView } from './scribe.ts';

const V = z.literal(PROTOCOL_VERSION);

/**
 * What the display shows of voice: running timers, the latest things heard, the latest spoken
 * commands, and whether the scribe is on (never its text: the hub cannot read it).
 */
export const VoiceView = z.object({
  timers: z.array(RoomTimer).max(200),
  events: z.array(VoiceEvent).max(50),
  commands: z.array(CommandEvent).max(50).optional(),
  scribe: ScribeView.nullable().optional(),
});
export type VoiceView = z.infer<typeof VoiceView>;

export const JoinLinkView = z.object({
  /** The LAN address the link uses. */
  address: z.string().max(100),
  url: z.string().max(2000),
});
export type JoinLinkView = z.infer<typeof JoinLinkView>;

export const DisplayState = z.object({
  v: V,
  room: RoomInfo,
  /** The first one is in the QR code. */
  joinLinks: z.array(JoinLinkView).max(32),
  caFingerprint: z.string().max(200).nullable(),
  members: z.array(Member).max(LIMITS.rosterMembers),
  voice: VoiceView,
  /** Links to other rooms, when the hub runs its gateway. */
  gateway: GatewayDisplay.optional(),
});
export type DisplayState = z.infer<typeof DisplayState>;

/** `event: roster`: who is in the room (on every change). */
export const DisplayRosterEvent = z.object({ v: V, room: RoomInfo, members: z.array(Member).max(LIMITS.rosterMembers) });
/** `event: voice`: timers and what was heard (on every change, at most every 100 ms). */
export const DisplayVoiceEvent = z.object({ v: V, voice: VoiceView });
/** `event: gateway`: the banners and the ledger's count. */
export const DisplayGatewayEvent = z.object({ v: V, gateway: GatewayDisplay });

/** Event name → the schema of its data (JSON). */
export const DISPLAY_EVENTS = {
  roster: DisplayRosterEvent,
  voice: DisplayVoiceEvent,
  gateway: DisplayGatewayEvent,
} as const;
export type DisplayEventName = keyof typeof DISPLAY_EVENTS;
export type DisplayEvent<N extends DisplayEventName> = z.infer<(typeof DISPLAY_EVENTS)[N]>;

/** An event's data is a few KiB; a long roster is the largest. */
export const DISPLAY_EVENT_BYTES = LIMITS.hubFrameBytes;
