/**
 * The room channel's door: a socket is admitted only with a valid credential in its upgrade
 * (Sec-WebSocket-Protocol). Without one it gets a typed error and a close at once, and the frames
 * it sends are never buffered: 10 such sockets each sending most of a 30 MiB frame used to cost
 * the hub ~300 MiB.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { JoinAuth } from '../../../../hub/room/join-auth.ts';
import { CLOSE, ROOM_SUBPROTOCOL, roomProtocols } from '../../../../protocol/room-channel.ts';
import { deviceIdFromPublicKey, newDeviceKeyPair } from '../../../../protocol/crypto.ts';
import { rawUpgrade, startTestHub, type TestHub } from '../../support/hub-edge.ts';

const profile = {
  name: 'Door',
  caps: { webgpu: { available: false }, camera: null, microphone: null, cores: 2, memoryGb: null, memoryClass: null, battery: null, secureContext: true, app: '0.1.0', protocol: 1 },
  visibility: 'visible' as const,
  visibilitySince: Date.now(),
};

let t: TestHub;
let auth: JoinAuth;
beforeAll(async () => {
  t = await startTestHub();
  auth = new JoinAuth(t.hub.secrets(), 60_000);
});
afterAll(async () => {
  await t.hub.close();
});

const deviceId = () => deviceIdFromPublicKey(newDeviceKeyPair().publicKey);

function open(protocols?: string[]) {
  const ws = new WebSocket(`ws://127.0.0.1:${t.hub.ports.http}/room`, protocols);
  const messages: string[] = [];
  ws.on('message', (m) => messages.push(m.toString()));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  const opened = new Promise<void>((r) => ws.on('open', () => r()));
  return { ws, messages, closed, opened };
}

describe('the room channel admits only credentials', () => {
  it('refuses a socket without a credential at once, with the error the app acts on', async () => {
    for (const protocols of [undefined, [ROOM_SUBPROTOCOL], roomProtocols(deviceId(), '0000000000.' + 'A'.repeat(43))]) {
      const c = open(protocols);
      // Nothing is sent: no hello to wait for.
      expect(await c.closed).toBe(CLOSE.unauthorized);
      expect(JSON.parse(c.messages[0]!).error.code).toBe('unauthorized');
    }
  });

  it("answers with its own subprotocol, never echoing the credential", async () => {
    const id = deviceId();
    const c = open(roomProtocols(id, auth.issueCredential(id).token));
    await c.opened;
    expect(c.ws.protocol).toBe(ROOM_SUBPROTOCOL);
    c.ws.close();
  });

  it("refuses a hello for another device than the credential's", async () => {
    const a = deviceId();
    const b = deviceId();
    const c = open(roomProtocols(a, auth.issueCredential(a).token));
    await c.opened;
    c.ws.send(JSON.stringify({ v: 1, t: 'hello', peerId: b, token: auth.issueCredential(b).token, profile }));
    expect(await c.closed).toBe(CLOSE.unauthorized);
    expect(c.messages.map((m) => JSON.parse(m).t)).not.toContain('welcome');
  });

  it('answers plain HTTP once a source has been refused too often', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40 && !statuses.includes(429); i++) {
      statuses.push((await rawUpgrade({ port: t.hub.ports.http, path: '/room', headers: { host: `127.0.0.1:${t.hub.ports.http}` }, localAddress: '127.0.0.77' })).status);
    }
    expect(statuses[0]).toBe(101);
    expect(statuses.at(-1)).toBe(429);
  });
});

/** Upgrades without a credential, then sends all but the last byte of a `bytes` binary frame. */
function hostileSocket(port: number, payload: Buffer, from: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let upgraded = false;
    const done = () => resolve();
    s.on('error', done);
    s.on('close', done);
    s.write(
      `GET /room HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n\r\n`,
    );
    s.on('data', (d: Buffer) => {
      if (upgraded || !d.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      // FIN + binary, masked, 64-bit length: the whole frame is announced, all but its last byte sent.
      const header = Buffer.alloc(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
      s.write(header);
      s.write(payload.subarray(0, payload.length - 1), () => done());
    });
  });
}

describe('sockets without a credential cost the hub nothing', () => {
  it('10 of them each sending 30 MiB do not grow the hub by their frames', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const payload = Buffer.alloc(30 * 1024 * 1024, 7);
    gc();
    const before = process.memoryUsage().arrayBuffers;
    // Distinct sources, as a LAN attacker with several addresses would be.
    await Promise.all(Array.from({ length: 10 }, (_, i) => hostileSocket(t.hub.ports.http, payload, `127.0.1.${i + 1}`)));
    gc();
    const grown = process.memoryUsage().arrayBuffers - before;
    // The earlier hub held each frame until the hello timeout: over 280 MiB here.
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);
});

