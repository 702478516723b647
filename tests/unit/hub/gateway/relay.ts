/**
 * The test's own server on a link between two hubs. The accepting hub dials it instead of the
 * inviting hub (`via` points an invitation at it); it presents the inviting hub's own certificate
 * and root CA, so the pin holds, and forwards every frame both ways as it came. What it counts is
 * what crossed, each way. It can also cut the connection (as a network would) or speak as the
 * inviting hub (as a hostile one would), so tests never reach into a hub's internals.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { Hub } from '../../../../hub/hub.ts';
import { tamper } from './support.ts';

export interface Crossed {
  frames: number;
  bytes: number;
}

export interface Relay {
  port: number;
  /** What reached the inviting hub (sent by the accepting hub) and what reached the accepting hub. */
  toInviter: Crossed;
  toGuest: Crossed;
  /** Connections made through the relay so far, and those whose accepting end is still open. */
  connections: number;
  open: number;
  /** The invitation `code`, pointing at the relay. */
  via: (code: string) => string;
  /** Cuts every connection through the relay, both ends, without a close frame. */
  cut: () => void;
  /** Sends `frame` to the accepting hub on every open connection, as the inviting hub (not counted). */
  inject: (frame: object) => void;
  close: () => Promise<void>;
}

const size = (data: RawData) => (Array.isArray(data) ? data.reduce((a, b) => a + b.length, 0) : (data as Buffer).byteLength);

/** A close code one end may send on: 1005 and 1006 only report that none came. */
const sendable = (code: number) => code === 1000 || (code >= 3000 && code <= 4999);

export async function startRelay(inviter: Hub): Promise<Relay> {
  const toInviter: Crossed = { frames: 0, bytes: 0 };
  const toGuest: Crossed = { frames: 0, bytes: 0 };
  const pairs = new Set<{ down: WebSocket; up: WebSocket }>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const server = https.createServer({ cert: inviter.tls().cert, key: inviter.tls().key }, (req, res) => {
    if (req.url === '/ca.pem') return void res.writeHead(200).end(inviter.tls().ca!.rootPem);
    res.writeHead(404).end();
  });
  let connections = 0;
  let open = 0;
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (down) => {
      connections++;
      open++;
      down.once('close', () => open--);
      const up = new WebSocket(`wss://127.0.0.1:${inviter.ports.https}/gateway`, { rejectUnauthorized: false, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      const pair = { down, up };
      pairs.add(pair);
      const early: [RawData, boolean][] = [];
      const forward = (to: WebSocket, count: Crossed, data: RawData, isBinary: boolean) => {
        count.frames++;
        count.bytes += size(data);
        to.send(data, { binary: isBinary });
      };
      down.on('message', (data, isBinary) => (up.readyState === up.OPEN ? forward(up, toInviter, data, isBinary) : early.push([data, isBinary])));
      up.on('open', () => {
        for (const [data, isBinary] of early.splice(0)) forward(up, toInviter, data, isBinary);
      });
      up.on('message', (data, isBinary) => down.readyState === down.OPEN && forward(down, toGuest, data, isBinary));
      const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
        pairs.delete(pair);
        if (other.readyState === other.CLOSED) return;
        if (sendable(code) && other.readyState === other.OPEN) other.close(code, reason.toString());
        else other.terminate();
      };
      up.on('close', closeOther(down));
      down.on('close', closeOther(up));
      up.on('error', () => undefined);
      down.on('error', () => undefined);
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    toInviter,
    toGuest,
    get connections() {
      return connections;
    },
    get open() {
      return open;
    },
    via: (code) => tamper(code, (p) => (p.port = port)),
    cut: () => {
      for (const { down, up } of pairs) (down.terminate(), up.terminate());
      pairs.clear();
    },
    inject: (frame) => {
      for (const { down } of pairs) if (down.readyState === down.OPEN) down.send(JSON.stringify(frame));
    },
    close: () => {
      for (const { down, up } of pairs) (down.terminate(), up.terminate());
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
