/**
 * The door of the room channel. A socket whose upgrade carries no valid credential is not given
 * the room channel's server (which accepts frames of up to 32 MiB, a late joiner's catch-up) at
 * all: it goes to a second server that accepts 1 KiB frames, gets the typed error the app acts on
 * (join again: `unauthorized`, `credential-expired`), is closed at once and cut 1 s later whatever
 * the other end does. Few may be at the door at once, and each source few times a minute; beyond
 * that the upgrade is answered with a plain HTTP error.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { encodeFrame } from '../../protocol/codec.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { WireError } from '../../protocol/errors.ts';
import { CLOSE, ROOM_SUBPROTOCOL, type HubMessage } from '../../protocol/room-channel.ts';
import { refuseUpgrade } from '../net/upgrade-response.ts';
import { SourceLimiter } from '../net/source-key.ts';

/** Frames a refused socket may send before it is closed (it has nothing to say). */
const REFUSED_FRAME_BYTES = 1024;
/** After our close frame, how long the other end has to answer before the socket is cut. */
export const CLOSE_GRACE_MS = 1_000;
/** Refused sockets open at once, room-wide; more are answered with plain HTTP. */
const MAX_AT_THE_DOOR = 64;
/** Refusals per source per minute (a device refused joins again before it retries). */
const REFUSALS_PER_MINUTE = 30;

/** The subprotocols offered in an upgrade (`Sec-WebSocket-Protocol`, comma-separated). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  if (typeof h !== 'string' || h.length > 1024) return [];
  return h.split(',').map((p) => p.trim()).filter(Boolean);
}

/** Answers only with the room channel's own subprotocol, never with an offered credential. */
export function roomSubprotocol(offered: Set<string>): string | false {
  return offered.has(ROOM_SUBPROTOCOL) ? ROOM_SUBPROTOCOL : false;
}

export class RoomDoor {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: REFUSED_FRAME_BYTES, handleProtocols: roomSubprotocol, perMessageDeflate: false });
  private readonly perSource = new SourceLimiter(REFUSALS_PER_MINUTE, 60_000);
  private atTheDoor = 0;

  /** Refused sockets open now, and sources with refusals counted. */
  get sizes(): { atTheDoor: number; refusalSources: number } {
    return { atTheDoor: this.atTheDoor, refusalSources: this.perSource.size };
  }

  /** Refuses the upgrade with `error`, as a WebSocket the app can read when that is cheap. */
  refuse(req: IncomingMessage, socket: Duplex, head: Buffer, error: WireError): void {
    if (!this.perSource.take(req.socket.remoteAddress).ok) {
      return refuseUpgrade(socket, 429, { code: 'rate-limited', message: 'too many refused connections from this address; join again' });
    }
    if (this.atTheDoor >= MAX_AT_THE_DOOR) return refuseUpgrade(socket, 401, error);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.atTheDoor++;
      const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      cut.unref();
      // A frame over 1 KiB (or any protocol error) from a refused socket: cut it now, rather than
      // read and discard the rest of what it sends. Expected from attackers; not worth a log line.
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        clearTimeout(cut);
        this.atTheDoor--;
      });
      ws.send(encodeFrame({ v: PROTOCOL_VERSION, t: 'error', error } satisfies HubMessage));
      ws.close(CLOSE.unauthorized, error.code);
    });
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
