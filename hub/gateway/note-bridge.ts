/**
 * One shared note on one link. The room's own document never crosses: each hub keeps a small
 * per-link document holding only this note (`body` Y.Text, `meta` title), synced with the other
 * hub by y-protocols, and bridges it to the note in its room document by replaying each change's
 * delta on the other side, synchronously, in this process (so the two stay equal, and Yjs merges
 * concurrent edits from the two rooms in the per-link document).
 *
 * The accepting room's copy is a marked mirror (`remote` on the note). On a read-only link the
 * mirror's edits are undone at its hub and never sent; the inviting hub refuses any content from
 * a read-only guest anyway.
 */
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { OsmoseError } from '../../protocol/errors.ts';
import type { Access } from '../../protocol/gateway.ts';
import { notes } from '../../protocol/room-doc.ts';
import { noteIn, type Role } from './scope.ts';
import { DeletedRanges } from './deleted-ranges.ts';
import { screenUpdate, TITLE_CHARS } from './note-update.ts';

/** Transaction origin for the bridge's own writes (never bridged back). */
export const BRIDGE = 'gateway-bridge';
const REMOTE = 'gateway-remote';
/** The per-link copy is stored as a snapshot plus the updates since; these decide when to fold them. */
const ROW_OVERHEAD = 64;
const COMPACT_MIN_BYTES = 64 * 1024;

export interface NoteBridgeOptions {
  role: Role;
  access: Access;
  room: Y.Doc;
  noteId: string;
  /** The note's title as the invitation named it (the mirror's title until the first sync). */
  label: string;
  /** The other room's name, shown on the mirror. */
  remoteRoom: string;
  linkId: string;
  /** The stored per-link document, if any. */
  saved: Uint8Array | null;
  /** Stores one update of the per-link document (cost: the update), or replaces all with a snapshot. */
  append: (update: Uint8Array) => void;
  compact: (state: Uint8Array) => void;
  /** A y-protocols sync message for the other hub. */
  send: (syncMessage: Uint8Array) => void;
  /** Inviter: the room's note was deleted, so the link has nothing left to share. */
  onGone?: () => void;
}

export class NoteBridge {
  readonly link = new Y.Doc({ gc: true });
  /** This bridge's own writes. Per bridge, not shared: with two links on one note (a multi-use
   * invitation), what one link brings in is a room edit for the other, so both stay equal. */
  private readonly origin = { bridge: BRIDGE };
  private readonly text = this.link.getText('body');
  private readonly meta = this.link.getMap<unknown>('meta');
  private roomNote: ReturnType<typeof noteIn> = null;
  private readonly deleted: DeletedRanges;
  /** The other hub asked for the whole note on this connection already (once per connection). */
  private answeredStep1 = false;
  private sinceCompact = 0;
  private snapshotBytes = 0;
  /** Observers on the room's note (re-made when a guest's mirror is deleted and comes back). */
  private readonly offs: (() => void)[] = [];
  private readonly onNotes = (ev: Y.YMapEvent<Y.Map<unknown>>): void => {
    if (ev.transaction.origin === this.origin || !ev.keysChanged.has(this.o.noteId)) return;
    if (noteIn(this.o.room, this.o.noteId)?.map === this.roomNote?.map) return;
    // Deleted (or replaced) in the room.
    for (const off of this.offs.splice(0)) off();
    this.roomNote = null;
    if (this.o.role === 'guest') this.attachRoom(); // the mirror is the other room's: it comes back
    else this.o.onGone?.();
  };

  constructor(private readonly o: NoteBridgeOptions) {
    if (o.saved) Y.applyUpdate(this.link, o.saved, REMOTE);
    const note = noteIn(o.room, o.noteId);
    if (o.role === 'inviter') {
      if (!note) throw new OsmoseError('invitation-scope', 'the shared note is no longer in this room');
      if (!o.saved) {
        this.link.transact(() => {
          this.text.insert(0, note.body.toString());
          this.meta.set('title', note.title);
        }, this.origin);
      }
    }
    this.deleted = new DeletedRanges(this.link);
    this.link.on('update', this.onLinkUpdate);
    this.attachRoom();
    notes(o.room).observe(this.onNotes);
    this.compact();
  }

