/**
 * A peer that stops reading makes the hub hold everything sent to it. The room channel and
 * signaling send through here: past a limit of unread bytes the socket is cut instead.
 */
import type { WebSocket } from 'ws';
import { FRAME_LIMITS } from '../../protocol/sync-frames.ts';
import { log } from '../support/log.ts';

type Sink = Pick<WebSocket, 'readyState' | 'OPEN' | 'bufferedAmount' | 'send' | 'terminate'>;

/** What a device may leave unread before the hub cuts its socket: two of the largest frames. */
export const SLOW_READER_BYTES = 2 * FRAME_LIMITS.frameBytes;

/**
 * Sends a frame, unless the device has stopped reading: everything it does not read waits in the
 * hub's memory, so past SLOW_READER_BYTES the socket is cut (a real device reconnects and catches
 * up from the hub). True when the frame went out.
 */
export function sendOrCut(ws: Sink, data: string | Uint8Array, binary: boolean, limit = SLOW_READER_BYTES): boolean {
  if (ws.readyState !== ws.OPEN) return false;
  if (ws.bufferedAmount > limit) {
    log.warn('a device stopped reading; its socket is cut', { unread: ws.bufferedAmount });
    ws.terminate();
    return false;
  }
  ws.send(data, { binary });
  return true;
}
