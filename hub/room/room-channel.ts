/**
 * The hub's end of the room channel (see protocol/room-channel.ts): admits a socket only with a
 * valid credential in its upgrade (room-admission.ts refuses the others), takes the device's
 * hello, keeps the roster current and pushes it to every device and to /display.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/codec.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { OsmoseError, type WireError } from '../../protocol/errors.ts';
import { ClientMessage, CLOSE, credentialFromProtocols, type HubMessage } from '../../protocol/room-channel.ts';
import { CLOSE_GRACE_MS, RoomDoor, offeredProtocols, roomSubprotocol } from './room-admission.ts';
import type { Profile, RoomInfo } from '../../protocol/common.ts';
import type { JoinAuth } from './join-auth.ts';
import type { Roster } from './roster.ts';
import type { RoomMemory } from '../memory/room-memory.ts';
import { FRAME_LIMITS } from '../../protocol/sync-frames.ts';
import { log } from '../support/log.ts';
import { coalesce } from '../support/coalesce.ts';
import { sendOrCut } from '../net/slow-reader.ts';

const HELLO_TIMEOUT_MS = 5_000;
const HEARTBEAT_MS = 15_000;
/** Devices ping every 10 s. A frozen page still answers WebSocket pings from the browser's
 * network stack, so silence at the application level is what marks it unreachable. */
const SILENT_AFTER_MS = 35_000;
const MAX_BAD_FRAMES = 5;
/** One member can change its profile at will, and each change is a roster for every device:
 * a device's profile is applied at most once a second (the latest wins), and the roster goes out
 * at most twice a second, however many changes there were. */
const PROFILE_EVERY_MS = 1_000;
const ROSTER_EVERY_MS = 500;
/** How often arrivals alone may send a roster (a room of a few devices: at once, in practice). */
const ARRIVAL_EVERY_MS = 50;
/** A roster costs (devices x its size): 500 devices listed and connected is 75 MB a push. The
 * pace slows so that rosters never take more than this much of the hub's bandwidth. */
const ROSTER_BYTES_PER_SECOND = 8 * 1024 * 1024;
const ROSTER_SLOWEST_MS = 15_000;

interface Session {
  /** The device whose credential opened the socket. */
  admitted: string;
  peerId: string | null;
  alive: boolean;
  lastFrame: number;
  badFrames: number;
  saidBye: boolean;
  lastProfileAt: number;
  /** A profile that came too soon after the last one, applied when its turn comes. */
  pendingProfile: Profile | null;
  profileTimer: NodeJS.Timeout | null;
}

