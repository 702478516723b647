/**
 * The hub's file store on a real temp folder: chunks checked against the manifest before they are
 * kept, file ids that could escape the folder refused, and a full disk (an injected failing write)
 * refused with storage-full while every chunk already stored stays intact.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../../../hub/files/file-store.ts';
import { writeFileAtomic, type AtomicWrite } from '../../../../hub/support/private-files.ts';
import { indexesOf } from '../../../../protocol/chunk-set.ts';
import { sharedFile, codeOf } from '../../src/files/support.ts';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-files-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('hub file store', () => {
  it('keeps a valid chunk, refuses a corrupt one, and reports what it holds', async () => {
    const store = new FileStore(root, writeFileAtomic);
    const { meta, chunks } = await sharedFile(null, 700_000, { chunkSize: 256 * 1024 });
    expect((await store.putManifest(meta)).stored).toBe(0);
    await store.putChunk(meta.id, 1, chunks[1]!.data);
    const bad = chunks[0]!.data.slice();
    bad[10]! ^= 1;
    expect(await codeOf(store.putChunk(meta.id, 0, bad))).toBe('hash-mismatch');
    expect(await codeOf(store.putChunk(meta.id, 2, chunks[2]!.data.subarray(1)))).toBe('bad-request');
    expect(await codeOf(store.putChunk(meta.id, 3, chunks[2]!.data))).toBe('not-found');
    const status = await store.status(meta.id);
    expect(status.stored).toBe(1);
    expect(indexesOf(status.bitmap, status.chunks)).toEqual([1]);
    expect(Buffer.from((await store.readChunk(meta.id, 1))!).equals(Buffer.from(chunks[1]!.data))).toBe(true);
    expect(await store.readChunk(meta.id, 0)).toBeNull();
    // Nothing but the manifest and the good chunk on disk: no temp files left behind.
    expect(fs.readdirSync(path.join(root, meta.id)).sort()).toEqual(['1.chunk', 'manifest.json']);
  });

  it('accepts the same manifest again but never a different one for the same id', async () => {
    const store = new FileStore(root, writeFileAtomic);
    const { meta } = await sharedFile(null, 100_000);
    await store.putManifest(meta);
    await store.putManifest({ ...meta });
    expect(await codeOf(store.putManifest({ ...meta, name: 'other.bin' }))).toBe('forbidden');
    // A fresh store (hub restart) reads it back from disk.
    expect(await new FileStore(root, writeFileAtomic).manifest(meta.id)).toEqual(meta);
  });

  it('refuses manifests whose numbers disagree', async () => {
    const store = new FileStore(root, writeFileAtomic);
    const { meta } = await sharedFile(null, 600_000, { chunkSize: 256 * 1024 });
    expect(await codeOf(store.putManifest({ ...meta, chunkHashes: meta.chunkHashes.slice(1) }))).toBe('bad-request');
    expect(await codeOf(store.putManifest({ ...meta, size: meta.size + 300_000 }))).toBe('bad-request');
  });

  it('refuses file ids that could leave its folder', async () => {
    const store = new FileStore(root, writeFileAtomic);
    for (const id of ['../../etc', '..', 'a/b/c/d/e/f', 'x'.repeat(65), 'abc', '........', '%2e%2e%2f%2e%2e']) {
      expect(await codeOf(store.manifest(id)), id).toBe('bad-request');
      expect(await codeOf(store.readChunk(id, 0)), id).toBe('bad-request');
      expect(await codeOf(store.deleteFile(id)), id).toBe('bad-request');
    }
  });

  it('a full disk refuses the chunk with storage-full and keeps the chunks already stored', async () => {
    let full = false;
    const write: AtomicWrite = async (file, data) => {
      if (full) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      await writeFileAtomic(file, data);
    };
    const store = new FileStore(root, write);
    const { meta, chunks } = await sharedFile(null, 1_000_000, { chunkSize: 256 * 1024 });
    await store.putManifest(meta);
    await store.putChunk(meta.id, 0, chunks[0]!.data);
    await store.putChunk(meta.id, 1, chunks[1]!.data);
    full = true;
    expect(await codeOf(store.putChunk(meta.id, 2, chunks[2]!.data))).toBe('storage-full');
    for (const i of [0, 1]) expect(Buffer.from((await store.readChunk(meta.id, i))!).equals(Buffer.from(chunks[i]!.data))).toBe(true);
    expect((await store.status(meta.id)).stored).toBe(2);
    const { meta: other } = await sharedFile(null, 1000, { id: 'another-file-1' });
    expect(await codeOf(store.putManifest(other))).toBe('storage-full');
    full = false;
    await store.putChunk(meta.id, 2, chunks[2]!.data);
    expect((await store.status(meta.id)).stored).toBe(3);
  });

  it('a write that fails before its rename leaves no temp file and no partial chunk', async () => {
    const store = new FileStore(root, writeFileAtomic);
    const { meta, chunks } = await sharedFile(null, 300_000, { chunkSize: 256 * 1024 });
    await store.putManifest(meta);
    // A non-empty folder where the chunk file should go makes the rename fail.
    const dir = path.join(root, meta.id);
    fs.mkdirSync(path.join(dir, '0.chunk', 'x'), { recursive: true });
    expect(await codeOf(store.putChunk(meta.id, 0, chunks[0]!.data))).toMatch(/^thrown: .*(ENOTEMPTY|EISDIR|EEXIST)/);
    expect(fs.readdirSync(dir).sort()).toEqual(['0.chunk', 'manifest.json']);
  });

  it('deleteFile removes the bytes (retention)', async () => {
    const store = new FileStore(root, writeFileAtomic);
    const { meta, chunks } = await sharedFile(null, 100_000);
    await store.putManifest(meta);
    await store.putChunk(meta.id, 0, chunks[0]!.data);
    await store.deleteFile(meta.id);
    expect(fs.existsSync(path.join(root, meta.id))).toBe(false);
    expect(await store.manifest(meta.id)).toBeNull();
    expect(await store.fileIds()).toEqual([]);
  });
});
