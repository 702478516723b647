/**
 * What the wall display shows, kept current: the state (`GET API.displayState`) and its
 * server-sent events (roster, voice, gateway), each validated against protocol/display.ts before
 * it is shown; an event that fails is dropped and logged.
 */
import type { z } from 'zod';
import { API } from '../../protocol/hub-api.ts';
import { decodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { DISPLAY_EVENTS, DISPLAY_EVENT_BYTES, DisplayState, type DisplayEventName } from '../../protocol/display.ts';
import { HubHttp } from '../platform/hub-http.ts';

/** An event's data, validated; null (and a warning) if it is not what `name` carries. */
export function parseDisplayEvent<N extends DisplayEventName>(name: N, data: unknown): z.infer<(typeof DISPLAY_EVENTS)[N]> | null {
  const decoded = decodeFrame(DISPLAY_EVENTS[name], data, DISPLAY_EVENT_BYTES);
  if (decoded.ok) return decoded.value as z.infer<(typeof DISPLAY_EVENTS)[N]>;
  console.warn(`[osmose] display: ${name} event refused:`, decoded.error.code, decoded.error.message);
  return null;
}

export class DisplayFeed {
  view = $state<DisplayState | null>(null);
  error = $state('');
  /** The event stream is connected. */
  live = $state(false);

  constructor(private readonly http: HubHttp) {}

  /** Loads the state and follows the events; returns the way to stop. */
  start(): () => void {
    this.http.json(DisplayState, API.displayState).then(
      (state) => (this.view = state),
      (err: unknown) => (this.error = err instanceof OsmoseError && err.code !== 'hub-unreachable' ? err.message : 'The hub is not answering.'),
    );
    const events = new EventSource(API.displayEvents);
    const on = <N extends DisplayEventName>(name: N, apply: (e: z.infer<(typeof DISPLAY_EVENTS)[N]>) => void) =>
      events.addEventListener(name, (ev) => {
        const e = parseDisplayEvent(name, (ev as MessageEvent<unknown>).data);
        if (e && this.view) apply(e);
      });
    on('roster', (e) => {
      this.view!.members = e.members;
      this.view!.room = e.room;
    });
    on('voice', (e) => (this.view!.voice = e.voice));
    on('gateway', (e) => (this.view!.gateway = e.gateway));
    events.onopen = () => (this.live = true);
    events.onerror = () => (this.live = false);
    return () => events.close();
  }
}
