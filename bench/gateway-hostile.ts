/**
 * What one frame from a hostile linked room costs the hub that receives it (issue 9, finding 9 and
 * its class): each frame is fed, decoded, to a link's session as the gateway does, on a link that
 * shares a note of `--chars` characters (default 800,000) and a thread of `--messages` messages.
 * Real SQLite (gateway.sqlite: WAL, synchronous=FULL) for the per-link copy and the ledger.
 *
 *   node --import tsx bench/gateway-hostile.ts [--chars=800000] [--frames=300] [--messages=2000]
 *
 * Prints per-frame time (ms, p50/p95) and the bytes the hub sent back per frame.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { decodeFrame, encodeFrame } from '../protocol/codec.ts';
import { GATEWAY_LIMITS, GatewayFrame, type Scope } from '../protocol/gateway.ts';
import { newDoc, notes, timeline, type TimelineEntry } from '../protocol/room-doc.ts';
import { GatewayStore, type LinkRow } from '../hub/gateway/store.ts';
import { Ledger } from '../hub/gateway/ledger.ts';
import { LinkSession } from '../hub/gateway/link-session.ts';
import { setQuiet } from '../hub/support/log.ts';
import { summarize } from './stats.ts';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const CHARS = arg('chars', 800_000);
const FRAMES = arg('frames', 300);
const MESSAGES = arg('messages', 2000);
const DEV = 'd' + 'a'.repeat(32);

function room(): Y.Doc {
  const doc = newDoc();
  doc.transact(() => {
    const m = new Y.Map<unknown>();
    m.set('title', 'Long');
    const body = new Y.Text();
    m.set('body', body);
    m.set('createdAt', 1);
    m.set('createdBy', DEV);
    notes(doc).set('note-long-1', m);
    const msgs: TimelineEntry[] = [{ id: 'root-00001', author: DEV, authorName: 'A', text: 'root', sentAt: Date.now() }];
    for (let i = 1; i < MESSAGES; i++) msgs.push({ id: `msg-${String(i).padStart(6, '0')}`, author: DEV, authorName: 'A', text: `reply ${i}`, sentAt: Date.now(), replyTo: 'root-00001' });
    timeline(doc).push(msgs);
  }, 'local');
  // Written in pieces at many places, as a note edited for a while is: many items, not one.
  const body = notes(doc).get('note-long-1')!.get('body') as Y.Text;
  const piece = 'The quick brown fox jumps over the lazy dog. ';
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  while (body.length < CHARS) {
    const at = Math.floor(rand() * body.length);
    doc.transact(() => body.insert(at, piece.slice(0, Math.min(piece.length, CHARS - body.length))), 'local');
  }
  return doc;
}

function session(doc: Y.Doc, scope: Scope, access: 'read' | 'write') {
  const store = new GatewayStore(fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bench-gw-')));
  const row: LinkRow = {
    id: 'l' + '7'.repeat(24), role: 'inviter', invitationId: 'i' + '7'.repeat(24), room: { id: 'rhostile001', name: 'Hostile', place: '' }, scope, label: 'Long', access,
    expiresAt: Date.now() + 3_600_000, createdAt: Date.now(), secret: 'x', host: null, port: null, fingerprint: null, caPem: null, endedAt: null, endReason: null, endMessage: null,
  };
  const received = new Set<string>();
  let sentBytes = 0;
  const s = new LinkSession(row, {
    doc, ledger: new Ledger(store.db), received, receivedOnLink: new Set(),
    markReceived: (ids) => void (ids.forEach((id) => received.add(id)), store.markReceived(row.id, ids)),
    linkDoc: (item) => store.linkDoc(row.id, item), appendLinkDoc: (item, u) => store.appendLinkDoc(row.id, item, u), saveLinkDoc: (item, st) => store.saveLinkDoc(row.id, item, st),
    people: () => [], onChange: () => undefined, onScopeGone: () => undefined,
  });
  s.attach({ send: (t) => void (sentBytes += Buffer.byteLength(t)), close: () => undefined });
  return { s, sent: () => sentBytes, close: () => (s.close(false), store.close()) };
}

function noteSync(build: (e: encoding.Encoder) => void): string {
  const e = encoding.createEncoder();
  build(e);
  return encodeFrame({ v: 1, t: 'note-sync', noteId: 'note-long-1', data: Buffer.from(encoding.toUint8Array(e)).toString('base64url') });
}

/** Feeds `frames()` to the session as the gateway does (decode, then receive); per-frame ms and bytes sent back. */
function run(name: string, s: ReturnType<typeof session>, frame: (i: number) => string, n = FRAMES) {
  const ms: number[] = [];
  let errors = 0;
  const sentBefore = s.sent();
  for (let i = 0; i < n; i++) {
    const text = frame(i);
    const t0 = performance.now();
    try {
      const d = decodeFrame(GatewayFrame, text, GATEWAY_LIMITS.frameBytes);
      if (!d.ok) throw d.error;
      s.s.receive(d.value);
      // Messages are stored after the frames that came with them: here each frame alone (the worst case).
      (s.s as unknown as { flushIncoming?: () => void }).flushIncoming?.();
    } catch {
      errors++;
    }
    ms.push(performance.now() - t0);
  }
  const sum = summarize(ms);
  console.log(`${name.padEnd(58)} ${String(Buffer.byteLength(frame(0))).padStart(5)} B in   first ${ms[0]!.toFixed(3)} ms   p50 ${sum.p50.toFixed(3)} ms   p95 ${sum.p95.toFixed(3)} ms   ${Math.round((s.sent() - sentBefore) / n)} B back/frame   refused ${errors}/${n}`);
}

