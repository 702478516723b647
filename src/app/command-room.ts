/**
 * What a spoken command may do in the room (voice/command-runner.ts `RoomActions`), wired to the
 * room's features: timers and events in the room's voice state, notes and pins in its memory,
 * the scribe, and the people present. Null while no room is open.
 */
import { ORIGIN } from '../../protocol/doc-sync.ts';
import { readBoard, readNotes, readTimeline } from '../../protocol/room-doc.ts';
import type { CommandRoom } from '../voice/command-flow.ts';
import type { RoomMemoryState } from '../memory/room-memory.svelte.ts';
import type { RoomVoiceState } from '../voice/room-voice.svelte.ts';
import type { ScribeState } from '../scribe/scribe.svelte.ts';

export interface CommandRoomParts {
  roomVoice: RoomVoiceState | null;
  memory: RoomMemoryState | null;
  scribe: ScribeState | null;
  /** This device's name and the names of the others present. */
  people(): string[];
}

/** The first words of a note, for its title. */
export function noteTitle(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  const short = t.length > 60 ? `${t.slice(0, 57).replace(/\s+\S*$/, '')}…` : t;
  return short.charAt(0).toUpperCase() + short.slice(1);
}

export function commandRoom(p: CommandRoomParts): CommandRoom | null {
  const { roomVoice, memory } = p;
  if (!roomVoice || !memory) return null;
  return {
    startTimer: (ms) => roomVoice.voiceTimer(ms),
    fallbackTimer: (minutes) => roomVoice.voiceTimer(minutes * 60_000),
    note: (text) => {
      const id = memory.createNote(noteTitle(text));
      memory.doc.transact(() => memory.noteBody(id)?.insert(0, text), ORIGIN.local);
      return id;
    },
    // Read from the document, not the views' snapshots (refreshed 50 ms later): commands may follow each other closely.
    latest: () => {
      const message = readTimeline(memory.doc).at(-1);
      const note = readNotes(memory.doc)[0];
      const pick = !note || (message && message.sentAt >= note.createdAt) ? (message ? { kind: 'message' as const, ref: message.id } : null) : { kind: 'note' as const, ref: note.id };
      return pick ? { ...pick, pinned: readBoard(memory.doc).some((b) => b.ref === pick.ref) } : null;
    },
    pin: (kind, ref) => memory.pin(kind, ref),
    people: p.people,
    scribe: (on) => (on ? (p.scribe?.start() ?? null) : (p.scribe?.stop() ?? null)),
    record: (e) => void roomVoice.recordCommand(e),
  };
}