export class RoomChannel {
  // Binary frames carry the room's memory (a late joiner's catch-up can be megabytes); text
  // frames are held to LIMITS.roomFrameBytes when decoded.
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: FRAME_LIMITS.frameBytes, handleProtocols: roomSubprotocol, perMessageDeflate: false });
  private readonly door = new RoomDoor();
  private readonly sockets = new Map<string, WebSocket>();
  private readonly sessions = new WeakMap<WebSocket, Session>();
  private heartbeat: NodeJS.Timeout;
  private lastRosterBytes = 0;
  private readonly rosterPush = coalesce(
    () => this.broadcastRoster(),
    () => Math.min(ROSTER_SLOWEST_MS, Math.max(ROSTER_EVERY_MS, (this.lastRosterBytes / ROSTER_BYTES_PER_SECOND) * 1000)),
  );
  /** A device arrived: the others dial it when they see it, so a join does not wait out the
   * half-second pace meant for profile churn; the byte budget still bounds it. */
  private readonly arrivalPush = coalesce(
    () => this.broadcastRoster(),
    () => Math.min(ROSTER_SLOWEST_MS, Math.max(ARRIVAL_EVERY_MS, (this.lastRosterBytes / ROSTER_BYTES_PER_SECOND) * 1000)),
  );

  constructor(
    private readonly auth: JoinAuth,
    private readonly roster: Roster,
    private readonly room: () => RoomInfo,
    private readonly memory: RoomMemory,
  ) {
    roster.onChange((arrival) => (arrival ? this.arrivalPush : this.rosterPush).call());
    this.heartbeat = setInterval(() => this.checkAlive(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const credential = credentialFromProtocols(offeredProtocols(req));
    try {
      if (!credential) throw new OsmoseError('unauthorized', 'a credential is required to open the room channel; join again');
      this.auth.verifyCredential(credential.peerId, credential.token);
    } catch (err) {
      const e = err instanceof OsmoseError ? err : new OsmoseError('unauthorized', 'invalid credential');
      return this.door.refuse(req, socket, head, e.toWire());
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, credential.peerId));
  }

  /** Devices on the channel, sockets open (before their hello too), and the door's. */
  get sizes(): { devices: number; sockets: number; atTheDoor: number; refusalSources: number } {
    return { devices: this.sockets.size, sockets: this.wss.clients.size, ...this.door.sizes };
  }

  /** After a secret rotation: every device must prove the new secret. */
  evictAll(error: WireError): void {
    for (const [id, ws] of this.sockets) {
      this.memory.detach(id);
      this.closeWith(ws, CLOSE.evicted, error);
    }
    this.sockets.clear();
    this.roster.clear();
  }

  /** Tells one device about a problem with its data (e.g. the hub's disk is full), without closing. */
  tell(peerId: string, error: WireError): void {
    const ws = this.sockets.get(peerId);
    if (ws) this.send(ws, { v: PROTOCOL_VERSION, t: 'error', error });
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.rosterPush.cancel();
    this.arrivalPush.cancel();
    this.door.close();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, admitted: string): void {
    const session: Session = { admitted, peerId: null, alive: true, lastFrame: Date.now(), badFrames: 0, saidBye: false, lastProfileAt: 0, pendingProfile: null, profileTimer: null };
    this.sessions.set(ws, session);
    const helloTimer = setTimeout(() => {
      if (!session.peerId) this.closeWith(ws, CLOSE.helloTimeout, { code: 'unauthorized', message: 'no hello within 5 s' });
    }, HELLO_TIMEOUT_MS);
    ws.on('pong', () => (session.alive = true));
    ws.on('error', (err) => log.warn('room channel socket error', { error: err.message }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        session.lastFrame = Date.now();
        if (!session.peerId) return this.badFrame(ws, session, new OsmoseError('unauthorized', 'binary frame before hello'));
        this.memory.receive(session.peerId, new Uint8Array(data as Buffer));
        return;
      }
      try {
        this.onFrame(ws, session, data.toString());
      } catch (err) {
        log.error('room channel: frame handler failed', { error: (err as Error).message });
        this.badFrame(ws, session, new OsmoseError('internal', 'could not handle that frame'));
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (session.profileTimer) clearTimeout(session.profileTimer);
      const id = session.peerId;
      if (!id || this.sockets.get(id) !== ws) return;
      this.sockets.delete(id);
      this.memory.detach(id);
      if (!session.saidBye) this.roster.disconnect(id);
    });
  }

  private onFrame(ws: WebSocket, session: Session, text: string): void {
    session.lastFrame = Date.now();
    const decoded = decodeFrame(ClientMessage, text, LIMITS.roomFrameBytes);
    if (!decoded.ok) {
      if (decoded.error.code === 'protocol-version') {
        return this.closeWith(ws, CLOSE.protocolVersion, decoded.error.toWire());
      }
      return this.badFrame(ws, session, decoded.error);
    }
    const msg = decoded.value;
    if (!session.peerId) {
      if (msg.t !== 'hello') return this.closeWith(ws, CLOSE.unauthorized, { code: 'unauthorized', message: 'hello first' });
      if (msg.peerId !== session.admitted) return this.closeWith(ws, CLOSE.unauthorized, { code: 'unauthorized', message: 'hello for another device than the credential' });
      try {
        this.auth.verifyCredential(msg.peerId, msg.token);
      } catch (err) {
        const e = err instanceof OsmoseError ? err : new OsmoseError('unauthorized', 'invalid credential');
        return this.closeWith(ws, CLOSE.unauthorized, e.toWire());
      }
      const previous = this.sockets.get(msg.peerId);
      try {
        this.roster.upsert(msg.peerId, msg.profile); // broadcasts the roster to the others
      } catch (err) {
        // The roster is full: not a refusal, the device tries again later (with backoff).
        if (err instanceof OsmoseError && err.code === 'room-full') return this.closeWith(ws, CLOSE.roomFull, err.toWire());
        throw err;
      }
      session.lastProfileAt = Date.now();
      if (previous && previous !== ws) {
        // Same device, new connection (reload, network change): the newest one wins.
        this.sessions.get(previous)!.saidBye = true;
        this.closeWith(previous, CLOSE.replaced, { code: 'evicted', message: 'replaced by a newer connection' });
      }
      session.peerId = msg.peerId;
      if (previous) this.sockets.delete(msg.peerId);
      // Only now: the welcome, which carries the roster, is this device's first frame.
      this.sockets.set(msg.peerId, ws);
      this.send(ws, {
        v: PROTOCOL_VERSION,
        t: 'welcome',
        room: this.room(),
        you: msg.peerId,
        members: this.roster.members(),
        hubTime: Date.now(),
      });
      // Then the room's memory: sync step 1 both ways, so the device catches up from the hub.
      this.memory.attach(msg.peerId, (frame) => {
        sendOrCut(ws, frame, true);
      });
      return;
    }
    this.roster.seen(session.peerId);
    switch (msg.t) {
      case 'hello':
        return this.badFrame(ws, session, new OsmoseError('bad-request', 'already said hello'));
      case 'profile':
        return this.profile(ws, session, msg.profile);
      case 'bye':
        session.saidBye = true;
        this.roster.remove(session.peerId);
        ws.close(1000, 'bye');
        return;
      case 'ping':
        return this.send(ws, { v: PROTOCOL_VERSION, t: 'pong', n: msg.n });
    }
  }

  /** Applies a profile now, or when a second has passed since the last one (the latest wins). */
  private profile(ws: WebSocket, session: Session, profile: Profile): void {
    session.pendingProfile = profile;
    if (session.profileTimer) return;
    const apply = () => {
      session.profileTimer = null;
      const next = session.pendingProfile;
      session.pendingProfile = null;
      if (!next || !session.peerId || this.sockets.get(session.peerId) !== ws) return;
      session.lastProfileAt = Date.now();
      this.roster.upsert(session.peerId, next);
    };
    const wait = session.lastProfileAt + PROFILE_EVERY_MS - Date.now();
    if (wait <= 0) return apply();
    session.profileTimer = setTimeout(apply, wait);
    session.profileTimer.unref();
  }

  private badFrame(ws: WebSocket, session: Session, error: OsmoseError): void {
    session.badFrames++;
    log.warn('room channel: bad frame', { peer: session.peerId, code: error.code, message: error.message });
    if (session.badFrames >= MAX_BAD_FRAMES || !session.peerId) {
      this.closeWith(ws, CLOSE.badFrame, error.toWire());
      return;
    }
    this.send(ws, { v: PROTOCOL_VERSION, t: 'error', error: error.toWire() });
  }

  /** Sends a message to every device on the channel. */
  broadcast(msg: HubMessage): void {
    const frame = encodeFrame(msg);
    for (const ws of this.sockets.values()) sendOrCut(ws, frame, false);
  }

  private broadcastRoster(): void {
    // Encoded once, sent as the same bytes to every device.
    const frame = Buffer.from(encodeFrame({ v: PROTOCOL_VERSION, t: 'roster', members: this.roster.members(), hubTime: Date.now() } satisfies HubMessage));
    let sent = 0;
    for (const ws of this.sockets.values()) if (sendOrCut(ws, frame, false)) sent += frame.length;
    this.lastRosterBytes = sent;
  }

  private send(ws: WebSocket, msg: HubMessage): void {
    sendOrCut(ws, encodeFrame(msg), false);
  }

  /** Says why, closes, and cuts the socket if the other end has not closed within a second. */
  private closeWith(ws: WebSocket, code: number, error: WireError): void {
    this.send(ws, { v: PROTOCOL_VERSION, t: 'error', error });
    ws.close(code, error.code);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  private checkAlive(): void {
    for (const ws of this.wss.clients) {
      const s = this.sessions.get(ws);
      if (!s) continue;
      if (!s.alive || Date.now() - s.lastFrame > SILENT_AFTER_MS) {
        ws.terminate();
        continue;
      }
      s.alive = false;
      ws.ping();
    }
  }
}
