/**
 * One link seen from the accepting room, without sockets: what a hostile inviting hub could send
 * is refused before it touches the room; what the scope covers is mirrored and marked.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { LinkSession } from '../../../../hub/gateway/link-session.ts';
import { GatewayStore, type LinkRow } from '../../../../hub/gateway/store.ts';
import { Ledger } from '../../../../hub/gateway/ledger.ts';
import { newDoc, notes, timeline, readTimeline } from '../../../../protocol/room-doc.ts';
import type { GatewayFrame, Scope } from '../../../../protocol/gateway.ts';

function session(scope: Scope, access: 'read' | 'write' = 'read', role: 'inviter' | 'guest' = 'guest') {
  const store = new GatewayStore(fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-ls-')));
  const doc = newDoc();
  const row: LinkRow = {
    id: 'l' + '4'.repeat(24), role, invitationId: 'i' + '4'.repeat(24), room: { id: 'rinviter001', name: 'FW15', place: '' }, scope, label: 'Plan', access,
    expiresAt: Date.now() + 60_000, createdAt: Date.now(), secret: 'S'.repeat(43), host: '10.0.0.1', port: 8443, fingerprint: 'ab'.repeat(32), caPem: null, endedAt: null, endReason: null, endMessage: null,
  };
  const received = new Set<string>();
  const onLink = new Set<string>();
  const sent: string[] = [];
  const s = new LinkSession(row, {
    doc, ledger: new Ledger(store.db), received, receivedOnLink: onLink,
    markReceived: (ids) => ids.forEach((id) => (received.add(id), onLink.add(id))),
    linkDoc: () => null, appendLinkDoc: () => undefined, saveLinkDoc: () => undefined, people: () => [], onChange: () => undefined, onScopeGone: () => undefined,
  });
  s.attach({ send: (t) => sent.push(t), close: () => undefined });
  return { s, doc, sent };
}

function updateFrame(noteId: string, build: (d: Y.Doc) => void): GatewayFrame {
  const d = new Y.Doc();
  build(d);
  const e = encoding.createEncoder();
  syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(d));
  return { v: 1, t: 'note-sync', noteId, data: Buffer.from(encoding.toUint8Array(e)).toString('base64url') };
}

describe('the accepting side of a link', () => {
  it('mirrors the shared note, marked, and refuses updates that reach outside it', () => {
    const { s, doc } = session({ kind: 'note', id: 'note-0001' });
    expect(notes(doc).get('note-0001')?.get('remote')).toMatchObject({ room: 'FW15', access: 'read' });
    s.receive(updateFrame('note-0001', (d) => (d.getText('body').insert(0, 'hello'), d.getMap('meta').set('title', 'Plan'))));
    expect((notes(doc).get('note-0001')!.get('body') as Y.Text).toString()).toBe('hello');
    expect(() => s.receive(updateFrame('note-0001', (d) => d.getMap('timeline').set('x', 1)))).toThrow(/does not cover/);
    expect(() => s.receive(updateFrame('note-0001', (d) => d.getMap('meta').set('owner', 'me')))).toThrow(/other than a title/);
    expect(() => s.receive(updateFrame('note-0002', (d) => d.getText('body').insert(0, 'x')))).toThrow(/does not cover/);
    expect(() => s.receive({ v: 1, t: 'note-sync', noteId: 'note-0001', data: 'AAAA' })).toThrow();
    expect((notes(doc).get('note-0001')!.get('body') as Y.Text).toString()).toBe('hello');
    expect([...notes(doc).keys()]).toEqual(['note-0001']);
  });

  it('a local edit of a read-only mirror is undone, and nothing is sent', () => {
    const { s, doc, sent } = session({ kind: 'note', id: 'note-0001' });
    s.receive(updateFrame('note-0001', (d) => d.getText('body').insert(0, 'fixed')));
    const before = sent.length;
    const body = notes(doc).get('note-0001')!.get('body') as Y.Text;
    doc.transact(() => body.insert(0, 'HACK '), 'device');
    expect(body.toString()).toBe('fixed');
    expect(sent.slice(before).some((f) => f.includes('note-sync'))).toBe(false);
  });

  it('takes only the thread’s messages, marks them, and removes them when the link ends', () => {
    const { s, doc } = session({ kind: 'thread', id: 'root-0001' });
    const dev = 'd' + 'e'.repeat(32);
    s.receive({ v: 1, t: 'message', entry: { id: 'root-0001', author: dev, authorName: 'Al', text: 'Lunch?', sentAt: 1 } });
    s.receive({ v: 1, t: 'message', entry: { id: 'rep-00001', author: dev, authorName: 'Al', text: 'Noon', sentAt: 2, replyTo: 'root-0001', remote: { room: 'forged' } } });
    expect(() => s.receive({ v: 1, t: 'message', entry: { id: 'other-001', author: dev, authorName: 'Al', text: 'x', sentAt: 3 } })).toThrow(/outside the shared thread/);
    expect(() => s.receive({ v: 1, t: 'board', items: [] })).toThrow(/board/);
    s.flushIncoming();
    const tl = readTimeline(doc);
    expect(tl.map((e) => e.id)).toEqual(['root-0001', 'rep-00001']);
    expect(tl[1]!.remote).toEqual({ room: 'FW15', access: 'read' }); // the sender's own marking is replaced
    timeline(doc).push([{ id: 'mine-0001', author: dev, authorName: 'Me', text: 'local', sentAt: 4, replyTo: 'root-0001' }]);
    s.close();
    expect(readTimeline(doc).map((e) => e.id)).toEqual(['mine-0001']);
  });

  it('answers a request for the whole note or thread once per connection, and pings at most once a second', () => {
    const n = session({ kind: 'note', id: 'note-0001' });
    const step1 = (() => {
      const e = encoding.createEncoder();
      syncProtocol.writeSyncStep1(e, new Y.Doc());
      return { v: 1, t: 'note-sync', noteId: 'note-0001', data: Buffer.from(encoding.toUint8Array(e)).toString('base64url') } as GatewayFrame;
    })();
    n.s.receive(step1);
    expect(() => n.s.receive(step1)).toThrow(/second request/);
    // A new connection may ask again.
    n.s.attach({ send: (t) => n.sent.push(t), close: () => undefined });
    n.s.receive(step1);

    const t = session({ kind: 'thread', id: 'root-0001' }, 'write');
    t.s.receive({ v: 1, t: 'thread-have', rootId: 'root-0001', ids: [] });
    expect(() => t.s.receive({ v: 1, t: 'thread-have', rootId: 'root-0001', ids: [] })).toThrow(/second list/);

    const pongs = () => t.sent.filter((f) => f.includes('"pong"')).length;
    for (let i = 0; i < 100; i++) t.s.receive({ v: 1, t: 'ping', n: i });
    expect(pongs()).toBe(1);
  });

  it('the inviting side keeps replies that came right before the link ended', () => {
    const t = session({ kind: 'thread', id: 'root-0001' }, 'write', 'inviter');
    timeline(t.doc).push([{ id: 'root-0001', author: 'd' + 'a'.repeat(32), authorName: 'Al', text: 'Lunch?', sentAt: 1 }]);
    t.s.receive({ v: 1, t: 'message', entry: { id: 'late-0001', author: 'd' + 'e'.repeat(32), authorName: 'Eve', text: 'Yes', sentAt: 2, replyTo: 'root-0001' } });
    t.s.close();
    expect(readTimeline(t.doc).map((e) => e.id)).toEqual(['root-0001', 'late-0001']);
  });
});
