/**
 * Carries out a spoken command (workers/inference/stt/commands.ts `Command`) in the room and says
 * what it did, for the room event (protocol/voice-commands.ts). Pure over `RoomActions`, so the
 * table of commands and their effects is tested without a room. Nothing is guessed: a command
 * the grammar did not parse does nothing.
 */
import type { Command } from '../../workers/inference/stt/commands.ts';
import type { CommandDid } from '../../protocol/voice-commands.ts';
import { TIMER_LIMITS } from '../../protocol/voice.ts';

/** What a command may do in the room (the app wires them to the room's memory and the scribe). */
export interface RoomActions {
  /** Starts a room timer; returns its id. */
  startTimer(durationMs: number): string;
  /** Makes a note with this text; returns its id. */
  note(text: string): string;
  /** The newest message or note, if any, and whether it is pinned already. */
  latest(): { kind: 'message' | 'note'; ref: string; pinned: boolean } | null;
  pin(kind: 'message' | 'note', ref: string): void;
  /** The names of the people present (this device's included). */
  people(): string[];
  /** Starts or stops the scribe; the session touched, or null if it was already so. */
  scribe(on: boolean): string | null;
}

export interface Outcome {
  did: CommandDid;
  ref?: string;
  durationMs?: number;
  names?: string[];
  /** What to show (and, for an answer, say) on the device that heard it. */
  summary: string;
}

/** Milliseconds from `now` to the next time the clock shows `hour:minute` (local time). With no
 * hour, the next time `minute` comes round; an hour under 12 may be either half of the day. */
export function msUntil(hour: number | null, minute: number, now: Date): number {
  const candidates: Date[] = [];
  const hours = hour === null ? Array.from({ length: 25 }, (_, i) => (now.getHours() + i) % 24) : hour < 12 ? [hour, hour + 12] : [hour];
  for (const dayOffset of [0, 1]) {
    for (const h of hours) {
      const t = new Date(now);
      t.setDate(now.getDate() + dayOffset);
      t.setHours(h, minute, 0, 0);
      if (t.getTime() > now.getTime()) candidates.push(t);
    }
  }
  return Math.min(...candidates.map((t) => t.getTime())) - now.getTime();
}

const clampTimer = (ms: number) => Math.min(TIMER_LIMITS.maxMs, Math.max(TIMER_LIMITS.minMs, Math.round(ms)));

export function describeDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : '', sec ? `${sec} s` : ''].filter(Boolean).join(' ') || '0 s';
}

/** "Alice, Bob and Carol". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? 'nobody';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export function runCommand(command: Command, room: RoomActions, now: Date): Outcome {
  switch (command.kind) {
    case 'timer': {
      const durationMs = clampTimer(command.seconds * 1000);
      return { did: 'timer', ref: room.startTimer(durationMs), durationMs, summary: `Room timer: ${describeDuration(durationMs)}` };
    }
    case 'timer-until': {
      const durationMs = clampTimer(msUntil(command.hour, command.minute, now));
      const at = new Date(now.getTime() + durationMs);
      return { did: 'timer', ref: room.startTimer(durationMs), durationMs, summary: `Room timer until ${at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} (${describeDuration(durationMs)})` };
    }
    case 'note': {
      const text = command.note.trim();
      return { did: 'note', ref: room.note(text), summary: `Noted: “${text}”` };
    }
    case 'pin': {
      const latest = room.latest();
      if (!latest) return { did: 'nothing-to-pin', summary: 'Nothing to pin yet' };
      if (latest.pinned) return { did: 'nothing-to-pin', ref: latest.ref, summary: `The latest ${latest.kind} is pinned already` };
      room.pin(latest.kind, latest.ref);
      return { did: 'pin', ref: latest.ref, summary: `Pinned the latest ${latest.kind}` };
    }
    case 'who-is-here': {
      const names = room.people();
      return { did: 'who-is-here', names, summary: `Here: ${listNames(names)}` };
    }
    case 'scribe': {
      const session = room.scribe(command.on);
      if (!session) return { did: 'scribe-unchanged', summary: command.on ? 'The scribe is on already' : 'The scribe is not on' };
      return { did: command.on ? 'scribe-on' : 'scribe-off', ref: session, summary: command.on ? 'Scribe started' : 'Scribe stopped' };
    }
    case 'unknown':
      return { did: command.text.trim() ? 'not-understood' : 'nothing-heard', summary: command.text.trim() ? `Not understood: “${command.text}”` : 'Nothing heard after the wake word' };
  }
}
