/**
 * The room's mesh: a direct WebRTC data channel to every other device, set up through the hub's
 * PeerJS server and pinned to it (host, port, path, key, the hub's own iceServers: never the
 * PeerJS cloud or public STUN). Connections already open keep working while the hub is away;
 * the signaling link reconnects by itself with the same id.
 *
 * (~325 lines: the mesh's policy in one place: who dials, newest channel wins, redial, stale
 * detection; one session's handshake is peer-session.ts, frames are routed by app/frame-router.ts.)
 */
import type { DataConnection, Peer, PeerOptions } from 'peerjs';
import { OsmoseError, type WireError } from '../../protocol/errors.ts';
import type { Profile } from '../../protocol/common.ts';
import type { VoiceControl } from '../../protocol/voice.ts';
import type { CameraControl } from '../../protocol/camera.ts';
import type { MeshSealedKey } from '../../protocol/mesh.ts';
import type { WrappedKey } from '../../protocol/sealed.ts';
import { PeerSession, type Me, type SessionEvents } from './peer-session.ts';
import { Backoff } from '../../protocol/backoff.ts';
import { SignalingLink } from './signaling-link.ts';

/** PeerJS connections whose label starts with this carry bulk data (files), not a session. */
export const BULK_LABEL_PREFIX = 'bulk:';

/** Makes the PeerJS peer (mesh/peerjs.ts in the app; an in-memory fake in unit tests). */
export type PeerFactory = (id: string, options: PeerOptions) => Peer;

export interface MeshOptions {
  createPeer: PeerFactory;
  origin: URL;
  me: Me;
  iceServers: RTCIceServer[];
  profile: () => Profile;
  /** A valid signaling token, refreshed by the caller when it is about to expire. */
  token: () => Promise<string>;
}

export interface MeshEvents {
  signaling(state: 'connecting' | 'online' | 'offline'): void;
  change(): void;
  /** Shared room compute messages from an authenticated peer. */
  voice?(from: string, msg: VoiceControl): void;
  /** Shared room compute messages for cameras from an authenticated peer. */
  camera?(from: string, msg: CameraControl): void;
  /** A content key wrapped for this device, from an authenticated peer (protocol/mesh.ts). */
  sealedKey?(from: string, msg: MeshSealedKey): void;
  /** Binary frames (sync, awareness) from an authenticated peer. */
  binary?(from: string, data: Uint8Array): void;
  /** An authenticated peer opened a bulk channel to us (label without the prefix). */
  bulk?(from: string, label: string, conn: DataConnection): void;
  /** A peer's session became open (authenticated) or closed. */
  session?(peerId: string, open: boolean): void;
}

const HEARTBEAT_MS = 4_000;
const STALE_AFTER_MS = 12_000;
/** Past this a quiet channel is closed; the grace period then runs on the hub's roster. */
const DEAD_AFTER_MS = 30_000;

export class Mesh {
  private readonly signaling: SignalingLink;
  readonly sessions = new Map<string, PeerSession>();
  private readonly conns = new Map<string, DataConnection>();
  private desired = new Set<string>();
  private readonly redial = new Map<string, { timer: ReturnType<typeof setTimeout> | null; backoff: Backoff }>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private readonly stale = new Set<string>();
  private pingN = 0;
  /** Round trips waiting for their pong, by ping number. */
  private readonly roundTrips = new Map<number, { resolve(ms: number): void; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly opts: MeshOptions,
    private readonly on: MeshEvents,
  ) {
    this.signaling = new SignalingLink(opts, {
      state: (s) => on.signaling(s),
      open: () => {
        for (const id of this.desired) if (!this.conns.has(id)) this.maybeDial(id);
      },
      connection: (conn) => this.incoming(conn),
    });
  }

  private get peer(): Peer | null {
    return this.signaling.peer;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.signaling.start();
    this.heartbeat = setInterval(() => this.tick(), HEARTBEAT_MS);
  }

