/**
 * A hub runs for months while devices come and go: what it holds per device, socket and link
 * returns to nothing once they have left, however they left (a goodbye, a dropped connection).
 * Read through the hub's census, the same numbers it logs every hour (`bench/soak.ts` watches them
 * over a longer run with real browsers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { JoinAuth } from '../../../hub/room/join-auth.ts';
import { roomProtocols } from '../../../protocol/room-channel.ts';
import { deviceIdFromPublicKey, newDeviceKeyPair } from '../../../protocol/crypto.ts';
import { profile } from '../fixtures.ts';
import { startTestHub, type TestHub } from '../support/hub-edge.ts';

let t: TestHub;
let auth: JoinAuth;
beforeAll(async () => {
  t = await startTestHub(['--grace', '1']);
  auth = new JoinAuth(t.hub.secrets(), 3_600_000);
});
afterAll(async () => {
  await t.hub.close();
});

const until = async (cond: () => boolean, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(t.hub.census())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A device as the app is one: the room channel (hello, its memory link) and signaling. */
async function visit(leave: 'bye' | 'drop'): Promise<void> {
  const id = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
  const token = auth.issueCredential(id).token;
  const room = new WebSocket(`ws://127.0.0.1:${t.hub.ports.http}/room`, roomProtocols(id, token), { perMessageDeflate: false });
  const signal = new WebSocket(`ws://127.0.0.1:${t.hub.ports.http}/signal/peerjs?key=osmose&id=${id}&token=${token}`);
  for (const ws of [room, signal]) ws.on('error', () => undefined);
  const welcomed = new Promise<void>((r) => room.on('message', (d, binary) => !binary && d.toString().includes('"welcome"') && r()));
  const opened = new Promise<void>((r) => signal.on('message', (d) => d.toString().includes('"OPEN"') && r()));
  room.on('open', () => room.send(JSON.stringify({ v: 1, t: 'hello', peerId: id, token, profile: profile(id.slice(0, 6)) })));
  await Promise.all([welcomed, opened]);
  if (leave === 'bye') {
    room.send(JSON.stringify({ v: 1, t: 'bye' }));
    signal.close();
  } else {
    room.terminate();
    signal.terminate();
  }
}

describe('devices that come and go', () => {
  it('leave nothing behind at the hub: roster, sockets, signaling, memory links', async () => {
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 6 }, (_, i) => visit(i % 2 ? 'bye' : 'drop')));
    }
    await until(() => {
      const c = t.hub.census();
      return c.room!.roster === 0 && c.room!.devices === 0 && c.room!.sockets === 0 && c.signaling!.clients === 0 && c.signaling!.sockets === 0 && c.memory!.links === 0;
    }, 'the hub to hold nothing for the 60 devices that left');
    expect(t.hub.census().gateway).toMatchObject({ sessions: 0, connections: 0, budgets: 0, retries: 0 });
  });
});
