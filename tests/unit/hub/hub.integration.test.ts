/**
 * The hub as a whole, in-process on loopback: HTTP join API, the room channel and the signaling
 * server's admission, against real sockets.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { Hub } from '../../../hub/hub.ts';
import type { HubConfig } from '../../../hub/config.ts';
import { startTestHub } from '../support/hub-edge.ts';
import { b64uEncode, deriveRoomKeys, deviceIdFromPublicKey, hmacB64u, joinProofMessage, newDeviceKeyPair, signB64u } from '../../../protocol/crypto.ts';
import { CLOSE, roomProtocols } from '../../../protocol/room-channel.ts';
import { JoinAuth } from '../../../hub/room/join-auth.ts';

let hub: Hub;
let config: HubConfig;
let base: string;

const profile = {
  name: 'Tester',
  caps: { webgpu: { available: false }, camera: null, microphone: null, cores: 2, memoryGb: null, memoryClass: null, battery: null, secureContext: true, app: '0.1.0', protocol: 1 },
  visibility: 'visible' as const,
  visibilitySince: Date.now(),
};

beforeAll(async () => {
  ({ hub, config } = await startTestHub(['--join-failures', '3'], fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-hub-'))));
  base = `http://127.0.0.1:${hub.ports.http}`;
});

afterAll(async () => {
  await hub.close();
});

function device() {
  const kp = newDeviceKeyPair();
  return { kp, id: deviceIdFromPublicKey(kp.publicKey), pub: b64uEncode(kp.publicKey) };
}

async function post(p: string, body: unknown, from?: string) {
  const res = await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function joinWith(secret: string) {
  const d = device();
  const ch = await post('/api/join/challenge', { v: 1 });
  const roomId = hub.secrets().roomId;
  const msg = joinProofMessage(roomId, d.id, d.pub, ch.body.nonce);
  const res = await post('/api/join', { v: 1, roomId, deviceId: d.id, publicKey: d.pub, nonce: ch.body.nonce, proof: hmacB64u(deriveRoomKeys(secret).joinKey, msg), sig: signB64u(d.kp.secretKey, msg) });
  return { d, res };
}

function openWs(url: string, protocols?: string[]): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<{ code: number }>; opened: Promise<void> }> {
  const ws = new WebSocket(url, protocols);
  const messages: string[] = [];
  ws.on('message', (m) => messages.push(m.toString()));
  const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
  return Promise.resolve({ ws, messages, closed, opened });
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('join API', () => {
  it('gives a credential to a holder of the secret, never echoing the secret', async () => {
    const { res } = await joinWith(hub.secrets().secret);
    expect(res.status).toBe(200);
    expect(res.body.credential.token).toMatch(/^\d{10}\./);
    expect(JSON.stringify(res.body)).not.toContain(hub.secrets().secret);
  });

  it('refuses oversized and malformed bodies with typed errors', async () => {
    const big = await fetch(base + '/api/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 1, pad: 'x'.repeat(20_000) }) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error.code).toBe('too-large');
    const bad = await fetch(base + '/api/join/challenge', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('bad-request');
  });

  it('rate-limits failed proofs per address, ignoring X-Forwarded-For', async () => {
    const wrong = 'B'.repeat(43);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { res } = await joinWith(wrong);
      codes.push(res.body.error.code);
    }
    expect(codes.slice(0, 3)).toEqual(['wrong-secret', 'wrong-secret', 'wrong-secret']);
    expect(codes.slice(3)).toEqual(['rate-limited', 'rate-limited']);
    // A forged header does not buy a fresh budget.
    const ch = await post('/api/join/challenge', { v: 1 }, '10.9.9.9');
    expect(ch.status).toBe(429);
  });
});

describe('room channel', () => {
  it('welcomes a device with a valid credential and closes on a bad one', async () => {
    const auth = new JoinAuth(hub.secrets(), 60_000);
    const d = device();
    const token = auth.issueCredential(d.id).token;
    const c = await openWs(`ws://127.0.0.1:${hub.ports.http}/room`, roomProtocols(d.id, token));
    await c.opened;
    c.ws.send(JSON.stringify({ v: 1, t: 'hello', peerId: d.id, token, profile }));
    await until(() => c.messages.length > 0);
    expect(JSON.parse(c.messages[0]!).t).toBe('welcome');

    const bad = await openWs(`ws://127.0.0.1:${hub.ports.http}/room`, roomProtocols(d.id, '0000000000.' + 'A'.repeat(43)));
    expect((await bad.closed).code).toBe(CLOSE.unauthorized);
    expect(JSON.parse(bad.messages[0]!).error.code).toBe('unauthorized');
    c.ws.close();
  });

  it('tells a device speaking another protocol version, and survives garbage', async () => {
    const auth = new JoinAuth(hub.secrets(), 60_000);
    const member = () => {
      const d = device();
      return roomProtocols(d.id, auth.issueCredential(d.id).token);
    };
    const c = await openWs(`ws://127.0.0.1:${hub.ports.http}/room`, member());
    await c.opened;
    c.ws.send(JSON.stringify({ v: 2, t: 'hello' }));
    expect((await c.closed).code).toBe(CLOSE.protocolVersion);
    expect(JSON.parse(c.messages[0]!).error.code).toBe('protocol-version');

    for (let i = 0; i < 50; i++) {
      const g = await openWs(`ws://127.0.0.1:${hub.ports.http}/room`, member());
      await g.opened;
      g.ws.send(i % 2 ? Buffer.from([0xff, 0x00, i]) : '{"v":1,"t":"hello","peerId":' + '['.repeat(i * 10));
      await g.closed;
    }
    const info = await fetch(base + '/api/hub');
    expect(info.status).toBe(200);
  });
});

describe('signaling admission', () => {
  it('refuses an upgrade without a valid credential', async () => {
    const d = device();
    const c = await openWs(`ws://127.0.0.1:${hub.ports.http}/signal/peerjs?key=osmose&id=${d.id}&token=nope`);
    await expect(c.opened).rejects.toThrow('HTTP 401');
  });

  it('lets a device come back with the same id and a new credential (no ID-TAKEN)', async () => {
    const auth = new JoinAuth(hub.secrets(), 60_000);
    const d = device();
    const first = await openWs(`ws://127.0.0.1:${hub.ports.http}/signal/peerjs?key=osmose&id=${d.id}&token=${auth.issueCredential(d.id).token}`);
    await first.opened;
    await until(() => first.messages.some((m) => m.includes('OPEN')));
    // A second credential (a later expiry: another token) for the same id while the first socket still lives.
    const later = new JoinAuth(hub.secrets(), 120_000).issueCredential(d.id).token;
    expect(later).not.toBe(auth.issueCredential(d.id).token);
    const second = await openWs(`ws://127.0.0.1:${hub.ports.http}/signal/peerjs?key=osmose&id=${d.id}&token=${later}`);
    await second.opened;
    await until(() => second.messages.length > 0);
    expect(second.messages[0]).toContain('OPEN');
    await first.closed;
    second.ws.close();
  });

  it('drops invalid signaling frames before they reach the relay', async () => {
    const auth = new JoinAuth(hub.secrets(), 60_000);
    const a = device();
    const b = device();
    const ca = await openWs(`ws://127.0.0.1:${hub.ports.http}/signal/peerjs?key=osmose&id=${a.id}&token=${auth.issueCredential(a.id).token}`);
    const cb = await openWs(`ws://127.0.0.1:${hub.ports.http}/signal/peerjs?key=osmose&id=${b.id}&token=${auth.issueCredential(b.id).token}`);
    await Promise.all([ca.opened, cb.opened]);
    await until(() => cb.messages.length > 0);
    ca.ws.send(JSON.stringify({ type: 'OFFER', dst: b.id, payload: { sdp: 'x' } }));
    ca.ws.send(JSON.stringify({ type: 'OFFER', dst: 'not-a-device', payload: {} }));
    ca.ws.send('not json');
    ca.ws.send(JSON.stringify({ type: 'OFFER', dst: b.id, payload: 'string payload' }));
    // A valid frame after the bad ones: once it is through, anything before it would be too.
    ca.ws.send(JSON.stringify({ type: 'ANSWER', dst: b.id, payload: { sdp: 'sentinel' } }));
    await until(() => cb.messages.some((m) => m.includes('sentinel')));
    const relayed = cb.messages.slice(1).map((m) => JSON.parse(m));
    expect(relayed).toHaveLength(2);
    expect(relayed[0]).toMatchObject({ type: 'OFFER', src: a.id, dst: b.id });
    expect(relayed[1]).toMatchObject({ type: 'ANSWER', src: a.id, dst: b.id });
    ca.ws.close();
    cb.ws.close();
  });
});
