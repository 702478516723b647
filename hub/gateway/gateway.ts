/**
 * The gateway: this room's links to other rooms, wired from its parts. Members act through it
 * (make or withdraw an invitation, accept another room's, end a link); other rooms' hubs reach it
 * on `/gateway` (inbound.ts); it dials out only for links a member accepted (outbound.ts, with
 * retries.ts); the links open now and how they end are links.ts, each one's traffic
 * link-session.ts, over connections.ts. State for the app and /display comes from views.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type * as Y from 'yjs';
import { OsmoseError } from '../../protocol/errors.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { invitationCode, invitationUrl, type CreateInvitationRequest, type EndReason, type GatewayDisplay, type GatewayState, type InvitationView, type LinkView, type RemotePerson } from '../../protocol/gateway.ts';
import { retentionDays } from '../../protocol/room-doc.ts';
import { log } from '../support/log.ts';
import { GatewayStore } from './store.ts';
import { Ledger } from './ledger.ts';
import type { LinkSession } from './link-session.ts';
import { Links } from './links.ts';
import { Inbound } from './inbound.ts';
import { Outbound } from './outbound.ts';
import { Retries } from './retries.ts';
import { displayView, gatewayState, invitationView } from './views.ts';
import { sweepMirrors } from './mirrors.ts';
import { createInvitation, type Inviter } from './invitations.ts';

const TICK_MS = 250;
const PRUNE_EVERY_MS = 3_600_000;

export { MAX_LINKS } from './links.ts';

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

/** What /display reads of the gateway: its view, and a call on every change (the display paces its pushes). */
export interface GatewayDisplaySource {
  view: () => GatewayDisplay;
  onChange: (fn: () => void) => () => void;
}

export class Gateway {
  readonly store: GatewayStore;
  readonly ledger: Ledger;
  readonly display: GatewayDisplaySource;
  private readonly links: Links;
  private readonly inbound: Inbound;
  private readonly outbound: Outbound;
  private readonly retries = new Retries();
  private readonly listeners = new Set<() => void>();
  private readonly ticker: NodeJS.Timeout;
  private readonly pruner: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly d: GatewayDeps) {
    this.now = d.now ?? Date.now;
    this.store = new GatewayStore(d.dataDir);
    this.ledger = new Ledger(this.store.db, this.now);
    this.ledger.onChange(() => this.changed());
    const base = { doc: d.doc, store: this.store, ledger: this.ledger, room: d.room, now: this.now };
    this.links = new Links({
      ...base,
      people: d.people,
      changed: () => this.changed(),
      reconnect: (id) => this.outbound.redial(id),
      ended: (id) => this.retries.forget(id),
      tellEnd: (id) => this.outbound.tellEnd(id),
    });
    this.inbound = new Inbound({ ...base, links: this.links });
    this.outbound = new Outbound({ ...base, links: this.links, retries: this.retries, changed: () => this.changed() });
    this.display = { view: () => displayView(this.links.all(), this.ledger), onChange: (fn) => this.onChange(fn) };
    d.onPeopleChange(() => this.links.sendPresence());
    this.reopen();
    // Whatever a link that is over mirrored goes, also when it ended while this hub was down.
    const swept = sweepMirrors(d.doc, this.store);
    if (swept) log.info('gateway: items mirrored by links that are over were removed', { items: swept });
    for (const p of this.store.pendingEnds()) this.outbound.tellEnd(p.linkId);
    this.ticker = setInterval(() => this.links.expire(), TICK_MS);
    this.pruner = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    for (const t of [this.ticker, this.pruner]) t.unref();
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
  accept(code: string): Promise<LinkView> {
    return this.outbound.accept(code);
  }

  /** A member (or expiry) ends the link: the other side is told, the socket closes now. */
  end(linkId: string, reason: EndReason = 'ended', message = 'a member ended the connection'): void {
    if (!this.links.get(linkId)) {
      const row = this.store.link(linkId);
      if (!row) throw new OsmoseError('not-found', 'no such connection');
      if (row.endedAt !== null) return; // already over: ending twice is fine
    }
    this.links.finish(linkId, reason, message, true);
  }

  // ---- State and wiring --------------------------------------------------------------------------

  state(): GatewayState {
    return gatewayState(this.links.all(), this.store, this.ledger, this.now());
  }

  session(linkId: string): LinkSession | undefined {
    return this.links.get(linkId);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Per-link state held in memory: none of it may outlive its link (the soak benchmark reads it). */
  get sizes(): Record<string, number> {
    return { ...this.links.sizes, retries: this.retries.size, refusedAddresses: this.inbound.trackedAddresses, listeners: this.listeners.size };
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.inbound.handleUpgrade(req, socket, head);
  }

  close(): void {
    for (const t of [this.ticker, this.pruner]) clearInterval(t);
    this.retries.close();
    this.inbound.close();
    this.links.close();
    this.store.close();
  }

  /** Links still open in the store (this hub restarted): their sessions again; guest links dial. */
  private reopen(): void {
    for (const row of this.store.activeLinks()) {
      if (row.expiresAt <= this.now()) {
        this.store.endLink(row.id, this.now(), 'expired', 'the connection expired');
        continue;
      }
      try {
        this.links.open(row);
      } catch (err) {
        // A link whose state cannot be read back (a damaged per-link copy) ends; the hub starts.
        log.error('gateway: a link could not be reopened; it ends', { link: row.id, error: (err as Error).message });
        this.store.endLink(row.id, this.now(), 'scope-gone', 'this room could not reopen the connection');
        continue;
      }
      // Only links a member accepted are ever dialled: with none, the hub opens no connection.
      if (row.role === 'guest') this.outbound.redial(row.id, 0);
    }
  }

  private prune(): void {
    const days = retentionDays(this.d.doc);
    const removed = this.ledger.prune(days);
    // Ended links and spent invitations name items (a note's title, a message's first words).
    const old = this.store.pruneBefore(this.now() - days * 86_400_000);
    if (old) this.links.reloadReceived();
    if (removed || old) log.info('gateway: ledger entries, ended links and invitations past the room’s retention removed', { rows: removed, records: old });
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
