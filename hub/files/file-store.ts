/**
 * The hub's copy of the room's files, on disk (not in the database):
 *
 *   <root>/<fileId>/manifest.json     the FileMeta, written once
 *   <root>/<fileId>/<index>.chunk     one file per verified chunk
 *
 * A chunk is kept only if its SHA-256 matches the manifest. Every write goes to a temp file, is
 * fsynced, then renamed (and the folder fsynced), so a chunk is either whole or absent after a
 * crash, and "the hub has chunk i" is simply "the file exists". A full disk refuses the new chunk
 * with `storage-full` and touches nothing already stored.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { OsmoseError } from '../../protocol/errors.ts';
import { FileMeta, ItemId } from '../../protocol/room-doc.ts';
import { checkManifest, chunkCount, chunkLength } from '../../protocol/files.ts';
import { bitmapOf } from '../../protocol/chunk-set.ts';
import type { AtomicWrite } from '../support/private-files.ts';

export interface HubFileStatus {
  fileId: string;
  chunks: number;
  stored: number;
  bitmap: string;
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

function diskError(err: unknown): never {
  if (DISK_FULL.has((err as NodeJS.ErrnoException).code ?? '')) {
    throw new OsmoseError('storage-full', "the hub's disk is full; chunks already stored are kept", { cause: err });
  }
  throw err;
}

export class FileStore {
  /** Manifests never change once written: cache them (bounded). */
  private readonly manifests = new Map<string, FileMeta>();

  /** `write`: the hub's atomic write (support/private-files.ts), through which every byte here reaches the disk. */
  constructor(
    readonly root: string,
    private readonly write: AtomicWrite,
  ) {}

  /** The folder of a file, for a valid id only: ids are [0-9A-Za-z-], so no path can escape. */
  private dir(fileId: string): string {
    if (!ItemId.safeParse(fileId).success) throw new OsmoseError('bad-request', 'not a file id');
    const dir = path.resolve(this.root, fileId);
    if (path.dirname(dir) !== path.resolve(this.root)) throw new OsmoseError('bad-request', 'not a file id');
    return dir;
  }

  private chunkFile(fileId: string, index: number): string {
    return path.join(this.dir(fileId), `${index}.chunk`);
  }

  async manifest(fileId: string): Promise<FileMeta | null> {
    const cached = this.manifests.get(fileId);
    if (cached) return cached;
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir(fileId), 'manifest.json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const meta = FileMeta.safeParse(JSON.parse(text));
    if (!meta.success) throw new Error(`file store: manifest of ${fileId} is invalid`);
    this.remember(meta.data);
    return meta.data;
  }

  /** Stores the manifest once; the same manifest again is fine, a different one is refused. */
  async putManifest(meta: FileMeta): Promise<HubFileStatus> {
    const bad = checkManifest(meta);
    if (bad) throw bad;
    const existing = await this.manifest(meta.id);
    if (existing) {
      if (JSON.stringify(existing) !== JSON.stringify(meta)) throw new OsmoseError('forbidden', 'this file id already has a different manifest');
      return this.status(meta.id);
    }
    const dir = this.dir(meta.id);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await this.write(path.join(dir, 'manifest.json'), JSON.stringify(meta));
    } catch (err) {
      diskError(err);
    }
    this.remember(meta);
    return this.status(meta.id);
  }

  async status(fileId: string): Promise<HubFileStatus> {
    const meta = await this.requireManifest(fileId);
    const have = await this.storedIndexes(fileId, chunkCount(meta));
    return { fileId, chunks: chunkCount(meta), stored: have.length, bitmap: bitmapOf(have, chunkCount(meta)) };
  }

  /** Verifies `data` against the manifest, then keeps it. Idempotent. */
  async putChunk(fileId: string, index: number, data: Uint8Array): Promise<void> {
    const meta = await this.requireManifest(fileId);
    const expected = this.expectedLength(meta, index);
    if (data.byteLength !== expected) throw new OsmoseError('bad-request', `chunk ${index} must be ${expected} bytes`);
    const hash = crypto.createHash('sha256').update(data).digest('hex');
    if (hash !== meta.chunkHashes[index]) throw new OsmoseError('hash-mismatch', `chunk ${index} does not match its SHA-256`);
    try {
      await this.write(this.chunkFile(fileId, index), data);
    } catch (err) {
      diskError(err);
    }
  }

  /** The stored chunk, or null. */
  async readChunk(fileId: string, index: number): Promise<Buffer | null> {
    const meta = await this.requireManifest(fileId);
    this.expectedLength(meta, index);
    try {
      return await fs.readFile(this.chunkFile(fileId, index));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Bytes the chunk must have; throws for an index outside the file. */
  expectedLength(meta: FileMeta, index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= chunkCount(meta)) throw new OsmoseError('not-found', 'no such chunk');
    return chunkLength(meta, index);
  }

  async requireManifest(fileId: string): Promise<FileMeta> {
    const meta = await this.manifest(fileId);
    if (!meta) throw new OsmoseError('not-found', 'the hub has no such file');
    return meta;
  }

  /** Retention: the file left the room. */
  async deleteFile(fileId: string): Promise<void> {
    const dir = this.dir(fileId);
    this.manifests.delete(fileId);
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** File ids on disk (to drop those the room no longer lists). */
  async fileIds(): Promise<string[]> {
    try {
      return (await fs.readdir(this.root)).filter((n) => ItemId.safeParse(n).success);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private async storedIndexes(fileId: string, count: number): Promise<number[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir(fileId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = /^(\d{1,5})\.chunk$/.exec(n);
      if (m && Number(m[1]) < count) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  private remember(meta: FileMeta): void {
    if (this.manifests.size >= 256) this.manifests.delete(this.manifests.keys().next().value!);
    this.manifests.set(meta.id, meta);
  }
}
