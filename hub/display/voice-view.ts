/**
 * What /display shows of the room's voice service, read from the hub's replica of the room's
 * memory: running timers and the latest things heard. The hub never hears audio: it only holds
 * the events devices recorded.
 */
import type * as Y from 'yjs';
import { readTimers, readVoiceEvents, timers, voiceEvents } from '../../protocol/room-doc.ts';
import type { VoiceView } from '../../protocol/display.ts';

export type { VoiceView };

export function voiceView(doc: Y.Doc, now: number): VoiceView {
  return {
    timers: readTimers(doc).filter((t) => t.cancelledAt === undefined && t.startedAt + t.durationMs > now),
    events: readVoiceEvents(doc, 10),
  };
}

/** Calls `cb` (at most every `ms`) when the room's voice events or timers change. */
export function onVoiceChange(doc: Y.Doc, cb: () => void, ms = 100): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      cb();
    }, ms);
  };
  voiceEvents(doc).observe(fire);
  timers(doc).observe(fire);
  return () => {
    voiceEvents(doc).unobserve(fire);
    timers(doc).unobserve(fire);
    if (timer) clearTimeout(timer);
  };
}
