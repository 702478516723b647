/**
 * Scope: what a link covers, read from the room document, and the boundary checks. Pure
 * functions over a Y.Doc, so they are tested without sockets. Deny by default: anything a rule
 * here does not allow is out of scope.
 */
import * as Y from 'yjs';
import { OsmoseError } from '../../protocol/errors.ts';
import { GATEWAY_LIMITS, type Access, type BoardEntry, type GatewayFrame, type Scope } from '../../protocol/gateway.ts';
import { notes, readBoard, readFiles, readTimeline, type TimelineEntry } from '../../protocol/room-doc.ts';

export type Role = 'inviter' | 'guest';

const short = (s: string, n = 60) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

export function noteIn(doc: Y.Doc, id: string): { map: Y.Map<unknown>; body: Y.Text; title: string } | null {
  const map = notes(doc).get(id);
  if (!(map instanceof Y.Map)) return null;
  const body = map.get('body');
  const title = map.get('title');
  return body instanceof Y.Text ? { map, body, title: typeof title === 'string' ? title : 'Untitled note' } : null;
}

/**
 * The root message and every reply to it, to a reply to it, and so on: parents before their
 * replies (so the other room always knows what a reply answers), otherwise in time order. One
 * pass over the timeline (a reply older than its parent waits for it).
 */
export function threadMessages(doc: Y.Doc, rootId: string): TimelineEntry[] {
  const all = readTimeline(doc);
  const root = all.find((e) => e.id === rootId && !e.replyTo);
  if (!root) return [];
  const out: TimelineEntry[] = [root];
  const inThread = new Set([rootId]);
  const waiting = new Map<string, TimelineEntry[]>();
  for (const e of all) {
    if (!e.replyTo || inThread.has(e.id)) continue;
    if (!inThread.has(e.replyTo)) {
      const w = waiting.get(e.replyTo) ?? [];
      w.push(e);
      waiting.set(e.replyTo, w);
      continue;
    }
    const stack = [e];
    while (stack.length) {
      const x = stack.pop()!;
      if (inThread.has(x.id)) continue;
      out.push(x);
      inThread.add(x.id);
      const w = waiting.get(x.id);
      if (w) (waiting.delete(x.id), stack.push(...w.reverse()));
    }
  }
  return out;
}

export function scopeExists(doc: Y.Doc, scope: Scope): boolean {
  if (scope.kind === 'board') return true;
  if (scope.kind === 'note') return noteIn(doc, scope.id) !== null;
  return readTimeline(doc).some((e) => e.id === scope.id && !e.replyTo);
}

/** A short human name for the scope's item, shown in banners, invitations and the ledger. */
export function scopeLabel(doc: Y.Doc, scope: Scope): string {
  if (scope.kind === 'board') return 'the board';
  if (scope.kind === 'note') return short(noteIn(doc, scope.id)?.title ?? 'a note', GATEWAY_LIMITS.labelChars);
  const root = readTimeline(doc).find((e) => e.id === scope.id);
  return short(root ? root.text : 'a thread');
}

/** Why an invitation for this scope cannot be made, or null. */
export function invitationScopeProblem(doc: Y.Doc, scope: Scope, access: Access): string | null {
  if (scope.kind === 'board' && access === 'write') return 'the board can be shared read only (pins are made in each room)';
  if (scope.kind === 'thread' && readTimeline(doc).find((e) => e.id === scope.id)?.replyTo) return 'a thread starts at a message that is not itself a reply';
  if (!scopeExists(doc, scope)) return scope.kind === 'note' ? 'there is no such note in this room' : 'there is no such message in this room';
  return null;
}

/** The board as the other room sees it: what is pinned, with a label, nothing else. */
export function boardSnapshot(doc: Y.Doc): BoardEntry[] {
  const messages = new Map(readTimeline(doc).map((e) => [e.id, e]));
  const fileNames = new Map(readFiles(doc).map((f) => [f.id, f.name]));
  const out: BoardEntry[] = [];
  for (const b of readBoard(doc).slice(0, GATEWAY_LIMITS.boardItems)) {
    const label = b.kind === 'message' ? messages.get(b.ref)?.text : b.kind === 'note' ? noteIn(doc, b.ref)?.title : fileNames.get(b.ref);
    if (label === undefined) continue;
    out.push({ id: b.id, kind: b.kind, label: short(label, GATEWAY_LIMITS.labelChars), pinnedAt: b.pinnedAt });
  }
  return out;
}

/**
 * The boundary check for a frame that came in from the other hub (already size-, version- and
 * schema-checked). `role` is this hub's role on the link. Returns the violation, or null.
 * A note's content (write on a read-only link) is checked where it is applied.
 */
export function inboundViolation(
  frame: GatewayFrame,
  link: { role: Role; scope: Scope; access: Access },
  /** Whether a message id is part of the shared thread here (the root, or a reply within it). */
  inThread: (id: string) => boolean = () => false,
): OsmoseError | null {
  const out = (message: string) => new OsmoseError('out-of-scope', message);
  const { scope } = link;
  switch (frame.t) {
    case 'hello':
    case 'welcome':
      return out(`unexpected ${frame.t} after the handshake`);
    case 'note-sync':
      return scope.kind === 'note' && frame.noteId === scope.id ? null : out('a note this link does not cover');
    case 'thread-have':
      return scope.kind === 'thread' && frame.rootId === scope.id ? null : out('a thread this link does not cover');
    case 'message': {
      if (scope.kind !== 'thread') return out('a message on a link that covers no thread');
      const e = frame.entry;
      const answersThread = e.replyTo !== undefined && (e.replyTo === scope.id || inThread(e.replyTo));
      if (link.role === 'guest') return (e.id === scope.id && !e.replyTo) || answersThread ? null : out('a message outside the shared thread');
      if (link.access !== 'write') return out('a message on a read-only link');
      return answersThread && e.id !== scope.id ? null : out('a message outside the shared thread');
    }
    case 'board':
      return scope.kind === 'board' && link.role === 'guest' ? null : out('a board this link does not cover');
    case 'presence':
    case 'ping':
    case 'pong':
    case 'end':
    case 'error':
      return null;
  }
}
