/**
 * One active link, from this hub's side, for as long as the link lasts (connections come and
 * go under it). It sends only what the scope covers, records every frame in the ledger before it
 * goes, checks what comes in against the scope, and mirrors the other room's items into this
 * room's document as marked remote items.
 *
 * Over 300 lines on purpose: the three scopes (note, thread, board) share one send path (ledger
 * first, one commit per burst) and one receive path (the scope check first); apart, each would
 * repeat them.
 */
import * as Y from 'yjs';
import { encodeFrame } from '../../protocol/codec.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { describeScope, scopeKey, type BoardEntry, type GatewayFrame, type RemotePerson } from '../../protocol/gateway.ts';
import { timeline, board, type TimelineEntry } from '../../protocol/room-doc.ts';
import type { LinkRow } from './store.ts';
import { log } from '../support/log.ts';
import type { Ledger, LedgerContext } from './ledger.ts';
import { LINK_ITEM } from './ledger.ts';
import { NoteBridge, BRIDGE } from './note-bridge.ts';
import { boardSnapshot, inboundViolation } from './scope.ts';
import { ThreadIndex } from './thread-index.ts';
import { incomingEntry, outgoingEntry } from './remote-entry.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { removeMirrors } from './mirrors.ts';

export interface LinkSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface SessionDeps {
  doc: Y.Doc;
  ledger: Ledger;
  /** Items that came in through any link: never sent out again (not this room's to give). */
  received: Set<string>;
  /** Records items as received through this link (one commit for all). */
  markReceived: (itemIds: string[]) => void;
  /** Items that came in on this link (from the store: survives a restart). */
  receivedOnLink: Set<string>;
  linkDoc: (item: string) => Uint8Array | null;
  appendLinkDoc: (item: string, update: Uint8Array) => void;
  saveLinkDoc: (item: string, state: Uint8Array) => void;
  /** Names of the people present in this room (shown to the other room as remote people). */
  people: () => RemotePerson[];
  onChange: () => void;
  /** The shared item is gone from this (the inviting) room: the link ends. */
  onScopeGone: (what: string) => void;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const short = (s: string, n = 40) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

interface Outgoing {
  frame: GatewayFrame;
  item: string;
  what: string;
}

export class LinkSession {
  private socket: LinkSocket | null = null;
  private note: NoteBridge | null = null;
  /** Thread ids the other side holds; null until it said (then we send what it lacks). */
  private peerHas: Set<string> | null = null;
  private lastBoard = '';
  private lastPresence = '';
  private readonly offs: (() => void)[] = [];
  remotePeople: RemotePerson[] = [];
  remoteBoard: BoardEntry[] = [];
  connectedAt: number | null = null;
  /** Why the last connection attempt failed (guest), shown in the app. */
  lastError: string | undefined;
  readonly ctx: LedgerContext;
  /** What the other hub's frames made this hub do (bytes sent back, durable writes): the flood guard charges it. */
  readonly spent = { bytes: 0, writes: 0 };
  private lastPong = -Infinity;
  private readonly threadIndex: ThreadIndex | null;
  /** Messages taken in but not yet in the room: a burst (a catch-up) is stored in one go. */
  private incoming: TimelineEntry[] = [];
  private incomingIds = new Set<string>();
  private closed = false;

  constructor(
    readonly row: LinkRow,
    private readonly d: SessionDeps,
  ) {
    // The item column holds the ids; the scope is said in words, as the invitation said it.
    this.ctx = { linkId: row.id, invitationId: row.invitationId, scope: describeScope(row.scope, row.label, row.access), toRoom: row.room };
    const { scope } = row;
    if (scope.kind === 'note') {
      this.note = new NoteBridge({
        role: row.role,
        access: row.access,
        room: d.doc,
        noteId: scope.id,
        remoteRoom: row.room.name,
        label: row.label,
        linkId: row.id,
        saved: d.linkDoc(scopeKey(scope)),
        append: (u) => d.appendLinkDoc(scopeKey(scope), u),
        compact: (s) => d.saveLinkDoc(scopeKey(scope), s),
        send: (m) => this.sendNote(m),
        onGone: () => d.onScopeGone(`the note “${row.label}” was deleted`),
      });
    }
    this.threadIndex = scope.kind === 'thread' ? new ThreadIndex(d.doc, scope.id) : null;
    if (scope.kind === 'thread') {
      const tl = timeline(d.doc);
      const rootId = scope.id;
      const onTimeline = (ev: Y.YArrayEvent<unknown>) => {
        this.threadIndex!.changed(ev);
        // What links bring in is never sent on (and a link's own pushes are already counted).
        if (ev.transaction.origin === BRIDGE) return;
        if (row.role === 'inviter' && ev.changes.deleted.size > 0 && !this.threadIndex!.has(rootId)) {
          return d.onScopeGone('the thread’s first message was deleted or expired');
        }
        if (this.peerHas) this.sendMissingThread();
      };
      tl.observe(onTimeline);
      this.offs.push(() => tl.unobserve(onTimeline));
    } else if (scope.kind === 'board' && row.role === 'inviter') {
      const b = board(d.doc);
      const onBoard = () => this.sendBoard();
      b.observe(onBoard);
      this.offs.push(() => b.unobserve(onBoard));
    }
  }

