/**
 * Whatever another hub sends, the gateway's decoder answers with a value or a typed error, and
 * the boundary check never throws; a live hub survives garbage on its /gateway socket, and does
 * with each frame exactly what the protocol's rules say.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame } from '../../../../protocol/codec.ts';
import { ERROR_CODES } from '../../../../protocol/errors.ts';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { GATEWAY_LIMITS, GatewayFrame, GW_CLOSE, parseInvitation } from '../../../../protocol/gateway.ts';
import { inboundViolation } from '../../../../hub/gateway/scope.ts';
import type { Hub } from '../../../../hub/hub.ts';
import { startRoom } from './support.ts';
import { notes } from '../../../../protocol/room-doc.ts';

const RUNS = { seed: 5, numRuns: 2000 } as const;
const types = ['hello', 'welcome', 'note-sync', 'thread-have', 'message', 'board', 'presence', 'ping', 'pong', 'end', 'error', 'x'];
const versioned = fc
  .record({ t: fc.oneof(fc.constantFrom(...types), fc.string()) })
  .chain((base) => fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }).map((extra) => JSON.stringify({ ...extra, ...base, v: 1 })));

describe('gateway decoder', () => {
  it('never throws; errors are typed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), versioned, fc.uint8Array({ maxLength: 300 })), (raw) => {
        const d = decodeFrame(GatewayFrame, raw, GATEWAY_LIMITS.frameBytes);
        if (!d.ok) expect(ERROR_CODES).toContain(d.error.code);
        else {
          for (const role of ['inviter', 'guest'] as const) {
            expect(() => inboundViolation(d.value, { role, scope: { kind: 'thread', id: 'root-0001' }, access: 'write' })).not.toThrow();
          }
        }
      }),
      RUNS,
    );
  });

  it('the invitation parser never throws', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => 'osmose-invite1.' + s)), (s) => void parseInvitation(s)), RUNS);
  });

  it('refuses oversized frames before parsing', () => {
    const d = decodeFrame(GatewayFrame, 'x'.repeat(GATEWAY_LIMITS.frameBytes + 1), GATEWAY_LIMITS.frameBytes);
    expect(d.ok || d.error.code).toBe('too-large');
  });
});

describe('a live hub and a hostile peer', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startRoom('FUZZ');
  });
  afterAll(() => hub.close());

  it('refuses garbage hellos with a typed error, then rate-limits the address, and keeps serving', async () => {
    // Ten refusals per address per minute, then the upgrade itself is refused.
    const samples = fc.sample(fc.oneof(versioned, fc.string({ maxLength: 200 })), { seed: 9, numRuns: 10 });
    for (const s of samples) {
      const ws = new WebSocket(`wss://127.0.0.1:${hub.ports.https}/gateway`, { rejectUnauthorized: false });
      const got: string[] = [];
      ws.on('message', (m) => got.push(m.toString()));
      const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
      ws.on('error', () => undefined);
      await new Promise((r) => ws.on('open', r));
      ws.send(s);
      expect(await closed).toBe(4401);
      const err = JSON.parse(got[0]!) as { t: string; error: { code: string } };
      expect(err.t).toBe('error');
    }
    const limited = new WebSocket(`wss://127.0.0.1:${hub.ports.https}/gateway`, { rejectUnauthorized: false });
    const status = await new Promise<number>((r) => limited.on('unexpected-response', (_q, res) => r(res.statusCode ?? 0)));
    expect(status).toBe(429);
    const ok = await fetch(`http://127.0.0.1:${hub.ports.http}/api/hub`);
    expect(ok.status).toBe(200);
  });

  it('refuses a plain-HTTP gateway upgrade', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${hub.ports.http}/gateway`);
    const status = await new Promise<number>((r) => ws.on('unexpected-response', (_q, res) => r(res.statusCode ?? 0)));
    expect(status).toBe(400);
  });
});

/** A hostile "hub" that accepted an invitation to `note` on `hub`: its socket, once welcomed. */
async function openLink(hub: Hub, note: string, access: 'read' | 'write', roomId: string) {
  const { invite } = await import('./support.ts');
  const inv = invite(hub, { scope: { kind: 'note', id: note }, access, expiresInMinutes: 5, multiUse: false });
  const token = JSON.parse(Buffer.from(inv.code!.split('.')[1]!, 'base64url').toString()).token as string;
  const ws = new WebSocket(`wss://127.0.0.1:${hub.ports.https}/gateway`, { rejectUnauthorized: false });
  const frames: string[] = [];
  ws.on('message', (m) => frames.push(m.toString()));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
  await new Promise((r) => ws.on('open', r));
  ws.send(JSON.stringify({ v: 1, t: 'hello', room: { id: roomId, name: 'Hostile', place: '' }, auth: { kind: 'invitation', token } }));
  while (!frames.some((f) => f.includes('"welcome"'))) await new Promise((r) => setTimeout(r, 5));
  return { ws, frames, closed };
}

