/**
 * A seeded, adversarial in-memory network for DocSync (protocol/doc-sync.ts), in the spirit of
 * yjs' tests/testHelper.js: replicas of the room's document joined pairwise by links whose
 * frames wait in one queue, delivered out of order, duplicated, dropped, held back by partitions,
 * and cut by disconnects. Reconnecting a link (removeLink then addLink on both ends, a fresh
 * sync step 1 exchange) is what repairs drops, exactly as in the app.
 *
 * - Device ↔ device links behave like the app's data channels plus the app's own fragmentation
 *   (fragment() on send, one Reassembler per peer and connection), but reorder, duplicate and
 *   drop freely.
 * - Device ↔ hub links behave like the room channel WebSocket: ordered, never duplicated, and a
 *   lost frame means the connection broke (both ends see the link go). That is the transport the
 *   ack protocol is built for.
 *
 * Everything random comes from one seeded PRNG, so a failing seed replays exactly.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { DocSync, ORIGIN } from '../../../protocol/doc-sync.ts';
import type { OsmoseError } from '../../../protocol/errors.ts';
import { FRAME, Reassembler, decodeSyncFrame, fragment } from '../../../protocol/sync-frames.ts';
import {
  REACTIONS, ROOT_NAMES, applyRetention, board, notes, reactions, readBoard, readFiles, readReactions, readTimeline, settings, timeline,
  type BoardItem, type TimelineEntry, newDoc,
} from '../../../protocol/room-doc.ts';

// ---- randomness -----------------------------------------------------------------------------

/** xorshift32, seeded through splitmix32 so that nearby seeds give unrelated streams. */
export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    let z = (seed + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    this.s = (z ^ (z >>> 16)) >>> 0 || 0x6d2b79f5;
  }
  /** Uniform in [0, 2^32). */
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }
  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
  word(min = 1, max = 8): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzäöü éè ';
    let s = '';
    for (let i = this.range(min, max); i > 0; i--) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

// ---- replicas --------------------------------------------------------------------------------

export interface Replica {
  /** Also the link id the others use for it (a device id, or 'hub'). */
  readonly id: string;
  readonly isHub: boolean;
  readonly doc: Y.Doc;
  readonly sync: DocSync;
  readonly awareness: Awareness | null;
  /** Every frame DocSync or a Reassembler refused, with the link it came from. */
  readonly errors: { link: string; error: OsmoseError }[];
  /** This replica's wall clock (ms): the network's clock plus a fixed skew. */
  readonly skewMs: number;
}

export interface SimOptions {
  seed: number;
  /** Devices (the hub, when present, comes on top). */
  devices: number;
  hub: boolean;
  awareness?: boolean;
  /** Pieces on device links (the app uses 60 KiB; 2 KiB here so that fragmentation is exercised). */
  fragmentBytes?: number;
  faults?: Partial<Faults>;
}

export interface Faults {
  /** Per delivery: the frame is lost (on a hub link the connection breaks instead). */
  drop: number;
  /** Per delivery on a device link: the frame is delivered and stays queued to come again. */
  duplicate: number;
  /** Per step: one live link goes down. */
  disconnect: number;
  /** Per step: one down link comes back. */
  reconnect: number;
  /** Per step: the replicas split into groups that cannot reach each other for a while. */
  partition: number;
}

export const DEFAULT_FAULTS: Faults = { drop: 0.04, duplicate: 0.04, disconnect: 0.03, reconnect: 0.06, partition: 0.01 };
const NO_FAULTS: Faults = { drop: 0, duplicate: 0, disconnect: 0, reconnect: 0, partition: 0 };

interface Connection {
  a: string;
  b: string;
  up: boolean;
  /** Bumped on every connect: frames of an older connection are lost with it. */
  epoch: number;
  /** Like the room channel WebSocket: in order, and a lost frame breaks the connection. */
  ordered: boolean;
  reassemblers: Map<string, Reassembler>;
}

