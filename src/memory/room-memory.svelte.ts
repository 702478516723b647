/**
 * The room's memory on this device: the shared Yjs document (protocol/room-doc.ts), stored in
 * IndexedDB, synced with every peer on the mesh and with the hub, and exposed to the UI as
 * plain snapshots. Edits go through the methods here.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DocSync, ORIGIN } from '../../protocol/doc-sync.ts';
import { FRAME, FRAME_LIMITS, Reassembler, decodeSyncFrame, fragment } from '../../protocol/sync-frames.ts';
import { randomBytes } from '../../protocol/crypto.ts';
import type { OsmoseError } from '../../protocol/errors.ts';
import {
  newDoc, timeline, reactions, notes, board, settings, readReactions, readBoard, readNotes, retentionDays,
  applyRetention, REACTIONS, MAX_RETENTION_DAYS, NOTE_TITLE_CHARS, ROOT_NAMES, type TimelineEntry, type BoardItem, type NoteSummary,
} from '../../protocol/room-doc.ts';
import { readPresence, type AwarenessState } from '../../protocol/awareness.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { DocStore } from './doc-store.ts';
import { TimelineReader } from './timeline-reader.ts';

export const HUB_LINK = 'hub';
const TYPING_IDLE_MS = 3_000;
const RETENTION_EVERY_MS = 10 * 60_000;
/**
 * Messages validated before the timeline is first shown, newest first, when many arrive at once
 * (a late joiner taking in the room): the newest show at once, the rest follow in tasks of
 * TIMELINE_SLICE, so that no task holds the page for long.
 */
export const TIMELINE_FIRST = 60;
export const TIMELINE_SLICE = 1500;

export type { NoteSummary };

export interface MemoryTransport {
  /** Sends a frame to the hub; false when the hub is not connected. */
  hub(frame: Uint8Array): boolean;
  /** Sends a frame to one peer (<= 64 KiB; larger frames are fragmented here first). */
  peer(peerId: string, frame: Uint8Array): void;
}

export function newItemId(): string {
  return bytesToHex(randomBytes(12));
}

export class RoomMemoryState {
  readonly doc = newDoc();
  readonly awareness = new Awareness(this.doc);
  readonly sync: DocSync;
  timeline = $state.raw<TimelineEntry[]>([]);
  reactions = $state.raw<Map<string, Map<string, string[]>>>(new Map());
  notes = $state.raw<NoteSummary[]>([]);
  board = $state.raw<(BoardItem & { id: string })[]>([]);
  retentionDays = $state(30);
  /** Everything this device has is also on the hub. */
  saved = $state(false);
  hubLinked = $state(false);
  typing = $state.raw<string[]>([]);
  /** noteId → names of the people looking at it. */
  viewers = $state.raw<Map<string, string[]>>(new Map());
  storageError = $state<string | null>(null);
  loaded = $state(false);

  private store: DocStore | null = null;
  private readonly reassemblers = new Map<string, Reassembler>();
  private fragmentId = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly timelineReader = new TimelineReader();
  /** The rest of a big timeline, read in later tasks. */
  private timelineTimer: ReturnType<typeof setTimeout> | null = null;
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  private retentionTimer: ReturnType<typeof setInterval> | null = null;
  /** Retention removed these files: their bytes go too (set by the owner). */
  onFilesExpired: ((fileIds: string[]) => void) | null = null;

  constructor(
    readonly roomId: string,
    private readonly me: { deviceId: string; name: () => string },
    private readonly transport: MemoryTransport,
  ) {
    this.sync = new DocSync(this.doc, this.awareness, {
      roots: ROOT_NAMES,
      onSaved: () => (this.saved = this.hubLinked && !this.sync.unsaved),
      onError: (link, err) => console.warn('[osmose] sync frame refused from', link.slice(0, 9), err.code, err.message),
    });
    this.awareness.setLocalState({ deviceId: me.deviceId, name: me.name(), typing: false, viewing: null } satisfies AwarenessState);
    this.doc.on('update', () => this.scheduleRefresh());
    this.awareness.on('change', () => this.refreshPresence());
  }

