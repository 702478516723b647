/**
 * The hub's durable copy of the room's memory: Yjs updates in SQLite (better-sqlite3, WAL,
 * synchronous=FULL), appended as they arrive and compacted into one row now and then. The hub
 * acks a device's frame only after its updates are committed here.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { OsmoseError } from '../../protocol/errors.ts';
import { createPrivateFile } from '../support/private-files.ts';

export class MemoryStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[Buffer, number]>;
  private readonly countRows: Database.Statement<[], { n: number }>;

  constructor(dataDir: string) {
    const file = path.join(dataDir, 'memory.sqlite');
    // 0600 from the start; SQLite gives the -wal and -shm files the database file's mode.
    createPrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit survives power loss, not only a killed process.
    this.db.pragma('synchronous = FULL');
    // Deleted rows are overwritten, so expired messages do not linger in free pages.
    this.db.pragma('secure_delete = ON');
    this.db.exec('CREATE TABLE IF NOT EXISTS updates (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL, at INTEGER NOT NULL)');
    this.insert = this.db.prepare('INSERT INTO updates (data, at) VALUES (?, ?)');
    this.countRows = this.db.prepare('SELECT COUNT(*) AS n FROM updates');
  }

  loadAll(): Uint8Array[] {
    return (this.db.prepare('SELECT data FROM updates ORDER BY id').all() as { data: Buffer }[]).map((r) => new Uint8Array(r.data));
  }

  /** Commits one update; throws `storage-full` when the disk is. */
  append(update: Uint8Array): void {
    try {
      this.insert.run(Buffer.from(update), Date.now());
    } catch (err) {
      throw asStorageError(err);
    }
  }

  get rows(): number {
    return this.countRows.get()!.n;
  }

  /** Replaces every row with one snapshot, atomically: a crash leaves the old rows or the new one. */
  compact(snapshot: Uint8Array): void {
    try {
      this.db.transaction(() => {
        this.db.exec('DELETE FROM updates');
        this.insert.run(Buffer.from(snapshot), Date.now());
      })();
      // Fold the write-ahead log back in, so old pages (old content) leave the disk too.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      throw asStorageError(err);
    }
  }

  close(): void {
    this.db.close();
  }
}

function asStorageError(err: unknown): Error {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || /ENOSPC|disk is full/i.test(String((err as Error).message))) {
    return new OsmoseError('storage-full', "the hub's disk is full; nothing already stored was lost", { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
