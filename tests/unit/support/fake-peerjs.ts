/**
 * PeerJS without WebRTC, for Node: peers registered on a shared in-memory "signaling server",
 * connections that open and deliver asynchronously and in order, like data channels. What the
 * mesh (src/mesh/mesh.ts) needs of `Peer` and `DataConnection`, and handles to misbehave: drop a
 * link, blackhole it (nothing delivered, nothing closed), take the server away.
 */
import { EventEmitter } from 'node:events';
import type { DataConnection, Peer, PeerOptions } from 'peerjs';
import type { PeerFactory } from '../../../src/mesh/mesh.ts';

export class FakeConn extends EventEmitter {
  open = false;
  other: FakeConn | null = null;
  /** Nothing sent from here arrives (a link that went quiet without closing). */
  blackholed = false;
  closed = false;
  readonly sent: unknown[] = [];
  constructor(
    readonly peer: string,
    readonly label: string,
  ) {
    super();
  }
  send(data: unknown): void {
    if (!this.open) throw new Error('connection not open');
    this.sent.push(data);
    const to = this.other;
    if (this.blackholed || !to) return;
    const copy = data instanceof Uint8Array ? data.slice() : data;
    setImmediate(() => to.open && to.emit('data', copy));
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    setImmediate(() => this.emit('close'));
    this.other?.close();
  }
}

export class FakePeer extends EventEmitter {
  open = false;
  disconnected = false;
  destroyed = false;
  readonly dialled: FakeConn[] = [];
  constructor(
    readonly id: string,
    readonly options: PeerOptions,
    private readonly net: FakeNetwork,
  ) {
    super();
    setImmediate(() => this.register());
  }
  private register(): void {
    if (this.destroyed || !this.net.serverUp) return;
    this.net.peers.set(this.id, this);
    this.open = true;
    this.disconnected = false;
    this.emit('open', this.id);
  }
  connect(id: string, opts: { label?: string } = {}): FakeConn {
    const mine = new FakeConn(id, opts.label ?? 'session');
    this.dialled.push(mine);
    this.net.conns.push({ from: this.id, conn: mine });
    setImmediate(() => {
      const there = this.net.peers.get(id);
      if (!there || there.destroyed || !this.net.serverUp) return void this.emit('error', Object.assign(new Error('unavailable'), { type: 'peer-unavailable' }));
      const theirs = new FakeConn(this.id, mine.label);
      this.net.conns.push({ from: id, conn: theirs });
      mine.other = theirs;
      theirs.other = mine;
      there.emit('connection', theirs);
      setImmediate(() => {
        mine.open = theirs.open = true;
        mine.emit('open');
        theirs.emit('open');
      });
    });
    return mine;
  }
  reconnect(): void {
    setImmediate(() => this.register());
  }
  disconnect(): void {
    this.open = false;
    this.disconnected = true;
    this.net.peers.delete(this.id);
    this.emit('disconnected', this.id);
  }
  destroy(): void {
    this.destroyed = true;
    this.open = false;
    this.net.peers.delete(this.id);
  }
}

export class FakeNetwork {
  readonly peers = new Map<string, FakePeer>();
  readonly created: FakePeer[] = [];
  /** Every connection end, with the device holding it. */
  readonly conns: { from: string; conn: FakeConn }[] = [];
  serverUp = true;
  factory: PeerFactory = (id, options) => {
    const p = new FakePeer(id, options, this);
    this.created.push(p);
    return p as unknown as Peer;
  };
  /** The signaling server goes away: every peer is disconnected (open channels stay). */
  serverDown(): void {
    this.serverUp = false;
    for (const p of [...this.peers.values()]) p.disconnect();
  }
  serverBack(): void {
    this.serverUp = true;
  }
  /** The open session connection between two devices, seen from `from`. */
  conn(from: string, to: string): FakeConn | undefined {
    return this.conns.find((c) => c.from === from && c.conn.peer === to && c.conn.label === 'session' && !c.conn.closed)?.conn;
  }
}

export type { DataConnection };
