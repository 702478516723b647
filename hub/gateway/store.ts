/**
 * The gateway's durable state, in its own SQLite file (`gateway.sqlite`, next to the room's
 * memory) and never in the room document, so no member can edit it from the app:
 * invitations (hash of the token only), links (each side's), the per-link copies of shared
 * notes, which items came in through which link, and the ledger.
 */
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import path from 'node:path';
import type { Access, EndReason, Scope } from '../../protocol/gateway.ts';
import type { RoomInfo } from '../../protocol/common.ts';

export interface InvitationRow {
  id: string;
  tokenHash: string;
  scope: Scope;
  label: string;
  access: Access;
  expiresAt: number;
  multiUse: boolean;
  uses: number;
  createdBy: string;
  createdByName: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface LinkRow {
  id: string;
  role: 'inviter' | 'guest';
  invitationId: string;
  room: RoomInfo;
  scope: Scope;
  label: string;
  access: Access;
  expiresAt: number;
  createdAt: number;
  /** Inviter: hash of the link secret. Guest: the secret itself (to reconnect). */
  secret: string;
  /** Guest only: where the inviting hub is, and what its certificate must be. */
  host: string | null;
  port: number | null;
  fingerprint: string | null;
  /** Guest only: the inviting hub's room CA (PEM), fetched once and matched to the fingerprint. */
  caPem: string | null;
  endedAt: number | null;
  endReason: EndReason | null;
  endMessage: string | null;
}

type Raw = Record<string, unknown>;

export class GatewayStore {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    this.db = new Database(path.join(dataDir, 'gateway.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS invitations (
        id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, label TEXT NOT NULL,
        access TEXT NOT NULL, expires_at INTEGER NOT NULL, multi_use INTEGER NOT NULL, uses INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL, created_by_name TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS links (
        id TEXT PRIMARY KEY, role TEXT NOT NULL, invitation_id TEXT NOT NULL, room TEXT NOT NULL, scope TEXT NOT NULL,
        label TEXT NOT NULL, access TEXT NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, secret TEXT NOT NULL,
        host TEXT, port INTEGER, fingerprint TEXT, ca_pem TEXT, ended_at INTEGER, end_reason TEXT, end_message TEXT);
      CREATE TABLE IF NOT EXISTS link_docs (link_id TEXT NOT NULL, item TEXT NOT NULL, state BLOB NOT NULL, PRIMARY KEY (link_id, item));
      CREATE TABLE IF NOT EXISTS link_doc_updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, link_id TEXT NOT NULL, item TEXT NOT NULL, update_ BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS link_doc_updates_item ON link_doc_updates (link_id, item, seq);
      CREATE TABLE IF NOT EXISTS received (link_id TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (link_id, item_id));
      CREATE TABLE IF NOT EXISTS ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT, link_id TEXT NOT NULL, invitation_id TEXT NOT NULL, scope TEXT NOT NULL,
        to_room TEXT NOT NULL, item TEXT NOT NULL, what TEXT NOT NULL, frames INTEGER NOT NULL, bytes INTEGER NOT NULL,
        first_at INTEGER NOT NULL, last_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS pending_ends (link_id TEXT PRIMARY KEY, reason TEXT NOT NULL, message TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS ledger_coalesce ON ledger (link_id, item, last_at);
    `);
  }

  // Invitations -----------------------------------------------------------------------------

  addInvitation(i: InvitationRow): void {
    this.db
      .prepare('INSERT INTO invitations VALUES (?,?,?,?,?,?,?,?,?,?,?,?)')
      .run(i.id, i.tokenHash, JSON.stringify(i.scope), i.label, i.access, i.expiresAt, i.multiUse ? 1 : 0, i.uses, i.createdBy, i.createdByName, i.createdAt, i.revokedAt);
  }

  invitationByTokenHash(hash: string): InvitationRow | null {
    const r = this.db.prepare('SELECT * FROM invitations WHERE token_hash = ?').get(hash) as Raw | undefined;
    return r ? invitation(r) : null;
  }

  invitation(id: string): InvitationRow | null {
    const r = this.db.prepare('SELECT * FROM invitations WHERE id = ?').get(id) as Raw | undefined;
    return r ? invitation(r) : null;
  }

  /** Open invitations (not revoked, not expired, not used up). */
  openInvitations(now: number): InvitationRow[] {
    return (this.db.prepare('SELECT * FROM invitations WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC').all(now) as Raw[])
      .map(invitation)
      .filter((i) => i.multiUse || i.uses === 0);
  }

  useInvitation(id: string): void {
    this.db.prepare('UPDATE invitations SET uses = uses + 1 WHERE id = ?').run(id);
  }

  revokeInvitation(id: string, at: number): boolean {
    return this.db.prepare('UPDATE invitations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0;
  }

  // Links -------------------------------------------------------------------------------------

  addLink(l: LinkRow): void {
    this.db
      .prepare('INSERT INTO links VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)')
      .run(l.id, l.role, l.invitationId, JSON.stringify(l.room), JSON.stringify(l.scope), l.label, l.access, l.expiresAt, l.createdAt, l.secret, l.host, l.port, l.fingerprint, l.caPem, l.endedAt, l.endReason, l.endMessage);
  }

  link(id: string): LinkRow | null {
    const r = this.db.prepare('SELECT * FROM links WHERE id = ?').get(id) as Raw | undefined;
    return r ? link(r) : null;
  }

  activeLinks(): LinkRow[] {
    return (this.db.prepare('SELECT * FROM links WHERE ended_at IS NULL ORDER BY created_at').all() as Raw[]).map(link);
  }

  /** Guest links that are over (their mirrors must be gone from the room). */
  endedGuestLinkIds(): string[] {
    return (this.db.prepare("SELECT id FROM links WHERE role = 'guest' AND ended_at IS NOT NULL").all() as { id: string }[]).map((r) => r.id);
  }

  recentlyEnded(since: number): LinkRow[] {
    return (this.db.prepare('SELECT * FROM links WHERE ended_at IS NOT NULL AND ended_at > ? ORDER BY ended_at DESC LIMIT 20').all(since) as Raw[]).map(link);
  }

  /** Links (active or not) that this room holds from one invitation: a replay check. */
  guestLinksForInvitation(invitationId: string, fingerprint: string): LinkRow[] {
    return (this.db.prepare("SELECT * FROM links WHERE role = 'guest' AND invitation_id = ? AND fingerprint = ?").all(invitationId, fingerprint) as Raw[]).map(link);
  }

  inviterLinksFromRoom(invitationId: string, roomId: string): LinkRow[] {
    return (this.db.prepare("SELECT * FROM links WHERE role = 'inviter' AND invitation_id = ?").all(invitationId) as Raw[]).map(link).filter((l) => l.room.id === roomId);
  }

  setCaPem(id: string, pem: string): void {
    this.db.prepare('UPDATE links SET ca_pem = ? WHERE id = ?').run(pem, id);
  }

  endLink(id: string, at: number, reason: EndReason, message: string): boolean {
    const changed = this.db.prepare('UPDATE links SET ended_at = ?, end_reason = ?, end_message = ? WHERE id = ? AND ended_at IS NULL').run(at, reason, message, id).changes > 0;
    // The per-link copies of shared items have no use any more.
    this.db.prepare('DELETE FROM link_docs WHERE link_id = ?').run(id);
    this.db.prepare('DELETE FROM link_doc_updates WHERE link_id = ?').run(id);
    return changed;
  }

  // Ends this room made while the other hub was unreachable: delivered when it can be reached.

  addPendingEnd(linkId: string, reason: EndReason, message: string): void {
    this.db.prepare('INSERT OR REPLACE INTO pending_ends VALUES (?,?,?)').run(linkId, reason, message);
  }

  pendingEnds(): { linkId: string; reason: EndReason; message: string }[] {
    return (this.db.prepare('SELECT link_id AS linkId, reason, message FROM pending_ends').all() as { linkId: string; reason: EndReason; message: string }[]);
  }

  removePendingEnd(linkId: string): void {
    this.db.prepare('DELETE FROM pending_ends WHERE link_id = ?').run(linkId);
  }

  // Per-link documents and received items ---------------------------------------------------

  /** A per-link document: its last snapshot and the updates stored since, merged. */
  linkDoc(linkId: string, item: string): Uint8Array | null {
    const r = this.db.prepare('SELECT state FROM link_docs WHERE link_id = ? AND item = ?').get(linkId, item) as { state: Buffer } | undefined;
    const rest = (this.db.prepare('SELECT update_ FROM link_doc_updates WHERE link_id = ? AND item = ? ORDER BY seq').all(linkId, item) as { update_: Buffer }[]).map((u) => new Uint8Array(u.update_));
    const all = r ? [new Uint8Array(r.state), ...rest] : rest;
    return all.length === 0 ? null : all.length === 1 ? all[0]! : Y.mergeUpdates(all);
  }

  /** One change of a per-link document: costs what the change is, not what the document is. */
  appendLinkDoc(linkId: string, item: string, update: Uint8Array): void {
    this.db.prepare('INSERT INTO link_doc_updates (link_id, item, update_) VALUES (?,?,?)').run(linkId, item, Buffer.from(update));
  }

  /** Replaces a per-link document's snapshot and the updates since with `state`. */
  saveLinkDoc(linkId: string, item: string, state: Uint8Array): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO link_docs VALUES (?,?,?) ON CONFLICT (link_id, item) DO UPDATE SET state = excluded.state').run(linkId, item, Buffer.from(state));
      this.db.prepare('DELETE FROM link_doc_updates WHERE link_id = ? AND item = ?').run(linkId, item);
    })();
  }

  markReceived(linkId: string, itemIds: readonly string[]): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO received VALUES (?, ?)');
    this.db.transaction(() => {
      for (const id of itemIds) insert.run(linkId, id);
    })();
  }

  /** Items that came in through a link (any link, or one): never sent out again. */
  received(linkId?: string): Set<string> {
    const rows = (linkId ? this.db.prepare('SELECT item_id FROM received WHERE link_id = ?').all(linkId) : this.db.prepare('SELECT item_id FROM received').all()) as { item_id: string }[];
    return new Set(rows.map((r) => r.item_id));
  }

  /** Retention: invitations over and links ended before `cutoff` go (with what they named). */
  pruneBefore(cutoff: number): number {
    return this.db.transaction(() => {
      const old = (this.db.prepare('SELECT id FROM links WHERE ended_at IS NOT NULL AND ended_at < ?').all(cutoff) as { id: string }[]).map((r) => r.id);
      for (const id of old) {
        this.db.prepare('DELETE FROM received WHERE link_id = ?').run(id);
        this.db.prepare('DELETE FROM pending_ends WHERE link_id = ?').run(id);
        this.db.prepare('DELETE FROM links WHERE id = ?').run(id);
      }
      const inv = this.db.prepare('DELETE FROM invitations WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)').run(cutoff, cutoff).changes;
      return old.length + inv;
    })();
  }

  close(): void {
    this.db.close();
  }
}

function invitation(r: Raw): InvitationRow {
  return {
    id: r.id as string,
    tokenHash: r.token_hash as string,
    scope: JSON.parse(r.scope as string) as Scope,
    label: r.label as string,
    access: r.access as Access,
    expiresAt: r.expires_at as number,
    multiUse: r.multi_use === 1,
    uses: r.uses as number,
    createdBy: r.created_by as string,
    createdByName: r.created_by_name as string,
    createdAt: r.created_at as number,
    revokedAt: (r.revoked_at as number | null) ?? null,
  };
}

function link(r: Raw): LinkRow {
  return {
    id: r.id as string,
    role: r.role as LinkRow['role'],
    invitationId: r.invitation_id as string,
    room: JSON.parse(r.room as string) as RoomInfo,
    scope: JSON.parse(r.scope as string) as Scope,
    label: r.label as string,
    access: r.access as Access,
    expiresAt: r.expires_at as number,
    createdAt: r.created_at as number,
    secret: r.secret as string,
    host: (r.host as string | null) ?? null,
    port: (r.port as number | null) ?? null,
    fingerprint: (r.fingerprint as string | null) ?? null,
    caPem: (r.ca_pem as string | null) ?? null,
    endedAt: (r.ended_at as number | null) ?? null,
    endReason: (r.end_reason as EndReason | null) ?? null,
    endMessage: (r.end_message as string | null) ?? null,
  };
}