interface InFlight {
  from: string;
  to: string;
  epoch: number;
  bytes: Uint8Array;
}

export const HUB_ID = 'hub';

/** Statistics, to see that a run exercised what it claims to. */
export interface SimStats {
  edits: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  stale: number;
  disconnects: number;
  reconnects: number;
  partitions: number;
  retentionRuns: number;
  refused: number;
}

export class SimNetwork {
  readonly rng: Rng;
  readonly replicas: Replica[] = [];
  readonly stats: SimStats = { edits: 0, delivered: 0, dropped: 0, duplicated: 0, stale: 0, disconnects: 0, reconnects: 0, partitions: 0, retentionRuns: 0, refused: 0 };
  /** The network's clock (ms); every replica reads it with its own skew. */
  now = Date.UTC(2025, 0, 1);
  faults: Faults;
  private readonly byId = new Map<string, Replica>();
  private readonly conns = new Map<string, Connection>();
  /** Frames on device links, in no particular order. */
  private unordered: InFlight[] = [];
  /** Frames on hub links, per direction ("from>to"), oldest first. */
  private readonly ordered = new Map<string, InFlight[]>();
  /** replica id → group while partitioned. */
  private groups: Map<string, number> | null = null;
  private partitionEndsAt = 0;
  private stepNo = 0;
  private fragmentIds = 0;
  private readonly fragmentBytes: number;

  constructor(private readonly opts: SimOptions) {
    this.rng = new Rng(opts.seed);
    this.faults = { ...DEFAULT_FAULTS, ...opts.faults };
    this.fragmentBytes = opts.fragmentBytes ?? 2048;
    if (opts.hub) this.addReplica(HUB_ID, true);
    for (let i = 0; i < opts.devices; i++) this.addReplica(`d${this.rng.hex(32)}`, false);
    for (const r of this.replicas) for (const o of this.replicas) if (r.id < o.id && this.linkable(r, o)) this.connect(r.id, o.id);
  }

  get devices(): Replica[] {
    return this.replicas.filter((r) => !r.isHub);
  }

  get hub(): Replica | undefined {
    return this.byId.get(HUB_ID);
  }

  get queued(): number {
    let n = this.unordered.length;
    for (const q of this.ordered.values()) n += q.length;
    return n;
  }

  replica(id: string): Replica {
    const r = this.byId.get(id);
    if (!r) throw new Error(`no replica ${id}`);
    return r;
  }

  /** A new replica (not linked to anyone yet). */
  addReplica(id: string, isHub = false, withAwareness = this.opts.awareness === true && !isHub): Replica {
    const doc = newDoc();
    // Yjs picks client ids at random, and they order concurrent inserts: seed them too, so a
    // failing seed replays exactly.
    doc.clientID = this.rng.u32() >>> 1;
    const awareness = withAwareness ? new Awareness(doc) : null;
    const errors: Replica['errors'] = [];
    const sync = new DocSync(doc, awareness, {
      ack: isHub,
      roots: ROOT_NAMES,
      now: () => this.now,
      schedule: (fn, ms) => this.later(fn, ms),
      onError: (link, error) => {
        errors.push({ link, error });
        this.stats.refused++;
      },
    });
    if (awareness) awareness.setLocalState({ deviceId: id, name: `n-${id.slice(1, 5)}`, typing: false, viewing: null });
    const r: Replica = { id, isHub, doc, sync, awareness, errors, skewMs: isHub ? 0 : this.rng.range(-120_000, 120_000) };
    this.replicas.push(r);
    this.byId.set(id, r);
    return r;
  }

  destroy(): void {
    for (const r of this.replicas) {
      r.sync.destroy();
      r.awareness?.destroy();
      r.doc.destroy();
    }
  }

  // ---- links -------------------------------------------------------------------------------

  private linkable(a: Replica, b: Replica): boolean {
    return !(a.isHub && b.isHub);
  }

