/**
 * Files shared with the room, as this device sees them. Metadata lives in the room document
 * (`files` map, protocol/room-doc.ts); bytes live in IndexedDB (`fileChunks`) and arrive over
 * bulk data channels from peers or from the hub. This class only wires the transfer modules to
 * the room and keeps the reactive state the views read; the work is in the modules it imports.
 * (~320 lines: one method per thing a person does with a file; each is a few lines of wiring.)
 */
import type * as Y from 'yjs';
import type { DataConnection } from 'peerjs';
import { files as filesMap, readFiles, type FileMeta } from '../../protocol/room-doc.ts';
import { toWireError, type OsmoseError, type WireError } from '../../protocol/errors.ts';
import { bulkLabel, chunkCount } from '../../protocol/files.ts';
import type { ChunkStore } from './chunk-store.ts';
import { fromDataConnection } from './channel.ts';
import { Outgoing } from './outgoing.ts';
import type { FileLocal, Preparing } from './view-types.ts';
import { PeerSource } from './peer-fetch.ts';
import { HubSource } from './hub-source.ts';
import type { HubFiles } from './hub-files.ts';
import type { HasherFactory } from './hash-worker.ts';
import { Download } from './download.ts';
import type { ChunkSource } from './chunk-sink.ts';
import { HubCopy } from './hub-copy.ts';
import { newFileId, prepareShare } from './share.ts';
import { previewKind, storedBlob } from './assemble.ts';
import { takeSharedFiles } from './share-target.ts';

export type { FileLocal, LocalState, Preparing, Progress } from './view-types.ts';

export interface DownloadStats {
  /** Chunks already on this device when it (re)started. */
  startedWith: number;
  fetched: number;
  /** Chunks that arrived damaged and were fetched again. */
  bad: number;
  ms: { fetch: number; verify: number };
  /** Chunks stored from each source (a peer id, or 'hub'). */
  bySource: Record<string, number>;
}

export interface FilesDeps {
  doc: Y.Doc;
  deviceId: string;
  deviceName: () => string;
  /** The hub's file API (with this device's credential). */
  hub: HubFiles;
  /** Bulk channels to authenticated peers (null when the peer is not connected). */
  openBulk: (peerId: string, label: string) => DataConnection | null;
  openPeers: () => string[];
  /** Where chunks live (IndexedDB in the app). */
  store: ChunkStore;
  /** Running hashes for the whole-file check (in the hash worker in the app). */
  hasher: HasherFactory;
}

/** Files up to this size are fetched as soon as they are shared; larger ones on request. */
export const AUTO_FETCH_BYTES = 32 * 1024 * 1024;
const RETRY_MS = 10_000;
const UI_UPDATE_MS = 100;

export class FilesState {
  /** The room's files, newest first (raw: metadata is replaced, never mutated). */
  list = $state.raw<FileMeta[]>([]);
  local = $state<Record<string, FileLocal>>({});
  preparing = $state<Preparing[]>([]);
  preview = $state<{ fileId: string; name: string; url: string; kind: 'image' | 'pdf' } | null>(null);

  readonly store: ChunkStore;
  readonly hub: HubFiles;
  private readonly downloads = new Map<string, Download>();
  readonly outgoing: Outgoing;
  private readonly prepareAborts = new Map<string, AbortController>();
  private readonly discard = new Set<string>();
  private readonly hubCopy: HubCopy;
  private readonly uiTimes = new Map<string, number>();
  private retryTimer: ReturnType<typeof setInterval>;
  private disposed = false;
  /**
   * Which sources downloads use: all of them (the app), or only peers or only the hub (set by the
   * diagnostics handle, so the benchmark can measure each path apart).
   */
  sourcePolicy: 'all' | 'peers' | 'hub' = 'all';
  /** The running or last download of each file (its counters: downloadStats). */
  private readonly lastDownloads = new Map<string, Download>();

  constructor(private readonly deps: FilesDeps) {
    this.store = deps.store;
    this.hub = deps.hub;
    this.outgoing = new Outgoing({
      store: this.store,
      meta: (id) => this.meta(id),
      report: (fileId, peerId, p) =>
        this.throttled(`${fileId}>${peerId}`, () => {
          const l = this.local[fileId];
          if (l) l.sending = { ...l.sending, [peerId]: p };
        }, p.state !== 'sending' || p.stored >= p.total),
    });
    this.hubCopy = new HubCopy(this.hub, this.store, (id, p) => this.patch(id, { hub: p }), () => this.outgoing.busy);
    filesMap(deps.doc).observe(this.onDocChange);
    this.retryTimer = setInterval(() => this.retryWaiting(), RETRY_MS);
    void this.init();
  }

