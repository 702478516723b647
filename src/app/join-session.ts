/**
 * This device's membership of one room: its ticket (room id and secret) and the credential the
 * hub gives for it. Entering reuses a stored credential while it has life left (a reopened app
 * connects without a new proof), else proves the secret (room/join-api.ts), retrying with backoff
 * while the hub is away or busy. Whoever needs the credential (room channel, signaling, the file
 * and gateway APIs) asks `credential()`, which proves the secret again when it is about to expire.
 */
import { OsmoseError, type WireError } from '../../protocol/errors.ts';
import type { JoinTicket } from '../../protocol/join-link.ts';
import type { JoinResponse } from '../../protocol/hub-api.ts';
import { saveRoom, requestPersistence, type StoredRoom } from '../platform/storage.ts';
import type { Credential } from '../platform/hub-http.ts';
import { Backoff } from '../../protocol/backoff.ts';
import type { PageAddress } from './deps.ts';

/** A stored credential is reused at entry only with this much life left. */
export const CREDENTIAL_REUSE_MARGIN_MS = 5 * 60_000;
/** A credential handed out has at least this much life left. */
export const CREDENTIAL_MIN_LIFE_MS = 60_000;

/** Failures worth another try: the hub is away, busy, or lost our challenge. */
const RETRIED: readonly string[] = ['hub-unreachable', 'rate-limited', 'internal', 'challenge-expired', 'challenge-unknown'];

export interface JoinSessionDeps {
  deviceId: string;
  /** Proves the ticket's secret to the hub (room/join-api.ts `joinRoom`). */
  join(ticket: JoinTicket): Promise<JoinResponse>;
  /** Keeps the room with its last answer, so that the next start can reuse it. */
  save(room: StoredRoom): Promise<void>;
}

export interface JoinSessionEvents {
  /** A credential (and the room's facts) to use from now on: at entry, after a retry, renewed. */
  credential(joined: JoinResponse): void;
  /** Entered: start the room's links. */
  connected(): void;
  /** The hub is away (or busy): trying again. */
  retrying(error: OsmoseError): void;
  /** The hub refused the proof (wrong or rotated secret, version…): no point trying again. */
  refused(error: WireError): void;
}

export class JoinSession {
  readonly ticket: JoinTicket;
  joined: JoinResponse | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** The proof under way: whoever needs a credential meanwhile waits for the same one. */
  private proving: Promise<JoinResponse> | null = null;
  private readonly backoff = new Backoff(500, 5_000);
  private stopped = false;

  constructor(
    private stored: StoredRoom,
    private readonly deps: JoinSessionDeps,
    private readonly on: JoinSessionEvents,
  ) {
    this.ticket = { roomId: stored.roomId, secret: stored.secret };
  }

  /** Reuses the stored credential if it has life left (the hub says so if it refuses it), else joins. */
  enter(): void {
    const last = this.stored.lastJoin;
    if (last && last.credential.peerId === this.deps.deviceId && last.credential.expiresAt - Date.now() > CREDENTIAL_REUSE_MARGIN_MS) {
      this.adopt(last);
      this.on.connected();
      return;
    }
    void this.connect();
  }

  /** Proves the secret, then says `connected`; on a failure worth it, tries again after a backoff. */
  async connect(): Promise<void> {
    this.cancelRetry();
    if (this.stopped) return;
    try {
      await this.prove();
    } catch (err) {
      if (this.stopped) return;
      const e = err instanceof OsmoseError ? err : new OsmoseError('hub-unreachable', String(err));
      if (!RETRIED.includes(e.code)) return this.on.refused(e.toWire());
      this.on.retrying(e);
      this.retry = setTimeout(() => void this.connect(), this.backoff.next());
      return;
    }
    this.backoff.reset();
    this.on.connected();
  }

  /** The room as stored on this device, with its last join answer. */
  get room(): StoredRoom {
    return this.stored;
  }

  /** True while waiting to try again. */
  get retrying(): boolean {
    return this.retry !== null;
  }

  /** This device's credential with at least a minute of life left. */
  async credential(): Promise<Credential> {
    const c = this.joined?.credential;
    if (c && c.expiresAt - Date.now() > CREDENTIAL_MIN_LIFE_MS) return { peerId: c.peerId, token: c.token };
    const fresh = await this.prove();
    return { peerId: fresh.credential.peerId, token: fresh.credential.token };
  }

  /** The hub refused the credential: the next `connect` or `credential` proves the secret again. */
  forget(): void {
    this.joined = null;
  }

  /** Done with this room: no more retries, late answers are dropped. */
  stop(): void {
    this.stopped = true;
    this.cancelRetry();
  }

  private prove(): Promise<JoinResponse> {
    if (this.stopped) return Promise.reject(new OsmoseError('cancelled', 'left the room'));
    this.proving ??= this.proveOnce().finally(() => (this.proving = null));
    return this.proving;
  }

  private async proveOnce(): Promise<JoinResponse> {
    const joined = await this.deps.join(this.ticket);
    if (this.stopped) throw new OsmoseError('cancelled', 'left the room');
    this.adopt(joined);
    this.stored = { roomId: this.ticket.roomId, secret: this.ticket.secret, name: joined.room.name, place: joined.room.place, joinedAt: Date.now(), lastJoin: joined };
    // Not awaited: connecting must not wait for the disk. A failure only costs a proof next time.
    this.deps.save(this.stored).catch((err: unknown) => console.warn('[osmose] could not save the room', err));
    return joined;
  }

  private adopt(joined: JoinResponse): void {
    this.joined = joined;
    this.on.credential(joined);
  }

  private cancelRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }
}

/**
 * A join link was scanned or opened: keep its room on this device (the secret lives in IndexedDB,
 * never in the address bar), and clear the address bar. The same ticket again keeps what was
 * stored (its last credential included).
 */
export async function adoptTicket(ticket: JoinTicket, prev: StoredRoom | undefined, page: PageAddress): Promise<StoredRoom> {
  const same = prev?.roomId === ticket.roomId && prev.secret === ticket.secret ? prev : undefined;
  const known = prev?.roomId === ticket.roomId;
  const room: StoredRoom = same ?? { roomId: ticket.roomId, secret: ticket.secret, name: known ? prev.name : null, place: known ? prev.place : null, joinedAt: Date.now() };
  if (!same) await saveRoom(room);
  page.clearFragment();
  void requestPersistence();
  return room;
}