  get writable(): boolean {
    return this.o.role === 'inviter' || this.o.access === 'write';
  }

  /** Sync step 1 for a new connection (the other hub may then ask for the whole note once). */
  step1(): Uint8Array {
    this.answeredStep1 = false;
    const e = encoding.createEncoder();
    syncProtocol.writeSyncStep1(e, this.link);
    return encoding.toUint8Array(e);
  }

  /**
   * A sync message from the other hub. An update is checked at the cost of the update
   * (`screenUpdate`: only `body` and the title, nothing that Yjs would park, nothing at all from a
   * guest on a read-only link) and only what is new is applied. Step 1 (which makes this hub send
   * the note) is answered once per connection. Throws `out-of-scope`/`bad-request`.
   * Returns whether the per-link document changed.
   */
  receive(message: Uint8Array): boolean {
    const d = decoding.createDecoder(message);
    const type = peekType(d);
    if (type === syncProtocol.messageYjsSyncStep1) {
      if (this.answeredStep1) throw new OsmoseError('out-of-scope', 'a second request for the whole note on one connection');
      this.answeredStep1 = true;
      const reply = encoding.createEncoder();
      try {
        syncProtocol.readSyncStep1(d, reply, this.link);
      } catch (err) {
        throw new OsmoseError('bad-request', `malformed note sync: ${(err as Error).message}`.slice(0, 200));
      }
      this.o.send(encoding.toUint8Array(reply));
      return false;
    }
    if (type !== syncProtocol.messageYjsSyncStep2 && type !== syncProtocol.messageYjsUpdate) throw new OsmoseError('bad-request', 'not a sync message');
    let update: Uint8Array;
    try {
      update = decoding.readVarUint8Array(d);
    } catch {
      throw new OsmoseError('bad-request', 'malformed note sync');
    }
    const fresh = screenUpdate({ doc: this.link, body: this.text, meta: this.meta, deleted: this.deleted }, update, this.o.role === 'inviter' && this.o.access !== 'write');
    if (!fresh) return false;
    try {
      Y.applyUpdate(this.link, fresh, REMOTE);
    } catch (err) {
      throw new OsmoseError('bad-request', `a note update that could not be applied: ${(err as Error).message}`.slice(0, 200));
    }
    // Belt and braces: anything Yjs had to park would be reprocessed on every later update.
    const store = this.link.store as unknown as { pendingStructs: unknown; pendingDs: unknown };
    if (store.pendingStructs || store.pendingDs) {
      store.pendingStructs = null;
      store.pendingDs = null;
      throw new OsmoseError('bad-request', 'a note update that depends on changes this hub never received');
    }
    return true;
  }

  get title(): string {
    return this.knownTitle ?? 'Untitled note';
  }

  /** The title, once the per-link copy has one (a guest's copy is empty until the first sync). */
  get knownTitle(): string | null {
    const t = this.meta.get('title');
    return typeof t === 'string' ? t : null;
  }

  /** Stops bridging; the accepting room's mirror is removed (the other room took its note back). */
  close(removeMirror: boolean): void {
    notes(this.o.room).unobserve(this.onNotes);
    for (const off of this.offs.splice(0)) off();
    this.link.off('update', this.onLinkUpdate);
    if (removeMirror && this.o.role === 'guest' && this.roomNote) {
      this.o.room.transact(() => notes(this.o.room).delete(this.o.noteId), this.origin);
    }
    this.deleted.destroy();
    this.link.destroy();
  }

  private onLinkUpdate = (update: Uint8Array, origin: unknown): void => {
    this.persist(update);
    if (origin === REMOTE) return;
    const e = encoding.createEncoder();
    syncProtocol.writeUpdate(e, update);
    this.o.send(encoding.toUint8Array(e));
  };