  private async init(): Promise<void> {
    this.list = readFiles(this.deps.doc);
    for (const meta of this.list) await this.adopt(meta);
    const shared = await takeSharedFiles();
    if (shared.length) void this.share(shared);
  }

  private readonly onDocChange = (ev: Y.YMapEvent<unknown>) => {
    this.list = readFiles(this.deps.doc);
    for (const [id, change] of ev.changes.keys) if (change.action === 'delete') void this.drop(id);
    for (const meta of this.list) if (!this.local[meta.id]) void this.adopt(meta);
  };

  /** A file this device just learned of (or knew at start): what do we hold of it? */
  private async adopt(meta: FileMeta): Promise<void> {
    if (this.local[meta.id]) return;
    const total = chunkCount(meta);
    this.local[meta.id] = { state: 'remote', stored: 0, total, error: null, cancelledBy: null, sending: {}, hub: null, repaired: 0 };
    const stored = await this.store.count(meta.id);
    this.patch(meta.id, { stored });
    if (stored >= total) {
      this.patch(meta.id, { state: 'complete' });
      if (meta.sharedBy === this.deps.deviceId) this.hubCopy.ensure(meta);
    } else if (stored > 0 || meta.size <= AUTO_FETCH_BYTES) {
      // Interrupted (reload, crash): resume. Small files: just fetch.
      this.download(meta.id);
    }
  }

  // ---- sharing ---------------------------------------------------------------------------------

  /** Shares files with the room; the ids of those shared. */
  async share(list: Iterable<File>): Promise<string[]> {
    const shared: string[] = [];
    for (const file of list) {
      const id = newFileId();
      const abort = new AbortController();
      this.prepareAborts.set(id, abort);
      this.preparing.push({ id, name: file.name, size: file.size, done: 0, error: null });
      const entry = () => this.preparing.find((p) => p.id === id);
      try {
        const meta = await prepareShare(
          { file, id, sharedBy: this.deps.deviceId, sharedByName: this.deps.deviceName() },
          this.store,
          this.deps.hasher(),
          (done) => this.throttled(id, () => (entry()!.done = done)),
          abort.signal,
        );
        this.local[id] = { state: 'complete', stored: chunkCount(meta), total: chunkCount(meta), error: null, cancelledBy: null, sending: {}, hub: null, repaired: 0 };
        this.deps.doc.transact(() => filesMap(this.deps.doc).set(id, meta));
        this.preparing = this.preparing.filter((p) => p.id !== id);
        this.hubCopy.ensure(meta);
        shared.push(id);
      } catch (err) {
        // Nothing was shared: the chunks stored so far are of no use to anyone.
        await this.store.deleteFile(id).catch(() => undefined);
        const e = entry();
        if (e && (err as OsmoseError).code === 'cancelled') this.preparing = this.preparing.filter((p) => p.id !== id);
        else if (e) e.error = toWireError(err);
      } finally {
        this.prepareAborts.delete(id);
      }
    }
    return shared;
  }

  dismissPreparing(id: string): void {
    this.preparing = this.preparing.filter((p) => p.id !== id);
  }

  // ---- receiving -------------------------------------------------------------------------------

  download(fileId: string): void {
    const meta = this.meta(fileId);
    if (!meta || this.downloads.has(fileId) || this.disposed) return;
    const d: Download = new Download(meta, {
      store: this.store,
      hasher: this.deps.hasher,
      sources: () => this.sources(meta, () => d.stored),
      onProgress: (x) => this.throttled(fileId, () => this.patch(fileId, { stored: x.stored, repaired: x.bad }), x.stored === x.total),
    });
    this.downloads.set(fileId, d);
    this.lastDownloads.set(fileId, d);
    this.patch(fileId, { state: 'downloading', error: null, cancelledBy: null });
    void d.run().then(
      async (end) => {
        if (this.discard.delete(fileId)) {
          await this.store.deleteFile(fileId).catch((err: unknown) => console.warn('[osmose] could not drop a cancelled download', err));
          d.stored = 0;
        }
        this.downloads.delete(fileId);
        if (!this.local[fileId]) return;
        this.patch(fileId, { stored: d.stored, repaired: d.bad });
        if (end.state === 'complete') {
          this.patch(fileId, { state: 'complete' });
          // The sharer is gone: make sure the hub can give the file to whoever comes next.
          if (!this.deps.openPeers().includes(meta.sharedBy)) this.hubCopy.ensure(meta);
        } else if (end.state === 'cancelled') {
          this.patch(fileId, { state: 'cancelled', cancelledBy: end.by });
        } else if (end.state === 'waiting') {
          this.patch(fileId, { state: 'waiting' });
        } else {
          this.patch(fileId, { state: 'error', error: end.error.toWire() });
        }
      },
      (err: unknown) => {
        this.downloads.delete(fileId);
        console.error('[osmose] download failed', err);
        this.patch(fileId, { state: 'error', error: toWireError(err) });
      },
    );
  }

