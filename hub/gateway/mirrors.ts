/**
 * What an accepting room holds of the other room's items (its mirrors) goes when the link ends,
 * however it ends: a member of either room, the expiry (while the hub runs, or found at its
 * start), the shared item gone, a violation, an end that arrives late. One place removes them, by
 * what the link recorded (the note marked with the link's id, the messages that came in on it),
 * so no path can forget part of it. The inviting room keeps what the other room wrote into its
 * own items (replies in its thread, edits of its note): those were given to it.
 */
import type * as Y from 'yjs';
import { notes, timeline } from '../../protocol/room-doc.ts';
import type { GatewayStore } from './store.ts';
import { BRIDGE } from './note-bridge.ts';

/** The link a note mirrors, or null for a note of this room. */
export function mirroredBy(note: unknown): string | null {
  const remote = (note as { get?: (k: string) => unknown } | null)?.get?.('remote');
  const linkId = (remote as { linkId?: unknown } | undefined)?.linkId;
  return typeof linkId === 'string' ? linkId : null;
}

/** Removes one ended link's mirrors from the room document. Returns how many items went. */
export function removeMirrors(doc: Y.Doc, linkId: string, receivedOnLink: ReadonlySet<string>): number {
  let removed = 0;
  doc.transact(() => {
    const ns = notes(doc);
    for (const [id, note] of [...ns.entries()]) {
      if (mirroredBy(note) === linkId) (ns.delete(id), removed++);
    }
    if (receivedOnLink.size === 0) return;
    const tl = timeline(doc);
    for (let i = tl.length - 1; i >= 0; i--) {
      const id = (tl.get(i) as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && receivedOnLink.has(id)) (tl.delete(i, 1), removed++);
    }
  }, BRIDGE);
  return removed;
}

/**
 * At the hub's start: the mirrors of every guest link that is over (also those an older hub left
 * behind), and notes that mirror a link this hub does not hold open.
 */
export function sweepMirrors(doc: Y.Doc, store: GatewayStore): number {
  const open = new Set(store.activeLinks().map((l) => l.id));
  let removed = 0;
  for (const id of store.endedGuestLinkIds()) removed += removeMirrors(doc, id, store.received(id));
  doc.transact(() => {
    const ns = notes(doc);
    for (const [id, note] of [...ns.entries()]) {
      const link = mirroredBy(note);
      if (link !== null && !open.has(link)) (ns.delete(id), removed++);
    }
  }, BRIDGE);
  return removed;
}
