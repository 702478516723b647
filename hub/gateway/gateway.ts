/**
 * The gateway: this room's links to other rooms. It accepts links on the HTTPS port's
 * `/gateway` WebSocket (as the inviting room) and dials out only for links a member accepted
 * (as the guest room), reconnecting with backoff. Links end by a member, by expiry, or when the
 * other side breaks the scope (cut off and logged). State for the app and /display comes from here.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type * as Y from 'yjs';
import { decodeFrame, encodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import {
  describeScope, GATEWAY_LIMITS, GatewayFrame, GW_CLOSE, invitationCode, invitationUrl, parseInvitation, sameScope,
  type CreateInvitationRequest, type EndReason, type GatewayDisplay, type GatewayState, type InvitationView, type LinkView, type RemotePerson,
} from '../../protocol/gateway.ts';
import { notes, retentionDays } from '../../protocol/room-doc.ts';
import { safeEqual } from '../../protocol/crypto.ts';
import { RateLimiter } from '../net/rate-limit.ts';
import { LinkBudget } from './flood-guard.ts';
import { refuseUpgrade } from '../net/upgrade-response.ts';
import { log } from '../support/log.ts';
import { GatewayStore, type LinkRow } from './store.ts';
import { Ledger, LINK_ITEM } from './ledger.ts';
import { LinkSession } from './link-session.ts';
import { firstHandshake, handshake, refuseWelcome } from './handshake.ts';
import { invitationView, linkView } from './views.ts';
import { removeMirrors, sweepMirrors } from './mirrors.ts';
import { firstConnection, sendRefusal } from './refusal.ts';
import { checkToken, createInvitation, newId, newToken, type Inviter } from './invitations.ts';
import { checkLanHost, dialPinned, fetchPinnedCa, savedTarget, sha256Hex, type DialTarget } from './pinned-dial.ts';

const PING_MS = 10_000;
const SILENT_AFTER_MS = 30_000;
const TICK_MS = 250;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const ENDED_SHOWN_MS = 10 * 60_000;
/** Links open at once, both roles together: each holds observers on the room's document. */
export const MAX_LINKS = 32;

export interface GatewayDeps {
  dataDir: string;
  doc: Y.Doc;
  room: () => RoomInfo;
  /** Names of the people present here (sent to linked rooms). */
  people: () => RemotePerson[];
  onPeopleChange: (fn: () => void) => void;
  /** Where other rooms reach this hub, and the certificate they pin. */
  inviter: (hostHint: string | null) => Omit<Inviter, 'room'>;
  now?: () => number;
}

interface Conn {
  ws: WebSocket;
  lastFrame: number;
}

