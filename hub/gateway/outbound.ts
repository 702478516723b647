/**
 * Outbound dialling: the only connections this hub opens, each for a link a member accepted
 * (pinned-dial.ts). `accept` dials an invitation's hub and opens the link; a guest link that lost
 * its connection is dialled again (retries.ts); an end made here while the inviting hub was out
 * of reach is delivered once it can be reached. When the other hub answers that the link is over
 * for it (`LINK_OVER`), it is over here too: never retried.
 */
import type * as Y from 'yjs';
import { OsmoseError, type ErrorCode } from '../../protocol/errors.ts';
import { encodeFrame } from '../../protocol/codec.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { describeScope, GW_CLOSE, parseInvitation, sameScope, type GatewayFrame, type LinkView } from '../../protocol/gateway.ts';
import { notes } from '../../protocol/room-doc.ts';
import { log } from '../support/log.ts';
import type { GatewayStore, LinkRow } from './store.ts';
import { LINK_ITEM, type Ledger } from './ledger.ts';
import { MAX_LINKS, type Links } from './links.ts';
import { RETRY_FIRST_MS, type Retries } from './retries.ts';
import { firstHandshake, handshake, helloText, refuseWelcome } from './handshake.ts';
import { linkView } from './views.ts';
import { checkLanHost, dialPinned, fetchPinnedCa, savedTarget, type DialTarget } from './pinned-dial.ts';

/** The other hub's refusals that mean it holds the link as over. */
const LINK_OVER: ReadonlySet<ErrorCode> = new Set(['link-ended', 'invitation-forged', 'invitation-expired']);

const linkOver = (err: unknown): err is OsmoseError => err instanceof OsmoseError && LINK_OVER.has(err.code);

export interface OutboundDeps {
  doc: Y.Doc;
  store: GatewayStore;
  ledger: Ledger;
  links: Links;
  retries: Retries;
  room: () => RoomInfo;
  now: () => number;
  changed: () => void;
}

export class Outbound {
  constructor(private readonly d: OutboundDeps) {}

  /** A member pasted another room's invitation: connect out, pinned, and open the link. */
  async accept(code: string): Promise<LinkView> {
    const parsed = parseInvitation(code);
    if (!parsed.ok) throw parsed.error;
    const inv = parsed.value;
    const { store, ledger, links } = this.d;
    if (inv.expiresAt <= this.d.now()) throw new OsmoseError('invitation-expired', 'that invitation has expired; ask for a new one');
    if (inv.room.id === this.d.room().id) throw new OsmoseError('invitation-scope', 'this invitation is for this room itself');
    if (store.guestLinksForInvitation(inv.id, inv.fp).length) throw new OsmoseError('invitation-replayed', 'this room already accepted this invitation; ask for a new one to connect again');
    if (inv.scope.kind === 'board' && inv.access === 'write') throw new OsmoseError('invitation-scope', 'the board can only be shared read only');
    if (links.size >= MAX_LINKS) throw new OsmoseError('rate-limited', `this room already has ${MAX_LINKS} connections to other rooms; end one first`);
    if (inv.scope.kind === 'note' && notes(this.d.doc).has(inv.scope.id)) {
      throw new OsmoseError('invitation-scope', 'this room already has that note (through another connection, or an item with the same id)');
    }
    await checkLanHost(inv.host);
    const target: DialTarget = { host: inv.host, port: inv.port, fingerprint: inv.fp, caPem: null };
    target.caPem = await fetchPinnedCa(target);
    const ws = await dialPinned(target);
    const hello = helloText(this.d.room(), { kind: 'invitation', token: inv.token });
    const attempt = { linkId: null, invitationId: inv.id, scope: describeScope(inv.scope, inv.label, inv.access), toRoom: inv.room };
    const { welcome, fresh } = await firstHandshake(ws, hello, ledger, attempt, (id) => store.link(id) === null);
    // The inviting hub's word must match what the person saw before accepting.
    if (!fresh || welcome.invitationId !== inv.id || welcome.room.id !== inv.room.id || !sameScope(welcome.scope, inv.scope) || welcome.access !== inv.access || welcome.expiresAt !== inv.expiresAt || !welcome.secret) {
      refuseWelcome(ws, ledger, { ...attempt, linkId: fresh ? welcome.linkId : null });
      throw new OsmoseError('invitation-scope', 'the inviting hub describes a different scope than this invitation says; nothing was shared');
    }
    const row: LinkRow = {
      id: welcome.linkId, role: 'guest', invitationId: inv.id, room: welcome.room, scope: welcome.scope, label: welcome.label,
      access: welcome.access, expiresAt: welcome.expiresAt, createdAt: this.d.now(), secret: welcome.secret,
      host: inv.host, port: inv.port, fingerprint: inv.fp, caPem: target.caPem, endedAt: null, endReason: null, endMessage: null,
    };
    store.addLink(row);
    const session = links.open(row);
    log.info('gateway: invitation accepted; link open', { link: row.id, to: row.room.name, scope: row.scope.kind, access: row.access });
    links.attach(row.id, ws, session, welcome.backlog);
    return linkView(session);
  }

