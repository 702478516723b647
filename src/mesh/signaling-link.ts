/**
 * This device's PeerJS peer, pinned to the hub's signaling server (host, port, path, key, the
 * hub's own iceServers: never the PeerJS cloud or public STUN), under this device's id and
 * credential. It reconnects by itself with the same id and a fresh credential (the hub drops any
 * stale socket for the id first); a peer destroyed before it ever opened is replaced. Connections
 * already open keep working while it is away.
 */
import type { DataConnection, Peer, PeerError } from 'peerjs';
import { API } from '../../protocol/hub-api.ts';
import { Backoff } from '../../protocol/backoff.ts';
import type { MeshOptions } from './mesh.ts';

export interface SignalingEvents {
  state(state: 'connecting' | 'online' | 'offline'): void;
  /** Registered with the server: dial who should be dialled. */
  open(): void;
  /** Another device opened a connection to us. */
  connection(conn: DataConnection): void;
}

export class SignalingLink {
  peer: Peer | null = null;
  private readonly backoff = new Backoff(300, 5_000);
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly opts: Pick<MeshOptions, 'createPeer' | 'origin' | 'me' | 'iceServers' | 'token'>,
    private readonly on: SignalingEvents,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.createPeer();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.peer?.destroy();
    this.peer = null;
  }

  /** Retry now (page visible again, network back) instead of waiting out the backoff. */
  nudge(): void {
    if (this.stopped || !this.peer || !this.peer.disconnected) return;
    this.backoff.reset();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    void this.reconnect();
  }

  private async createPeer(): Promise<void> {
    const { origin, me, iceServers } = this.opts;
    this.on.state('connecting');
    const secure = origin.protocol === 'https:';
    const peer = this.opts.createPeer(me.deviceId, {
      host: origin.hostname,
      port: Number(origin.port || (secure ? 443 : 80)),
      secure,
      path: API.signalingPath,
      key: API.signalingKey,
      token: await this.opts.token(),
      config: { iceServers },
      debug: 0,
    });
    if (this.stopped) return void peer.destroy();
    this.peer = peer;
    peer.on('open', () => {
      this.backoff.reset();
      this.on.state('online');
      this.on.open();
    });
    peer.on('connection', (conn) => this.on.connection(conn));
    peer.on('disconnected', () => {
      if (this.stopped || this.peer !== peer) return;
      this.on.state('offline');
      this.scheduleReconnect();
    });
    peer.on('close', () => {
      // Destroyed before it ever opened (hub vanished mid-join): start over with a new Peer.
      if (this.stopped || this.peer !== peer) return;
      this.peer = null;
      this.on.state('offline');
      this.reconnectTimer = setTimeout(() => void this.createPeer().catch(() => this.scheduleReconnect()), this.backoff.next());
    });
    peer.on('error', (err: PeerError<string>) => {
      // peer-unavailable: the device we dialled left; the mesh's redial handles it.
      if (err.type !== 'peer-unavailable') console.info('[osmose] signaling:', err.type);
    });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.reconnect(), this.backoff.next());
  }

  private async reconnect(): Promise<void> {
    const peer = this.peer;
    if (this.stopped || !peer || !peer.disconnected || peer.destroyed) return;
    try {
      // Same id, possibly a fresh credential: the hub drops any stale socket for our id first.
      peer.options.token = await this.opts.token();
      peer.reconnect();
    } catch {
      this.scheduleReconnect();
    }
  }
}
