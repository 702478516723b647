/**
 * The links open now, and how each one ends. A link opens as a session (from its stored row),
 * gets connections (connections.ts), and ends exactly once, however it ends: a member of either
 * room, the expiry, the shared item gone, a violation. Ending cuts the connection at once, tells
 * the other hub (now, or once it can be reached: `tellEnd`), removes the mirrors the link brought
 * in (mirrors.ts) and records the end, so the link shows as over on every screen.
 */
import type * as Y from 'yjs';
import type { WebSocket, RawData } from 'ws';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { GW_CLOSE, type EndReason, type RemotePerson } from '../../protocol/gateway.ts';
import { log } from '../support/log.ts';
import type { GatewayStore, LinkRow } from './store.ts';
import type { Ledger } from './ledger.ts';
import { LinkSession } from './link-session.ts';
import { Connections } from './connections.ts';
import { removeMirrors } from './mirrors.ts';

/** Links open at once, both roles together: each holds observers on the room's document. */
export const MAX_LINKS = 32;

export interface LinksDeps {
  doc: Y.Doc;
  store: GatewayStore;
  ledger: Ledger;
  room: () => RoomInfo;
  people: () => RemotePerson[];
  now: () => number;
  changed: () => void;
  /** A guest link's connection closed while the link is open: dial again. */
  reconnect: (linkId: string) => void;
  /** A link ended: whatever was being retried for it stops. */
  ended: (linkId: string) => void;
  /** Tell the inviting hub, once it can be reached, that a guest link ended here. */
  tellEnd: (linkId: string) => void;
}

export class Links {
  private readonly sessions = new Map<string, LinkSession>();
  /** Items that came in through any link: never sent out again (not this room's to give). */
  private readonly received: Set<string>;
  private readonly conns: Connections;
  private closed = false;

  constructor(private readonly d: LinksDeps) {
    this.received = d.store.received();
    this.conns = new Connections({
      now: d.now,
      session: (id) => this.sessions.get(id),
      end: (id, reason, message, tellOther) => this.finish(id, reason, message, tellOther),
      lost: (id, session) => session.row.role === 'guest' && d.reconnect(id),
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  get(linkId: string): LinkSession | undefined {
    return this.sessions.get(linkId);
  }

  all(): LinkSession[] {
    return [...this.sessions.values()];
  }

  connected(linkId: string): boolean {
    return this.conns.has(linkId);
  }

  /** Sessions, connections, flood windows and items received: what the soak benchmark watches. */
  get sizes(): { sessions: number; received: number; connections: number; budgets: number } {
    return { sessions: this.sessions.size, received: this.received.size, ...this.conns.sizes };
  }

  /** The link's session, from its stored row: from now on it sends what the scope covers. */
  open(row: LinkRow): LinkSession {
    const receivedOnLink = this.d.store.received(row.id);
    const session = new LinkSession(row, {
      doc: this.d.doc,
      ledger: this.d.ledger,
      received: this.received,
      receivedOnLink,
      markReceived: (ids) => {
        this.d.store.markReceived(row.id, ids);
        for (const id of ids) (this.received.add(id), receivedOnLink.add(id));
      },
      linkDoc: (item) => this.d.store.linkDoc(row.id, item),
      appendLinkDoc: (item, update) => this.d.store.appendLinkDoc(row.id, item, update),
      saveLinkDoc: (item, state) => this.d.store.saveLinkDoc(row.id, item, state),
      people: () => this.d.people(),
      onChange: () => this.d.changed(),
      // Not inside the room document's observer call: end the link once it has returned.
      onScopeGone: (what) => queueMicrotask(() => this.sessions.has(row.id) && this.finish(row.id, 'scope-gone', `${what} in ${this.d.room().name}; nothing is shared any more`, true)),
    });
    this.sessions.set(row.id, session);
    this.d.changed();
    return session;
  }

  attach(linkId: string, ws: WebSocket, session: LinkSession, backlog?: RawData[]): void {
    this.conns.attach(linkId, ws, session, backlog);
  }

  /** Retention removed ended links' records: what came in through them is forgotten here too. */
  reloadReceived(): void {
    const now = this.d.store.received();
    for (const id of this.received) if (!now.has(id)) this.received.delete(id);
  }

  /** The people in this room changed: every link tells its other room (names only). */
  sendPresence(): void {
    for (const s of this.sessions.values()) s.sendPresence();
  }

  /** Ends the links whose expiry has come (both sides do, each at its own clock). */
  expire(): void {
    const now = this.d.now();
    for (const s of [...this.sessions.values()]) if (s.row.expiresAt <= now) this.finish(s.row.id, 'expired', 'the connection reached its expiry', true);
  }

  /** Ends a link. `tellOther`: the other hub has not said so itself (it is told, now or later). */
  finish(linkId: string, reason: EndReason, message: string, tellOther: boolean): void {
    const session = this.sessions.get(linkId);
    const connected = this.conns.has(linkId);
    if (connected && tellOther && session) {
      session.sendControl({ v: PROTOCOL_VERSION, t: 'end', reason, message: message.slice(0, 300) }, 'end of the connection');
    }
    const ws = this.conns.drop(linkId, reason === 'violation' ? GW_CLOSE.violation : GW_CLOSE.ended, reason);
    this.d.ended(linkId);
    this.sessions.delete(linkId);
    if (session) session.close();
    else if (this.d.store.link(linkId)?.role === 'guest') removeMirrors(this.d.doc, linkId, this.d.store.received(linkId));
    this.d.store.endLink(linkId, this.d.now(), reason, message);
    // Ended here while the inviting hub was out of reach: tell it when it can be reached, so it
    // does not show the link as "reconnecting" until the expiry. The end is recorded before
    // anything else can happen (a hub that stops or dies now still delivers it after its
    // restart) and cleared once the other hub has answered our close.
    if (tellOther && session?.row.role === 'guest' && reason !== 'expired') {
      this.d.store.addPendingEnd(linkId, reason, message);
      // Delivered if the other hub answered our close (frames arrive in order, the end first);
      // a connection that was already dead ends with 1006 when we cut it.
      if (ws) {
        ws.once('close', (code: number) => {
          if (this.closed) return; // the hub is stopping: the record stays for the next start
          if (code === 1006) this.d.tellEnd(linkId);
          else this.d.store.removePendingEnd(linkId);
        });
      } else this.d.tellEnd(linkId);
    }
    if (session) log.info('gateway: link ended', { link: linkId, reason });
    this.d.changed();
  }

  close(): void {
    this.closed = true;
    this.conns.close();
    // Stopping, not ending: the links stay open in the store, their mirrors stay in the room.
    for (const s of this.sessions.values()) s.close(false);
    this.sessions.clear();
  }
}
