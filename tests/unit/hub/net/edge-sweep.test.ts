/**
 * The same classes of problem elsewhere on the hub's edge: display streams (unauthenticated, on
 * loopback) are few and never buffer for a reader that stopped; signaling cuts a member who floods
 * another device through it; a device that stops reading is cut rather than buffered.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import http from 'node:http';
import WebSocket from 'ws';
import { JoinAuth } from '../../../../hub/room/join-auth.ts';
import { SIGNALING_FRAMES_PER_10S } from '../../../../hub/signaling/server.ts';
import { SLOW_READER_BYTES, sendOrCut } from '../../../../hub/net/slow-reader.ts';
import { deviceIdFromPublicKey, newDeviceKeyPair } from '../../../../protocol/crypto.ts';
import { startTestHub, type TestHub } from '../../support/hub-edge.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t.hub.close();
});

/** Opens the display's event stream; resolves with its status once headers arrive. */
function stream(): Promise<{ status: number; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: t.hub.ports.http, path: '/api/display/events' }, (res) => {
      resolve({ status: res.statusCode ?? 0, req });
      res.resume();
    });
    req.on('error', reject);
  });
}

describe('display event streams', () => {
  it('are at most 16 at once; the next is refused until one closes', async () => {
    const open = [];
    for (let i = 0; i < 16; i++) open.push(await stream());
    expect(open.map((s) => s.status)).toEqual(Array(16).fill(200));
    const extra = await stream();
    expect(extra.status).toBe(429);
    extra.req.destroy();
    open.pop()!.req.destroy();
    // The hub hears the close, then has room again.
    let again = await stream();
    for (let i = 0; i < 100 && again.status !== 200; i++) {
      again.req.destroy();
      await new Promise((r) => setTimeout(r, 20));
      again = await stream();
    }
    expect(again.status).toBe(200);
    for (const s of [...open, again]) s.req.destroy();
  });
});

describe('signaling', () => {
  it('closes a member that sends more valid frames than any device needs', async () => {
    const id = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
    const token = new JoinAuth(t.hub.secrets(), 60_000).issueCredential(id).token;
    const ws = new WebSocket(`ws://127.0.0.1:${t.hub.ports.http}/signal/peerjs?key=osmose&id=${id}&token=${token}`);
    const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
    ws.on('error', () => undefined);
    await new Promise((r) => ws.on('open', r));
    for (let i = 0; i <= SIGNALING_FRAMES_PER_10S; i++) ws.send('{"type":"HEARTBEAT"}');
    expect(await closed).toBe(1008);
  });
});

describe('a device that stops reading', () => {
  it('is cut once it leaves more than two of the largest frames unread', () => {
    const ws = { readyState: 1 as const, OPEN: 1 as const, bufferedAmount: 0, send: vi.fn(), terminate: vi.fn() };
    expect(sendOrCut(ws, 'x', false)).toBe(true);
    ws.bufferedAmount = SLOW_READER_BYTES + 1;
    expect(sendOrCut(ws, 'y', false)).toBe(false);
    expect(ws.send).toHaveBeenCalledTimes(1);
    expect(ws.terminate).toHaveBeenCalledTimes(1);
  });
});