describe('a live link and a hostile peer', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startRoom('FUZZLINK');
  });
  afterAll(() => hub.close());

  it('on an open link, garbage cuts the link off, or (a frame the link allows) changes nothing; the hub keeps serving', async () => {
    const { addNote } = await import('./support.ts');
    const note = addNote(hub, 'Fuzzed', 'safe');
    const frame = (f: object) => JSON.stringify({ v: 1, ...f });
    const samples = [
      ...fc.sample(fc.oneof(versioned, fc.string({ maxLength: 200 }), fc.json()), { seed: 11, numRuns: 25 }),
      // Well-formed frames, each with its own outcome: allowed, out of scope, an end.
      frame({ t: 'presence', people: [{ name: 'Fuzz' }] }),
      frame({ t: 'ping', n: 1 }),
      frame({ t: 'pong', n: 1 }),
      frame({ t: 'error', error: { code: 'internal', message: 'x' } }),
      frame({ t: 'thread-have', rootId: 'mroot0000001', ids: [] }),
      frame({ t: 'note-sync', noteId: 'nanother00001', data: 'AAA' }),
      frame({ t: 'end', reason: 'ended', message: 'bye' }),
    ];
    /** What the hub must do with `s` on a note link, by the protocol's own rules. */
    const expected = (s: string, access: 'read' | 'write'): number | 'nothing' => {
      const d = decodeFrame(GatewayFrame, s, GATEWAY_LIMITS.frameBytes);
      if (!d.ok) return GW_CLOSE.violation;
      if (d.value.t === 'end') return d.value.reason === 'violation' ? GW_CLOSE.violation : GW_CLOSE.ended;
      if (d.value.t === 'error') return 'nothing';
      return inboundViolation(d.value, { role: 'inviter', scope: { kind: 'note', id: note }, access }) ? GW_CLOSE.violation : 'nothing';
    };
    // A frame the hub answers on a live note link: sync step 1 for the note (it replies with step 2).
    const e = encoding.createEncoder();
    syncProtocol.writeSyncStep1(e, new Y.Doc());
    const sentinel = JSON.stringify({ v: 1, t: 'note-sync', noteId: note, data: Buffer.from(encoding.toUint8Array(e)).toString('base64url') });
    const outcomes: (number | 'nothing')[] = [];
    for (const [i, s] of samples.entries()) {
      const access = i % 2 ? 'write' : 'read';
      const { ws, frames, closed } = await openLink(hub, note, access, `rfuzz${String(i).padStart(6, '0')}`);
      ws.send(s);
      // A positive sentinel either way: the close, or the answer to a frame sent right after.
      const before = frames.length;
      ws.send(sentinel);
      const answered = new Promise<'nothing'>((r) => {
        const poll = () => (frames.slice(before).some((f) => f.includes('"note-sync"')) ? r('nothing') : setTimeout(poll, 5));
        poll();
      });
      const outcome = await Promise.race([closed, answered]);
      expect(outcome, s.slice(0, 80)).toBe(expected(s, access));
      outcomes.push(outcome);
      ws.terminate();
    }
    expect(outcomes.filter((o) => o === GW_CLOSE.violation).length).toBeGreaterThan(samples.length / 2);
    expect(outcomes.filter((o) => o === 'nothing')).toHaveLength(4);
    expect(outcomes.filter((o) => o === GW_CLOSE.ended)).toHaveLength(1);
    const ok = await fetch(`http://127.0.0.1:${hub.ports.http}/api/hub`);
    expect(ok.status).toBe(200);
    expect((notes(hub.memory.doc).get(note)!.get('body') as { toString(): string }).toString()).toBe('safe');
  });
});