export class Gateway {
  readonly store: GatewayStore;
  readonly ledger: Ledger;
  private readonly sessions = new Map<string, LinkSession>();
  private readonly conns = new Map<string, Conn>();
  private readonly retries = new Map<string, { timer: NodeJS.Timeout | null; delay: number }>();
  private readonly received: Set<string>;
  /** Bytes that came in on each link, counted at the socket (tests compare them with the other side's ledger). */
  readonly bytesIn = new Map<string, number>();
  readonly framesIn = new Map<string, number>();
  /** What a linked room may make this hub do per link (cost per 10 s, not frames). */
  private readonly budget = new LinkBudget();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: GATEWAY_LIMITS.frameBytes, perMessageDeflate: false });
  private readonly failures = new RateLimiter(10, 60_000);
  private readonly listeners = new Set<() => void>();
  private readonly ticker: NodeJS.Timeout;
  private readonly pinger: NodeJS.Timeout;
  private readonly pruner: NodeJS.Timeout;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly d: GatewayDeps) {
    this.now = d.now ?? Date.now;
    this.store = new GatewayStore(d.dataDir);
    this.ledger = new Ledger(this.store.db, this.now);
    this.ledger.onChange(() => this.changed());
    this.received = this.store.received();
    this.wss.on('connection', (ws, req: IncomingMessage) => this.onInbound(ws, req));
    d.onPeopleChange(() => {
      for (const s of this.sessions.values()) s.sendPresence();
    });
    for (const row of this.store.activeLinks()) {
      if (row.expiresAt <= this.now()) {
        this.store.endLink(row.id, this.now(), 'expired', 'the connection expired');
        continue;
      }
      try {
        this.openSession(row);
      } catch (err) {
        // A link whose state cannot be read back (a damaged per-link copy) ends; the hub starts.
        log.error('gateway: a link could not be reopened; it ends', { link: row.id, error: (err as Error).message });
        this.store.endLink(row.id, this.now(), 'scope-gone', 'this room could not reopen the connection');
        continue;
      }
      // Only links a member accepted are ever dialled: with none, the hub opens no connection.
      if (row.role === 'guest') this.scheduleDial(row.id, 0);
    }
    // Whatever a link that is over mirrored goes, also when it ended while this hub was down.
    const swept = sweepMirrors(d.doc, this.store);
    if (swept) log.info('gateway: items mirrored by links that are over were removed', { items: swept });
    for (const p of this.store.pendingEnds()) this.scheduleEndNotice(p.linkId, 0);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.pinger = setInterval(() => this.keepAlive(), PING_MS);
    this.pruner = setInterval(() => this.prune(), 3_600_000);
    for (const t of [this.ticker, this.pinger, this.pruner]) t.unref();
    this.prune();
  }

  // ---- Members' actions (from the app's API) -------------------------------------------------

  createInvitation(req: CreateInvitationRequest, by: { deviceId: string; name: string }, hostHint: string | null): InvitationView {
    const { row, payload } = createInvitation(this.store, this.d.doc, req, by, { room: this.d.room(), ...this.d.inviter(hostHint) }, this.now());
    log.info('gateway: invitation made', { invitation: row.id, scope: row.scope.kind, access: row.access, multiUse: row.multiUse, by: by.deviceId.slice(0, 9) });
    this.changed();
    return { ...invitationView(row), code: invitationCode(payload), url: invitationUrl(payload) };
  }

  revokeInvitation(id: string): void {
    if (!this.store.revokeInvitation(id, this.now())) throw new OsmoseError('not-found', 'no such open invitation');
    log.info('gateway: invitation withdrawn', { invitation: id });
    this.changed();
  }

  /** A member pasted another room's invitation: connect out, pinned, and open the link. */
  async accept(code: string): Promise<LinkView> {
    const parsed = parseInvitation(code);
    if (!parsed.ok) throw parsed.error;
    const inv = parsed.value;
    const room = this.d.room();
    if (inv.expiresAt <= this.now()) throw new OsmoseError('invitation-expired', 'that invitation has expired; ask for a new one');
    if (inv.room.id === room.id) throw new OsmoseError('invitation-scope', 'this invitation is for this room itself');
    if (this.store.guestLinksForInvitation(inv.id, inv.fp).length) throw new OsmoseError('invitation-replayed', 'this room already accepted this invitation; ask for a new one to connect again');
    if (inv.scope.kind === 'board' && inv.access === 'write') throw new OsmoseError('invitation-scope', 'the board can only be shared read only');
    if (this.sessions.size >= MAX_LINKS) throw new OsmoseError('rate-limited', `this room already has ${MAX_LINKS} connections to other rooms; end one first`);
    if (inv.scope.kind === 'note' && notes(this.d.doc).has(inv.scope.id)) {
      throw new OsmoseError('invitation-scope', 'this room already has that note (through another connection, or an item with the same id)');
    }
    await checkLanHost(inv.host);
    const target = { host: inv.host, port: inv.port, fingerprint: inv.fp, caPem: null as string | null };
    target.caPem = await fetchPinnedCa(target);
    const ws = await dialPinned(target);
    const hello = encodeFrame({ v: PROTOCOL_VERSION, t: 'hello', room, auth: { kind: 'invitation', token: inv.token } } satisfies GatewayFrame);
    const attempt = { linkId: null, invitationId: inv.id, scope: describeScope(inv.scope, inv.label, inv.access), toRoom: inv.room };
    const { welcome, fresh } = await firstHandshake(ws, hello, this.ledger, attempt, (id) => this.store.link(id) === null);
    // The inviting hub's word must match what the person saw before accepting.
    if (!fresh || welcome.invitationId !== inv.id || welcome.room.id !== inv.room.id || !sameScope(welcome.scope, inv.scope) || welcome.access !== inv.access || welcome.expiresAt !== inv.expiresAt || !welcome.secret) {
      refuseWelcome(ws, this.ledger, { ...attempt, linkId: fresh ? welcome.linkId : null });
      throw new OsmoseError('invitation-scope', 'the inviting hub describes a different scope than this invitation says; nothing was shared');
    }
    const row: LinkRow = {
      id: welcome.linkId,
      role: 'guest',
      invitationId: inv.id,
      room: welcome.room,
      scope: welcome.scope,
      label: welcome.label,
      access: welcome.access,
      expiresAt: welcome.expiresAt,
      createdAt: this.now(),
      secret: welcome.secret,
      host: inv.host,
      port: inv.port,
      fingerprint: inv.fp,
      caPem: target.caPem,
      endedAt: null,
      endReason: null,
      endMessage: null,
    };
    this.store.addLink(row);
    this.bytesIn.set(row.id, welcome.bytes);
    this.framesIn.set(row.id, 1);
    const session = this.openSession(row);
    log.info('gateway: invitation accepted; link open', { link: row.id, to: row.room.name, scope: row.scope.kind, access: row.access });
    this.attach(row.id, ws, session, welcome.backlog);
    return linkView(session);
  }

  /** A member (or expiry) ends the link: the other side is told, the socket closes now. */
  end(linkId: string, reason: EndReason = 'ended', message = 'a member ended the connection'): void {
    if (!this.sessions.has(linkId)) {
      const row = this.store.link(linkId);
      if (!row) throw new OsmoseError('not-found', 'no such connection');
      if (row.endedAt !== null) return; // already over: ending twice is fine
    }
    this.finish(linkId, reason, message, true);
  }

  // ---- State -----------------------------------------------------------------------------------

  state(): GatewayState {
    const now = this.now();
    return {
      v: PROTOCOL_VERSION,
      links: [...this.sessions.values()].map((s) => linkView(s)),
      invitations: this.store.openInvitations(now).map((i) => invitationView(i)),
      recentlyEnded: this.store.recentlyEnded(now - ENDED_SHOWN_MS).map((l) => ({ id: l.id, room: l.room, reason: l.endReason ?? 'ended', message: l.endMessage ?? '', at: l.endedAt ?? now })),
      ledger: this.ledger.summary(),
    };
  }

  session(linkId: string): LinkSession | undefined {
    return this.sessions.get(linkId);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** For /display: banners, remote people and the ledger's count, changes at most 4 times a second. */
  readonly display = {
    view: (): GatewayDisplay => ({
      links: [...this.sessions.values()].map((s) => {
        const v = linkView(s);
        return { banner: v.banner, expiresAt: v.expiresAt, status: v.status, room: v.room.name, remotePeople: v.remotePeople };
      }),
      ledger: this.ledger.summary(),
    }),
    onChange: (fn: () => void): (() => void) => {
      let timer: NodeJS.Timeout | null = null;
      const off = this.onChange(() => {
        timer ??= setTimeout(() => ((timer = null), fn()), 250);
      });
      return () => {
        off();
        if (timer) clearTimeout(timer);
      };
    },
  };

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!(req.socket as TLSSocket).encrypted) return refuseUpgrade(socket, 400, { code: 'bad-request', message: 'rooms link over HTTPS only' });
    const blocked = this.failures.blocked(req.socket.remoteAddress ?? '');
    if (blocked) return refuseUpgrade(socket, 429, { code: 'rate-limited', message: 'too many refused links from this address; wait a minute' });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  close(): void {
    this.closed = true;
    for (const t of [this.ticker, this.pinger, this.pruner]) clearInterval(t);
    for (const r of this.retries.values()) if (r.timer) clearTimeout(r.timer);
    for (const c of this.conns.values()) c.ws.terminate();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    for (const s of this.sessions.values()) s.close(false);
    this.store.close();
  }

  // ---- Inbound (this room invited) ---------------------------------------------------------------

  private onInbound(ws: WebSocket, req: IncomingMessage): void {
    const from = req.socket.remoteAddress ?? '';
    ws.on('error', (err) => log.warn('gateway socket error', { error: err.message }));
    const timer = setTimeout(() => refuse(new OsmoseError('unauthorized', 'no hello within 5 s')), GATEWAY_LIMITS.helloTimeoutMs);
    const refuse = (err: OsmoseError, hello: GatewayFrame | null = null) => {
      clearTimeout(timer);
      this.failures.take(from);
      log.info('gateway: link refused', { code: err.code, from });
      sendRefusal(ws, this.ledger, this.store, hello, err);
    };
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      let hello: GatewayFrame | null = null;
      let admitted: string | null = null;
      try {
        const decoded = isBinary ? null : decodeFrame(GatewayFrame, data.toString(), GATEWAY_LIMITS.frameBytes);
        if (!decoded?.ok) return refuse(decoded?.error ?? new OsmoseError('bad-request', 'binary frame'));
        hello = decoded.value;
        if (hello.t !== 'hello') return refuse(new OsmoseError('unauthorized', 'hello first'));
        const { row, secret } = this.admit(hello);
        admitted = row.id;
        this.countIn(row.id, data);
        const session = this.sessions.get(row.id)!;
        const welcome = encodeFrame({
          v: PROTOCOL_VERSION, t: 'welcome', linkId: row.id, invitationId: row.invitationId, ...(secret ? { secret } : {}),
          room: this.d.room(), scope: row.scope, label: row.label, access: row.access, expiresAt: row.expiresAt,
        } satisfies GatewayFrame);
        session.recordControl(welcome, 'handshake (this room’s name, the scope, the expiry)');
        ws.send(welcome);
        this.attach(row.id, ws, session);
      } catch (err) {
        // A new link whose welcome could not go (the ledger failed) is over before it began.
        if (admitted && firstConnection(hello)) this.finish(admitted, 'ended', 'this room could not record the handshake', false);
        refuse(err instanceof OsmoseError ? err : new OsmoseError('internal', 'could not open the link'), hello);
        if (!(err instanceof OsmoseError)) log.error('gateway: hello failed', { error: (err as Error).message });
      }
    });
  }

  private admit(hello: Extract<GatewayFrame, { t: 'hello' }>): { row: LinkRow; secret: string | null } {
    const now = this.now();
    if (hello.auth.kind === 'link') {
      const row = this.store.link(hello.auth.linkId);
      if (!row || row.role !== 'inviter' || !safeEqual(sha256Hex(hello.auth.secret), row.secret) || row.room.id !== hello.room.id) {
        throw new OsmoseError('invitation-forged', 'this hub has no such link');
      }
      if (row.endedAt !== null) throw new OsmoseError('link-ended', row.endMessage || 'the connection was ended');
      if (row.expiresAt <= now) throw new OsmoseError('invitation-expired', 'the connection expired');
      return { row, secret: null };
    }
    const inv = checkToken(this.store, this.d.doc, hello.auth.token, hello.room, this.d.room().id, now);
    if (this.sessions.size >= MAX_LINKS) throw new OsmoseError('rate-limited', 'the inviting room has too many connections open; try again later');
    const secret = newToken();
    const row: LinkRow = {
      id: newId('l'), role: 'inviter', invitationId: inv.id, room: hello.room, scope: inv.scope, label: inv.label, access: inv.access,
      expiresAt: inv.expiresAt, createdAt: now, secret: sha256Hex(secret), host: null, port: null, fingerprint: null, caPem: null,
      endedAt: null, endReason: null, endMessage: null,
    };
    this.store.db.transaction(() => {
      this.store.useInvitation(inv.id);
      this.store.addLink(row);
    })();
    this.openSession(row);
    log.info('gateway: link opened', { link: row.id, invitation: inv.id, from: hello.room.name, scope: inv.scope.kind, access: inv.access });
    return { row, secret };
  }

  // ---- Outbound (this room accepted) ------------------------------------------------------------

  private scheduleDial(linkId: string, delay: number): void {
    if (this.closed) return;
    const r = this.retries.get(linkId) ?? { timer: null, delay: RECONNECT_MIN_MS };
    if (r.timer) clearTimeout(r.timer);
    r.timer = setTimeout(() => {
      r.timer = null;
      void this.dial(linkId);
    }, delay);
    r.timer.unref();
    this.retries.set(linkId, r);
  }

  private async dial(linkId: string): Promise<void> {
    const row = this.store.link(linkId);
    const session = this.sessions.get(linkId);
    if (!row || row.endedAt !== null || !session || this.conns.has(linkId) || this.closed) return;
    const r = this.retries.get(linkId)!;
    try {
      const ws = await dialPinned(this.target(row));
      const hello = encodeFrame({ v: PROTOCOL_VERSION, t: 'hello', room: this.d.room(), auth: { kind: 'link', linkId, secret: row.secret } } satisfies GatewayFrame);
      const welcome = await handshake(ws, hello, () => session.recordControl(hello, 'handshake (reconnecting)'));
      this.bytesIn.set(linkId, (this.bytesIn.get(linkId) ?? 0) + welcome.bytes);
      this.framesIn.set(linkId, (this.framesIn.get(linkId) ?? 0) + 1);
      if (!this.sessions.has(linkId)) return void ws.close(GW_CLOSE.ended, 'ended');
      r.delay = RECONNECT_MIN_MS;
      session.lastError = undefined;
      this.attach(linkId, ws, session, welcome.backlog);
      log.info('gateway: link reconnected', { link: linkId });
    } catch (err) {
      const e = err instanceof OsmoseError ? err : new OsmoseError('hub-unreachable', (err as Error).message);
      if (['link-ended', 'invitation-forged', 'invitation-expired'].includes(e.code)) {
        return this.finish(linkId, e.code === 'invitation-expired' ? 'expired' : 'ended', `the other room ended the connection (${e.message})`, false);
      }
      session.lastError = e.message;
      this.changed();
      r.delay = Math.min(RECONNECT_MAX_MS, r.delay * 2);
      this.scheduleDial(linkId, r.delay / 2 + Math.random() * (r.delay / 2));
    }
  }

  /** Where a guest link dials, trusting only the pinned root (a saved CA with more is trimmed for good). */
  private target(row: LinkRow): DialTarget {
    return savedTarget(row, (pem) => (this.store.setCaPem(row.id, pem), log.warn('gateway: the saved room CA held more than the pinned root; only it is kept', { link: row.id })));
  }

  private scheduleEndNotice(linkId: string, delay: number): void {
    if (this.closed) return;
    const key = `end:${linkId}`;
    const r = this.retries.get(key) ?? { timer: null, delay: RECONNECT_MIN_MS };
    if (r.timer) clearTimeout(r.timer);
    r.timer = setTimeout(() => {
      r.timer = null;
      void this.deliverEnd(linkId, key);
    }, delay);
    r.timer.unref();
    this.retries.set(key, r);
  }

  /** Reconnects with the link's credential only to say that the link is over. */
  private async deliverEnd(linkId: string, key: string): Promise<void> {
    const row = this.store.link(linkId);
    const pending = this.store.pendingEnds().find((p) => p.linkId === linkId);
    if (!row || !pending || this.closed) return;
    const done = () => {
      this.store.removePendingEnd(linkId);
      this.retries.delete(key);
    };
    if (row.expiresAt <= this.now()) return done(); // the other side ends it at the expiry anyway
    const ctx = { linkId, invitationId: row.invitationId, scope: describeScope(row.scope, row.label, row.access), toRoom: row.room };
    try {
      const ws = await dialPinned(this.target(row));
      const hello = encodeFrame({ v: PROTOCOL_VERSION, t: 'hello', room: this.d.room(), auth: { kind: 'link', linkId, secret: row.secret } } satisfies GatewayFrame);
      await handshake(ws, hello, () => this.ledger.recordText(ctx, LINK_ITEM, 'handshake (to say the connection ended)', hello));
      const end = encodeFrame({ v: PROTOCOL_VERSION, t: 'end', reason: pending.reason, message: pending.message.slice(0, 300) } satisfies GatewayFrame);
      try {
        this.ledger.recordText(ctx, LINK_ITEM, 'end of the connection', end);
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
      const code = err instanceof OsmoseError ? err.code : 'hub-unreachable';
      if (['link-ended', 'invitation-forged', 'invitation-expired'].includes(code)) return done(); // it knows already
      const r = this.retries.get(key);
      if (!r) return;
      r.delay = Math.min(RECONNECT_MAX_MS, r.delay * 2);
      this.scheduleEndNotice(linkId, r.delay / 2 + Math.random() * (r.delay / 2));
    }
  }

  // ---- Both sides ---------------------------------------------------------------------------------

  private openSession(row: LinkRow): LinkSession {
    const receivedOnLink = this.store.received(row.id);
    const session = new LinkSession(row, {
      doc: this.d.doc,
      ledger: this.ledger,
      received: this.received,
      receivedOnLink,
      markReceived: (ids) => {
        this.store.markReceived(row.id, ids);
        for (const id of ids) (this.received.add(id), receivedOnLink.add(id));
      },
      linkDoc: (item) => this.store.linkDoc(row.id, item),
      appendLinkDoc: (item, update) => this.store.appendLinkDoc(row.id, item, update),
      saveLinkDoc: (item, state) => this.store.saveLinkDoc(row.id, item, state),
      people: () => this.d.people(),
      onChange: () => this.changed(),
      // Not inside the room document's observer call: end the link once it has returned.
      onScopeGone: (what) => queueMicrotask(() => this.sessions.has(row.id) && this.finish(row.id, 'scope-gone', `${what} in ${this.d.room().name}; nothing is shared any more`, true)),
    });
    this.sessions.set(row.id, session);
    this.changed();
    return session;
  }

  private attach(linkId: string, ws: WebSocket, session: LinkSession, backlog: RawData[] = []): void {
    const previous = this.conns.get(linkId);
    if (previous && previous.ws !== ws) previous.ws.close(GW_CLOSE.replaced, 'replaced');
    const conn: Conn = { ws, lastFrame: this.now() };
    this.conns.set(linkId, conn);
    ws.removeAllListeners('message');
    ws.removeAllListeners('close');
    ws.on('error', (err) => log.warn('gateway socket error', { link: linkId, error: err.message }));
    const onMessage = (data: RawData, isBinary: boolean) => {
      // The link may have ended while frames were still on their way: they are dropped.
      if (this.closed || this.sessions.get(linkId) !== session || this.conns.get(linkId)?.ws !== ws) return;
      conn.lastFrame = this.now();
      this.countIn(linkId, data);
      const flooded = () => {
        log.warn('gateway: the other hub made this hub do too much too fast; cut off', { link: linkId });
        this.finish(linkId, 'violation', `cut off: the other room sent more than this room takes in ${GATEWAY_LIMITS.floodWindowMs / 1000} s (too many frames, bytes or changes)`, true);
      };
      if (!this.budget.frame(linkId, rawBytes(data))) return flooded();
      try {
        const decoded = isBinary ? null : decodeFrame(GatewayFrame, data.toString(), GATEWAY_LIMITS.frameBytes);
        if (!decoded?.ok) throw decoded?.error ?? new OsmoseError('bad-request', 'binary frame');
        const frame = decoded.value;
        if (frame.t === 'end') return this.finish(linkId, frame.reason === 'violation' ? 'violation' : frame.reason, `the other room ended the connection: ${frame.message}`, false);
        if (frame.t === 'error') return void log.warn('gateway: the other hub reports', { link: linkId, code: frame.error.code, message: frame.error.message });
        if (!this.budget.spend(linkId, session, 0, () => session.receive(frame))) return flooded();
      } catch (err) {
        const e = err instanceof OsmoseError ? err : new OsmoseError('internal', (err as Error).message);
        this.cutOff(linkId, e);
      }
    };
    ws.on('message', onMessage);
    ws.on('close', () => {
      if (this.closed || this.conns.get(linkId)?.ws !== ws) return;
      this.conns.delete(linkId);
      session.detach();
      if (session.row.role === 'guest' && this.sessions.has(linkId)) this.scheduleDial(linkId, RECONNECT_MIN_MS);
    });
    // A connection costs too (the handshake, the catch-up each side starts): a hub that keeps
    // reconnecting to be sent the note or the thread again spends the same budget as frames.
    const socket = { send: (text: string) => ws.readyState === ws.OPEN && ws.send(text), close: (code: number, reason: string) => ws.close(code, reason) };
    if (!this.budget.spend(linkId, session, GATEWAY_LIMITS.connectCost, () => session.attach(socket))) {
      log.warn('gateway: the other hub reconnects too often; cut off', { link: linkId });
      return this.finish(linkId, 'violation', `cut off: the other room connected again more often than this room takes in ${GATEWAY_LIMITS.floodWindowMs / 1000} s`, true);
    }
    // Frames that came right behind the welcome, in order, before anything newer.
    for (const data of backlog) onMessage(data, false);
  }

  /** The other hub sent something malformed or out of scope: cut off, logged, not reconnected. */
  private cutOff(linkId: string, err: OsmoseError): void {
    log.warn('gateway: the other hub broke the link’s scope; cut off', { link: linkId, code: err.code, message: err.message });
    this.finish(linkId, 'violation', `cut off: the other room sent data the link does not cover (${err.code}: ${err.message})`.slice(0, 300), true);
  }

  private finish(linkId: string, reason: EndReason, message: string, tellOther: boolean): void {
    this.budget.guard.forget(linkId);
    const session = this.sessions.get(linkId);
    const conn = this.conns.get(linkId);
    this.conns.delete(linkId);
    if (conn && tellOther && session) {
      session.sendControl({ v: PROTOCOL_VERSION, t: 'end', reason, message: message.slice(0, 300) }, 'end of the connection');
    }
    conn?.ws.close(reason === 'violation' ? GW_CLOSE.violation : GW_CLOSE.ended, reason);
    // Terminate if the close handshake does not finish at once: the cut must not wait on the other side.
    if (conn) setTimeout(() => conn.ws.terminate(), 500).unref();
    const r = this.retries.get(linkId);
    if (r?.timer) clearTimeout(r.timer);
    this.retries.delete(linkId);
    this.sessions.delete(linkId);
    if (session) session.close();
    else if (this.store.link(linkId)?.role === 'guest') removeMirrors(this.d.doc, linkId, this.store.received(linkId));
    this.store.endLink(linkId, this.now(), reason, message);
    // Ended here while the inviting hub was out of reach: tell it when it can be reached, so it
    // does not show the link as "reconnecting" until the expiry.
    // The end is recorded before anything else can happen (a hub that stops or dies now still
    // delivers it after its restart) and cleared once the other hub has answered our close.
    if (tellOther && session?.row.role === 'guest' && reason !== 'expired') {
      this.store.addPendingEnd(linkId, reason, message);
      // Delivered if the other hub answered our close (frames arrive in order, the end first);
      // a connection that was already dead ends with 1006 when we terminate it.
      if (conn) {
        conn.ws.once('close', (code: number) => {
          if (this.closed) return; // the hub is stopping: the record stays for the next start
          if (code === 1006) this.scheduleEndNotice(linkId, 0);
          else this.store.removePendingEnd(linkId);
        });
      } else this.scheduleEndNotice(linkId, 0);
    }
    if (session) log.info('gateway: link ended', { link: linkId, reason });
    this.changed();
  }

  private tick(): void {
    const now = this.now();
    for (const s of [...this.sessions.values()]) if (s.row.expiresAt <= now) this.finish(s.row.id, 'expired', 'the connection reached its expiry', true);
  }

  private keepAlive(): void {
    const now = this.now();
    for (const [id, c] of this.conns) {
      if (now - c.lastFrame > SILENT_AFTER_MS) {
        c.ws.terminate(); // the close handler reconnects (guest) or waits (inviter)
        continue;
      }
      const s = this.sessions.get(id);
      if (s?.row.role === 'guest') s.sendControl({ v: PROTOCOL_VERSION, t: 'ping', n: now }, 'keep-alive');
    }
  }

  private prune(): void {
    const days = retentionDays(this.d.doc);
    const removed = this.ledger.prune(days);
    // Ended links and spent invitations name items (a note's title, a message's first words).
    const old = this.store.pruneBefore(this.now() - days * 86_400_000);
    if (removed || old) log.info('gateway: ledger entries, ended links and invitations past the room’s retention removed', { rows: removed, records: old });
  }

  private countIn(linkId: string, data: RawData): void {
    this.bytesIn.set(linkId, (this.bytesIn.get(linkId) ?? 0) + rawBytes(data));
    this.framesIn.set(linkId, (this.framesIn.get(linkId) ?? 0) + 1);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

function rawBytes(data: RawData): number {
  return Array.isArray(data) ? data.reduce((a, b) => a + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
}
