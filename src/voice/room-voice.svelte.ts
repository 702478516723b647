/**
 * The voice side of the room's memory, as every device sees it: detections heard by any room
 * microphone, the room's timers and their default length. Reads validate (entries come from other
 * members); writes go into the shared document and reach every device and the hub by sync.
 */
import type * as Y from 'yjs';
import { ORIGIN } from '../../protocol/doc-sync.ts';
import {
  commandEvents, readCommandEvents, readTimers, readVoiceEvents, settings, timerMinutes, timers, voiceEvents, VOICE_EVENTS_KEPT,
} from '../../protocol/room-doc.ts';
import { COMMAND_LIMITS, CommandEvent } from '../../protocol/voice-commands.ts';
import { RoomTimer, TIMER_LIMITS, VoiceEvent, phrase, type PhraseId } from '../../protocol/voice.ts';
import { newItemId } from '../memory/room-memory.svelte.ts';

/** How long a wake word keeps the "listening" indicator up on every device. */
export const LISTENING_SHOWN_MS = 8_000;

export class RoomVoiceState {
  events = $state.raw<VoiceEvent[]>([]);
  /** Spoken commands and what the room did, newest first. */
  commands = $state.raw<CommandEvent[]>([]);
  timers = $state.raw<RoomTimer[]>([]);
  timerMinutes = $state<number>(TIMER_LIMITS.defaultMinutes);
  private readonly off: () => void;

  constructor(
    private readonly doc: Y.Doc,
    private readonly me: { deviceId: string; name: () => string },
  ) {
    const refresh = () => this.refresh();
    voiceEvents(doc).observe(refresh);
    commandEvents(doc).observe(refresh);
    timers(doc).observe(refresh);
    settings(doc).observe(refresh);
    this.off = () => {
      voiceEvents(doc).unobserve(refresh);
      commandEvents(doc).unobserve(refresh);
      timers(doc).unobserve(refresh);
      settings(doc).unobserve(refresh);
    };
    this.refresh();
  }

  private refresh(): void {
    this.events = readVoiceEvents(this.doc, 50);
    this.commands = readCommandEvents(this.doc, 50);
    this.timers = readTimers(this.doc);
    this.timerMinutes = timerMinutes(this.doc);
  }

  /** The latest wake word heard within the indicator's time, if any. */
  listeningSince(now: number): VoiceEvent | null {
    const e = this.events.find((x) => phrase(x.phrase).kind === 'wake');
    return e && now - e.at < LISTENING_SHOWN_MS && e.at <= now + 5_000 ? e : null;
  }

  /** Timers still running at `now`. */
  running(now: number): RoomTimer[] {
    return this.timers.filter((t) => t.cancelledAt === undefined && t.startedAt + t.durationMs > now);
  }

  /** Records a detection (this device's microphone) and carries out the room's reaction. */
  detected(p: { phrase: PhraseId; score: number; processedBy: string; at: number; timerMinutes?: number }): VoiceEvent {
    const event = VoiceEvent.parse({
      id: newItemId(),
      phrase: p.phrase,
      heardBy: this.me.deviceId,
      heardByName: this.me.name(),
      processedBy: p.processedBy,
      score: Math.round(p.score * 1000) / 1000,
      at: Math.round(p.at),
      ...(p.phrase === 'timer' ? { timerMinutes: p.timerMinutes ?? this.timerMinutes } : {}),
    });
    this.doc.transact(() => {
      const arr = voiceEvents(this.doc);
      arr.push([event]);
      if (arr.length > VOICE_EVENTS_KEPT) arr.delete(0, arr.length - VOICE_EVENTS_KEPT);
      if (phrase(p.phrase).kind === 'timer') this.putTimer((event.timerMinutes ?? this.timerMinutes) * 60_000, 'voice', event.at);
    }, ORIGIN.local);
    return event;
  }

  /** Records a spoken command and what it did (voice/command-flow.ts). */
  recordCommand(e: Omit<CommandEvent, 'id' | 'heardBy' | 'heardByName' | 'processedBy'> & { processedBy: string | null }): CommandEvent | null {
    const event = CommandEvent.safeParse({ ...e, id: newItemId(), heardBy: this.me.deviceId, heardByName: this.me.name(), processedBy: e.processedBy ?? this.me.deviceId });
    if (!event.success) {
      console.warn('[osmose] a command event did not validate', event.error.message);
      return null;
    }
    this.doc.transact(() => {
      const arr = commandEvents(this.doc);
      arr.push([event.data]);
      if (arr.length > COMMAND_LIMITS.kept) arr.delete(0, arr.length - COMMAND_LIMITS.kept);
    }, ORIGIN.local);
    return event.data;
  }

  /** Starts a timer asked for by voice (a command); returns its id. */
  voiceTimer(durationMs: number): string {
    let id = '';
    this.doc.transact(() => (id = this.putTimer(durationMs, 'voice', Date.now())), ORIGIN.local);
    return id;
  }

  /** Raises the score of one of this device's recent events to its utterance's peak. */
  raiseScore(id: string, score: number): void {
    const arr = voiceEvents(this.doc);
    for (let i = arr.length - 1; i >= Math.max(0, arr.length - 50); i--) {
      const e = VoiceEvent.safeParse(arr.get(i));
      if (!e.success || e.data.id !== id) continue;
      if (e.data.heardBy !== this.me.deviceId || score <= e.data.score) return;
      const next = VoiceEvent.safeParse({ ...e.data, score: Math.round(Math.min(1, score) * 1000) / 1000 });
      if (next.success) {
        this.doc.transact(() => {
          arr.delete(i, 1);
          arr.insert(i, [next.data]);
        }, ORIGIN.local);
      }
      return;
    }
  }

  startTimer(minutes: number): void {
    const ms = Math.round(minutes * 60_000);
    this.doc.transact(() => this.putTimer(ms, 'manual', Date.now()), ORIGIN.local);
  }

  cancelTimer(id: string): void {
    const raw = timers(this.doc).get(id);
    const t = RoomTimer.safeParse(raw);
    if (!t.success || t.data.cancelledAt !== undefined) return;
    this.doc.transact(() => timers(this.doc).set(id, { ...t.data, cancelledAt: Date.now() }), ORIGIN.local);
  }

  setTimerMinutes(minutes: number): void {
    const m = Math.round(minutes);
    if (!(m >= 1 && m <= TIMER_LIMITS.maxMs / 60_000)) return;
    this.doc.transact(() => settings(this.doc).set('timerMinutes', m), ORIGIN.local);
  }

  private putTimer(durationMs: number, cause: RoomTimer['cause'], startedAt: number): string {
    const t = RoomTimer.safeParse({
      id: newItemId(),
      startedBy: this.me.deviceId,
      startedByName: this.me.name(),
      startedAt,
      durationMs: Math.min(TIMER_LIMITS.maxMs, Math.max(TIMER_LIMITS.minMs, durationMs)),
      cause,
    });
    if (t.success) timers(this.doc).set(t.data.id, t.data);
    return t.success ? t.data.id : '';
  }

  dispose(): void {
    this.off();
  }
}