  private key(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  isUp(a: string, b: string): boolean {
    return this.conns.get(this.key(a, b))?.up === true;
  }

  /** Brings a link up: both ends add it, which starts a sync step 1 exchange. */
  connect(a: string, b: string): void {
    const k = this.key(a, b);
    const ra = this.replica(a);
    const rb = this.replica(b);
    let c = this.conns.get(k);
    if (!c) {
      c = { a, b, up: false, epoch: 0, ordered: ra.isHub || rb.isHub, reassemblers: new Map() };
      this.conns.set(k, c);
    }
    if (c.up) return;
    c.up = true;
    c.epoch++;
    const conn = c;
    const epoch = c.epoch;
    // Each side's own view of the link, as the app builds it.
    for (const [self, other] of [[ra, rb], [rb, ra]] as const) {
      if (!conn.ordered) conn.reassemblers.set(self.id, new Reassembler(() => this.now));
      self.sync.addLink({
        id: other.id,
        // Devices ask the hub for acks; the hub asks nobody (RoomMemory.attach).
        wantsAck: other.isHub,
        send: (frame) => this.send(conn, epoch, self.id, other.id, frame),
      });
    }
  }

  /** The link goes down on both ends; what was in flight on it is lost. */
  disconnect(a: string, b: string): void {
    const c = this.conns.get(this.key(a, b));
    if (!c?.up) return;
    c.up = false;
    c.reassemblers.clear();
    this.replica(a).sync.removeLink(b);
    this.replica(b).sync.removeLink(a);
  }

  private send(c: Connection, epoch: number, from: string, to: string, frame: Uint8Array): void {
    // The app fragments what it sends to a peer (RoomMemoryState.sendToPeer); the hub link does not.
    if (c.ordered) {
      const dir = `${from}>${to}`;
      const q = this.ordered.get(dir) ?? [];
      q.push({ from, to, epoch, bytes: frame.slice() });
      this.ordered.set(dir, q);
      return;
    }
    for (const bytes of fragment(frame, ++this.fragmentIds, this.fragmentBytes)) this.unordered.push({ from, to, epoch, bytes: bytes.slice() });
  }

  // ---- delivery ----------------------------------------------------------------------------

  private deliverable(f: InFlight): boolean {
    if (!this.groups) return true;
    return this.groups.get(f.from) === this.groups.get(f.to);
  }

  /**
   * Picks a frame to deliver next: any frame on a device link (they overtake each other), or the
   * oldest one of an ordered (hub) direction. Null when nothing can move.
   */
  private pickNext(): { take: () => InFlight; f: InFlight } | null {
    const dirs = [...this.ordered.entries()].filter(([, q]) => q.length > 0);
    const total = this.unordered.length + dirs.length;
    if (total === 0) return null;
    const at = (i: number) => {
      if (i < this.unordered.length) {
        const f = this.unordered[i]!;
        return {
          f,
          take: () => {
            // Swap-remove: order means nothing here.
            this.unordered[i] = this.unordered[this.unordered.length - 1]!;
            this.unordered.pop();
            return f;
          },
        };
      }
      const q = dirs[i - this.unordered.length]![1];
      return { f: q[0]!, take: () => q.shift()! };
    };
    // A few random tries first (cheap); while partitioned, fall back to a scan.
    for (let tries = 0; tries < 8; tries++) {
      const c = at(this.rng.int(total));
      if (this.deliverable(c.f)) return c;
    }
    const ok: number[] = [];
    for (let i = 0; i < total; i++) if (this.deliverable(at(i).f)) ok.push(i);
    return ok.length ? at(this.rng.pick(ok)) : null;
  }

  /** Delivers one queued frame (a random one, with faults); false when nothing can move. */
  deliverOne(faults: Faults = this.faults): boolean {
    const next = this.pickNext();
    if (!next) return false;
    const f = next.f;
    const c = this.conns.get(this.key(f.from, f.to))!;
    if (!c.up || c.epoch !== f.epoch) {
      next.take();
      this.stats.stale++;
      return true;
    }
    if (this.rng.chance(faults.drop)) {
      next.take();
      this.stats.dropped++;
      // TCP does not lose a frame and carry on: the connection breaks.
      if (c.ordered) this.disconnect(f.from, f.to);
      return true;
    }
    if (!c.ordered && this.rng.chance(faults.duplicate)) this.stats.duplicated++;
    else next.take();
    this.stats.delivered++;
    this.receive(c, f);
    return true;
  }

  /** What the receiving end does with a frame: RoomMemoryState.fromPeer / fromHub. */
  private receive(c: Connection, f: InFlight): void {
    const to = this.replica(f.to);
    if (c.ordered || f.bytes[0] !== FRAME.fragment) return to.sync.receive(f.from, f.bytes);
    const r = c.reassemblers.get(to.id);
    const decoded = decodeSyncFrame(f.bytes, this.fragmentBytes + 64);
    if (!r || !decoded.ok) {
      if (!decoded.ok) to.errors.push({ link: f.from, error: decoded.error });
      return;
    }
    const whole = r.add(decoded.frame.payload);
    if (whole instanceof Uint8Array) to.sync.receive(f.from, whole);
    else if (whole) {
      to.errors.push({ link: f.from, error: whole });
      this.stats.refused++;
    }
  }

  /** Delivers everything deliverable, in random order but with no faults, until nothing moves. */
  drain(maxDeliveries = 1_000_000): void {
    for (let n = 0; n < maxDeliveries; n++) if (!this.deliverOne(NO_FAULTS) && !this.runNextTimer()) return;
    throw new Error(`network did not go quiet after ${maxDeliveries} deliveries`);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** DocSync's timers (answers to step 1s that wait), on the network's clock. */
  private timers: { at: number; id: number; fn: () => void }[] = [];
  private timerIds = 0;

  private later(fn: () => void, ms: number): () => void {
    const t = { at: this.now + ms, id: ++this.timerIds, fn };
    this.timers.push(t);
    return () => {
      const i = this.timers.indexOf(t);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  /** Runs the timers that are due now, oldest first. */
  private runDueTimers(): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) return;
      this.timers.splice(this.timers.indexOf(due), 1);
      due.fn();
    }
  }

  /** Nothing else can move: the clock jumps to the next timer. False when there is none. */
  private runNextTimer(): boolean {
    const next = [...this.timers].sort((a, b) => a.at - b.at || a.id - b.id)[0];
    if (!next) return false;
    this.now = Math.max(this.now, next.at);
    this.runDueTimers();
    return true;
  }

  // ---- the adversary -----------------------------------------------------------------------

  /** One step: an edit, a few deliveries, or a fault. */
  step(): void {
    this.stepNo++;
    this.now += this.rng.range(0, 3) * 3_600_000 + this.rng.int(60_000);
    this.runDueTimers();
    if (this.groups && this.stepNo >= this.partitionEndsAt) this.groups = null;
    const roll = this.rng.float();
    if (roll < 0.45) {
      // People edit on devices; the hub only ever runs retention (below).
      edit(this, this.rng.pick(this.devices));
    } else if (roll < 0.85) {
      for (let n = this.rng.range(1, 12); n > 0; n--) this.deliverOne();
    } else {
      this.fault();
    }
  }

  private fault(): void {
    const f = this.faults;
    const conns = [...this.conns.values()];
    const up = conns.filter((c) => c.up);
    const down = conns.filter((c) => !c.up);
    const roll = this.rng.float() * (f.disconnect + f.reconnect + f.partition + 0.02);
    if (roll < f.disconnect) {
      if (!up.length) return;
      const c = this.rng.pick(up);
      this.disconnect(c.a, c.b);
      this.stats.disconnects++;
    } else if (roll < f.disconnect + f.reconnect) {
      if (!down.length) return;
      const c = this.rng.pick(down);
      // A link comes back only between replicas that can reach each other.
      if (this.groups && this.groups.get(c.a) !== this.groups.get(c.b)) return;
      this.connect(c.a, c.b);
      this.stats.reconnects++;
    } else if (roll < f.disconnect + f.reconnect + f.partition) {
      if (this.groups) return;
      const groupCount = this.rng.range(2, 3);
      this.groups = new Map(this.replicas.map((r) => [r.id, this.rng.int(groupCount)]));
      this.partitionEndsAt = this.stepNo + this.rng.range(10, 80);
      this.stats.partitions++;
      // Some links across the split notice and close; the others only stall until it heals.
      for (const c of up) if (this.groups.get(c.a) !== this.groups.get(c.b) && this.rng.chance(0.5)) this.disconnect(c.a, c.b);
    } else {
      // Someone's app runs the room's retention (every device does, on open and on a change).
      const r = this.rng.pick(this.replicas);
      applyRetention(r.doc, this.now + r.skewMs, ORIGIN.local);
      this.stats.retentionRuns++;
    }
  }

  /**
   * Ends every fault: delivers what is queued, then reconnects every link (a fresh step 1
   * exchange each), then delivers until the network is quiet.
   */
  heal(): void {
    this.groups = null;
    this.drain();
    for (const c of this.conns.values()) {
      this.disconnect(c.a, c.b);
      this.connect(c.a, c.b);
    }
    this.drain();
  }

  /**
   * Ends the faults without re-syncing live links: the partition ends, links that are down come
   * back (a step 1 exchange on those only), and everything queued is delivered. Whatever a live
   * link lost has to come back by DocSync's own means (a refused update asks for a sync).
   */
  restore(): void {
    this.groups = null;
    for (const c of this.conns.values()) if (!c.up) this.connect(c.a, c.b);
    this.drain();
  }

  /** Links a new replica to `to` only and lets them sync. */
  join(id: string, to: string): Replica {
    const r = this.addReplica(id, false, false);
    this.connect(id, to);
    this.drain();
    return r;
  }

  /** Takes a replica out of the network (its links go down first). */
  removeReplica(id: string): void {
    const r = this.replica(id);
    for (const c of [...this.conns.values()]) {
      if (c.a !== id && c.b !== id) continue;
      this.disconnect(c.a, c.b);
      this.conns.delete(this.key(c.a, c.b));
    }
    this.replicas.splice(this.replicas.indexOf(r), 1);
    this.byId.delete(id);
    r.sync.destroy();
    r.awareness?.destroy();
    r.doc.destroy();
  }
}

// ---- random edits ----------------------------------------------------------------------------

function itemId(rng: Rng): string {
  return rng.hex(24);
}

function messageIds(doc: Y.Doc): string[] {
  return timeline(doc)
    .toArray()
    .map((m) => (m as { id?: unknown }).id)
    .filter((id): id is string => typeof id === 'string');
}

/** One random edit, as the app makes them (src/memory/room-memory.svelte.ts), in one transaction. */
export function edit(net: SimNetwork, r: Replica): void {
  const { rng } = net;
  const doc = r.doc;
  const now = net.now + r.skewMs;
  const author = r.id;
  const roll = rng.float();
  net.stats.edits++;
  doc.transact(() => {
    if (roll < 0.3) {
      const ids = messageIds(doc);
      const entry: TimelineEntry = {
        id: itemId(rng),
        author,
        authorName: `name ${r.id.slice(1, 4)}`,
        text: rng.word(1, 40),
        // Mostly now, sometimes back-dated (clock skew, a device that was away).
        sentAt: now - (rng.chance(0.2) ? rng.int(60) * 86_400_000 : 0),
        ...(ids.length && rng.chance(0.2) ? { replyTo: rng.pick(ids) } : {}),
      };
      timeline(doc).push([entry]);
    } else if (roll < 0.42) {
      const ids = messageIds(doc);
      if (!ids.length) return;
      const key = `${rng.pick(ids)}|${rng.pick(REACTIONS)}|${author}`;
      const rx = reactions(doc);
      if (rx.has(key)) rx.delete(key);
      else rx.set(key, true);
    } else if (roll < 0.5) {
      const note = new Y.Map<unknown>();
      note.set('title', rng.word(1, 20));
      note.set('body', new Y.Text(rng.chance(0.5) ? rng.word(0, 30) : ''));
      note.set('createdAt', now);
      note.set('createdBy', author);
      notes(doc).set(itemId(rng), note);
    } else if (roll < 0.8) {
      const ids = [...notes(doc).keys()];
      if (!ids.length) return;
      const note = notes(doc).get(rng.pick(ids));
      const body = note?.get('body');
      if (!(body instanceof Y.Text)) return;
      const r2 = rng.float();
      if (r2 < 0.6 || body.length === 0) body.insert(rng.int(body.length + 1), rng.word(1, 12));
      else if (r2 < 0.9) {
        const at = rng.int(body.length);
        body.delete(at, Math.min(body.length - at, rng.range(1, 10)));
      } else note!.set('title', rng.word(1, 20));
    } else if (roll < 0.83) {
      const ids = [...notes(doc).keys()];
      if (ids.length) notes(doc).delete(rng.pick(ids));
    } else if (roll < 0.93) {
      const b = board(doc);
      const pinned = [...b.keys()];
      if (pinned.length && rng.chance(0.4)) return void b.delete(rng.pick(pinned));
      const msgs = messageIds(doc);
      const noteIds = [...notes(doc).keys()];
      const choices: [BoardItem['kind'], string][] = [...msgs.map((m) => ['message', m] as [BoardItem['kind'], string]), ...noteIds.map((n) => ['note', n] as [BoardItem['kind'], string])];
      if (!choices.length) return;
      const [kind, ref] = rng.pick(choices);
      const item: BoardItem = { kind, ref, pinnedBy: author, pinnedAt: now };
      b.set(itemId(rng), item);
    } else if (roll < 0.96) {
      settings(doc).set('retentionDays', rng.pick([1, 7, 30, 365]));
    } else {
      applyRetention(doc, now, ORIGIN.local);
      net.stats.retentionRuns++;
    }
  }, ORIGIN.local);
}

// ---- what must converge ----------------------------------------------------------------------

/** The whole content of a replica, raw (CRDT order included) and as the app reads it. */
export function content(doc: Y.Doc): unknown {
  return {
    raw: {
      timeline: timeline(doc).toJSON(),
      reactions: reactions(doc).toJSON(),
      notes: notes(doc).toJSON(),
      board: board(doc).toJSON(),
      files: doc.getMap('files').toJSON(),
      settings: settings(doc).toJSON(),
    },
    read: {
      timeline: readTimeline(doc),
      // Map order follows each replica's own insertion history: compare as sorted lists.
      reactions: [...readReactions(doc)].map(([m, byEmoji]) => [m, [...byEmoji].map(([e, who]) => [e, [...who].sort()]).sort()]).sort(),
      board: readBoard(doc).sort((a, b) => a.id.localeCompare(b.id)),
      files: readFiles(doc),
    },
  };
}

export function stateVector(doc: Y.Doc): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [client, clock] of [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort((a, b) => a[0] - b[0])) out[String(client)] = clock;
  return out;
}

/** Updates waiting for something they depend on: a converged replica has none. */
export function pending(doc: Y.Doc): { structs: boolean; deletes: boolean } {
  return { structs: doc.store.pendingStructs !== null, deletes: doc.store.pendingDs !== null };
}

/** Same state vector, same deletions, same content: what "converged" means. */
export function sameState(a: Y.Doc, b: Y.Doc): boolean {
  return Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b));
}
