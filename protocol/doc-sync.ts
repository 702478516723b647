/**
 * Keeps one Yjs document in sync with any number of links (peers on the mesh, the hub on the
 * room channel), using y-protocols' sync and awareness messages inside our frames
 * (sync-frames.ts). Shared by the app and the hub.
 *
 * - A new link exchanges state vectors (sync step 1) and the differences (step 2) both ways, so
 *   a late joiner catches up from whoever it reaches first.
 * - Every update, from anywhere, is forwarded to every other link. Yjs ignores what it already
 *   has (no update event), so forwarding stops by itself and a partial mesh still converges.
 * - Links that want acks (the hub) get a sequence number on frames with content; the acking side
 *   acks after its update listeners (persistence) have run, i.e. after the update is durable.
 * - An update is taken in whole or not at all (protocol/update-check.ts): one that refers to
 *   changes this replica lacks is refused (`missing-dependencies`, never parked by Yjs, never
 *   acked) and the link is asked for a state-vector sync (a step 1), at most one outstanding per
 *   link. The link held the update's dependencies when it sent it, so its step 2, made after our
 *   step 1 reached it, brings them and the update; a refusal while a step 1 is outstanding asks
 *   once more when that step 2 has come (on a link that reorders, the step 2 may predate the
 *   refused update). A refused step 2 is reported, not retried: an honest one is always complete.
 * - Presence from a link is filtered first (protocol/awareness-guard.ts).
 */
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { OsmoseError } from './errors.ts';
import { FRAME, decodeSyncFrame, encodeAck, encodeSyncFrame } from './sync-frames.ts';
import { checkUpdate, dropParked, type UpdateLimits } from './update-check.ts';
import { filterAwareness } from './awareness-guard.ts';
import { STEP1_EVERY_MS, Step1Throttle, realTimers, type Scheduler } from './step1-throttle.ts';

export interface SyncLink {
  readonly id: string;
  /** Frames with content carry a seq and are acked by the other side (the hub). */
  readonly wantsAck?: boolean;
  send(frame: Uint8Array): void;
}

export interface DocSyncOptions {
  /** This side acks frames that ask for it (the hub, after persisting). */
  ack?: boolean;
  onError?: (linkId: string, error: OsmoseError) => void;
  /** Saved state changed (acks on a link that wants them). */
  onSaved?: () => void;
  /** Asked before acking: an error (e.g. the disk is full) withholds the ack. */
  beforeAck?: () => OsmoseError | null;
  /** The document's root types: an update that writes under any other is refused. */
  roots?: ReadonlySet<string>;
  /** Per-update limits (protocol/update-check.ts UPDATE_LIMITS by default). */
  limits?: UpdateLimits;
  /** Clock (ms): re-asking a link whose step 2 never came, pacing answers to step 1s. */
  now?: () => number;
  /** Timers for step 1 answers that wait (protocol/step1-throttle.ts); real timers by default. */
  schedule?: Scheduler;
}

/** A step 1 unanswered this long no longer holds back a new one. */
export const RESYNC_RETRY_MS = 10_000;

/** Origins that are not links: never forwarded back to a link of the same name. */
export const ORIGIN = { local: 'local', storage: 'storage' } as const;

export class DocSync {
  private readonly links = new Map<string, SyncLink>();
  private readonly awarenessClients = new Map<string, Set<number>>();
  private seq = 0;
  private readonly seqVersion = new Map<number, number>();
  /** Counts updates this replica has taken in; compared with what the hub acked. */
  private version = 0;
  private ackedVersion = 0;
  private readonly step1s: Step1Throttle;

  constructor(
    readonly doc: Y.Doc,
    readonly awareness: awarenessProtocol.Awareness | null,
    private readonly opts: DocSyncOptions = {},
  ) {
    this.step1s = new Step1Throttle(STEP1_EVERY_MS, () => this.clock(), opts.schedule ?? realTimers);
    doc.on('update', this.onUpdate);
    awareness?.on('update', this.onAwareness);
  }

  /** True while some update has not been acked by an acking link. */
  get unsaved(): boolean {
    return this.version > this.ackedVersion;
  }

