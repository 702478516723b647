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

/** Transaction origin for the bridge's own writes (never bridged back). */
export const BRIDGE = 'gateway-bridge';
const REMOTE = 'gateway-remote';
const TITLE_CHARS = 120;

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
  save: (state: Uint8Array) => void;
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
    this.link.on('update', this.onLinkUpdate);
    this.attachRoom();
    notes(o.room).observe(this.onNotes);
    this.save();
  }

  get writable(): boolean {
    return this.o.role === 'inviter' || this.o.access === 'write';
  }

  /** Sync step 1 for a new connection. */
  step1(): Uint8Array {
    const e = encoding.createEncoder();
    syncProtocol.writeSyncStep1(e, this.link);
    return encoding.toUint8Array(e);
  }

  /**
   * A sync message from the other hub. Content is checked on a copy first: only `body` and the
   * title, and nothing at all from a guest on a read-only link. Throws `out-of-scope`/`bad-request`.
   */
  receive(message: Uint8Array): void {
    const type = peekType(message);
    if (type === syncProtocol.messageYjsSyncStep2 || type === syncProtocol.messageYjsUpdate) this.check(message);
    else if (type !== syncProtocol.messageYjsSyncStep1) throw new OsmoseError('bad-request', 'not a sync message');
    const reply = encoding.createEncoder();
    syncProtocol.readSyncMessage(decoding.createDecoder(message), reply, this.link, REMOTE);
    if (encoding.length(reply) > 0) this.o.send(encoding.toUint8Array(reply));
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
    this.link.destroy();
  }

  private check(message: Uint8Array): void {
    const copy = new Y.Doc({ gc: true });
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(this.link));
    const before = Y.encodeStateVector(copy);
    try {
      syncProtocol.readSyncMessage(decoding.createDecoder(message), encoding.createEncoder(), copy, REMOTE);
    } catch (err) {
      throw new OsmoseError('bad-request', `malformed note update: ${(err as Error).message}`.slice(0, 200));
    }
    for (const [key, type] of copy.share) {
      if (key !== 'body' && key !== 'meta') throw new OsmoseError('out-of-scope', `the note update touches “${key.slice(0, 40)}”, which the link does not cover`);
      void type;
    }
    const body = copy.getText('body');
    const meta = copy.getMap<unknown>('meta');
    for (const [k, v] of meta.entries()) {
      if (k !== 'title' || typeof v !== 'string' || v.length > TITLE_CHARS) throw new OsmoseError('out-of-scope', 'the note update carries something other than a title');
    }
    if (this.o.role === 'inviter' && this.o.access !== 'write') {
      const same = body.toString() === this.text.toString() && meta.get('title') === this.meta.get('title') && equalBytes(Y.encodeStateVector(copy), before);
      if (!same) throw new OsmoseError('out-of-scope', 'a change to the note on a read-only link');
    }
    copy.destroy();
  }

  private onLinkUpdate = (update: Uint8Array, origin: unknown): void => {
    this.save();
    if (origin === REMOTE) return;
    const e = encoding.createEncoder();
    syncProtocol.writeUpdate(e, update);
    this.o.send(encoding.toUint8Array(e));
  };

  private save(): void {
    this.o.save(Y.encodeStateAsUpdate(this.link));
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

function peekType(message: Uint8Array): number {
  try {
    return decoding.readVarUint(decoding.createDecoder(message));
  } catch {
    return -1;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