setQuiet(true);
console.log(`note ${CHARS.toLocaleString('en')} characters, thread ${MESSAGES} messages, ${FRAMES} frames per case (node ${process.version})`);
{
  const s = session(room(), { kind: 'note', id: 'note-long-1' }, 'read');
  // [messageYjsUpdate, length 2, an empty update]: changes nothing.
  run('no-op update (read-only link)', s, () => noteSync((e) => syncProtocol.writeUpdate(e, Uint8Array.of(0, 0))));
  s.close();
}
{
  const doc = room();
  const s = session(doc, { kind: 'note', id: 'note-long-1' }, 'write');
  const writer = new Y.Doc();
  run('one-character insert (write link)', s, (i) => {
    const before = Y.encodeStateVector(writer);
    writer.getText('body').insert(0, String.fromCharCode(97 + (i % 26)));
    return noteSync((e) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(writer, before)));
  });
  s.close();
}
{
  const s = session(room(), { kind: 'note', id: 'note-long-1' }, 'read');
  run('sync step 1, empty state vector (asks for the whole note)', s, () => noteSync((e) => syncProtocol.writeSyncStep1(e, new Y.Doc())), Math.min(FRAMES, 50));
  s.close();
}
{
  const s = session(room(), { kind: 'thread', id: 'root-00001' }, 'write');
  run('thread-have with no ids (asks for the whole thread)', s, () => encodeFrame({ v: 1, t: 'thread-have', rootId: 'root-00001', ids: [] }), Math.min(FRAMES, 50));
  s.close();
}
{
  const s = session(room(), { kind: 'thread', id: 'root-00001' }, 'write');
  run('a reply to the root (write link)', s, (i) => encodeFrame({ v: 1, t: 'message', entry: { id: `hostile-${String(i).padStart(6, '0')}`, author: DEV, authorName: 'H', text: 'spam', sentAt: Date.now(), replyTo: 'root-00001' } }));
  s.close();
}
{
  const s = session(room(), { kind: 'thread', id: 'root-00001' }, 'write');
  // Each a reply to the one before: the thread grows deeper with every frame.
  run('a reply to the last reply (write link)', s, (i) => encodeFrame({ v: 1, t: 'message', entry: { id: `deep-${String(i).padStart(6, '0')}`, author: DEV, authorName: 'H', text: 'spam', sentAt: Date.now(), replyTo: i ? `deep-${String(i - 1).padStart(6, '0')}` : `msg-${String(MESSAGES - 1).padStart(6, '0')}` } }));
  s.close();
}