  addLink(link: SyncLink): void {
    this.links.set(link.id, link);
    this.ackFloor.delete(link.id);
    this.askForSync(link);
    if (this.awareness?.getLocalState() && !link.wantsAck) {
      link.send(encodeSyncFrame(FRAME.awareness, 0, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
    }
  }

  removeLink(id: string): void {
    this.links.delete(id);
    this.asked.delete(id);
    this.ackFloor.delete(id);
    this.step1s.forget(id);
    const clients = this.awarenessClients.get(id);
    this.awarenessClients.delete(id);
    if (this.awareness && clients?.size) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [...clients], 'link-closed');
      for (const c of clients) this.awareness.meta.delete(c);
    }
  }

  hasLink(id: string): boolean {
    return this.links.has(id);
  }

  /** Links now (the hub's replica: one per connected device). */
  get linkCount(): number {
    return this.links.size;
  }

  /** A whole frame from a link (fragments already put together). Never throws. */
  receive(linkId: string, bytes: Uint8Array): void {
    const link = this.links.get(linkId);
    if (!link) return;
    const decoded = decodeSyncFrame(bytes);
    if (!decoded.ok) return this.opts.onError?.(linkId, decoded.error);
    const { kind, seq, payload } = decoded.frame;
    try {
      switch (kind) {
        case FRAME.sync:
          return this.receiveSync(link, seq, payload);
        case FRAME.awareness:
          return this.receiveAwareness(linkId, payload);
        case FRAME.ack:
          return this.acked(link, seq);
        default:
          return this.opts.onError?.(linkId, new OsmoseError('bad-request', `unexpected frame kind ${kind}`));
      }
    } catch (err) {
      // Yjs throws on a malformed update: refuse the frame, keep the document as it was.
      this.opts.onError?.(linkId, new OsmoseError('bad-request', `malformed ${kind === FRAME.sync ? 'sync' : 'awareness'} payload: ${(err as Error).message}`.slice(0, 200)));
    }
  }

  destroy(): void {
    this.doc.off('update', this.onUpdate);
    this.awareness?.off('update', this.onAwareness);
    this.links.clear();
    this.step1s.clear();
  }

  private readonly ackFloor = new Map<string, number>();
  /** Links we sent a step 1 to and have no step 2 from yet: when, and whether to ask again. */
  private readonly asked = new Map<string, { at: number; again: boolean }>();

  private receiveSync(link: SyncLink, seq: number, payload: Uint8Array): void {
    const d = decoding.createDecoder(payload);
    const type = decoding.readVarUint(d);
    if (type === syncProtocol.messageYjsSyncStep1) {
      const stateVector = decoding.readVarUint8Array(d);
      Y.decodeStateVector(stateVector); // throws when malformed: refused now, not when answered
      // The hub (the acking link) is answered at once; members at a bounded pace.
      if (link.wantsAck) this.answer(link, stateVector);
      else this.step1s.request(link.id, stateVector, (sv) => this.answer(link, sv));
      return this.ack(link, seq);
    }
    if (type !== syncProtocol.messageYjsSyncStep2 && type !== syncProtocol.messageYjsUpdate) {
      return this.opts.onError?.(link.id, new OsmoseError('bad-request', `unknown sync message type ${type}`));
    }
    const update = decoding.readVarUint8Array(d);
    const answer = type === syncProtocol.messageYjsSyncStep2 ? this.asked.get(link.id) : undefined;
    if (answer) this.asked.delete(link.id);
    const refusal = this.take(link.id, update);
    if (refusal && type === syncProtocol.messageYjsSyncStep2) {
      return this.opts.onError?.(link.id, new OsmoseError(refusal.code, `sync step 2: ${refusal.message}`, { cause: refusal }));
    }
    if (refusal) {
      this.opts.onError?.(link.id, refusal);
      if (refusal.code === 'missing-dependencies') this.resync(link);
      return;
    }
    if (answer?.again) this.askForSync(link);
    this.ack(link, seq);
  }

  /** Sync step 2: what `link` lacks, given its state vector. */
  private answer(link: SyncLink, stateVector: Uint8Array): void {
    if (this.links.get(link.id) !== link) return;
    const reply = encoding.createEncoder();
    syncProtocol.writeSyncStep2(reply, this.doc, stateVector);
    const s = this.send(link, encoding.toUint8Array(reply));
    if (link.wantsAck) this.ackFloor.set(link.id, s);
  }

