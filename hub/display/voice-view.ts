/**
 * What /display shows of the room's voice service, read from the hub's replica of the room's
 * memory: running timers, the latest things heard and commands carried out, and whether the
 * scribe is on (who started it, who was present, how many utterances: its text is sealed). The
 * hub never hears audio: it only holds the events devices recorded.
 */
import type * as Y from 'yjs';
import { commandEvents, readCommandEvents, readTimers, readVoiceEvents, timers, voiceEvents } from '../../protocol/room-doc.ts';
import { scribeSessions, scribeText, scribeView } from '../../protocol/scribe-doc.ts';
import type { VoiceView } from '../../protocol/display.ts';

export type { VoiceView };

export function voiceView(doc: Y.Doc, now: number): VoiceView {
  return {
    timers: readTimers(doc).filter((t) => t.cancelledAt === undefined && t.startedAt + t.durationMs > now),
    events: readVoiceEvents(doc, 10),
    commands: readCommandEvents(doc, 5),
    scribe: scribeView(doc),
  };
}

/** Calls `cb` (at most every `ms`) when the room's voice events, timers, commands or scribe change. */
export function onVoiceChange(doc: Y.Doc, cb: () => void, ms = 100): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      cb();
    }, ms);
  };
  const watched = [voiceEvents(doc), timers(doc), commandEvents(doc), scribeSessions(doc), scribeText(doc)];
  for (const t of watched) t.observe(fire);
  return () => {
    for (const t of watched) t.unobserve(fire);
    if (timer) clearTimeout(timer);
  };
}
