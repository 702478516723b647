/**
 * The room's scribe: a meeting transcript only the devices present can read.
 *
 *   scribe       Y.Map<ScribeSession>     sessionId → who started it, when, who was present;
 *                                          when and by whom it stopped
 *   scribeText   Y.Array<ScribeUtterance> each utterance: the plain facts (session, whose
 *                                          microphone, which device ran the model, start, end)
 *                                          and its text SEALED under the session's content key
 *   scribeKeys   Y.Map<ScribeKey>         `${session}|${deviceId}` → the session's key wrapped
 *                                          for that device's X25519 key (written by that device
 *                                          when it received the key over the mesh)
 *
 * The hub and every replica store and sync all three; without an X25519 secret the hub can open
 * nothing. Retention and deletion remove a session's keys with it (scribe-doc.ts).
 */
import { z } from 'zod';
import { DeviceId } from './common.ts';
import { LIMITS } from './limits.ts';
import { Sealed, WrappedKey } from './sealed.ts';

const Id = z.string().regex(/^[0-9A-Za-z-]{8,64}$/);
const Ms = z.number().int().min(0);
const Name = z.string().max(LIMITS.displayNameChars);

export const SCRIBE_LIMITS = {
  /** Devices a session's key is handed to at its start. */
  present: 64,
  /** Characters of one utterance's text (Moonshine's answers are at most 2,000). */
  textChars: 2_000,
  /** Utterances kept in the document (the writer trims the oldest). */
  kept: 5_000,
} as const;

export const DeviceRef = z.object({ deviceId: DeviceId, name: Name });
export type DeviceRef = z.infer<typeof DeviceRef>;

export const ScribeSession = z.object({
  id: Id,
  startedBy: DeviceId,
  startedByName: Name,
  startedAt: Ms,
  /** The devices given the key at the start (the starter included): who was present. */
  present: z.array(DeviceRef).min(1).max(SCRIBE_LIMITS.present),
  stoppedAt: Ms.optional(),
  stoppedBy: DeviceRef.optional(),
});
export type ScribeSession = z.infer<typeof ScribeSession>;

export const ScribeUtterance = z.object({
  id: Id,
  session: Id,
  /** Whose microphone heard it. */
  heardBy: DeviceId,
  heardByName: Name,
  /** Which device ran speech to text. */
  processedBy: DeviceId,
  /** Start and end of the speech (the microphone device's clock, ms). */
  start: Ms,
  end: Ms,
  /** The text, sealed (AEAD) under the session's key; `utteranceAad` is its associated data. */
  text: Sealed,
});
export type ScribeUtterance = z.infer<typeof ScribeUtterance>;

export const ScribeKey = z.object({
  key: WrappedKey,
  /** Who handed it over (the starter, or the member who granted it). */
  from: DeviceId,
  /** Given after the start by a member's explicit grant (the device was not present at the start). */
  granted: z.boolean(),
  at: Ms,
});
export type ScribeKey = z.infer<typeof ScribeKey>;

/** The context a session's key is wrapped under (protocol/sealed.ts `wrapKey`). */
export const scribeKeyContext = (session: string): string => `scribe|${session}`;
/** Where a key lives in `scribeKeys`. */
export const scribeKeyId = (session: string, deviceId: string): string => `${session}|${deviceId}`;

/**
 * An utterance's associated data: its place (session, id) and every plain fact about it, so a
 * sealed text moved to another utterance, or whose speaker or times were changed, does not open.
 */
export function utteranceAad(u: Pick<ScribeUtterance, 'session' | 'id' | 'heardBy' | 'processedBy' | 'start' | 'end'>): string {
  return `scribe|${u.session}|${u.id}|${u.heardBy}|${u.processedBy}|${u.start}|${u.end}`;
}

/** What /display and every device show of the scribe (nothing of its text). */
export const ScribeView = z.object({
  session: Id,
  startedByName: Name,
  startedAt: Ms,
  present: z.array(Name).max(SCRIBE_LIMITS.present),
  utterances: z.number().int().min(0),
});
export type ScribeView = z.infer<typeof ScribeView>;
