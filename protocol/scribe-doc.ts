/**
 * The scribe's three roots in the room document (layout: protocol/scribe.ts; the document's other
 * roots: room-doc.ts, which joins these names into `DOC` and calls `retainScribe` from its
 * retention). Readers validate and skip what does not parse: entries come from other members.
 */
import type * as Y from 'yjs';
import { ScribeKey, ScribeSession, ScribeUtterance, scribeKeyId, type ScribeView } from './scribe.ts';

export const SCRIBE_ROOTS = { scribe: 'scribe', scribeText: 'scribeText', scribeKeys: 'scribeKeys' } as const;

export const scribeSessions = (doc: Y.Doc) => doc.getMap<unknown>(SCRIBE_ROOTS.scribe);
export const scribeText = (doc: Y.Doc) => doc.getArray<unknown>(SCRIBE_ROOTS.scribeText);
export const scribeKeys = (doc: Y.Doc) => doc.getMap<unknown>(SCRIBE_ROOTS.scribeKeys);

/** Every valid session, newest first. */
export function readScribeSessions(doc: Y.Doc): ScribeSession[] {
  const out: ScribeSession[] = [];
  for (const [id, raw] of scribeSessions(doc).entries()) {
    const s = ScribeSession.safeParse(raw);
    if (s.success && s.data.id === id) out.push(s.data);
  }
  return out.sort((a, b) => b.startedAt - a.startedAt || a.id.localeCompare(b.id));
}

/** The session running now (not stopped), the newest if several were started at once. */
export function activeScribe(doc: Y.Doc): ScribeSession | null {
  return readScribeSessions(doc).find((s) => s.stoppedAt === undefined) ?? null;
}

/** A session's utterances (sealed), in time order. */
export function readUtterances(doc: Y.Doc, session?: string): ScribeUtterance[] {
  const out: ScribeUtterance[] = [];
  for (const raw of scribeText(doc).toArray()) {
    const u = ScribeUtterance.safeParse(raw);
    if (u.success && (session === undefined || u.data.session === session)) out.push(u.data);
  }
  return out.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

/** The keys handed over for a session: device id → its entry. */
export function readScribeKeys(doc: Y.Doc, session: string): Map<string, ScribeKey> {
  const out = new Map<string, ScribeKey>();
  const prefix = `${session}|`;
  for (const [id, raw] of scribeKeys(doc).entries()) {
    if (!id.startsWith(prefix)) continue;
    const k = ScribeKey.safeParse(raw);
    if (k.success && scribeKeyId(session, k.data.key.to) === id) out.set(k.data.key.to, k.data);
  }
  return out;
}

/** What /display shows: that the scribe is on, since when, who was present; never its text. */
export function scribeView(doc: Y.Doc): ScribeView | null {
  const s = activeScribe(doc);
  if (!s) return null;
  return { session: s.id, startedByName: s.startedByName, startedAt: s.startedAt, present: s.present.map((p) => p.name), utterances: readUtterances(doc, s.id).length };
}

/**
 * Removes a session, its utterances and every key handed over for it (a member's deletion). The
 * caller runs it in a transaction; the stores compact afterwards, so the keys leave the disks.
 */
export function deleteScribeSession(doc: Y.Doc, session: string): void {
  scribeSessions(doc).delete(session);
  const arr = scribeText(doc);
  for (let i = arr.length - 1; i >= 0; i--) if ((arr.get(i) as { session?: unknown })?.session === session) arr.delete(i, 1);
  const keys = scribeKeys(doc);
  for (const id of [...keys.keys()]) if (id.startsWith(`${session}|`)) keys.delete(id);
}

/**
 * Retention (called inside room-doc.ts `applyRetention`'s transaction): utterances that ended
 * before `cutoff` go; a session goes, with its keys, once it stopped (or, never stopped, started)
 * before `cutoff` and none of its utterances is left, and its keys with it; other keys whose session
 * is gone go once they are older than `orphanBefore` (the session may still be on its way from
 * another replica). Returns
 * how many entries it removed.
 */
export function retainScribe(doc: Y.Doc, cutoff: number, orphanBefore: number): number {
  let removed = 0;
  const arr = scribeText(doc);
  const live = new Set<string>();
  for (let i = arr.length - 1; i >= 0; i--) {
    const raw = arr.get(i) as { end?: unknown; session?: unknown };
    if (typeof raw?.end !== 'number' || raw.end < cutoff) {
      arr.delete(i, 1);
      removed++;
    } else if (typeof raw.session === 'string') live.add(raw.session);
  }
  const sessions = scribeSessions(doc);
  const gone = new Set<string>();
  for (const [id, raw] of [...sessions.entries()]) {
    const s = ScribeSession.safeParse(raw);
    const over = s.success ? (s.data.stoppedAt ?? s.data.startedAt) : -Infinity;
    if (over < cutoff && !live.has(id)) {
      sessions.delete(id);
      gone.add(id);
      removed++;
    }
  }
  const keys = scribeKeys(doc);
  for (const [id, raw] of [...keys.entries()]) {
    const session = id.split('|')[0]!;
    if (sessions.has(session)) continue;
    const at = (raw as { at?: unknown })?.at;
    if (gone.has(session) || typeof at !== 'number' || at < orphanBefore || at < cutoff) {
      keys.delete(id);
      removed++;
    }
  }
  return removed;
}
