/**
 * Diagnostics: `window.osmoseFiles`. It reads what this device holds of the room's files; the
 * one thing it changes is `corruptNextChunks`, which damages the next chunks this device sends
 * (chunk-corruptor.ts), to show that receivers catch and refetch them.
 */
import { chunkCount } from '../../protocol/files.ts';
import type { RoomApp } from '../app/room-app.svelte.ts';
import { storedSha256 } from '../files/assemble.ts';
import type { DownloadStats } from '../files/files.svelte.ts';
import type { ChunkCorruptor } from './chunk-corruptor.ts';

export interface FilesHandle {
  list(): { id: string; name: string; size: number; sha256: string; state: string; stored: number; total: number }[];
  /** SHA-256 of the file as stored on this device, read back from IndexedDB (null if incomplete). */
  storedSha256(fileId: string): Promise<string | null>;
  storedCount(fileId: string): Promise<number>;
  /** The running (or last) download's counters. */
  download(fileId: string): DownloadStats | null;
  corruptNextChunks(n: number): void;
  sending(fileId: string): Record<string, { stored: number; total: number; state: string }>;
  /** Which sources this device's next downloads use (the benchmark measures each path apart). */
  useSources(policy: 'all' | 'peers' | 'hub'): void;
}

export function filesHandle(app: RoomApp, corruptor: ChunkCorruptor): FilesHandle {
  const files = () => {
    if (!app.files) throw new Error('not in a room');
    return app.files;
  };
  return {
    list: () =>
      (app.files?.list ?? []).map((m) => ({ id: m.id, name: m.name, size: m.size, sha256: m.sha256, state: app.files?.local[m.id]?.state ?? 'unknown', stored: app.files?.local[m.id]?.stored ?? 0, total: chunkCount(m) })),
    storedSha256: async (fileId) => {
      const meta = files().meta(fileId);
      return meta ? storedSha256(files().store, meta) : null;
    },
    storedCount: (fileId) => files().store.count(fileId),
    download: (fileId) => files().downloadStats(fileId),
    corruptNextChunks: (n) => void (corruptor.remaining = n),
    useSources: (policy) => void (files().sourcePolicy = policy),
    sending: (fileId) => JSON.parse(JSON.stringify(files().local[fileId]?.sending ?? {})) as ReturnType<FilesHandle['sending']>,
  };
}
