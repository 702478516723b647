/**
 * Spoken commands as the room remembers them (doc array `commands`): what a microphone heard after
 * a wake word, as text, and what the room did about it. Seen by every device and the hub (the text
 * of a command is the room's data like a message; the scribe's transcripts are sealed instead:
 * protocol/scribe.ts). Something the grammar does not parse is recorded as heard, with
 * `did: 'not-understood'`, and nothing is done.
 */
import { z } from 'zod';
import { DeviceId } from './common.ts';
import { LIMITS } from './limits.ts';
import { PhraseId } from './voice.ts';

const Id = z.string().regex(/^[0-9A-Za-z-]{8,64}$/);
const Ms = z.number().int().min(0);

export const COMMAND_LIMITS = {
  /** Characters of the text heard that are kept. */
  textChars: 500,
  /** Command events kept in the document (the writer trims the oldest). */
  kept: 200,
  /** Names in a "who is here" answer. */
  names: 64,
} as const;

/** What the room did. */
export const CommandDid = z.enum([
  'timer', // a room timer started (`ref`: its id, `durationMs`)
  'note', // a note made (`ref`: the note)
  'pin', // something pinned (`ref`: the message or note)
  'nothing-to-pin', // "pin that" with nothing to pin, or it was pinned already
  'who-is-here', // the answer (`names`), shown and, where the device can, spoken
  'scribe-on', // the scribe started (`ref`: the session)
  'scribe-off', // the scribe stopped (`ref`: the session)
  'scribe-unchanged', // started while on, or stopped while off
  'not-understood', // the grammar did not parse it: shown as heard, nothing done
  'nothing-heard', // the wake word, then no command (silence or an empty transcript)
  'unavailable', // speech to text could not run (the fixed timer phrase may have stood in)
]);
export type CommandDid = z.infer<typeof CommandDid>;

export const CommandEvent = z.object({
  id: Id,
  /** The wake word that came before it. */
  wake: PhraseId,
  /** Whose microphone heard it. */
  heardBy: DeviceId,
  heardByName: z.string().max(LIMITS.displayNameChars),
  /** Which device ran speech to text (the same device, or a room device serving it). */
  processedBy: DeviceId,
  /** When the command ended (the microphone's device's clock). */
  at: Ms,
  /** The text heard, as transcribed. */
  text: z.string().max(COMMAND_LIMITS.textChars),
  did: CommandDid,
  /** The timer, note, pinned item or scribe session it made or touched. */
  ref: Id.optional(),
  durationMs: z.number().int().min(0).max(24 * 3_600_000).optional(),
  /** "Who is here": the names in the answer. */
  names: z.array(z.string().max(LIMITS.displayNameChars)).max(COMMAND_LIMITS.names).optional(),
});
export type CommandEvent = z.infer<typeof CommandEvent>;
