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
 */
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { OsmoseError } from './errors.ts';
import { FRAME, decodeSyncFrame, encodeAck, encodeSyncFrame } from './sync-frames.ts';

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
}

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

  constructor(
    readonly doc: Y.Doc,
    readonly awareness: awarenessProtocol.Awareness | null,
    private readonly opts: DocSyncOptions = {},
  ) {
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
    const e = encoding.createEncoder();
    syncProtocol.writeSyncStep1(e, this.doc);
    link.send(encodeSyncFrame(FRAME.sync, 0, encoding.toUint8Array(e)));
    if (this.awareness?.getLocalState() && !link.wantsAck) {
      link.send(encodeSyncFrame(FRAME.awareness, 0, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
    }
  }

  removeLink(id: string): void {
    this.links.delete(id);
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

  /** A whole frame from a link (fragments already put together). Never throws. */
  receive(linkId: string, bytes: Uint8Array): void {
    const link = this.links.get(linkId);
    if (!link) return;
    const decoded = decodeSyncFrame(bytes);
    if (!decoded.ok) return this.opts.onError?.(linkId, decoded.error);
    const { kind, seq, payload } = decoded.frame;
    try {
      switch (kind) {
        case FRAME.sync: {
          const reply = encoding.createEncoder();
          let bad: Error | null = null;
          const type = syncProtocol.readSyncMessage(decoding.createDecoder(payload), reply, this.doc, linkId, (e: Error) => (bad = e));
          if (bad) return this.opts.onError?.(linkId, new OsmoseError('bad-request', `malformed sync payload: ${(bad as Error).message}`.slice(0, 200)));
          if (encoding.length(reply) > 0) {
            const s = this.send(link, encoding.toUint8Array(reply));
            if (link.wantsAck && type === syncProtocol.messageYjsSyncStep1) this.ackFloor.set(link.id, s);
          }
          const parked = this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
          if (this.opts.ack && seq > 0 && parked) {
            this.withheld.set(linkId, seq);
            return;
          }
          if (this.opts.ack && !parked && this.withheld.size) this.releaseWithheld();
          if (this.opts.ack && seq > 0) {
            const refusal = this.opts.beforeAck?.() ?? null;
            if (refusal) this.opts.onError?.(linkId, refusal);
            else link.send(encodeAck(seq));
          }
          return;
        }
        case FRAME.awareness:
          if (this.awareness) awarenessProtocol.applyAwarenessUpdate(this.awareness, payload, linkId);
          return;
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
  }

  private readonly ackFloor = new Map<string, number>();
  private readonly withheld = new Map<string, number>();
  private releaseWithheld(): void {
    for (const [id, s] of this.withheld) {
      const l = this.links.get(id);
      if (!l) continue;
      const refusal = this.opts.beforeAck?.() ?? null;
      if (refusal) return;
      l.send(encodeAck(s));
    }
    this.withheld.clear();
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
