/**
 * The PeerJS signaling server (`peer`), embedded. What we add around it:
 * - admission: the WebSocket upgrade must carry a valid signaling credential for its id;
 * - validation: every frame is checked against protocol/signaling.ts before `peer` sees it;
 * - reconnect: an older socket for the same id is terminated first, so a device that comes back
 *   (hub restart, Wi-Fi blip, new credential) is never told "ID taken".
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import { ExpressPeerServer, type IClient } from 'peer';
import { decodeFrameRaw } from './frame-guard.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { API } from '../../protocol/hub-api.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import type { JoinAuth } from '../room/join-auth.ts';
import { log } from '../support/log.ts';
import { refuseUpgrade } from '../net/upgrade-response.ts';

const MAX_BAD_FRAMES = 20;
/** Valid frames a device may send in 10 s: joining a room of 30 is a few hundred (offers,
 * answers, candidates); a member relaying floods through the hub to another device is cut. */
export const SIGNALING_FRAMES_PER_10S = 1_000;
/** What a device may leave unread (signaling frames are at most 64 KiB). */
const SIGNALING_UNREAD_BYTES = 4 * 1024 * 1024;

export class Signaling {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.signalingFrameBytes });
  private readonly clients = new Map<string, IClient>();

  constructor(
    private readonly auth: JoinAuth,
    anyServer: Server,
  ) {
    const peerApp = ExpressPeerServer(anyServer, {
      path: '/',
      key: API.signalingKey,
      allow_discovery: false,
      alive_timeout: 60_000,
      concurrent_limit: 20_000,
      createWebSocketServer: () => this.wss,
    });
    peerApp.on('connection', (client) => this.clients.set(client.getId(), client));
    peerApp.on('disconnect', (client) => {
      if (this.clients.get(client.getId()) === client) this.clients.delete(client.getId());
    });
    peerApp.on('error', (err) => log.warn('signaling error', { error: err.message }));
    // `peer` initialises on mount. Its HTTP routes (/id, /peers) are never exposed: the app
    // brings its own id, and membership comes from the room channel.
    express().use(API.signalingPath, peerApp);
  }

  /** Devices registered with `peer`, and signaling sockets open. */
  get sizes(): { clients: number; sockets: number } {
    return { clients: this.clients.size, sockets: this.wss.clients.size };
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const id = url.searchParams.get('id');
    try {
      if (url.searchParams.get('key') !== API.signalingKey) throw new OsmoseError('unauthorized', 'unknown signaling key');
      this.auth.verifyCredential(id, url.searchParams.get('token'));
    } catch (err) {
      const e = err instanceof OsmoseError ? err : new OsmoseError('unauthorized', 'refused');
      return refuseUpgrade(socket, 401, e.toWire());
    }
    await this.dropPrevious(id!);
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      guard(ws, id!);
      this.wss.emit('connection', ws, req);
    });
  }

  /** After a secret rotation every signaling socket goes; credentials are already void. */
  evictAll(): void {
    for (const client of this.clients.values()) client.getSocket()?.close(1008, 'evicted');
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private async dropPrevious(id: string): Promise<void> {
    const old = this.clients.get(id)?.getSocket();
    if (!old || old.readyState === old.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      old.once('close', () => {
        clearTimeout(timer);
        // `peer` removes the client in its own close listener, registered before ours.
        resolve();
      });
      old.terminate();
    });
  }
}

/**
 * Intercepts 'message' events so `peer` only ever sees validated frames. Bad frames are dropped
 * and counted; a socket that keeps sending them, or sends valid ones faster than any device
 * needs, is closed. What `peer` relays to this socket goes through the slow-reader cut.
 */
function guard(ws: WebSocket, id: string): void {
  let bad = 0;
  let window = { start: Date.now(), frames: 0 };
  const emit = ws.emit.bind(ws);
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  ws.send = ((data: unknown, ...rest: unknown[]) => {
    if (ws.bufferedAmount > SIGNALING_UNREAD_BYTES) {
      log.warn('signaling: a device stopped reading; its socket is cut', { peer: id });
      return ws.terminate();
    }
    send(data, ...rest);
  }) as typeof ws.send;
  ws.emit = ((event: string, ...args: unknown[]) => {
    if (event !== 'message') return emit(event, ...args);
    const t = Date.now();
    if (t - window.start >= 10_000) window = { start: t, frames: 0 };
    if (++window.frames > SIGNALING_FRAMES_PER_10S) {
      if (window.frames === SIGNALING_FRAMES_PER_10S + 1) {
        log.warn('signaling: too many frames; closed', { peer: id });
        ws.close(1008, 'too many frames');
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
      return false;
    }
    const [data, isBinary] = args as [Buffer, boolean];
    const result = isBinary ? null : decodeFrameRaw(data);
    if (result) return emit('message', Buffer.from(result), false);
    bad++;
    if (bad === 1) log.warn('signaling: dropped an invalid frame', { peer: id });
    if (bad >= MAX_BAD_FRAMES) ws.close(1008, 'bad frames');
    return false;
  }) as typeof ws.emit;
}
