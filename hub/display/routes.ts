/**
 * /display: the room's wall screen, opened on the hub itself. It shows the join QR code (which
 * holds the room secret), so every route here answers loopback clients only.
 */
import express, { type Router, type Request, type Response, type NextFunction } from 'express';
import path from 'node:path';
import { API } from '../../protocol/hub-api.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import type { DisplayEvent, DisplayEventName, DisplayState } from '../../protocol/display.ts';
import { isLoopbackAddress } from '../net/lan-guard.ts';
import type { Roster } from '../room/roster.ts';
import { sendError } from '../net/http-errors.ts';
import { coalesce } from '../support/coalesce.ts';
import { onVoiceChange, voiceView } from './voice-view.ts';
import type * as Y from 'yjs';
import type { GatewayDisplaySource } from '../gateway/gateway.ts';

export interface DisplayDeps {
  appDir: string;
  room: () => RoomInfo;
  roster: Roster;
  /** Join links, first one preferred for the QR code. */
  joinLinks: () => { address: string; url: string }[];
  caFingerprint: () => string | null;
  /** The hub's replica of the room's memory (timers and voice events are shown). */
  doc: Y.Doc;
  /** Links to other rooms and the ledger's count. */
  gatewayDisplay: GatewayDisplaySource;
}

/** One server-sent event, its data in the shape protocol/display.ts gives it. */
function sse<N extends DisplayEventName>(name: N, data: DisplayEvent<N>): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

const MAX_DISPLAY_STREAMS = 16;
const EVENT_EVERY_MS = 500;
/** Events a display stream may leave unread before it is cut (a reader that stopped reading). */
const MAX_UNREAD_BYTES = 1024 * 1024;

function loopbackOnly(req: Request, res: Response, next: NextFunction): void {
  if (isLoopbackAddress(req.socket.remoteAddress)) return next();
  sendError(res, new OsmoseError('forbidden', 'the display page is only served on the hub itself (open it via localhost)'));
}

export function displayRouter(deps: DisplayDeps): Router {
  const r = express.Router();
  r.get('/display', loopbackOnly, (_req, res) => res.sendFile(path.join(deps.appDir, 'display.html'), { dotfiles: 'allow' }));

  r.get(API.displayState, loopbackOnly, (_req, res) => {
    const state: DisplayState = {
      v: PROTOCOL_VERSION,
      room: deps.room(),
      // The page draws the QR code of the first one (src/ui/QrCode.svelte).
      joinLinks: deps.joinLinks(),
      caFingerprint: deps.caFingerprint(),
      members: deps.roster.members(),
      voice: voiceView(deps.doc, Date.now()),
      gateway: deps.gatewayDisplay.view(),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.json(state);
  });

  // Server-sent events: the roster, live. A few streams at once (the wall screen, an operator's
  // tab); each event kind at most twice a second, however often members change what it shows; a
  // stream whose reader has stopped reading is cut rather than buffered.
  let streams = 0;
  r.get(API.displayEvents, loopbackOnly, (req, res) => {
    if (streams >= MAX_DISPLAY_STREAMS) return sendError(res, new OsmoseError('rate-limited', `at most ${MAX_DISPLAY_STREAMS} display streams at once`));
    streams++;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const write = (text: string) => {
      if (res.writableLength > MAX_UNREAD_BYTES) return res.destroy();
      res.write(text);
    };
    const push = () => write(sse('roster', { v: PROTOCOL_VERSION, members: deps.roster.members(), room: deps.room() }));
    push();
    const pushes = [
      coalesce(push, EVENT_EVERY_MS),
      coalesce(() => write(sse('voice', { v: PROTOCOL_VERSION, voice: voiceView(deps.doc, Date.now()) })), EVENT_EVERY_MS),
      coalesce(() => write(sse('gateway', { v: PROTOCOL_VERSION, gateway: deps.gatewayDisplay.view() })), EVENT_EVERY_MS),
    ] as const;
    const off = deps.roster.onChange(pushes[0].call);
    const offVoice = onVoiceChange(deps.doc, pushes[1].call);
    const offGateway = deps.gatewayDisplay.onChange(pushes[2].call);
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      streams--;
      off();
      offVoice();
      offGateway();
      for (const p of pushes) p.cancel();
      clearInterval(keepAlive);
    });
  });
  return r;
}
