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

export interface LedgerContext {
  linkId: string;
  invitationId: string;
  scope: string;
  toRoom: RoomInfo;
}

export class Ledger {
  private readonly findRecent: Database.Statement;
  private readonly bump: Database.Statement;
  private readonly insert: Database.Statement;
  private listeners = new Set<() => void>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.findRecent = db.prepare('SELECT id FROM ledger WHERE link_id = ? AND item = ? AND last_at >= ? ORDER BY id DESC LIMIT 1');
    this.bump = db.prepare('UPDATE ledger SET frames = frames + 1, bytes = bytes + ?, last_at = ?, what = ? WHERE id = ?');
    this.insert = db.prepare('INSERT INTO ledger (link_id, invitation_id, scope, to_room, item, what, frames, bytes, first_at, last_at) VALUES (?,?,?,?,?,?,1,?,?,?)');
  }

  /** Records one frame about `item` (`note:<id>`, `message:<id>`, `board`, `presence`, `link`). */
  record(ctx: LedgerContext, item: string, what: string, bytes: number): void {
    const t = this.now();
    const row = this.findRecent.get(ctx.linkId, item, t - COALESCE_MS) as { id: number } | undefined;
    if (row) this.bump.run(bytes, t, what, row.id);
    else this.insert.run(ctx.linkId, ctx.invitationId, ctx.scope, JSON.stringify(ctx.toRoom), item, what, bytes, t, t);
    for (const l of this.listeners) l();
  }

  entries(limit = 500): LedgerEntry[] {
    const rows = this.db.prepare('SELECT * FROM ledger ORDER BY last_at DESC, id DESC LIMIT ?').all(limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number,
      item: r.item as string,
      what: r.what as string,
      linkId: r.link_id as string,
      invitationId: r.invitation_id as string,
      scope: r.scope as string,
      toRoom: JSON.parse(r.to_room as string) as RoomInfo,
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

  /** Total bytes recorded for one link (tests compare it with what the socket carried). */
  bytesFor(linkId: string): number {
    return (this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM ledger WHERE link_id = ?').get(linkId) as { b: number }).b;
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
