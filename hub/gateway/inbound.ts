/**
 * Inbound admission: other rooms' hubs connect to `/gateway` on the HTTPS port, and the hello
 * alone admits them: a link's credential (a link this room holds open: reconnecting), or an
 * invitation's token (a new link). Anything else is refused with a typed error, recorded in the
 * ledger like every frame that leaves the room, and counted against the address: past 10
 * refusals a minute the upgrade itself is answered 429.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type * as Y from 'yjs';
import { decodeFrame, encodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { GATEWAY_LIMITS, GatewayFrame } from '../../protocol/gateway.ts';
import { safeEqual } from '../../protocol/crypto.ts';
import { RateLimiter } from '../net/rate-limit.ts';
import { refuseUpgrade } from '../net/upgrade-response.ts';
import { log } from '../support/log.ts';
import type { GatewayStore, LinkRow } from './store.ts';
import type { Ledger } from './ledger.ts';
import { MAX_LINKS, type Links } from './links.ts';
import { firstConnection, sendRefusal } from './refusal.ts';
import { checkToken, newId, newToken } from './invitations.ts';
import { sha256Hex } from './pinned-dial.ts';

type Hello = Extract<GatewayFrame, { t: 'hello' }>;

export interface InboundDeps {
  doc: Y.Doc;
  store: GatewayStore;
  ledger: Ledger;
  links: Links;
  room: () => RoomInfo;
  now: () => number;
}

export class Inbound {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: GATEWAY_LIMITS.frameBytes, perMessageDeflate: false });
  private readonly failures = new RateLimiter(10, 60_000);

  constructor(private readonly d: InboundDeps) {
    this.wss.on('connection', (ws, req: IncomingMessage) => this.onConnection(ws, req));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!(req.socket as TLSSocket).encrypted) return refuseUpgrade(socket, 400, { code: 'bad-request', message: 'rooms link over HTTPS only' });
    if (this.failures.blocked(req.socket.remoteAddress ?? '')) return refuseUpgrade(socket, 429, { code: 'rate-limited', message: 'too many refused links from this address; wait a minute' });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  /** Addresses with refusals counted this minute (the soak benchmark watches it stay bounded). */
  get trackedAddresses(): number {
    return this.failures.size;
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const from = req.socket.remoteAddress ?? '';
    ws.on('error', (err) => log.warn('gateway socket error', { error: err.message }));
    const timer = setTimeout(() => refuse(new OsmoseError('unauthorized', 'no hello within 5 s')), GATEWAY_LIMITS.helloTimeoutMs);
    const refuse = (err: OsmoseError, hello: GatewayFrame | null = null) => {
      clearTimeout(timer);
      this.failures.take(from);
      log.info('gateway: link refused', { code: err.code, from });
      sendRefusal(ws, this.d.ledger, this.d.store, hello, err);
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
        const session = this.d.links.get(row.id)!;
        const welcome = encodeFrame({
          v: PROTOCOL_VERSION, t: 'welcome', linkId: row.id, invitationId: row.invitationId, ...(secret ? { secret } : {}),
          room: this.d.room(), scope: row.scope, label: row.label, access: row.access, expiresAt: row.expiresAt,
        } satisfies GatewayFrame);
        session.recordControl(welcome, 'handshake (this room’s name, the scope, the expiry)');
        ws.send(welcome);
        this.d.links.attach(row.id, ws, session);
      } catch (err) {
        // A new link whose welcome could not go (the ledger failed) is over before it began.
        if (admitted && firstConnection(hello)) this.d.links.finish(admitted, 'ended', 'this room could not record the handshake', false);
        refuse(err instanceof OsmoseError ? err : new OsmoseError('internal', 'could not open the link'), hello);
        if (!(err instanceof OsmoseError)) log.error('gateway: hello failed', { error: (err as Error).message });
      }
    });
  }

  /** The link a hello opens or reconnects; `secret` only for a new link (the guest keeps it to reconnect). */
  private admit(hello: Hello): { row: LinkRow; secret: string | null } {
    const now = this.d.now();
    if (hello.auth.kind === 'link') {
      const row = this.d.store.link(hello.auth.linkId);
      if (!row || row.role !== 'inviter' || !safeEqual(sha256Hex(hello.auth.secret), row.secret) || row.room.id !== hello.room.id) {
        throw new OsmoseError('invitation-forged', 'this hub has no such link');
      }
      if (row.endedAt !== null) throw new OsmoseError('link-ended', row.endMessage || 'the connection was ended');
      if (row.expiresAt <= now) throw new OsmoseError('invitation-expired', 'the connection expired');
      return { row, secret: null };
    }
    const inv = checkToken(this.d.store, this.d.doc, hello.auth.token, hello.room, this.d.room().id, now);
    if (this.d.links.size >= MAX_LINKS) throw new OsmoseError('rate-limited', 'the inviting room has too many connections open; try again later');
    const secret = newToken();
    const row: LinkRow = {
      id: newId('l'), role: 'inviter', invitationId: inv.id, room: hello.room, scope: inv.scope, label: inv.label, access: inv.access,
      expiresAt: inv.expiresAt, createdAt: now, secret: sha256Hex(secret), host: null, port: null, fingerprint: null, caPem: null,
      endedAt: null, endReason: null, endMessage: null,
    };
    this.d.store.db.transaction(() => {
      this.d.store.useInvitation(inv.id);
      this.d.store.addLink(row);
    })();
    this.d.links.open(row);
    log.info('gateway: link opened', { link: row.id, invitation: inv.id, from: hello.room.name, scope: inv.scope.kind, access: inv.access });
    return { row, secret };
  }
}
