import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { acceptsGzip, precompressed } from '../../../../hub/pages/precompressed.ts';

let dir: string;
let server: http.Server;
let base: string;
const wasm = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 13));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-gz-'));
  fs.mkdirSync(path.join(dir, 'ort'));
  fs.writeFileSync(path.join(dir, 'ort', 'x.wasm'), wasm);
  fs.writeFileSync(path.join(dir, 'ort', 'x.wasm.gz'), zlib.gzipSync(wasm));
  fs.writeFileSync(path.join(dir, 'ort', 'plain.wasm'), wasm);
  fs.writeFileSync(path.join(dir, 'secret.wasm.gz'), zlib.gzipSync(Buffer.from('secret')));
  const app = express();
  app.use(precompressed(dir, ['/ort/']));
  app.use(express.static(dir));
  server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(base + p, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('precompressed files', () => {
  it('serve the gzip copy with the original type to a browser that accepts gzip', async () => {
    const r = await get('/ort/x.wasm', { 'accept-encoding': 'gzip, deflate, br' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['content-type']).toBe('application/wasm');
    expect(r.headers['vary']).toContain('Accept-Encoding');
    expect(zlib.gunzipSync(r.body).equals(wasm)).toBe(true);
    expect(r.body.length).toBeLessThan(wasm.length);
  });

  it('serve the plain file otherwise, or when there is no copy', async () => {
    const a = await get('/ort/x.wasm');
    expect(a.headers['content-encoding']).toBeUndefined();
    expect(a.body.equals(wasm)).toBe(true);
    const b = await get('/ort/x.wasm', { 'accept-encoding': 'gzip;q=0, br' });
    expect(b.headers['content-encoding']).toBeUndefined();
    const c = await get('/ort/plain.wasm', { 'accept-encoding': 'gzip' });
    expect(c.headers['content-encoding']).toBeUndefined();
    expect(c.body.equals(wasm)).toBe(true);
  });

  it('never leave their folder', async () => {
    const r = await get('/ort/..%2Fsecret.wasm', { 'accept-encoding': 'gzip' });
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.status).toBe(404);
  });

  it('read Accept-Encoding as browsers send it', () => {
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});
