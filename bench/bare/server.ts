/**
 * Serves the bare PeerJS baseline: the page bundled with esbuild into a temp folder, a tiny HTTP
 * server on 127.0.0.1, and the `peer` package's own PeerServer as its signaling server.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { PeerServer } from 'peer';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HTML = '<!doctype html><meta charset="utf-8"><title>bare peerjs</title><script type="module" src="/bare.js"></script>\n';

export interface BareSetup {
  /** The page URL for a peer id, optionally dialling another peer on load. */
  pageUrl(id: string, dial?: string): string;
  httpPort: number;
  peerPort: number;
  close(): Promise<void>;
}

export async function startBare(): Promise<BareSetup> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bare-'));
  await build({
    entryPoints: [path.join(HERE, 'bare.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outfile: path.join(outdir, 'bare.js'),
    logLevel: 'warning',
  });
  const js = fs.readFileSync(path.join(outdir, 'bare.js'));

  // Cross-origin isolated like the app (the hub sends the same COOP/COEP): performance.now() then
  // has the same fine resolution on both sides (100 us coarsening otherwise).
  const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };
  const web = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (p === '/bare.js') {
      // Cacheable, like the app's hashed assets: a reload is served from the HTTP cache.
      res.writeHead(200, { ...isolation, 'content-type': 'text/javascript', 'cache-control': 'public, max-age=3600' });
      res.end(js);
    } else if (p === '/') {
      res.writeHead(200, { ...isolation, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(HTML);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const httpPort = (web.address() as AddressInfo).port;

  // The callback runs once the server listens.
  const peerHttp = await new Promise<http.Server>((resolve) => {
    PeerServer({ port: 0, host: '127.0.0.1', path: '/', key: 'peerjs' }, (server) => resolve(server as http.Server));
  });
  const peerPort = (peerHttp.address() as AddressInfo).port;

  return {
    httpPort,
    peerPort,
    pageUrl: (id, dial) => `http://127.0.0.1:${httpPort}/?port=${peerPort}&id=${encodeURIComponent(id)}${dial ? `&dial=${encodeURIComponent(dial)}` : ''}`,
    async close() {
      for (const s of [web, peerHttp]) {
        s.closeAllConnections();
        // Upgraded (WebSocket) sockets can keep close() waiting: do not wait long for them.
        await Promise.race([new Promise<void>((r) => s.close(() => r())), new Promise<void>((r) => setTimeout(r, 1000))]);
      }
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}