  /**
   * Every source at once (download.ts runs them together, SWARM at a time): the sharer first (it
   * has everything), the hub's copy next, then the other peers (some may have the file).
   */
  private sources(meta: FileMeta, storedCount: () => number): ChunkSource[] {
    const peer = (peerId: string) =>
      new PeerSource(peerId, async () => {
        const conn = this.deps.openBulk(peerId, bulkLabel(meta.id));
        return conn ? fromDataConnection(conn) : null;
      }, { storedCount });
    const peers = this.deps.openPeers();
    const sharer = peers.filter((p) => p === meta.sharedBy).map(peer);
    const others = peers.filter((p) => p !== meta.sharedBy).map(peer);
    const hub = new HubSource(this.hub);
    return this.sourcePolicy === 'peers' ? [...sharer, ...others] : this.sourcePolicy === 'hub' ? [hub] : [...sharer, hub, ...others];
  }

  /** Stops what this device does with the file: preparing, downloading, or sending. */
  async cancel(fileId: string): Promise<void> {
    this.prepareAborts.get(fileId)?.abort();
    this.outgoing.cancel(fileId);
    const d = this.downloads.get(fileId);
    if (d) {
      // A cancelled download leaves nothing behind (it would otherwise resume on reload); the
      // chunks go once the download has stopped, so no late write survives the delete.
      this.discard.add(fileId);
      d.cancel();
    }
  }

  // ---- serving ---------------------------------------------------------------------------------

  /** An authenticated peer opened a bulk channel to us. */
  acceptBulk(from: string, label: string, conn: DataConnection): void {
    if (this.disposed) return void conn.close();
    this.outgoing.accept(from, label, conn);
  }

  /** A peer's session opened or closed: a waiting download may find its chunks there now. */
  peerChanged(_peerId: string, open: boolean): void {
    if (open) this.retryWaiting();
  }

  private retryWaiting(): void {
    for (const [id, l] of Object.entries(this.local)) if (l.state === 'waiting') this.download(id);
  }

  // ---- open, forget ----------------------------------------------------------------------------

  /** Images and PDFs open in the preview; anything else is saved as a download. */
  async open(fileId: string): Promise<void> {
    const meta = this.meta(fileId);
    if (!meta) return;
    const url = URL.createObjectURL(await storedBlob(this.store, meta));
    const kind = previewKind(meta);
    if (kind) {
      this.closePreview();
      this.preview = { fileId, name: meta.name, url, kind };
      return;
    }
    const a = document.createElement('a');
    a.href = url;
    a.download = meta.name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  closePreview(): void {
    if (this.preview) URL.revokeObjectURL(this.preview.url);
    this.preview = null;
  }

  /** Retention removed these files from the room: drop their bytes here too. */
  async forget(fileIds: string[]): Promise<void> {
    await Promise.all(fileIds.map((id) => this.drop(id)));
  }

  private async drop(fileId: string): Promise<void> {
    this.downloads.get(fileId)?.cancel();
    this.outgoing.cancel(fileId);
    this.hubCopy.stop(fileId);
    delete this.local[fileId];
    this.lastDownloads.delete(fileId);
    if (this.preview?.fileId === fileId) this.closePreview();
    await this.store.deleteFile(fileId);
  }

  dispose(): void {
    this.disposed = true;
    filesMap(this.deps.doc).unobserve(this.onDocChange);
    clearInterval(this.retryTimer);
    for (const d of this.downloads.values()) d.cancel();
    this.outgoing.cancelAll();
    for (const a of this.prepareAborts.values()) a.abort();
    this.hubCopy.stopAll();
    this.closePreview();
  }

  /** How the running or last download of a file went on this device. */
  downloadStats(fileId: string): DownloadStats | null {
    const d = this.lastDownloads.get(fileId);
    return d ? { startedWith: d.startedWith, fetched: d.fetched, bad: d.bad, ms: { ...d.ms }, bySource: Object.fromEntries(d.bySource) } : null;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  meta(fileId: string): FileMeta | null {
    return this.list.find((f) => f.id === fileId) ?? readFiles(this.deps.doc).find((f) => f.id === fileId) ?? null;
  }

  private patch(fileId: string, p: Partial<FileLocal>): void {
    const l = this.local[fileId];
    if (l) Object.assign(l, p);
  }

  /** Progress callbacks come per chunk; the view needs ten updates a second at most. */
  private throttled(key: string, fn: () => void, force = false): void {
    const now = performance.now();
    if (!force && now - (this.uiTimes.get(key) ?? 0) < UI_UPDATE_MS) return;
    this.uiTimes.set(key, now);
    fn();
  }
}
