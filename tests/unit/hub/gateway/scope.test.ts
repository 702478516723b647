/** Deny by default: what each side may send, and what a scope covers in the room document. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { boardSnapshot, inboundViolation, invitationScopeProblem, scopeExists, scopeLabel, threadMessages } from '../../../../hub/gateway/scope.ts';
import { newDoc, notes, timeline, board, type TimelineEntry } from '../../../../protocol/room-doc.ts';
import type { GatewayFrame, Scope } from '../../../../protocol/gateway.ts';

const dev = 'd' + 'b'.repeat(32);
const msg = (id: string, text: string, replyTo?: string): TimelineEntry => ({ id, author: dev, authorName: 'Bea', text, sentAt: 1, ...(replyTo ? { replyTo } : {}) });

function room() {
  const doc = newDoc();
  const n = new Y.Map<unknown>();
  n.set('title', 'Plan');
  n.set('body', new Y.Text('x'));
  notes(doc).set('note-0001', n);
  timeline(doc).push([msg('root-0001', 'Lunch?'), msg('reply-001', 'Yes', 'root-0001'), msg('other-001', 'Private'), msg('reply-002', 'Deeper', 'reply-001')]);
  board(doc).set('pin-00001', { kind: 'message', ref: 'other-001', pinnedBy: dev, pinnedAt: 5 });
  return doc;
}

describe('scope in the room document', () => {
  it('a thread is the root and the replies under it, at any depth, parents first; nothing else', () => {
    expect(threadMessages(room(), 'root-0001').map((e) => e.id)).toEqual(['root-0001', 'reply-001', 'reply-002']);
    expect(threadMessages(room(), 'reply-001')).toEqual([]); // a reply is not a thread
  });
  it('knows what exists and names it', () => {
    const doc = room();
    expect(scopeExists(doc, { kind: 'note', id: 'note-0001' })).toBe(true);
    expect(scopeExists(doc, { kind: 'note', id: 'note-9999' })).toBe(false);
    expect(scopeExists(doc, { kind: 'thread', id: 'reply-001' })).toBe(false); // a reply is not a thread
    expect(scopeLabel(doc, { kind: 'note', id: 'note-0001' })).toBe('Plan');
    expect(scopeLabel(doc, { kind: 'thread', id: 'root-0001' })).toBe('Lunch?');
  });
  it('refuses invitations it cannot honour', () => {
    const doc = room();
    expect(invitationScopeProblem(doc, { kind: 'board' }, 'write')).toMatch(/read only/);
    expect(invitationScopeProblem(doc, { kind: 'thread', id: 'reply-001' }, 'read')).toMatch(/not itself a reply/);
    expect(invitationScopeProblem(doc, { kind: 'note', id: 'note-9999' }, 'read')).toMatch(/no such note/);
    expect(invitationScopeProblem(doc, { kind: 'note', id: 'note-0001' }, 'write')).toBeNull();
  });
  it('the board goes as labels', () => {
    expect(boardSnapshot(room())).toEqual([{ id: 'pin-00001', kind: 'message', label: 'Private', pinnedAt: 5 }]);
  });
});

describe('inbound boundary check', () => {
  const v = 1 as const;
  const note: Scope = { kind: 'note', id: 'note-0001' };
  const thread: Scope = { kind: 'thread', id: 'root-0001' };
  const cases: [string, GatewayFrame, { role: 'inviter' | 'guest'; scope: Scope; access: 'read' | 'write' }, boolean][] = [
    ['the shared note', { v, t: 'note-sync', noteId: 'note-0001', data: '' }, { role: 'inviter', scope: note, access: 'write' }, true],
    ['another note', { v, t: 'note-sync', noteId: 'note-0002', data: '' }, { role: 'inviter', scope: note, access: 'write' }, false],
    ['a message on a note link', { v, t: 'message', entry: msg('x0000001', 'hi', 'root-0001') }, { role: 'inviter', scope: note, access: 'write' }, false],
    ['a reply from a writing guest', { v, t: 'message', entry: msg('x0000001', 'hi', 'root-0001') }, { role: 'inviter', scope: thread, access: 'write' }, true],
    ['a reply from a read-only guest', { v, t: 'message', entry: msg('x0000001', 'hi', 'root-0001') }, { role: 'inviter', scope: thread, access: 'read' }, false],
    ['a guest posing as the root', { v, t: 'message', entry: msg('root-0001', 'hi') }, { role: 'inviter', scope: thread, access: 'write' }, false],
    ['a guest message outside the thread', { v, t: 'message', entry: msg('x0000001', 'hi') }, { role: 'inviter', scope: thread, access: 'write' }, false],
    ['the root, to the guest', { v, t: 'message', entry: msg('root-0001', 'Lunch?') }, { role: 'guest', scope: thread, access: 'read' }, true],
    ['another message, to the guest', { v, t: 'message', entry: msg('other-001', 'x') }, { role: 'guest', scope: thread, access: 'read' }, false],
    ['a board from the guest', { v, t: 'board', items: [] }, { role: 'inviter', scope: { kind: 'board' }, access: 'read' }, false],
    ['a board to the guest', { v, t: 'board', items: [] }, { role: 'guest', scope: { kind: 'board' }, access: 'read' }, true],
    ['a board on a note link', { v, t: 'board', items: [] }, { role: 'guest', scope: note, access: 'read' }, false],
    ['a reply to a reply in the thread', { v, t: 'message', entry: msg('x0000002', 'hi', 'reply-001') }, { role: 'inviter', scope: thread, access: 'write' }, true],
    ['a reply to a message outside the thread', { v, t: 'message', entry: msg('x0000003', 'hi', 'other-001') }, { role: 'inviter', scope: thread, access: 'write' }, false],
    ['another thread listing', { v, t: 'thread-have', rootId: 'other-001', ids: [] }, { role: 'guest', scope: thread, access: 'read' }, false],
    ['a second hello', { v, t: 'hello', room: { id: 'rabcdefghij', name: 'X', place: '' }, auth: { kind: 'invitation', token: 'T'.repeat(43) } }, { role: 'inviter', scope: note, access: 'read' }, false],
    ['presence', { v, t: 'presence', people: [{ name: 'Bea' }] }, { role: 'inviter', scope: note, access: 'read' }, true],
  ];
  const inThread = (id: string) => threadMessages(room(), 'root-0001').some((e) => e.id === id);
  it.each(cases)('%s', (_what, frame, link, allowed) => {
    const v = inboundViolation(frame, link, inThread);
    expect(v === null).toBe(allowed);
    if (v) expect(v.code).toBe('out-of-scope');
  });
});
