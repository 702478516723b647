/**
 * The hub's two servers (plain HTTP for onboarding and guests, HTTPS for the app): one upgrade
 * router for both, slow-loris limits, and a listen that says which port is taken.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';

type Server = http.Server | https.Server;
type OnUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface Servers {
  http: http.Server;
  https: https.Server;
  ports: { http: number; https: number };
  close: () => Promise<void>;
}

/**
 * Makes both servers, hands the HTTPS one to `route` (signaling attaches to it) for the upgrade
 * router both will use, and listens.
 */
export async function startServers(
  apps: { http: Express; https: Express },
  tls: { cert: string; key: string },
  listenOn: { host: string; httpPort: number; httpsPort: number },
  route: (httpsServer: https.Server) => OnUpgrade,
): Promise<Servers> {
  const httpServer = http.createServer(apps.http);
  const httpsServer = https.createServer({ cert: tls.cert, key: tls.key }, apps.https);
  const onUpgrade = route(httpsServer);
  for (const s of [httpServer, httpsServer]) {
    s.on('upgrade', onUpgrade);
    s.on('clientError', (_err, socket) => socket.destroy());
    // Slow-loris guard; keep-alive stays short on a LAN.
    s.headersTimeout = 10_000;
    s.requestTimeout = 30_000;
  }
  await Promise.all([listen(httpServer, listenOn.host, listenOn.httpPort), listen(httpsServer, listenOn.host, listenOn.httpsPort)]);
  return {
    http: httpServer,
    https: httpsServer,
    ports: { http: (httpServer.address() as AddressInfo).port, https: (httpsServer.address() as AddressInfo).port },
    close: async () => void (await Promise.all([closeServer(httpServer), closeServer(httpsServer)])),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'EADDRINUSE' ? `listen: port ${port} is in use (another hub running? pick one with --http-port/--https-port)` : `listen: ${err.message}`));
    });
    server.listen(port, host, () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
