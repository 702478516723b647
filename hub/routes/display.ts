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
import { isLoopbackAddress } from '../lan-guard.ts';
import type { Roster } from '../roster.ts';
import { sendError } from './errors.ts';
import { onVoiceChange, voiceView } from '../voice-view.ts';
import type * as Y from 'yjs';
import type { GatewayDisplay } from '../../protocol/gateway.ts';

export interface DisplayDeps {
  appDir: string;
  room: () => RoomInfo;
  roster: Roster;
  /** Join links, first one preferred for the QR code. */
  joinLinks: () => { address: string; url: string }[];
  caFingerprint: () => string | null;
  /** The hub's replica of the room's memory (timers and voice events are shown). */
  doc: Y.Doc;
  /** Links to other rooms and the ledger's count (absent in tests that run no gateway). */
  gatewayDisplay?: { view: () => GatewayDisplay; onChange: (fn: () => void) => () => void };
}

/** One server-sent event, its data in the shape protocol/display.ts gives it. */
function sse<N extends DisplayEventName>(name: N, data: DisplayEvent<N>): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

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
      ...(deps.gatewayDisplay ? { gateway: deps.gatewayDisplay.view() } : {}),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.json(state);
  });

  // Server-sent events: the roster, live.
  r.get(API.displayEvents, loopbackOnly, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const push = () => res.write(sse('roster', { v: PROTOCOL_VERSION, members: deps.roster.members(), room: deps.room() }));
    push();
    const off = deps.roster.onChange(push);
    const pushVoice = () => res.write(sse('voice', { v: PROTOCOL_VERSION, voice: voiceView(deps.doc, Date.now()) }));
    const offVoice = onVoiceChange(deps.doc, pushVoice);
    const pushGateway = () => deps.gatewayDisplay && res.write(sse('gateway', { v: PROTOCOL_VERSION, gateway: deps.gatewayDisplay.view() }));
    const offGateway = deps.gatewayDisplay?.onChange(pushGateway);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      off();
      offVoice();
      offGateway?.();
      clearInterval(keepAlive);
    });
  });
  return r;
}
