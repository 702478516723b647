/**
 * The same classes of problem elsewhere on the hub's edge: signaling cuts a member who floods
 * another device through it; a device that stops reading is cut rather than buffered. (The
 * display's streams: tests/unit/hub/display/routes.test.ts.)
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
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