  stop(sayBye: boolean): void {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const r of this.redial.values()) if (r.timer) clearTimeout(r.timer);
    this.redial.clear();
    for (const rt of this.roundTrips.values()) clearTimeout(rt.timer);
    this.roundTrips.clear();
    for (const s of this.sessions.values()) (sayBye ? s.bye() : s.transportClosed());
    this.signaling.stop();
    this.sessions.clear();
    this.conns.clear();
  }

  /** The devices that should be connected (from the hub's roster). The smaller id dials. */
  setDesired(peerIds: Iterable<string>): void {
    this.desired = new Set([...peerIds].filter((id) => id !== this.opts.me.deviceId));
    for (const id of this.desired) if (!this.conns.has(id)) this.maybeDial(id);
    this.forgetGone();
  }

  /** Retry signaling now (page visible again, network back). */
  nudge(): void {
    if (!this.stopped) this.signaling.nudge();
  }

  broadcastProfile(): void {
    for (const s of this.sessions.values()) s.sendProfile();
  }

  /** Opens a bulk channel (files) to an authenticated peer; null if there is none. */
  openBulk(peerId: string, label: string): DataConnection | null {
    if (!this.peer?.open && !this.peer?.disconnected) return null;
    if (this.sessions.get(peerId)?.state !== 'open' || !this.peer) return null;
    return this.peer.connect(peerId, { label: BULK_LABEL_PREFIX + label, reliable: true, serialization: 'raw' });
  }

  /** Peers with an open, authenticated session. */
  openPeers(): string[] {
    return [...this.sessions].filter(([, s]) => s.state === 'open').map(([id]) => id);
  }

  /** Sends a binary frame to one authenticated peer (or all but `except`). */
  sendBinary(data: Uint8Array, to?: string, except?: string): void {
    for (const [id, s] of this.sessions) {
      if (s.state !== 'open' || id === except || (to && id !== to)) continue;
      s.sendBinary(data);
    }
  }

  /** Sends a shared-compute message to one authenticated peer; false if it has no open session. */
  sendVoice(to: string, msg: VoiceControl): boolean {
    const s = this.sessions.get(to);
    if (s?.state !== 'open') return false;
    s.sendVoice(msg);
    return true;
  }

  /** Sends a camera-compute message to one authenticated peer; false if it has no open session. */
  sendCamera(to: string, msg: CameraControl): boolean {
    const s = this.sessions.get(to);
    if (s?.state !== 'open') return false;
    s.sendCamera(msg);
    return true;
  }

  /** Hands an authenticated peer a content key wrapped for it; false if it has no open session. */
  sendSealedKey(to: string, context: string, key: WrappedKey, grant: boolean): boolean {
    return this.sessions.get(to)?.sendSealedKey(context, key, grant) ?? false;
  }

  /** An authenticated peer's X25519 key, vouched by its device key (null: none, or an older app). */
  keyAgreementKey(peerId: string): Uint8Array | null {
    return this.sessions.get(peerId)?.keyAgreementKey ?? null;
  }

  /** The profile an authenticated peer last announced. */
  profileOf(peerId: string): Profile | null {
    const s = this.sessions.get(peerId);
    return s?.state === 'open' ? s.profile : null;
  }

  /** One round trip to an authenticated peer over its data channel, in ms (this page's clock). */
  roundTrip(peerId: string, timeoutMs = 5_000): Promise<number> {
    const s = this.sessions.get(peerId);
    if (s?.state !== 'open') return Promise.reject(new OsmoseError('not-found', 'no open session with that device'));
    const n = ++this.pingN;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.roundTrips.delete(n);
        reject(new OsmoseError('timeout', `no pong in ${timeoutMs} ms`));
      }, timeoutMs);
      this.roundTrips.set(n, { resolve, timer });
      s.ping(n);
    });
  }

  /** A PeerJS connection another device opened to us: a session, or a bulk channel for files. */
  private incoming(conn: DataConnection): void {
    if (!conn.label?.startsWith(BULK_LABEL_PREFIX)) return this.adopt(conn);
    // Bulk channels only from peers that passed the mutual handshake on their session.
    if (this.sessions.get(conn.peer)?.state !== 'open' || !this.on.bulk) {
      conn.on('open', () => conn.close());
      return;
    }
    this.on.bulk(conn.peer, conn.label.slice(BULK_LABEL_PREFIX.length), conn);
  }

  private maybeDial(id: string): void {
    if (this.stopped || !this.peer?.open || this.conns.has(id)) return;
    if (this.opts.me.deviceId > id) return; // the other side dials: one connection per pair
    const conn = this.peer.connect(id, { reliable: true, serialization: 'raw' });
    this.adopt(conn);
  }

  private adopt(conn: DataConnection): void {
    const id = conn.peer;
    const existing = this.conns.get(id);
    if (existing && existing !== conn) {
      // A reconnecting device opens a new channel while the old one may look alive: newest wins.
      this.sessions.get(id)?.transportClosed();
      existing.close();
    }
    this.conns.set(id, conn);
    const session = new PeerSession(id, { send: (t) => conn.send(t), close: () => conn.close() }, this.opts.me, this.opts.profile, this.sessionEvents());
    this.sessions.set(id, session);
    conn.on('open', () => {
      this.redialState(id).backoff.reset();
      session.start();
    });
    conn.on('data', (data) => {
      try {
        session.receive(data);
      } catch (err) {
        // A bug here must not take the mesh down: report it and drop the frame.
        console.error('[osmose] peer frame handler failed', err);
      }
    });
    conn.on('close', () => this.dropped(id, conn));
    conn.on('error', () => this.dropped(id, conn));
    this.on.change();
  }

  private dropped(id: string, conn: DataConnection): void {
    if (this.conns.get(id) !== conn) return;
    this.conns.delete(id);
    this.sessions.get(id)?.transportClosed();
    this.on.change();
    if (this.desired.has(id) && !this.stopped) {
      const r = this.redialState(id);
      if (r.timer) clearTimeout(r.timer);
      r.timer = setTimeout(() => {
        r.timer = null;
        if (this.desired.has(id)) this.maybeDial(id);
      }, r.backoff.next());
    }
  }

  /**
   * Devices that left the roster and have no channel: nothing is kept for them (a hub runs for
   * months, and so may a wall-mounted device). Their closed sessions showed nothing anyway.
   */
  private forgetGone(): void {
    for (const id of [...this.sessions.keys()]) {
      if (this.desired.has(id) || this.conns.has(id)) continue;
      this.sessions.delete(id);
      this.stale.delete(id);
      const r = this.redial.get(id);
      if (r?.timer) clearTimeout(r.timer);
      this.redial.delete(id);
    }
  }

  private redialState(id: string) {
    let r = this.redial.get(id);
    if (!r) this.redial.set(id, (r = { timer: null, backoff: new Backoff(500, 10_000) }));
    return r;
  }

  private sessionEvents(): SessionEvents {
    return {
      open: (s) => {
        this.on.session?.(s.remoteId, true);
        this.on.change();
      },
      binary: (s, data) => this.on.binary?.(s.remoteId, data),
      voice: (s, msg) => this.on.voice?.(s.remoteId, msg),
      camera: (s, msg) => this.on.camera?.(s.remoteId, msg),
      sealedKey: (s, msg) => this.on.sealedKey?.(s.remoteId, msg),
      profile: () => this.on.change(),
      pong: (_s, n, at) => {
        const rt = this.roundTrips.get(n);
        if (!rt) return; // a heartbeat's pong: hearing it was the point
        clearTimeout(rt.timer);
        this.roundTrips.delete(n);
        rt.resolve(performance.now() - at);
      },
      closed: (s: PeerSession, reason: WireError | null) => {
        if (reason) console.info('[osmose] peer session ended', s.remoteId.slice(0, 9), reason.code);
        // A peer that said bye or failed auth is not redialled until the roster changes.
        if (s.saidBye) this.desired.delete(s.remoteId);
        this.on.session?.(s.remoteId, false);
        this.on.change();
      },
    };
  }

  private tick(): void {
    const now = Date.now();
    let changed = false;
    for (const [id, s] of this.sessions) {
      if (s.state !== 'open') continue;
      if (now - s.lastHeard > DEAD_AFTER_MS) {
        this.conns.get(id)?.close();
        continue;
      }
      const stale = this.staleSince(id) !== null;
      if (stale !== this.stale.has(id)) {
        changed = true;
        if (stale) this.stale.add(id);
        else this.stale.delete(id);
      }
      s.ping(++this.pingN);
    }
    // Re-render only when someone went quiet or came back, not on every heartbeat.
    if (changed) this.on.change();
  }

  /** When the peer went quiet (it stopped answering heartbeats), or null if it is lively. */
  staleSince(id: string): number | null {
    const s = this.sessions.get(id);
    if (!s) return 0;
    return Date.now() - s.lastHeard > STALE_AFTER_MS ? s.lastHeard + STALE_AFTER_MS : null;
  }
}