  /** The shared item's name now (a note may be renamed while shared). */
  get label(): string {
    return this.note?.knownTitle ?? this.row.label;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** A (re)connection: start each item's catch-up. */
  attach(socket: LinkSocket): void {
    this.socket = socket;
    this.connectedAt = Date.now();
    this.peerHas = null;
    this.lastBoard = '';
    this.lastPresence = '';
    const { scope } = this.row;
    if (scope.kind === 'note' && this.note) this.sendNote(this.note.step1());
    if (scope.kind === 'thread') {
      const ids = this.thread().map((e) => e.id);
      this.send({ v: PROTOCOL_VERSION, t: 'thread-have', rootId: scope.id, ids }, LINK_ITEM, `list of the thread's message ids (${ids.length})`);
    }
    if (scope.kind === 'board' && this.row.role === 'inviter') this.sendBoard();
    this.sendPresence();
    this.d.onChange();
  }

  detach(): void {
    this.socket = null;
    this.peerHas = null;
    this.remotePeople = [];
    this.d.onChange();
  }

  /** A frame from the other hub (validated). Throws an OsmoseError when it breaks the scope. */
  receive(frame: GatewayFrame): void {
    const violation = inboundViolation(frame, this.row, (id) => this.incomingIds.has(id) || (this.threadIndex?.has(id) ?? false));
    if (violation) throw violation;
    switch (frame.t) {
      case 'note-sync': {
        const bytes = Buffer.from(frame.data, 'base64url');
        // Changed: stored in the per-link copy and in the room (two writes).
        if (this.note!.receive(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length))) this.spent.writes += 2;
        return this.d.onChange();
      }
      case 'thread-have':
        // Answered with what the other side lacks: once per connection, as the protocol has it.
        if (this.peerHas) throw new OsmoseError('out-of-scope', 'a second list of the thread on one connection');
        this.peerHas = new Set(frame.ids);
        return this.sendMissingThread();
      case 'message':
        return this.takeMessage(frame.entry);
      case 'board':
        this.remoteBoard = frame.items;
        return this.d.onChange();
      case 'presence':
        this.remotePeople = frame.people;
        return this.d.onChange();
      case 'ping': {
        // Keep-alives come every 10 s: more than one a second is answered once.
        const now = Date.now();
        if (now - this.lastPong < 1000) return;
        this.lastPong = now;
        return this.send({ v: PROTOCOL_VERSION, t: 'pong', n: frame.n }, LINK_ITEM, 'keep-alive');
      }
      default:
        return;
    }
  }

  /** Sends a frame about the link itself (handshake, keep-alive, end): recorded as link upkeep. */
  sendControl(frame: GatewayFrame, what: string): void {
    this.send(frame, LINK_ITEM, what);
  }

  /** Records a frame sent outside a session's socket (the handshake). Throws if it cannot: then it is not sent. */
  recordControl(text: string, what: string): void {
    this.d.ledger.recordText(this.ctx, LINK_ITEM, what, text);
  }

  /** The people in this room changed: tell the other room (names only). */
  sendPresence(): void {
    const people = this.d.people();
    const key = JSON.stringify(people);
    if (key === this.lastPresence) return;
    this.lastPresence = key;
    this.send({ v: PROTOCOL_VERSION, t: 'presence', people }, 'presence', `names of the people in this room (${people.length})`);
  }

