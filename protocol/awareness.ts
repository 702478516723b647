/**
 * Awareness: what a device tells the peers it is directly connected to, and only them (never the
 * hub, never stored): who it is, whether they are typing, which note they are looking at. Carried
 * in y-protocols awareness updates (`FRAME_KIND.awareness`); every state read is validated, since
 * it comes from another member's device.
 */
import { z } from 'zod';
import { LIMITS } from './limits.ts';

export const AwarenessState = z.object({
  deviceId: z.string().max(40),
  name: z.string().max(LIMITS.displayNameChars),
  typing: z.boolean(),
  /** The note this person has open, or null. */
  viewing: z.string().max(64).nullable(),
});
export type AwarenessState = z.infer<typeof AwarenessState>;

export interface RoomPresence {
  /** Names of the people typing a message. */
  typing: string[];
  /** Note id → names of the people looking at it. */
  viewers: Map<string, string[]>;
}

/** Reads every other client's state (`self`: this device's client id); invalid ones are skipped. */
export function readPresence(states: ReadonlyMap<number, unknown>, self: number): RoomPresence {
  const typing: string[] = [];
  const viewers = new Map<string, string[]>();
  for (const [clientId, raw] of states) {
    if (clientId === self) continue;
    const s = AwarenessState.safeParse(raw);
    if (!s.success) continue;
    if (s.data.typing) typing.push(s.data.name);
    if (s.data.viewing) viewers.set(s.data.viewing, [...(viewers.get(s.data.viewing) ?? []), s.data.name]);
  }
  return { typing, viewers };
}
