/**
 * The flood guard counts what a linked room makes the hub do, not frames: cheap frames are cheap,
 * changes cost their writes, and a legitimate burst (a long thread's catch-up) still fits.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type { Hub } from '../../../../hub/hub.ts';
import { timeline, type TimelineEntry } from '../../../../protocol/room-doc.ts';
import { GATEWAY_LIMITS } from '../../../../protocol/gateway.ts';
import { ALICE, addNote, hostileLink, invite, messageIds, noteText, post, startRoom, until } from './support.ts';

let hub: Hub;
let other: Hub;
beforeAll(async () => {
  hub = await startRoom('FLOODA');
  other = await startRoom('FLOODB');
});
afterAll(async () => {
  await Promise.all([hub, other].map((h) => h?.close()));
});

const noteSync = (noteId: string, u: Uint8Array) => {
  const e = encoding.createEncoder();
  syncProtocol.writeUpdate(e, u);
  return JSON.stringify({ v: 1, t: 'note-sync', noteId, data: Buffer.from(encoding.toUint8Array(e)).toString('base64url') });
};

describe('a linked room that floods', () => {
  it('no-op note updates on a read-only link are cut off once their cost passes the budget; the note is untouched', async () => {
    const note = addNote(hub, 'Long', 'The quick brown fox. '.repeat(10_000));
    const { ws, frames, closed } = await hostileLink(hub, { kind: 'note', id: note }, 'read', 'rflood000001');
    const frame = noteSync(note, Uint8Array.of(0, 0)); // the 4-byte update of the report
    for (let i = 0; i < 20_000; i++) ws.send(frame);
    expect(await closed).toBe(4422);
    expect(frames.at(-1)).toMatch(/"end".*too many frames, bytes or changes/);
    expect(noteText(hub, note)).toBe('The quick brown fox. '.repeat(10_000));
    expect((await fetch(`http://127.0.0.1:${hub.ports.http}/api/hub`)).status).toBe(200);
  });

  it('changes on a write link cost the writes they cause: a burst of 600 is cut off before all are applied', async () => {
    const note = addNote(hub, 'Burst', '');
    const { ws, closeCode } = await hostileLink(hub, { kind: 'note', id: note }, 'write', 'rflood000002');
    const writer = new Y.Doc();
    // The burst in one window whatever this machine's speed (the guard's clock stands still).
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    try {
      for (let i = 0; i < 600; i++) {
        const sv = Y.encodeStateVector(writer);
        writer.getText('body').insert(0, 'x');
        ws.send(noteSync(note, Y.encodeStateAsUpdate(writer, sv)));
      }
      await until(() => closeCode() !== null || noteText(hub, note)?.length === 600, 'the cut, or every change applied', 60_000);
    } finally {
      clock.mockRestore();
    }
    expect(closeCode()).toBe(4422);
    // 600 frames would pass a count of frames (5,000 per 10 s); their writes do not.
    const applied = noteText(hub, note)!.length;
    const perChange = 100 + GATEWAY_LIMITS.frameCost + 2 * GATEWAY_LIMITS.writeCost;
    expect(applied).toBeLessThan(600);
    expect(applied).toBeLessThanOrEqual(Math.ceil(GATEWAY_LIMITS.floodCost / perChange));
  });

  it('a thread’s catch-up of 1,000 messages fits: it arrives whole and the link stays open', async () => {
    const root = post(hub, 'A long thread');
    hub.memory.doc.transact(() => {
      const replies: TimelineEntry[] = [];
      for (let i = 0; i < 1000; i++) replies.push({ id: `long-${String(i).padStart(6, '0')}`, author: ALICE.deviceId, authorName: 'Alice', text: `reply ${i}`, sentAt: Date.now(), replyTo: root });
      timeline(hub.memory.doc).push(replies);
    }, 'local');
    const link = await other.gateway.accept(invite(hub, { scope: { kind: 'thread', id: root }, access: 'write', expiresInMinutes: 60, multiUse: false }).code!);
    await until(() => messageIds(other).filter((id) => id.startsWith('long-')).length === 1000, 'the whole thread at the other room', 60_000);
    expect(other.gateway.state().links.find((l) => l.id === link.id)?.status).toBe('connected');
    expect(hub.gateway.state().links.find((l) => l.id === link.id)?.status).toBe('connected');
    other.gateway.end(link.id);
  });
});

describe('a linked room that reconnects over and over', () => {
  it('is cut off once its connections cost more than the budget, and its credential is dead', async () => {
    const WebSocket = (await import('ws')).default;
    const note = addNote(hub, 'Reconnected', 'text');
    const first = await hostileLink(hub, { kind: 'note', id: note }, 'read', 'rflood000004');
    const secret = (JSON.parse(first.frames.find((f) => f.includes('"welcome"'))!) as { secret: string }).secret;
    first.ws.terminate();
    let refused: string | null = null;
    let connections = 0;
    // The clock stands still: every connection falls in one window whatever this machine's speed.
    const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      while (refused === null && connections < 150) {
        connections++;
        const ws = new WebSocket(`wss://127.0.0.1:${hub.ports.https}/gateway`, { rejectUnauthorized: false });
        const got: string[] = [];
        ws.on('message', (m) => got.push(m.toString()));
        ws.on('error', () => undefined);
        const closed = new Promise((r) => ws.on('close', r));
        await new Promise((r) => ws.on('open', r));
        ws.send(JSON.stringify({ v: 1, t: 'hello', room: { id: 'rflood000004', name: 'Hostile', place: '' }, auth: { kind: 'link', linkId: first.linkId, secret } }));
        // The welcome and the catch-up the hub starts (its own step 1, the presence), or the cut.
        await until(() => got.some((f) => f.includes('"presence"') || f.includes('"end"') || f.includes('"error"')), 'the catch-up, or the cut');
        refused = got.find((f) => f.includes('"end"') || f.includes('"error"')) ?? null;
        ws.terminate();
        await closed;
      }
    } finally {
      clock.mockRestore();
    }
    expect(refused).toMatch(/connected again more often|link-ended/);
    expect(connections).toBeLessThanOrEqual(Math.ceil(GATEWAY_LIMITS.floodCost / GATEWAY_LIMITS.connectCost) + 1);
    expect(hub.gateway.state().recentlyEnded.find((l) => l.id === first.linkId)?.reason).toBe('violation');
  });
});
