/**
 * The room's scribe on this device (Use 2): its sessions as the views show them, and what a
 * member can do: start it (a new content key, handed over the mesh to each device present,
 * wrapped for its vouched X25519 key), stop it (anyone present), grant a device that arrived
 * later (anyone who holds the key: the rule in THREAT_MODEL.md), export what this device can
 * read, delete a transcript (its keys go with it). The microphones feed it through the voice
 * service (voice/scribe-feed.ts); each utterance is sealed here before it enters the room's
 * memory, so the hub and devices without the key hold only ciphertext.
 */
import type * as Y from 'yjs';
import { ORIGIN } from '../../protocol/doc-sync.ts';
import type { MeshSealedKey } from '../../protocol/mesh.ts';
import { newContentKey, sealText } from '../../protocol/sealed.ts';
import { SCRIBE_LIMITS, ScribeKey, ScribeSession, ScribeUtterance, scribeKeyContext, scribeKeyId, utteranceAad, type DeviceRef } from '../../protocol/scribe.ts';
import { deleteScribeSession, readScribeKeys, readScribeSessions, readUtterances, scribeKeys, scribeSessions, scribeText } from '../../protocol/scribe-doc.ts';
import { handOver, presentRecipients, recipient, wrapForMe, type KeyHolder, type KeyMesh } from '../room/sealed-keys.ts';
import { newItemId } from '../memory/room-memory.svelte.ts';
import type { ScribeTarget } from '../voice/scribe-feed.ts';
import { ScribeKeys } from './scribe-keys.ts';

export interface ScribeDeps {
  doc: Y.Doc;
  me: KeyHolder & { name: () => string };
  mesh(): KeyMesh | null;
  /** Names of the devices in the room now (for the present list and grants). */
  nameOf(deviceId: string): string;
  /** The session this device's microphone may feed (voice service), or null. */
  feed(target: ScribeTarget | null): void;
  /** Rewrite this device's stored history (a transcript and its keys were deleted). */
  compact(): void;
  now?(): number;
}

export interface UtteranceView {
  id: string;
  heardBy: string;
  heardByName: string;
  processedBy: string;
  start: number;
  end: number;
  /** Null: this device holds no key for it. */
  text: string | null;
}

export interface SessionView {
  session: ScribeSession;
  /** This device holds the session's key. */
  readable: boolean;
  utterances: UtteranceView[];
  /** Devices holding the key (present at the start, or granted): id → how they got it. */
  readers: Map<string, ScribeKey>;
  /** Devices present now that hold no key: a reader may grant them. */
  grantable: DeviceRef[];
}