  /** Applies an update whole, or refuses it and leaves the document as it was. */
  private take(linkId: string, update: Uint8Array): OsmoseError | null {
    const verdict = checkUpdate(update, (client) => Y.getState(this.doc.store, client), { roots: this.opts.roots, limits: this.opts.limits });
    if (!verdict.ok) return verdict.error;
    let failure: Error | null = null;
    try {
      Y.applyUpdate(this.doc, update, linkId);
    } catch (err) {
      failure = err as Error;
    }
    // What the check cannot see (a dependency cycle inside one update) Yjs parks: never kept.
    const dropped = dropParked(this.doc);
    if (failure) return new OsmoseError('bad-request', `malformed sync payload: ${failure.message}`.slice(0, 200));
    if (dropped) return new OsmoseError('missing-dependencies', `part of an update could not be applied and was dropped (${dropped.structBytes + dropped.deleteBytes} bytes)`);
    return null;
  }

  /** After a refusal: a step 1 to the link now, or once its outstanding step 2 has come. */
  private resync(link: SyncLink): void {
    const pending = this.asked.get(link.id);
    if (pending && this.clock() - pending.at <= RESYNC_RETRY_MS) pending.again = true;
    else this.askForSync(link);
  }

  private askForSync(link: SyncLink): void {
    this.asked.set(link.id, { at: this.clock(), again: false });
    const e = encoding.createEncoder();
    syncProtocol.writeSyncStep1(e, this.doc);
    link.send(encodeSyncFrame(FRAME.sync, 0, encoding.toUint8Array(e)));
  }

  private clock(): number {
    return (this.opts.now ?? Date.now)();
  }

  private ack(link: SyncLink, seq: number): void {
    if (!this.opts.ack || seq === 0) return;
    const refusal = this.opts.beforeAck?.() ?? null;
    if (refusal) this.opts.onError?.(link.id, refusal);
    else link.send(encodeAck(seq));
  }

  private receiveAwareness(linkId: string, payload: Uint8Array): void {
    if (!this.awareness) return;
    const owner = (client: number) => {
      for (const [id, set] of this.awarenessClients) if (set.has(client)) return id;
      return undefined;
    };
    const verdict = filterAwareness(payload, linkId, this.doc.clientID, owner, this.awarenessClients.get(linkId)?.size ?? 0);
    if (!verdict.ok) return this.opts.onError?.(linkId, verdict.error);
    if (verdict.update) awarenessProtocol.applyAwarenessUpdate(this.awareness, verdict.update, linkId);
  }

  private send(link: SyncLink, syncMessage: Uint8Array): number {
    let seq = 0;
    if (link.wantsAck) {
      seq = ++this.seq;
      this.seqVersion.set(seq, this.version);
    }
    link.send(encodeSyncFrame(FRAME.sync, seq, syncMessage));
    return seq;
  }

  private acked(link: SyncLink, seq: number): void {
    if (!link.wantsAck) return;
    if (seq < (this.ackFloor.get(link.id) ?? Infinity)) return;
    const v = this.seqVersion.get(seq);
    if (v === undefined) return;
    for (const s of [...this.seqVersion.keys()]) if (s <= seq) this.seqVersion.delete(s);
    if (v > this.ackedVersion) {
      this.ackedVersion = v;
      this.opts.onSaved?.();
    }
  }

  private onUpdate = (update: Uint8Array, origin: unknown): void => {
    // What came from the storage or from an acking link (the hub) is already saved there.
    const fromAcker = typeof origin === 'string' && this.links.get(origin)?.wantsAck === true;
    if (origin !== ORIGIN.storage && !fromAcker) {
      this.version++;
      if ([...this.links.values()].some((l) => l.wantsAck)) this.opts.onSaved?.();
    }
    const e = encoding.createEncoder();
    syncProtocol.writeUpdate(e, update);
    const message = encoding.toUint8Array(e);
    for (const link of this.links.values()) if (link.id !== origin) this.send(link, message);
  };

  private onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    if (origin === 'link-closed') return;
    if (typeof origin === 'string' && this.links.has(origin)) {
      // Remember whose states came over which link, to drop them when the link goes.
      const set = this.awarenessClients.get(origin) ?? new Set<number>();
      for (const c of [...added, ...updated]) set.add(c);
      for (const c of removed) set.delete(c);
      this.awarenessClients.set(origin, set);
      return; // awareness is not forwarded: every device talks to every other directly
    }
    const changed = [...added, ...updated, ...removed];
    if (!this.awareness || changed.length === 0) return;
    const frame = encodeSyncFrame(FRAME.awareness, 0, awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
    // Not to the hub: who is typing or looking at what stays between the devices.
    for (const link of this.links.values()) if (!link.wantsAck) link.send(frame);
  };
}
