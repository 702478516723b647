/**
 * The hub's always-on replica of the room's memory: so the room keeps its data when every phone
 * has left, and a late joiner catches up from it. Updates are committed to SQLite before any
 * device hears an ack. The hub also applies the room's retention.
 */
import * as Y from 'yjs';
import { DocSync, ORIGIN } from '../../protocol/doc-sync.ts';
import { newDoc, applyRetention, settings, DEFAULT_RETENTION_DAYS, ROOT_NAMES } from '../../protocol/room-doc.ts';
import { loadStored } from '../../protocol/update-check.ts';
import type { OsmoseError } from '../../protocol/errors.ts';
import type { MemoryStore } from './memory-store.ts';
import { log } from '../support/log.ts';

const COMPACT_AFTER_ROWS = 500;
const RETENTION_EVERY_MS = 60 * 60_000;
/** After updates arrive, retention runs once things are quiet (a device with a wrong clock
 * could otherwise bring back expired-looking items until the next hourly pass). */
const RETENTION_AFTER_UPDATES_MS = 1_000;

/** Where the replica's updates are kept (memory-store.ts: SQLite in the data folder). */
export type UpdateStore = Pick<MemoryStore, 'loadAll' | 'append' | 'compact' | 'close'>;

export interface RoomMemoryOptions {
  /** Used when the room has no retention set yet. */
  retentionDays?: number;
  /** Retention removed these files: delete their bytes. */
  onFilesExpired?: (fileIds: string[]) => void;
  /** A device's frame was refused (bad frame, or the hub could not store it): tell the device. */
  onRefusal?: (deviceId: string, error: OsmoseError) => void;
  now?: () => number;
}

export class RoomMemory {
  readonly doc = newDoc();
  readonly sync: DocSync;
  private storageError: OsmoseError | null = null;
  /** Updates in memory that the disk refused, oldest first: retried before anything newer, and
   * no ack goes out while any is left (a later update may depend on them). */
  private unpersisted: Uint8Array[] = [];
  private rowsSinceCompact = 0;
  private readonly retentionTimer: NodeJS.Timeout;
  private retentionSoon: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  /** Takes over `store`: loads it, appends to it, closes it with the replica. */
  constructor(
    private readonly store: UpdateStore,
    private readonly opts: RoomMemoryOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const rows = this.store.loadAll();
    const loaded = loadStored(this.doc, rows, ORIGIN.storage);
    this.rowsSinceCompact = rows.length;
    if (loaded.damaged) log.error('room memory: skipped stored updates that could not be read', { rows: loaded.damaged });
    if (loaded.dropped) {
      // Saved before updates were checked: what never became applicable is dropped, not parked again.
      log.warn('room memory: dropped stored data that depends on changes the room never had', { ...loaded.dropped });
    }
    // Registered before DocSync's listener: persisted first, then forwarded and acked.
    this.doc.on('update', this.persist);
    this.sync = new DocSync(this.doc, null, {
      ack: true,
      roots: ROOT_NAMES,
      beforeAck: () => this.storageError,
      onError: (link, err) => {
        log.warn('room memory: refused a frame', { device: link.slice(0, 9), code: err.code, message: err.message });
        opts.onRefusal?.(link, err);
      },
    });
    if (settings(this.doc).get('retentionDays') === undefined) {
      settings(this.doc).set('retentionDays', opts.retentionDays ?? DEFAULT_RETENTION_DAYS);
    }
    settings(this.doc).observe(() => this.retain());
    // Rewrite what is stored without the dropped part, so it is not loaded (and logged) again.
    if (loaded.dropped) this.compact();
    this.retain();
    this.retentionTimer = setInterval(() => this.retain(), RETENTION_EVERY_MS);
    this.retentionTimer.unref();
    log.info('room memory loaded', { rows: rows.length });
  }

  attach(deviceId: string, send: (frame: Uint8Array) => void): void {
    this.sync.removeLink(deviceId);
    this.sync.addLink({ id: deviceId, send });
  }

  detach(deviceId: string): void {
    this.sync.removeLink(deviceId);
  }

  /** Devices linked to the replica now. */
  get linkCount(): number {
    return this.sync.linkCount;
  }

  receive(deviceId: string, frame: Uint8Array): void {
    this.sync.receive(deviceId, frame);
  }

  close(): void {
    clearInterval(this.retentionTimer);
    if (this.retentionSoon) clearTimeout(this.retentionSoon);
    this.sync.destroy();
    this.store.close();
  }

  private persist = (update: Uint8Array, origin: unknown): void => {
    if (origin === ORIGIN.storage) return;
    this.unpersisted.push(update);
    try {
      this.store.append(this.unpersisted.length === 1 ? update : Y.mergeUpdates(this.unpersisted));
      this.unpersisted = [];
      this.storageError = null;
      if (origin !== ORIGIN.local) this.retentionSoon ??= setTimeout(() => ((this.retentionSoon = null), this.retain()), RETENTION_AFTER_UPDATES_MS);
      if (++this.rowsSinceCompact >= COMPACT_AFTER_ROWS) this.compact();
    } catch (err) {
      // Not durable: no ack goes out, and the device keeps the update until a later sync.
      this.storageError = err as OsmoseError;
      log.error('room memory: could not store an update', { error: (err as Error).message });
    }
  };

  private compact(): void {
    try {
      this.store.compact(Y.encodeStateAsUpdate(this.doc));
      // The snapshot holds everything in memory, refused updates included.
      this.unpersisted = [];
      this.storageError = null;
      this.rowsSinceCompact = 1;
    } catch (err) {
      log.error('room memory: compaction failed (rows kept)', { error: (err as Error).message });
    }
  }

  private retain(): void {
    const { messages, files } = applyRetention(this.doc, this.now(), ORIGIN.local);
    if (messages || files.length) {
      log.info('retention removed expired items', { messages, files: files.length });
      // Expired content must leave the disk too, not only the document.
      this.compact();
      if (files.length) this.opts.onFilesExpired?.(files);
    }
  }
}
