/**
 * Binary frames from a peer's session, routed to their feature by their first byte: the kinds
 * are assigned once, in protocol/frame-kinds.ts. A kind no feature owns is dropped and reported.
 */
import { frameFeature } from '../../protocol/frame-kinds.ts';

export interface FrameSinks {
  /** The room's memory (sync, awareness, fragments). */
  memory(from: string, frame: Uint8Array): void;
  /** Microphone audio for a stream this device serves. */
  voice(from: string, frame: Uint8Array): void;
  /** A camera frame for a stream this device serves. */
  vision(from: string, frame: Uint8Array): void;
}

export function routeFrame(from: string, frame: Uint8Array, to: FrameSinks): void {
  const feature = frameFeature(frame);
  if (feature === 'memory') return to.memory(from, frame);
  if (feature === 'voice') return to.voice(from, frame);
  if (feature === 'vision') return to.vision(from, frame);
  console.warn('[osmose] binary frame of unknown kind from', from.slice(0, 9), frame[0]);
}
