/**
 * The device's end of the room channel: connects, says hello with its credential, receives the
 * roster, and reconnects by itself. The owner decides what a refusal means (rejoin or stop).
 */
import { API } from '../../protocol/hub-api.ts';
import { decodeFrame, encodeFrame } from '../../protocol/codec.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { CLOSE, HubMessage, type ClientMessage, type Member, roomProtocols } from '../../protocol/room-channel.ts';
import type { Profile, RoomInfo } from '../../protocol/common.ts';
import type { WireError } from '../../protocol/errors.ts';
import { Backoff } from '../../protocol/backoff.ts';

export type HubLinkState = 'connecting' | 'online' | 'unreachable';

/** The part of a WebSocket the connection uses (the browser's; `ws`'s in Node tests). */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  // Only assigned here (handlers below), never called: `never` lets the browser's and `ws`'s
  // event types both fit.
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

/** WebSocket readyState values. */
const OPEN = 1;

export interface HubConnectionEvents {
  state(state: HubLinkState): void;
  welcome(room: RoomInfo, members: Member[]): void;
  roster(members: Member[]): void;
  /** The hub refused or closed us for a reason (credential, rotation, version). No auto-retry. */
  refused(error: WireError, closeCode: number): void;
  /** A binary frame (the room's memory). */
  binary?(data: Uint8Array): void;
  /** The channel closed (any reason). */
  closed?(): void;
  /** The hub reported a problem without closing (e.g. its disk is full). */
  problem?(error: WireError): void;
  /** The room's links to other rooms changed. */
  gatewayChanged?(): void;
}

const PING_MS = 10_000;
const DEAD_AFTER_MS = 25_000;

export class HubConnection {
  private ws: SocketLike | null = null;
  private stopped = true;
  private backoff = new Backoff();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private lastError: WireError | null = null;
  private pingN = 0;

  constructor(
    private readonly openSocket: SocketFactory,
    private readonly origin: string,
    private credential: { peerId: string; token: string },
    private profile: () => Profile,
    private readonly on: HubConnectionEvents,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000, 'stop');
    this.ws = null;
  }

  setCredential(credential: { peerId: string; token: string }): void {
    this.credential = credential;
  }

  /** Retry now (page visible again, network back) instead of waiting out the backoff. */
  nudge(): void {
    if (this.stopped || (this.ws && this.ws.readyState <= OPEN)) return;
    this.backoff.reset();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.open();
  }

  sendProfile(): void {
    this.send({ v: PROTOCOL_VERSION, t: 'profile', profile: this.profile() });
  }

  /** Leaving on purpose; best effort, also from `pagehide`. */
  bye(): void {
    this.send({ v: PROTOCOL_VERSION, t: 'bye' });
    this.stop();
  }

  private send(msg: ClientMessage): void {
    if (this.ws?.readyState === OPEN) this.ws.send(encodeFrame(msg));
  }

  private open(): void {
    this.clearTimers();
    this.on.state('connecting');
    const url = this.origin.replace(/^http/, 'ws') + API.roomSocket;
    // The credential rides in Sec-WebSocket-Protocol: the hub admits the socket before any frame.
    const ws = this.openSocket(url, roomProtocols(this.credential.peerId, this.credential.token));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastError = null;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      ws.send(encodeFrame({ v: PROTOCOL_VERSION, t: 'hello', peerId: this.credential.peerId, token: this.credential.token, profile: this.profile() } satisfies ClientMessage));
      this.pingTimer = setInterval(() => this.ping(ws), PING_MS);
    };
    ws.onmessage = (ev: { data: unknown }) => this.onFrame(ev.data);
    ws.onclose = (ev: { code: number; reason: string }) => this.closed(ws, ev.code, ev.reason);
  }

  private closed(ws: SocketLike, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    this.clearTimers();
    this.on.closed?.();
    if (this.stopped) return;
    const refusedCodes: number[] = [CLOSE.unauthorized, CLOSE.protocolVersion, CLOSE.evicted, CLOSE.replaced];
    if (refusedCodes.includes(code)) {
      this.on.refused(this.lastError ?? { code: 'unauthorized', message: reason || 'refused by the hub' }, code);
      return;
    }
    this.on.state('unreachable');
    this.retryTimer = setTimeout(() => this.open(), this.backoff.next());
  }

  /** Sends a binary frame; false when the channel is not open. */
  sendBinary(frame: Uint8Array): boolean {
    if (this.ws?.readyState !== OPEN) return false;
    this.ws.send(frame);
    return true;
  }

  private onFrame(data: unknown): void {
    this.lastHeard = Date.now();
    if (data instanceof ArrayBuffer) {
      this.on.binary?.(new Uint8Array(data));
      return;
    }
    const decoded = decodeFrame(HubMessage, data, LIMITS.hubFrameBytes);
    if (!decoded.ok) {
      console.warn('[osmose] bad frame from hub:', decoded.error.code, decoded.error.message);
      return;
    }
    const msg = decoded.value;
    switch (msg.t) {
      case 'welcome':
        this.backoff.reset();
        this.on.state('online');
        this.on.welcome(msg.room, msg.members);
        return;
      case 'roster':
        return this.on.roster(msg.members);
      case 'pong':
        return;
      case 'gateway-changed':
        return this.on.gatewayChanged?.();
      case 'error':
        this.lastError = msg.error;
        console.warn('[osmose] hub says:', msg.error.code, msg.error.message);
        this.on.problem?.(msg.error);
        return;
    }
  }

  private ping(ws: SocketLike): void {
    if (Date.now() - this.lastHeard > DEAD_AFTER_MS) {
      // Half-open connection (Wi-Fi changed, laptop slept): drop it now and reconnect; a
      // close handshake on a dead link could take a minute.
      ws.close();
      this.closed(ws, 1006, 'no answer');
      return;
    }
    this.send({ v: PROTOCOL_VERSION, t: 'ping', n: ++this.pingN });
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
  }
}
