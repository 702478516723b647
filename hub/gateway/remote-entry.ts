/**
 * Messages crossing a link carry names, never device ids, and nothing another room says about who
 * wrote a message or when is taken as it is:
 *
 * - Out: the author becomes a pseudonym for that link (`r` + 32 hex of SHA-256(link id, device
 *   id)): replies by one person stay together, and the other room learns no device id (nor can it
 *   tie the same person across two links).
 * - In: whatever author the other hub claims, this hub stores `r` + 32 hex of SHA-256(link id,
 *   claimed author). A remote author is in another namespace than every device id (`d…`), so it
 *   can never be a member of this room ("You"), and differs per link. `sentAt` is bounded by the
 *   time it arrived (a message from the future would never expire here). The name is cleaned as
 *   names in the room are (no control characters, not empty).
 */
import { createHash } from 'node:crypto';
import { LIMITS } from '../../protocol/limits.ts';
import type { TimelineEntry } from '../../protocol/room-doc.ts';

const pseudonym = (linkId: string, author: string) => 'r' + createHash('sha256').update(`${linkId}\u0000${author}`).digest('hex').slice(0, 32);

/** A message of this room as it leaves on a link. */
export function outgoingEntry(e: TimelineEntry, linkId: string): TimelineEntry {
  const { remote: _remote, ...entry } = e;
  return { ...entry, author: pseudonym(linkId, e.author) };
}

/** A message from the other room as this room keeps it (marked with where it came from). */
export function incomingEntry(e: TimelineEntry, link: { id: string; role: 'inviter' | 'guest'; access: 'read' | 'write'; room: { name: string } }, now: number): TimelineEntry {
  const name = e.authorName.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, LIMITS.displayNameChars);
  return {
    ...e,
    author: pseudonym(link.id, e.author),
    authorName: name || 'Someone',
    sentAt: Math.min(e.sentAt, now),
    // Marked with the room it came from (and, in the accepting room, whether replies go back).
    remote: { room: link.room.name, ...(link.role === 'guest' ? { access: link.access } : {}) },
  };
}
