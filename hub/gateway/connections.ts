/**
 * The links' connections (one per link at a time; they come and go under the link's session).
 * A connection's frames go to its session in order, each charged to the link's flood budget with
 * what handling it made the hub do; a connection costs budget too (a hub that keeps reconnecting
 * to be sent the note again pays for it). Keep-alive: the guest pings every 10 s, and a
 * connection silent for 30 s is cut (the guest then dials again; the inviter waits).
 */
import type { WebSocket, RawData } from 'ws';
import { decodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { GATEWAY_LIMITS, GatewayFrame, GW_CLOSE, type EndReason } from '../../protocol/gateway.ts';
import { log } from '../support/log.ts';
import { LinkBudget } from './flood-guard.ts';
import type { LinkSession } from './link-session.ts';

const PING_MS = 10_000;
const SILENT_AFTER_MS = 30_000;
/** After our close frame, how long the other hub has to answer before the socket is cut. */
const CLOSE_GRACE_MS = 500;

interface Conn {
  ws: WebSocket;
  lastFrame: number;
}

export interface ConnectionsDeps {
  now: () => number;
  /** The link's session now (undefined once the link is over). */
  session: (linkId: string) => LinkSession | undefined;
  /** Ends a link: the other room ended it, or it broke the scope or the budget. */
  end: (linkId: string, reason: EndReason, message: string, tellOther: boolean) => void;
  /** A connection closed while its link is still open. */
  lost: (linkId: string, session: LinkSession) => void;
}

export class Connections {
  private readonly conns = new Map<string, Conn>();
  /** What a linked room may make this hub do per link (cost per 10 s, not frames). */
  private readonly budget = new LinkBudget();
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly d: ConnectionsDeps) {
    this.pinger = setInterval(() => this.keepAlive(), PING_MS);
    this.pinger.unref();
  }

  has(linkId: string): boolean {
    return this.conns.has(linkId);
  }

  /** Connections open, and links with a flood window (the soak benchmark watches both). */
  get sizes(): { connections: number; budgets: number } {
    return { connections: this.conns.size, budgets: this.budget.size };
  }

  /** A (re)connection of a link: it replaces the link's previous one. `backlog`: frames that came right behind the welcome. */
  attach(linkId: string, ws: WebSocket, session: LinkSession, backlog: RawData[] = []): void {
    const previous = this.conns.get(linkId);
    if (previous && previous.ws !== ws) previous.ws.close(GW_CLOSE.replaced, 'replaced');
    const conn: Conn = { ws, lastFrame: this.d.now() };
    this.conns.set(linkId, conn);
    ws.removeAllListeners('message');
    ws.removeAllListeners('close');
    ws.on('error', (err) => log.warn('gateway socket error', { link: linkId, error: err.message }));
    const flooded = (what: string) => {
      log.warn(`gateway: the other hub ${what}; cut off`, { link: linkId });
      this.d.end(linkId, 'violation', `cut off: the other room ${what} than this room takes in ${GATEWAY_LIMITS.floodWindowMs / 1000} s`, true);
    };
    const onMessage = (data: RawData, isBinary: boolean) => {
      // The link may have ended while frames were still on their way: they are dropped.
      if (this.closed || this.d.session(linkId) !== session || this.conns.get(linkId)?.ws !== ws) return;
      conn.lastFrame = this.d.now();
      if (!this.budget.frame(linkId, rawBytes(data))) return flooded('sent more (too many frames, bytes or changes)');
      try {
        const decoded = isBinary ? null : decodeFrame(GatewayFrame, data.toString(), GATEWAY_LIMITS.frameBytes);
        if (!decoded?.ok) throw decoded?.error ?? new OsmoseError('bad-request', 'binary frame');
        const frame = decoded.value;
        if (frame.t === 'end') return this.d.end(linkId, frame.reason, `the other room ended the connection: ${frame.message}`, false);
        if (frame.t === 'error') return void log.warn('gateway: the other hub reports', { link: linkId, code: frame.error.code, message: frame.error.message });
        if (!this.budget.spend(linkId, session, 0, () => session.receive(frame))) return flooded('sent more (too many frames, bytes or changes)');
      } catch (err) {
        const e = err instanceof OsmoseError ? err : new OsmoseError('internal', (err as Error).message);
        log.warn('gateway: the other hub broke the link’s scope; cut off', { link: linkId, code: e.code, message: e.message });
        this.d.end(linkId, 'violation', `cut off: the other room sent data the link does not cover (${e.code}: ${e.message})`.slice(0, 300), true);
      }
    };
    ws.on('message', onMessage);
    ws.on('close', () => {
      if (this.closed || this.conns.get(linkId)?.ws !== ws) return;
      this.conns.delete(linkId);
      session.detach();
      if (this.d.session(linkId) === session) this.d.lost(linkId, session);
    });
    const socket = { send: (text: string) => ws.readyState === ws.OPEN && ws.send(text), close: (code: number, reason: string) => ws.close(code, reason) };
    if (!this.budget.spend(linkId, session, GATEWAY_LIMITS.connectCost, () => session.attach(socket))) return flooded('connected again more often');
    // Frames that came right behind the welcome, in order, before anything newer.
    for (const data of backlog) onMessage(data, false);
  }

  /**
   * The link is over: its connection closes now with `code` (cut if the close does not finish at
   * once: the end must not wait on the other side) and its budget is forgotten. Returns the
   * socket, for whoever waits on its close; null when the link had no connection.
   */
  drop(linkId: string, code: number, reason: string): WebSocket | null {
    this.budget.forget(linkId);
    const conn = this.conns.get(linkId);
    if (!conn) return null;
    this.conns.delete(linkId);
    conn.ws.close(code, reason);
    setTimeout(() => conn.ws.terminate(), CLOSE_GRACE_MS).unref();
    return conn.ws;
  }

  /** Stops every connection at once (the hub is stopping): nothing is reported. */
  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
  }

  private keepAlive(): void {
    const now = this.d.now();
    for (const [id, c] of this.conns) {
      if (now - c.lastFrame > SILENT_AFTER_MS) {
        c.ws.terminate(); // the close handler reconnects (guest) or waits (inviter)
        continue;
      }
      const s = this.d.session(id);
      if (s?.row.role === 'guest') s.sendControl({ v: PROTOCOL_VERSION, t: 'ping', n: now }, 'keep-alive');
    }
  }
}

function rawBytes(data: RawData): number {
  return Array.isArray(data) ? data.reduce((a, b) => a + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
}