  /** The link is over: stop observing; the accepting room's mirrors of the other room's items go. */
  close(mirrorsGo = true): void {
    // What the other room gave this room's own thread stays: replies that came right before the end are kept.
    if (this.row.role === 'inviter') this.flushIncoming();
    this.closed = true;
    this.incoming = [];
    this.incomingIds.clear();
    for (const off of this.offs.splice(0)) off();
    this.note?.close(false);
    this.note = null;
    if (mirrorsGo && this.row.role === 'guest') removeMirrors(this.d.doc, this.row.id, this.receivedHere);
    this.socket = null;
  }

  /** Ids of items that came in on this link (for removing the mirrors at the end). */
  private get receivedHere(): Set<string> {
    return this.d.receivedOnLink;
  }

  /** The shared thread as this room holds it. */
  private thread(): TimelineEntry[] {
    return this.threadIndex?.messages() ?? [];
  }

  private sendNote(syncMessage: Uint8Array): void {
    const title = this.note?.title ?? this.row.label;
    this.send({ v: PROTOCOL_VERSION, t: 'note-sync', noteId: (this.row.scope as { id: string }).id, data: b64u(syncMessage) }, scopeKey(this.row.scope), `the note “${short(title)}”`);
  }

  private sendMissingThread(): void {
    if (!this.peerHas || this.row.scope.kind !== 'thread') return;
    // A guest sends its own replies only on a read-and-write link; nothing that came from elsewhere.
    if (this.row.role === 'guest' && this.row.access !== 'write') return;
    const out: Outgoing[] = [];
    for (const e of this.thread()) {
      if (this.peerHas.has(e.id) || this.d.received.has(e.id)) continue;
      if (this.row.role === 'guest' && e.id === this.row.scope.id) continue;
      this.peerHas.add(e.id);
      out.push({ frame: { v: PROTOCOL_VERSION, t: 'message', entry: outgoingEntry(e, this.row.id) }, item: `message:${e.id}`, what: `a message by ${short(e.authorName, 20)}: “${short(e.text)}”` });
    }
    // A catch-up of many messages is recorded in one commit, then sent.
    this.sendAll(out);
  }

  private takeMessage(entry: TimelineEntry): void {
    if (this.incomingIds.has(entry.id) || this.threadIndex!.inRoom(entry.id)) return; // already here
    const mirror = incomingEntry(entry, this.row, Date.now());
    this.peerHas?.add(entry.id);
    if (this.incoming.length === 0) {
      // One batch: marked received in one commit, added to the room in one (two writes).
      this.spent.writes += 2;
      setImmediate(() => this.flushIncoming());
    }
    this.incoming.push(mirror);
    this.incomingIds.add(entry.id);
  }

  /** Stores the messages taken in since the last flush (after the frames that came together). */
  flushIncoming(): void {
    if (this.closed || this.incoming.length === 0) return;
    const batch = this.incoming;
    this.incoming = [];
    this.incomingIds = new Set();
    const ids = batch.map((e) => e.id);
    this.d.markReceived(ids);
    for (const id of ids) this.receivedHere.add(id);
    this.d.doc.transact(() => timeline(this.d.doc).push(batch), BRIDGE);
    this.d.onChange();
  }

  private sendBoard(): void {
    if (!this.socket) return;
    const items = boardSnapshot(this.d.doc);
    const key = JSON.stringify(items);
    if (key === this.lastBoard) return;
    this.lastBoard = key;
    this.send({ v: PROTOCOL_VERSION, t: 'board', items }, 'board', `the board (${items.length} pinned)`);
  }

  private send(frame: GatewayFrame, item: string, what: string): void {
    this.sendAll([{ frame, item, what }]);
  }

  private sendAll(out: Outgoing[]): void {
    const s = this.socket;
    if (!s || out.length === 0) return; // caught up on the next connection
    const texts = out.map((o) => encodeFrame(o.frame));
    // Recorded before it leaves (all of them in one commit): the ledger never misses a frame that
    // went out. If it cannot be recorded (disk full), nothing goes: the connection drops and
    // catches up once it can.
    try {
      this.d.ledger.batch(() => out.forEach((o, i) => this.d.ledger.recordText(this.ctx, o.item, o.what, texts[i]!)));
    } catch (err) {
      log.error('gateway: could not record a frame in the ledger; not sending it', { link: this.row.id, error: (err as Error).message });
      this.socket = null;
      s.close(1011, 'ledger unavailable');
      return;
    }
    this.spent.writes++;
    for (const t of texts) {
      this.spent.bytes += t.length;
      s.send(t);
    }
  }
}