  async open(): Promise<void> {
    try {
      this.store = await DocStore.open(this.roomId, this.doc, (err) => this.reportStorage(err));
    } catch (err) {
      this.reportStorage({ code: 'internal', message: `could not open this device's storage: ${(err as Error).message}` } as OsmoseError);
    }
    // Apply the room's retention here too: expired messages go even while the hub is away.
    this.retain();
    this.retentionTimer = setInterval(() => this.retain(), RETENTION_EVERY_MS);
    settings(this.doc).observe(() => this.retain());
    this.refresh();
    this.loaded = true;
  }

  private retain(): void {
    const { messages, files, scribe } = applyRetention(this.doc, Date.now(), ORIGIN.local);
    if (files.length) this.onFilesExpired?.(files);
    // Rewrite the stored history without the expired content.
    if (messages || files.length || scribe) this.forgetDeleted();
  }

  /** Rewrites this device's stored history without what was deleted (e.g. a transcript's keys). */
  forgetDeleted(): void {
    void this.store?.flush().then(() => this.store?.compact());
  }

  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.timelineTimer) clearTimeout(this.timelineTimer);
    this.refreshTimer = this.timelineTimer = null;
    this.sync.destroy();
    this.awareness.destroy();
    await this.store?.close();
  }

  flush(): Promise<void> {
    return this.store?.flush() ?? Promise.resolve();
  }

  // Links ------------------------------------------------------------------------------------

  hubUp(): void {
    this.hubLinked = true;
    this.sync.removeLink(HUB_LINK);
    this.sync.addLink({ id: HUB_LINK, wantsAck: true, send: (f) => void this.transport.hub(f) });
    this.saved = !this.sync.unsaved;
  }

  hubDown(): void {
    this.hubLinked = false;
    this.saved = false;
    this.sync.removeLink(HUB_LINK);
  }

  fromHub(frame: Uint8Array): void {
    this.sync.receive(HUB_LINK, frame);
  }

  peerUp(peerId: string): void {
    this.sync.removeLink(peerId);
    this.reassemblers.set(peerId, new Reassembler());
    this.sync.addLink({ id: peerId, send: (f) => this.sendToPeer(peerId, f) });
  }

  peerDown(peerId: string): void {
    this.sync.removeLink(peerId);
    this.reassemblers.delete(peerId);
  }

  fromPeer(peerId: string, frame: Uint8Array): void {
    if (frame[0] !== FRAME.fragment) return this.sync.receive(peerId, frame);
    const r = this.reassemblers.get(peerId);
    const decoded = decodeSyncFrame(frame, FRAME_LIMITS.fragmentBytes + 64);
    if (!r || !decoded.ok) return;
    const whole = r.add(decoded.frame.payload);
    if (whole instanceof Uint8Array) this.sync.receive(peerId, whole);
    else if (whole) console.warn('[osmose] fragment refused from', peerId.slice(0, 9), whole.code, whole.message);
  }

  private sendToPeer(peerId: string, frame: Uint8Array): void {
    for (const piece of fragment(frame, ++this.fragmentId)) this.transport.peer(peerId, piece);
  }

  // Edits ------------------------------------------------------------------------------------

  post(text: string, replyTo?: string): void {
    const clean = text.trim().slice(0, LIMITS.chatTextChars);
    if (!clean) return;
    const entry: TimelineEntry = { id: newItemId(), author: this.me.deviceId, authorName: this.me.name(), text: clean, sentAt: Date.now(), ...(replyTo ? { replyTo } : {}) };
    this.doc.transact(() => timeline(this.doc).push([entry]), ORIGIN.local);
    this.setTyping(false);
  }

  /** Adds or removes this device's reaction. */
  react(messageId: string, emoji: string): void {
    if (!(REACTIONS as readonly string[]).includes(emoji)) return;
    const key = `${messageId}|${emoji}|${this.me.deviceId}`;
    const rx = reactions(this.doc);
    this.doc.transact(() => (rx.has(key) ? rx.delete(key) : rx.set(key, Date.now())), ORIGIN.local);
  }

  pin(kind: BoardItem['kind'], ref: string): void {
    const existing = this.board.find((b) => b.ref === ref);
    if (existing) return;
    const item: BoardItem = { kind, ref, pinnedBy: this.me.deviceId, pinnedAt: Date.now() };
    this.doc.transact(() => board(this.doc).set(newItemId(), item), ORIGIN.local);
  }

  unpin(itemId: string): void {
    this.doc.transact(() => board(this.doc).delete(itemId), ORIGIN.local);
  }

  createNote(title: string, body = ''): string {
    const id = newItemId();
    this.doc.transact(() => {
      const note = new Y.Map<unknown>();
      note.set('title', title.trim().slice(0, NOTE_TITLE_CHARS) || 'Untitled note');
      note.set('body', new Y.Text(body));
      note.set('createdAt', Date.now());
      note.set('createdBy', this.me.deviceId);
      notes(this.doc).set(id, note);
    }, ORIGIN.local);
    return id;
  }

  /** The note's collaborative text, or null if there is no such (valid) note. */
  noteBody(id: string): Y.Text | null {
    const body = notes(this.doc).get(id)?.get('body');
    return body instanceof Y.Text ? body : null;
  }

  renameNote(id: string, title: string): void {
    const note = notes(this.doc).get(id);
    if (note instanceof Y.Map) this.doc.transact(() => note.set('title', title.trim().slice(0, NOTE_TITLE_CHARS) || 'Untitled note'), ORIGIN.local);
  }

  deleteNote(id: string): void {
    this.doc.transact(() => {
      notes(this.doc).delete(id);
      for (const b of this.board) if (b.ref === id) board(this.doc).delete(b.id);
    }, ORIGIN.local);
  }

  setRetention(days: number): void {
    if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) return;
    this.doc.transact(() => settings(this.doc).set('retentionDays', days), ORIGIN.local);
  }

  // Presence extras ----------------------------------------------------------------------------

  setTyping(typing: boolean): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    if (typing) this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
    if (this.awareness.getLocalState()?.typing !== typing) this.awareness.setLocalStateField('typing', typing);
  }

  setViewing(noteId: string | null): void {
    this.awareness.setLocalStateField('viewing', noteId);
  }

  nameChanged(): void {
    this.awareness.setLocalStateField('name', this.me.name());
  }

  // Snapshots ----------------------------------------------------------------------------------

  private scheduleRefresh(): void {
    // Many updates arrive in bursts (catch-up, typing): render at most every 50 ms.
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = null;
      this.refresh();
    }, 50);
  }

  private refresh(): void {
    this.readTimeline(TIMELINE_FIRST);
    this.reactions = readReactions(this.doc);
    this.board = readBoard(this.doc);
    this.retentionDays = retentionDays(this.doc);
    this.notes = readNotes(this.doc);
  }

  /** Shows the timeline read so far; what is left is read in the next tasks. */
  private readTimeline(budget: number): void {
    const read = this.timelineReader.read(this.doc, budget);
    this.timeline = read.entries;
    if (read.pending === 0 || this.timelineTimer) return;
    this.timelineTimer = setTimeout(() => {
      this.timelineTimer = null;
      this.readTimeline(TIMELINE_SLICE);
    }, 0);
  }

  private refreshPresence(): void {
    const p = readPresence(this.awareness.getStates(), this.doc.clientID);
    this.typing = p.typing;
    this.viewers = p.viewers;
  }

  private reportStorage(err: OsmoseError | { code: string; message: string }): void {
    this.storageError = err.message;
  }
}
