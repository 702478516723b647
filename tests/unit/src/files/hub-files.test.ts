/**
 * The hub's file routes with the app's client on a real HTTP server: credentials required for
 * everything, chunks checked before they are kept, size limits before the body is read, uploads
 * and downloads that resume from what the hub holds, a full disk answered with 507.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesRouter } from '../../../../hub/files/routes.ts';
import { FileStore } from '../../../../hub/files/file-store.ts';
import { writeFileAtomic } from '../../../../hub/support/private-files.ts';
import { JoinAuth } from '../../../../hub/room/join-auth.ts';
import { loadOrCreateRoom } from '../../../../hub/room/room-store.ts';
import { FILES_API } from '../../../../protocol/files.ts';
import { HubFiles } from '../../../../src/files/hub-files.ts';
import { HubHttp } from '../../../../src/platform/hub-http.ts';
import { HubSource, uploadToHub } from '../../../../src/files/hub-source.ts';
import { Download } from '../../../../src/files/download.ts';
import { mainThreadHasher } from '../../../../src/files/hash-worker.ts';
import { storedSha256 } from '../../../../src/files/assemble.ts';
import { ChunkServer } from '../../../../src/files/chunk-server.ts';
import { PeerSource } from '../../../../src/files/peer-fetch.ts';
import type { FileMeta } from '../../../../protocol/room-doc.ts';
import { MemoryChunkStore, channelPair, sharedFile, codeOf } from './support.ts';

const DEVICE = 'd' + 'a'.repeat(32);
let dir: string;
let server: http.Server;
let origin: string;
let auth: JoinAuth;
let full = false;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-hubfiles-'));
  auth = new JoinAuth((await loadOrCreateRoom(dir)).secrets, 60_000);
  full = false;
  const store = new FileStore(path.join(dir, 'files'), (f, d) => (full ? Promise.reject(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })) : writeFileAtomic(f, d)));
  const app = express();
  app.use(filesRouter({ auth, store }));
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const client = (peerId = DEVICE, fetchFn: typeof fetch = fetch) =>
  new HubFiles(new HubHttp({ origin, fetch: fetchFn, credential: async () => ({ peerId, token: auth.issueCredential(DEVICE).token }) }));

describe('hub file routes', () => {
  it('serve and accept nothing without a valid credential for the sending device', async () => {
    const { meta } = await sharedFile(null, 10_000);
    for (const [method, p] of [['GET', FILES_API.status(meta.id)], ['GET', FILES_API.chunk(meta.id, 0)], ['GET', FILES_API.manifest(meta.id)], ['PUT', FILES_API.chunk(meta.id, 0)]] as const) {
      const res = await fetch(origin + p, { method, body: method === 'PUT' ? 'x' : undefined });
      expect(res.status, `${method} ${p}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    // A credential for another device does not count.
    expect(await codeOf(client('d' + 'b'.repeat(32)).putManifest(meta))).toBe('unauthorized');
  });

  it('upload then download through the hub; chunks are immutable and cacheable', async () => {
    const sender = new MemoryChunkStore();
    const { meta } = await sharedFile(sender, 1_500_000, { chunkSize: 256 * 1024 });
    const progress: number[] = [];
    await uploadToHub(client(), sender, meta, (p) => progress.push(p.stored), new AbortController().signal);
    expect(progress.at(-1)).toBe(meta.chunkHashes.length);
    const status = await client().status(meta.id);
    expect(status?.stored).toBe(meta.chunkHashes.length);

    const { token } = auth.issueCredential(DEVICE);
    const res = await fetch(origin + FILES_API.chunk(meta.id, 0), { headers: { authorization: `Bearer ${token}`, [FILES_API.deviceHeader]: DEVICE } });
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect((await res.arrayBuffer()).byteLength).toBe(256 * 1024);

    const rx = new MemoryChunkStore();
    const d = new Download(meta, { store: rx, hasher: mainThreadHasher, sources: () => [new HubSource(client())] });
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
  });

  it('an interrupted upload resumes with only the chunks the hub lacks', async () => {
    const sender = new MemoryChunkStore();
    const { meta, chunks } = await sharedFile(sender, 1_300_000, { chunkSize: 256 * 1024 });
    await client().putManifest(meta);
    await client().putChunk(meta.id, 0, chunks[0]!.data);
    await client().putChunk(meta.id, 3, chunks[3]!.data);
    let puts = 0;
    const counting = client(DEVICE, (input, init) => ((puts += init?.method === 'PUT' ? 1 : 0), fetch(input, init)));
    await uploadToHub(counting, sender, meta, () => undefined, new AbortController().signal);
    expect(puts).toBe(1 + chunks.length - 2); // the manifest, then the missing chunks
    expect((await client().status(meta.id))?.stored).toBe(chunks.length);
  });

  it('refuses a corrupt chunk (422), an oversized one before reading it (413), and bad ids (400)', async () => {
    const { meta, chunks } = await sharedFile(null, 600_000, { chunkSize: 256 * 1024 });
    await client().putManifest(meta);
    const bad = chunks[1]!.data.slice();
    bad[0]! ^= 0xff;
    expect(await codeOf(client().putChunk(meta.id, 1, bad))).toBe('hash-mismatch');
    expect(await codeOf(client().putChunk(meta.id, 1, new Uint8Array(256 * 1024 + 1)))).toBe('too-large');
    const { token } = auth.issueCredential(DEVICE);
    const headers = { authorization: `Bearer ${token}`, [FILES_API.deviceHeader]: DEVICE };
    for (const p of ['/files/..%2F..%2Fetc/status', '/files/a%5C..%5C..%5Cb/status', `/files/${meta.id}/chunks/-1`, `/files/${meta.id}/chunks/1e3`]) {
      const res = await fetch(origin + p, { headers });
      expect(res.status, p).toBe(400);
    }
    // A declared length over the chunk is refused from the header alone.
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(origin + FILES_API.chunk(meta.id, 0), { method: 'PUT', headers: { ...headers, 'content-length': String(50 * 1024 * 1024) } }, resolve);
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
      // The body is never finished: the answer must come anyway.
    });
    expect(res.statusCode).toBe(413);
    res.destroy();
    expect((await client().status(meta.id))?.stored).toBe(0);
  });

  it('a full hub disk answers 507 storage-full and keeps the chunks it has', async () => {
    const { meta, chunks } = await sharedFile(null, 600_000, { chunkSize: 256 * 1024 });
    await client().putManifest(meta);
    await client().putChunk(meta.id, 0, chunks[0]!.data);
    full = true;
    const { token } = auth.issueCredential(DEVICE);
    const res = await fetch(origin + FILES_API.chunk(meta.id, 1), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, [FILES_API.deviceHeader]: DEVICE },
      body: chunks[1]!.data as Uint8Array<ArrayBuffer>,
    });
    expect(res.status).toBe(507);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('storage-full');
    const back = await client().getChunk(meta.id, 0);
    expect(Buffer.from(back!).equals(Buffer.from(chunks[0]!.data))).toBe(true);
  });

  it('a manifest over the limit is refused', async () => {
    const { token } = auth.issueCredential(DEVICE);
    const res = await fetch(origin + '/files/aaaaaaaaaaaa/manifest', {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, [FILES_API.deviceHeader]: DEVICE, 'content-type': 'application/json' },
      body: JSON.stringify({ v: 1, meta: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
  });
});

describe('the hub\'s copy beside a peer (a swarm)', () => {
  /** The sharer as a peer source: its ChunkServer over an in-memory channel pair. */
  const sharer = (store: MemoryChunkStore, meta: FileMeta, storedCount: () => number) =>
    new PeerSource(
      meta.sharedBy,
      async () => {
        const { a, b } = channelPair();
        new ChunkServer({ channel: a, fileId: meta.id, meta: (id) => (id === meta.id ? meta : null), store, onProgress: () => undefined, onEnd: () => undefined });
        return b;
      },
      { storedCount, windowBytes: 1024 * 1024, stallMs: 5000 },
    );

  it('the hub\'s partial copy and the sharer send different chunks at once, each chunk once', async () => {
    const a = new MemoryChunkStore();
    const { meta, chunks } = await sharedFile(a, 6 * 1024 * 1024, { chunkSize: 256 * 1024 });
    await client().putManifest(meta);
    // The hub holds the second half only.
    for (const c of chunks.slice(chunks.length / 2)) await client().putChunk(meta.id, c.index, c.data);
    const rx = new MemoryChunkStore();
    const d: Download = new Download(meta, { store: rx, hasher: mainThreadHasher, sources: () => [sharer(a, meta, () => d.stored), new HubSource(client())] });
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
    expect(d.fetched).toBe(chunks.length);
    expect(d.bySource.get('hub')).toBeGreaterThan(0);
    expect(d.bySource.get(meta.sharedBy)).toBeGreaterThan(0);
    expect(d.bySource.get('hub')! + d.bySource.get(meta.sharedBy)!).toBe(chunks.length);
  });

  it('when the hub stops answering mid-transfer, the sharer sends what the hub had taken', async () => {
    const a = new MemoryChunkStore();
    const { meta, chunks } = await sharedFile(a, 6 * 1024 * 1024, { chunkSize: 256 * 1024 });
    await uploadToHub(client(), a, meta, () => undefined, new AbortController().signal);
    let gets = 0;
    // After a few chunks, every request to the hub fails as if it had gone.
    const failing = client(DEVICE, (input, init) => (++gets > 4 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)));
    const rx = new MemoryChunkStore();
    const d: Download = new Download(meta, { store: rx, hasher: mainThreadHasher, sources: () => [new HubSource(failing), sharer(a, meta, () => d.stored)] });
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(gets).toBeGreaterThan(4);
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
    expect(d.fetched).toBe(chunks.length);
  });

  it('a cancel ends the download at once even while the hub has not answered', async () => {
    const a = new MemoryChunkStore();
    const { meta } = await sharedFile(a, 6 * 1024 * 1024, { chunkSize: 256 * 1024 });
    // A hub request stuck before it reaches fetch (as the credential's proof can be on a slow hub).
    const stuck = new HubFiles(new HubHttp({ origin, fetch, credential: () => new Promise(() => undefined) }));
    const rx = new MemoryChunkStore();
    const d: Download = new Download(meta, {
      store: rx,
      hasher: mainThreadHasher,
      sources: () => [sharer(a, meta, () => d.stored), new HubSource(stuck)],
      onProgress: (x) => x.stored === 3 && x.cancel(),
    });
    expect(await d.run()).toEqual({ state: 'cancelled', by: 'me' });
  });
});
