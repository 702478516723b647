/**
 * A shared thread as this room holds it, and the ids of every message in the room, kept up to date
 * from the timeline's own change events: a message added costs what the message is, so a linked
 * room that posts replies never makes the hub read the whole timeline again. Only a deletion, or a
 * reply that arrives before its parent (out-of-order sync between devices), makes the index read
 * the timeline once more, the next time it is asked. Neither comes from the other room.
 */
import type * as Y from 'yjs';
import { TimelineEntry, timeline } from '../../protocol/room-doc.ts';
import { threadMessages } from './scope.ts';

export class ThreadIndex {
  private list: TimelineEntry[] | null = null;
  private inThread = new Set<string>();
  private ids = new Set<string>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly rootId: string,
  ) {}

  /** The root and every reply under it, parents before their replies. */
  messages(): TimelineEntry[] {
    this.load();
    return this.list!;
  }

  has(id: string): boolean {
    this.load();
    return this.inThread.has(id);
  }

  /** Whether any message in the room has this id. */
  inRoom(id: string): boolean {
    this.load();
    return this.ids.has(id);
  }

  /** From the timeline's observer, for every change. */
  changed(ev: Y.YArrayEvent<unknown>): void {
    if (this.list === null) return;
    if (ev.changes.deleted.size > 0) return void (this.list = null);
    for (const item of ev.changes.added) {
      for (const raw of item.content.getContent()) {
        const e = TimelineEntry.safeParse(raw);
        if (!e.success) continue;
        this.ids.add(e.data.id);
        if (this.inThread.has(e.data.id)) continue;
        if (e.data.replyTo && this.inThread.has(e.data.replyTo)) {
          this.inThread.add(e.data.id);
          this.list.push(e.data);
        } else if (e.data.replyTo && !this.ids.has(e.data.replyTo)) this.list = null; // its parent may come later
        else if (e.data.id === this.rootId && !e.data.replyTo) this.list = null;
        if (this.list === null) return;
      }
    }
  }

  private load(): void {
    if (this.list !== null) return;
    this.list = threadMessages(this.doc, this.rootId);
    this.inThread = new Set(this.list.map((e) => e.id));
    this.ids = new Set();
    for (const raw of timeline(this.doc).toArray()) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string') this.ids.add(id);
    }
  }
}