  /** Stores the update alone (its own cost), folding into a snapshot once the updates outweigh it. */
  private persist(update: Uint8Array): void {
    this.sinceCompact += update.length + ROW_OVERHEAD;
    if (this.sinceCompact > Math.max(COMPACT_MIN_BYTES, this.snapshotBytes)) this.compact();
    else this.o.append(update);
  }

  private compact(): void {
    const state = Y.encodeStateAsUpdate(this.link);
    this.o.compact(state);
    this.snapshotBytes = state.length;
    this.sinceCompact = 0;
  }

  /** Finds (guest: makes) the room's note and bridges it; reconciles any difference first. */
  private attachRoom(): void {
    const { room, noteId } = this.o;
    let note = noteIn(room, noteId);
    if (!note && this.o.role === 'guest') {
      room.transact(() => {
        const map = new Y.Map<unknown>();
        map.set('title', this.knownTitle ?? this.o.label);
        map.set('body', new Y.Text());
        map.set('createdAt', Date.now());
        map.set('createdBy', 'gateway');
        map.set('remote', { room: this.o.remoteRoom, linkId: this.o.linkId, access: this.o.access });
        notes(room).set(noteId, map);
      }, this.origin);
      note = noteIn(room, noteId);
    }
    if (!note) return;
    this.roomNote = note;
    // Whoever holds the truth for this side: the room (inviter) or the link (guest).
    if (this.o.role === 'inviter') {
      replaceText(this.link, this.text, note.body.toString(), this.origin);
      if (this.meta.get('title') !== note.title) this.link.transact(() => this.meta.set('title', note.title), this.origin);
    } else {
      replaceText(room, note.body, this.text.toString(), this.origin);
      const known = this.knownTitle;
      if (known !== null && note.title !== known) room.transact(() => note!.map.set('title', known), this.origin);
    }

    const onRoomText = (ev: Y.YTextEvent) => {
      if (ev.transaction.origin === this.origin) return;
      if (this.writable) this.link.transact(() => this.text.applyDelta(ev.delta as never), this.origin);
      else replaceText(room, note!.body, this.text.toString(), this.origin); // read only: undo
    };
    const onRoomMap = (ev: Y.YMapEvent<unknown>) => {
      if (ev.transaction.origin === this.origin || !ev.keysChanged.has('title')) return;
      const now = note!.map.get('title');
      if (this.writable && typeof now === 'string') this.link.transact(() => this.meta.set('title', now.slice(0, TITLE_CHARS)), this.origin);
      else room.transact(() => note!.map.set('title', this.title), this.origin);
    };
    const onLinkText = (ev: Y.YTextEvent) => {
      if (ev.transaction.origin === this.origin) return;
      room.transact(() => note!.body.applyDelta(ev.delta as never), this.origin);
    };
    const onLinkMeta = (ev: Y.YMapEvent<unknown>) => {
      if (ev.transaction.origin === this.origin) return;
      room.transact(() => note!.map.set('title', this.title), this.origin);
    };
    note.body.observe(onRoomText);
    note.map.observe(onRoomMap);
    this.text.observe(onLinkText);
    this.meta.observe(onLinkMeta);
    this.offs.push(
      () => note!.body.unobserve(onRoomText),
      () => note!.map.unobserve(onRoomMap),
      () => this.text.unobserve(onLinkText),
      () => this.meta.unobserve(onLinkMeta),
    );
  }
}

/** Makes `text` read `want` with the smallest edit (common prefix and suffix kept). */
export function replaceText(doc: Y.Doc, text: Y.Text, want: string, origin: unknown): void {
  const have = text.toString();
  if (have === want) return;
  let start = 0;
  while (start < have.length && start < want.length && have[start] === want[start]) start++;
  let endHave = have.length;
  let endWant = want.length;
  while (endHave > start && endWant > start && have[endHave - 1] === want[endWant - 1]) endHave--, endWant--;
  doc.transact(() => {
    if (endHave > start) text.delete(start, endHave - start);
    if (endWant > start) text.insert(start, want.slice(start, endWant));
  }, origin);
}

function peekType(d: decoding.Decoder): number {
  try {
    return decoding.readVarUint(d);
  } catch {
    return -1;
  }
}
