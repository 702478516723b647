/** The LAN guard as wired into HTTP and WebSocket upgrades: judged on the socket, never on headers. */
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { lanOnly, NOT_LAN_MESSAGE } from '../../../../hub/net/http-app.ts';
import { upgradeRouter } from '../../../../hub/net/upgrade-router.ts';
import { KnownHosts } from '../../../../hub/net/host-guard.ts';
import type { RoomChannel } from '../../../../hub/room/room-channel.ts';
import type { Signaling } from '../../../../hub/signaling/server.ts';
import type { Gateway } from '../../../../hub/gateway/gateway.ts';

function fakeHttp(remoteAddress: string, headers: Record<string, string> = {}) {
  const res = {
    statusCode: 200,
    body: '',
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    type() {
      return this;
    },
    send(b: string) {
      this.body = b;
      return this;
    },
  };
  let nextCalled = false;
  lanOnly({ socket: { remoteAddress }, headers } as unknown as Request, res as unknown as Response, () => (nextCalled = true));
  return { res, nextCalled };
}

describe('lanOnly (HTTP)', () => {
  it('lets LAN and loopback sockets through', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '192.168.1.9', '::1', '::ffff:172.16.0.5', 'fe80::1%eth0']) {
      expect(fakeHttp(a).nextCalled, a).toBe(true);
    }
  });

  it('refuses public addresses with 403 and a plain message, whatever the headers claim', () => {
    const r = fakeHttp('8.8.8.8', { 'x-forwarded-for': '10.0.0.1', forwarded: 'for=10.0.0.1', 'x-real-ip': '127.0.0.1' });
    expect(r.nextCalled).toBe(false);
    expect(r.res.statusCode).toBe(403);
    expect(r.res.body).toBe(NOT_LAN_MESSAGE);
    expect(fakeHttp('::ffff:8.8.8.8').nextCalled).toBe(false);
    expect(fakeHttp('2001:db8::1').nextCalled).toBe(false);
  });
});

describe('upgradeRouter (WebSocket)', () => {
  it('refuses an upgrade from outside the LAN before routing it', () => {
    let routed = false;
    const room = { handleUpgrade: () => (routed = true) } as unknown as RoomChannel;
    const signaling = { handleUpgrade: async () => void (routed = true) } as unknown as Signaling;
    const gateway = { handleUpgrade: () => (routed = true) } as unknown as Gateway;
    const socket = new PassThrough();
    let written = '';
    socket.on('data', (d: Buffer) => (written += d.toString()));
    const req = { url: '/room', socket: { remoteAddress: '203.0.113.7' }, headers: { 'x-forwarded-for': '10.0.0.2' } } as unknown as IncomingMessage;
    upgradeRouter(room, signaling, new KnownHosts({ names: () => ['localhost'] }), gateway)(req, socket, Buffer.alloc(0));
    expect(routed).toBe(false);
    expect(written).toMatch(/^HTTP\/1\.1 403/);
    expect(written).toContain('not-lan');
  });
});
