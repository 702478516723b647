/** The accepting hub's handshake keeps the frames that arrive in the same tick as the welcome. */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { handshake } from '../../../../hub/gateway/handshake.ts';

class FakeSocket extends EventEmitter {
  sent: string[] = [];
  send(t: string) {
    this.sent.push(t);
  }
  terminate() {
    this.emit('close', 1006);
  }
}

const welcome = { v: 1, t: 'welcome', linkId: 'l' + '5'.repeat(24), invitationId: 'i' + '5'.repeat(24), room: { id: 'rinviter001', name: 'FW15', place: '' }, scope: { kind: 'board' }, label: 'the board', access: 'read', expiresAt: 1 };

describe('handshake', () => {
  it('resolves with the welcome and the frames right behind it', async () => {
    const ws = new FakeSocket();
    const p = handshake(ws as unknown as WebSocket, '{"hello":1}', () => undefined);
    expect(ws.sent).toEqual(['{"hello":1}']);
    // Both frames in one tick, as ws may deliver them.
    ws.emit('message', Buffer.from(JSON.stringify(welcome)), false);
    ws.emit('message', Buffer.from('{"v":1,"t":"ping","n":1}'), false);
    const w = await p;
    expect(w.linkId).toBe(welcome.linkId);
    expect(w.backlog.map((b) => b.toString())).toEqual(['{"v":1,"t":"ping","n":1}']);
  });

  it('turns a refusal into its typed error', async () => {
    const ws = new FakeSocket();
    const p = handshake(ws as unknown as WebSocket, 'x', () => undefined);
    ws.emit('message', Buffer.from(JSON.stringify({ v: 1, t: 'error', error: { code: 'invitation-used', message: 'used' } })), false);
    await expect(p).rejects.toMatchObject({ code: 'invitation-used' });
  });

  it('refuses a malformed answer', async () => {
    const ws = new FakeSocket();
    const p = handshake(ws as unknown as WebSocket, 'x', () => undefined);
    ws.emit('message', Buffer.from('{"v":1,"t":"welcome"}'), false);
    await expect(p).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('sends nothing when the hello cannot be recorded', async () => {
    const ws = new FakeSocket();
    const closed = new Promise((r) => ws.once('close', r));
    const p = handshake(ws as unknown as WebSocket, 'x', () => {
      throw new Error('disk full');
    });
    await expect(p).rejects.toMatchObject({ code: 'internal' });
    await closed;
    expect(ws.sent).toEqual([]);
  });
});