export class ScribeState {
  sessions = $state.raw<SessionView[]>([]);
  /** The session running now, if any. */
  active = $state.raw<SessionView | null>(null);
  error = $state<string | null>(null);
  private readonly keys: ScribeKeys;
  private readonly now: () => number;
  private readonly off: () => void;
  private fed: string | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: ScribeDeps) {
    this.now = deps.now ?? Date.now;
    this.keys = new ScribeKeys(deps.doc, deps.me);
    const soon = () => this.scheduleRefresh();
    const deleted = (e: Y.YMapEvent<unknown>) => {
      for (const c of e.changes.keys.values()) if (c.action === 'delete') return deps.compact();
    };
    scribeSessions(deps.doc).observe(soon);
    scribeText(deps.doc).observe(soon);
    scribeKeys(deps.doc).observe(soon);
    scribeKeys(deps.doc).observe(deleted);
    this.off = () => {
      scribeSessions(deps.doc).unobserve(soon);
      scribeText(deps.doc).unobserve(soon);
      scribeKeys(deps.doc).unobserve(soon);
      scribeKeys(deps.doc).unobserve(deleted);
    };
    this.refresh();
  }

  /** Starts a session: a new key for this device and each device present. Null if one runs. */
  start(): string | null {
    if (this.readSessions().some((s) => s.stoppedAt === undefined)) return null;
    const id = newItemId();
    const key = newContentKey();
    const context = scribeKeyContext(id);
    const mesh = this.deps.mesh();
    const sent = mesh ? handOver(mesh, key, presentRecipients(mesh).slice(0, SCRIBE_LIMITS.present - 1), context, false) : [];
    const me = this.deps.me;
    const present: DeviceRef[] = [{ deviceId: me.deviceId, name: me.name() }, ...sent.map((d) => ({ deviceId: d, name: this.deps.nameOf(d) }))];
    const session = ScribeSession.parse({ id, startedBy: me.deviceId, startedByName: me.name(), startedAt: this.now(), present });
    const mine = ScribeKey.parse({ key: wrapForMe(key, me, context), from: me.deviceId, granted: false, at: this.now() });
    this.keys.remember(id, key);
    this.deps.doc.transact(() => {
      scribeSessions(this.deps.doc).set(id, session);
      scribeKeys(this.deps.doc).set(scribeKeyId(id, me.deviceId), mine);
    }, ORIGIN.local);
    this.refresh();
    return id;
  }

  /** Stops the running session (anyone present may). Null if none runs. */
  stop(): string | null {
    const s = this.readSessions().find((x) => x.stoppedAt === undefined);
    if (!s) return null;
    const stopped = ScribeSession.parse({ ...s, stoppedAt: Math.max(s.startedAt, this.now()), stoppedBy: { deviceId: this.deps.me.deviceId, name: this.deps.me.name() } });
    this.deps.doc.transact(() => scribeSessions(this.deps.doc).set(s.id, stopped), ORIGIN.local);
    this.refresh();
    return s.id;
  }

  /** Hands the session's key to a device present now that does not hold it (an explicit grant). */
  grant(session: string, deviceId: string): boolean {
    const key = this.keys.key(session);
    const mesh = this.deps.mesh();
    const to = recipient(mesh, deviceId);
    if (!key || !mesh || !to) {
      this.error = !key ? 'This device cannot read that transcript, so it cannot let anyone else read it.' : 'That device is not connected to this one right now.';
      return false;
    }
    this.error = null;
    return handOver(mesh, key, [to], scribeKeyContext(session), true).length === 1;
  }

  /** Deletes a transcript: the session, its utterances and every key handed over for it. */
  delete(session: string): void {
    this.deps.doc.transact(() => deleteScribeSession(this.deps.doc, session), ORIGIN.local);
    this.refresh();
    this.deps.compact();
  }

  /** Mesh: a key handed to this device. Kept (wrapped for this device) in the room's memory. */
  takeKey(from: string, msg: MeshSealedKey): void {
    if (!msg.context.startsWith('scribe|')) return;
    try {
      const { session, key } = this.keys.take(msg, readUtterances(this.deps.doc));
      // Where this device already knows the session: a key at the start comes from its starter,
      // a grant from a device that holds it.
      const known = this.readSessions().find((s) => s.id === session);
      if (known && !msg.grant && known.startedBy !== from) throw new Error('a start key from a device that did not start the session');
      if (known && msg.grant && !readScribeKeys(this.deps.doc, session).has(from)) throw new Error('a grant from a device that holds no key');
      this.keys.remember(session, key);
      const id = scribeKeyId(session, this.deps.me.deviceId);
      if (!scribeKeys(this.deps.doc).has(id)) {
        const entry = ScribeKey.parse({ key: msg.key, from, granted: msg.grant, at: this.now() });
        this.deps.doc.transact(() => scribeKeys(this.deps.doc).set(id, entry), ORIGIN.local);
      }
      this.refresh();
    } catch (err) {
      console.warn('[osmose] a scribe key from', from.slice(0, 9), 'was refused:', (err as Error).message);
    }
  }

  /** Seals one utterance from this device's microphone into the room's memory. */
  record(session: string, u: { start: number; end: number; text: string; processedBy: string }): void {
    const key = this.keys.key(session);
    if (!key) return;
    const base = { id: newItemId(), session, heardBy: this.deps.me.deviceId, heardByName: this.deps.me.name(), processedBy: u.processedBy, start: Math.max(0, u.start), end: Math.max(u.start, u.end) };
    const parsed = ScribeUtterance.safeParse({ ...base, text: sealText(key, u.text.slice(0, SCRIBE_LIMITS.textChars), utteranceAad(base)) });
    if (!parsed.success) return console.warn('[osmose] a scribe utterance did not validate', parsed.error.message);
    this.deps.doc.transact(() => {
      const arr = scribeText(this.deps.doc);
      arr.push([parsed.data]);
      if (arr.length > SCRIBE_LIMITS.kept) arr.delete(0, arr.length - SCRIBE_LIMITS.kept);
    }, ORIGIN.local);
  }

  /** Mesh membership changed: who may be granted changes. */
  peersChanged(): void {
    this.scheduleRefresh();
  }

  dispose(): void {
    this.off();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.deps.feed(null);
  }

  private readSessions(): ScribeSession[] {
    return readScribeSessions(this.deps.doc);
  }

  private scheduleRefresh(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = null;
      this.refresh();
    }, 30);
  }

  private refresh(): void {
    const sessions = this.readSessions();
    const all = readUtterances(this.deps.doc);
    this.keys.forget(new Set(sessions.map((s) => s.id)), new Set(all.map((u) => u.id)));
    const present = presentRecipients(this.deps.mesh());
    this.sessions = sessions.map((session) => {
      const readers = readScribeKeys(this.deps.doc, session.id);
      const readable = this.keys.key(session.id) !== null;
      const utterances = all
        .filter((u) => u.session === session.id)
        .map((u) => ({ id: u.id, heardBy: u.heardBy, heardByName: u.heardByName, processedBy: u.processedBy, start: u.start, end: u.end, text: readable ? this.keys.open(u) : null }));
      const grantable = readable ? present.filter((r) => !readers.has(r.deviceId)).map((r) => ({ deviceId: r.deviceId, name: this.deps.nameOf(r.deviceId) })) : [];
      return { session, readable, utterances, readers, grantable };
    });
    this.active = this.sessions.find((s) => s.session.stoppedAt === undefined) ?? null;
    // This device's microphone feeds the running session only if this device holds its key.
    const feed = this.active?.readable ? this.active.session.id : null;
    if (feed !== this.fed) {
      this.fed = feed;
      this.deps.feed(feed ? { session: feed, record: (u) => this.record(feed, u) } : null);
    }
  }
}
