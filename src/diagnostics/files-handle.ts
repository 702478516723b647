/**
 * A small handle for tests and diagnostics (same-origin scripts only): `window.osmoseFiles`.
 * It reads; the one thing it changes is `corruptNextChunks`, which makes this device flip a byte
 * in the next chunks it sends, to show that receivers catch and refetch them.
 */
import { chunkCount } from '../../protocol/files.ts';
import type { FilesState } from '../files/files.svelte.ts';
import { storedSha256 } from '../files/assemble.ts';
import type { Download } from '../files/download.ts';

export interface FilesDebug {
  list(): { id: string; name: string; size: number; sha256: string; state: string; stored: number; total: number }[];
  /** SHA-256 of the file as stored on this device, read back from IndexedDB (null if incomplete). */
  storedSha256(fileId: string): Promise<string | null>;
  storedCount(fileId: string): Promise<number>;
  /** The running (or last) download's counters. */
  download(fileId: string): { startedWith: number; fetched: number; bad: number; ms: { fetch: number; verify: number } } | null;
  corruptNextChunks(n: number): void;
  sending(fileId: string): Record<string, { stored: number; total: number; state: string }>;
}

export function installFilesDebug(state: FilesState): void {
  const downloads = new Map<string, Download>();
  state.onDownloadProgress = (id, d) => downloads.set(id, d);
  const handle: FilesDebug = {
    list: () =>
      state.list.map((m) => ({ id: m.id, name: m.name, size: m.size, sha256: m.sha256, state: state.local[m.id]?.state ?? 'unknown', stored: state.local[m.id]?.stored ?? 0, total: chunkCount(m) })),
    storedSha256: async (fileId) => {
      const meta = state.meta(fileId);
      return meta ? storedSha256(state.store, meta) : null;
    },
    storedCount: (fileId) => state.store.count(fileId),
    download: (fileId) => {
      const d = downloads.get(fileId);
      return d ? { startedWith: d.startedWith, fetched: d.fetched, bad: d.bad, ms: { ...d.ms } } : null;
    },
    corruptNextChunks: (n) => void (state.outgoing.tamperNext = n),
    sending: (fileId) => JSON.parse(JSON.stringify(state.local[fileId]?.sending ?? {})) as ReturnType<FilesDebug['sending']>,
  };
  (globalThis as unknown as { osmoseFiles?: FilesDebug }).osmoseFiles = handle;
}
