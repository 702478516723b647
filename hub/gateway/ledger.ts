/**
 * The ledger: every frame that leaves the room through a gateway, with its exact size in bytes,
 * recorded before it is sent. Frames about the same item on the same link within a minute share
 * one row (a note typed into sends one update per keystroke), so every byte is counted and the
 * list stays readable. Kept in gateway.sqlite for as long as the room's retention says.
 */
import type Database from 'better-sqlite3';
import type { LedgerEntry, LedgerSummary } from '../../protocol/gateway.ts';
import type { RoomInfo } from '../../protocol/common.ts';

export const COALESCE_MS = 60_000;
/** The ledger item for handshakes, keep-alives and id lists: bytes that are about the link. */
export const LINK_ITEM = 'link';

/**
 * Where a frame went. A hello sent before the other hub has named the link, and a refusal, have
 * no link (null); a refusal of a connection that presented no valid invitation or link has no
 * invitation and no known room either.
 */
export interface LedgerContext {
  linkId: string | null;
  invitationId: string | null;
  scope: string;
  toRoom: RoomInfo | null;
}

const utf8 = new TextEncoder();

export class Ledger {
  private readonly findRecent: Database.Statement;
  private readonly bump: Database.Statement;
  private readonly insert: Database.Statement;
  private listeners = new Set<() => void>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.findRecent = db.prepare('SELECT id FROM ledger WHERE link_id = ? AND invitation_id = ? AND to_room = ? AND item = ? AND last_at >= ? ORDER BY id DESC LIMIT 1');
    this.bump = db.prepare('UPDATE ledger SET frames = frames + 1, bytes = bytes + ?, last_at = ?, what = ? WHERE id = ?');
    this.insert = db.prepare('INSERT INTO ledger (link_id, invitation_id, scope, to_room, item, what, frames, bytes, first_at, last_at) VALUES (?,?,?,?,?,?,1,?,?,?)');
    this.claimRow = db.prepare("UPDATE ledger SET link_id = ? WHERE id = ? AND link_id = ''");
  }

  private readonly claimRow: Database.Statement;

  /**
   * Records one frame about `item` (`note:<id>`, `message:<id>`, `board`, `presence`, `link`) and
   * returns its row. `alone`: a row of its own (a hello that a link may claim once it is named).
   * Throws when it cannot be recorded: then the frame must not be sent.
   */
  record(ctx: LedgerContext, item: string, what: string, bytes: number, alone = false): number {
    const t = this.now();
    const key = [ctx.linkId ?? '', ctx.invitationId ?? '', JSON.stringify(ctx.toRoom)] as const;
    const row = alone ? undefined : (this.findRecent.get(...key, item, t - COALESCE_MS) as { id: number } | undefined);
    let id: number;
    if (row) (this.bump.run(bytes, t, what, row.id), (id = row.id));
    else id = Number(this.insert.run(...key.slice(0, 2), ctx.scope, key[2], item, what, bytes, t, t).lastInsertRowid);
    for (const l of this.listeners) l();
    return id;
  }

  /** `record` for a frame's text: its UTF-8 length is what goes over the socket. */
  recordText(ctx: LedgerContext, item: string, what: string, text: string, alone = false): number {
    return this.record(ctx, item, what, utf8.encode(text).length, alone);
  }

  /** Runs `fn` (its records) in one commit. */
  batch(fn: () => void): void {
    this.db.transaction(fn)();
  }

  /** The other hub named the link a recorded hello was for: the row becomes the link's. */
  claim(rowId: number, linkId: string): void {
    this.claimRow.run(linkId, rowId);
  }

  entries(limit = 500): LedgerEntry[] {
    const rows = this.db.prepare('SELECT * FROM ledger ORDER BY last_at DESC, id DESC LIMIT ?').all(limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number,
      item: r.item as string,
      what: r.what as string,
      linkId: (r.link_id as string) || null,
      invitationId: (r.invitation_id as string) || null,
      scope: r.scope as string,
      toRoom: JSON.parse(r.to_room as string) as RoomInfo | null,
      frames: r.frames as number,
      bytes: r.bytes as number,
      firstAt: r.first_at as number,
      lastAt: r.last_at as number,
    }));
  }

  /** Distinct items that left (handshakes and keep-alives are bytes, not items), all bytes, rows. */
  summary(): LedgerSummary {
    const r = this.db
      .prepare(`SELECT COUNT(DISTINCT CASE WHEN item != '${LINK_ITEM}' THEN link_id || '|' || item END) AS items, COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS entries FROM ledger`)
      .get() as { items: number; bytes: number; entries: number };
    return { items: r.items, bytes: r.bytes, entries: r.entries };
  }

  /** Retention: rows whose last frame is older than the room keeps its data. */
  prune(retentionDays: number): number {
    return this.db.prepare('DELETE FROM ledger WHERE last_at < ?').run(this.now() - retentionDays * 86_400_000).changes;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