  /** Dials a guest link again after `delay` ms (or its next backoff delay). */
  redial(linkId: string, delay: number | 'backoff' = RETRY_FIRST_MS): void {
    this.d.retries.schedule(linkId, () => void this.dial(linkId), delay);
  }

  /** Tells the inviting hub that a guest link ended here, retrying until it has heard. */
  tellEnd(linkId: string, delay: number | 'backoff' = 0): void {
    this.d.retries.schedule(`end:${linkId}`, () => void this.deliverEnd(linkId), delay);
  }

  private async dial(linkId: string): Promise<void> {
    const row = this.d.store.link(linkId);
    const session = this.d.links.get(linkId);
    if (!row || row.endedAt !== null || !session || this.d.links.connected(linkId)) return;
    try {
      const ws = await dialPinned(this.target(row));
      const hello = helloText(this.d.room(), { kind: 'link', linkId, secret: row.secret });
      const welcome = await handshake(ws, hello, () => session.recordControl(hello, 'handshake (reconnecting)'));
      if (this.d.links.get(linkId) !== session) return void ws.close(GW_CLOSE.ended, 'ended');
      this.d.retries.succeeded(linkId);
      session.lastError = undefined;
      this.d.links.attach(linkId, ws, session, welcome.backlog);
      log.info('gateway: link reconnected', { link: linkId });
    } catch (err) {
      if (linkOver(err)) return this.d.links.finish(linkId, err.code === 'invitation-expired' ? 'expired' : 'ended', `the other room ended the connection (${err.message})`, false);
      if (this.d.links.get(linkId) !== session) return;
      session.lastError = err instanceof OsmoseError ? err.message : (err as Error).message;
      this.d.changed();
      this.redial(linkId, 'backoff');
    }
  }

  /** Reconnects with the link's credential only to say that the link is over. */
  private async deliverEnd(linkId: string): Promise<void> {
    const key = `end:${linkId}`;
    const row = this.d.store.link(linkId);
    const pending = this.d.store.pendingEnds().find((p) => p.linkId === linkId);
    if (!row || !pending) return this.d.retries.forget(key);
    const done = () => {
      this.d.store.removePendingEnd(linkId);
      this.d.retries.forget(key);
    };
    if (row.expiresAt <= this.d.now()) return done(); // the other side ends it at the expiry anyway
    const ctx = { linkId, invitationId: row.invitationId, scope: describeScope(row.scope, row.label, row.access), toRoom: row.room };
    try {
      const ws = await dialPinned(this.target(row));
      const hello = helloText(this.d.room(), { kind: 'link', linkId, secret: row.secret });
      await handshake(ws, hello, () => this.d.ledger.recordText(ctx, LINK_ITEM, 'handshake (to say the connection ended)', hello));
      const end = encodeFrame({ v: PROTOCOL_VERSION, t: 'end', reason: pending.reason, message: pending.message.slice(0, 300) } satisfies GatewayFrame);
      try {
        this.d.ledger.recordText(ctx, LINK_ITEM, 'end of the connection', end);
      } catch (err) {
        ws.terminate();
        throw err;
      }
      ws.send(end);
      ws.close(GW_CLOSE.ended, 'ended');
      setTimeout(() => ws.terminate(), 500).unref();
      log.info('gateway: the other hub was told the link ended', { link: linkId });
      done();
    } catch (err) {
      if (linkOver(err)) return done(); // it knows already
      this.tellEnd(linkId, 'backoff');
    }
  }

  /** Where a guest link dials, trusting only the pinned root (a saved CA with more is trimmed for good). */
  private target(row: LinkRow): DialTarget {
    return savedTarget(row, (pem) => (this.d.store.setCaPem(row.id, pem), log.warn('gateway: the saved room CA held more than the pinned root; only it is kept', { link: row.id })));
  }
}
