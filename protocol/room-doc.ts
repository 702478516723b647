/**
 * The room's memory: one Yjs document per room, the same layout on every device and on the hub.
 * Content comes from other members, so every read validates entries and skips malformed ones.
 *
 *   timeline   Y.Array<TimelineEntry>        messages, append-only (retention deletes)
 *   reactions  Y.Map<true>                   key `${messageId}|${emoji}|${deviceId}`
 *   notes      Y.Map<Y.Map>                  noteId → { title: string, body: Y.Text, createdAt, createdBy }
 *   board      Y.Map<BoardItem>              itemId → pinned message, note or file
 *   files      Y.Map<FileMeta>               fileId → metadata (bytes live in file stores)
 *   settings   Y.Map                         retentionDays, timerMinutes
 *   voice      Y.Array<VoiceEvent>           phrases heard by a room microphone (protocol/voice.ts)
 *   timers     Y.Map<RoomTimer>              timerId → a room timer
 *   vision     Y.Array<VisionEvent>          what a room camera saw: someone in view, more people
 *                                            than devices, a face nobody enrolled (protocol/camera.ts)
 *   faces      Y.Map                         face templates, sealed and signed, and their wrapped
 *                                            keys (protocol/face-templates.ts)
 *   commands   Y.Array<CommandEvent>         spoken commands and what the room did (protocol/voice-commands.ts)
 *   scribe, scribeText, scribeKeys           the scribe's sessions, sealed utterances and wrapped
 *                                            keys (protocol/scribe.ts, readers in scribe-doc.ts)
 *
 * (~340 lines: the document's whole layout, its readers and the one retention pass, kept together
 * so that a new root cannot miss retention; sealed roots have their own files: scribe-doc.ts,
 * face-templates.ts.)
 */
import * as Y from 'yjs';
import { z } from 'zod';
import { DeviceId } from './common.ts';
import { LIMITS } from './limits.ts';
import { RoomTimer, TIMER_LIMITS, VoiceEvent } from './voice.ts';
import { VisionEvent } from './camera.ts';
import { CommandEvent } from './voice-commands.ts';
import { SCRIBE_ROOTS, retainScribe } from './scribe-doc.ts';

export const DOC = {
  timeline: 'timeline',
  reactions: 'reactions',
  notes: 'notes',
  board: 'board',
  files: 'files',
  settings: 'settings',
  voice: 'voice',
  timers: 'timers',
  vision: 'vision',
  faces: 'faces',
  commands: 'commands',
  ...SCRIBE_ROOTS,
} as const;

/** Every root type of the room document: a member's update that writes elsewhere is refused. */
export const ROOT_NAMES: ReadonlySet<string> = new Set(Object.values(DOC));

export const ItemId = z.string().regex(/^[0-9A-Za-z-]{8,64}$/);

/** The author of a message that came from another room: namespaced per link by the hub that took
 * it in (hub/gateway/remote-entry.ts), so it is never a device id of this room. */
export const RemoteAuthor = z.string().regex(/^r[0-9a-f]{32}$/, 'not a remote author');

export const TimelineEntry = z.object({
  id: ItemId,
  author: z.union([DeviceId, RemoteAuthor]),
  authorName: z.string().max(LIMITS.displayNameChars),
  text: z.string().min(1).max(LIMITS.chatTextChars),
  sentAt: z.number().int(),
  replyTo: ItemId.optional(),
  /** Set by the hub on a message that came from another room through a gateway. */
  remote: z.object({ room: z.string().max(LIMITS.roomNameChars), access: z.enum(['read', 'write']).optional() }).optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/**
 * A note's `remote` mark: set by the hub (hub/gateway/note-bridge.ts) on the accepting room's
 * mirror of another room's note; `access` says whether this room may write into it.
 */
export const NoteRemote = z.object({
  room: z.string().max(LIMITS.roomNameChars),
  linkId: z.string().max(64).optional(),
  access: z.enum(['read', 'write']),
});
export type NoteRemote = z.infer<typeof NoteRemote>;

export const NOTE_TITLE_CHARS = 120;

/** A note as a list shows it (its body stays a Y.Text in the document). */
export interface NoteSummary {
  id: string;
  title: string;
  createdAt: number;
  /** Characters in the body. */
  length: number;
  /** A mirror of another room's note (through a gateway link). */
  remote?: { room: string; access: 'read' | 'write' };
}

export const REACTIONS = ['👍', '❤️', '😂', '🎉', '👀'] as const;

export const BoardItem = z.object({
  kind: z.enum(['message', 'note', 'file']),
  ref: ItemId,
  pinnedBy: DeviceId,
  pinnedAt: z.number().int(),
});
export type BoardItem = z.infer<typeof BoardItem>;

export const FileMeta = z.object({
  id: ItemId,
  name: z.string().min(1).max(255),
  type: z.string().max(255),
  size: z.number().int().nonnegative(),
  chunkSize: z.number().int().min(16 * 1024).max(1024 * 1024),
  /** SHA-256 of each chunk, hex, in order: a corrupt chunk is caught and fetched again. */
  chunkHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
  /** SHA-256 of the whole file, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sharedBy: DeviceId,
  sharedByName: z.string().max(LIMITS.displayNameChars),
  sharedAt: z.number().int(),
});
export type FileMeta = z.infer<typeof FileMeta>;

export const DEFAULT_RETENTION_DAYS = 30;
/** A reaction or pin whose target is missing is kept this long (its target may still be on the
 * way from another replica), then swept: its target expired or was deleted. */
export const ORPHAN_GRACE_MS = 86_400_000;
export const MAX_RETENTION_DAYS = 3650;

export function newDoc(): Y.Doc {
  // gc: deleted content is dropped, so expired messages leave only tombstones behind.
  return new Y.Doc({ gc: true });
}

export const timeline = (doc: Y.Doc) => doc.getArray<unknown>(DOC.timeline);
/** Value: when the reaction was made (ms). Older documents stored `true`. */
export const reactions = (doc: Y.Doc) => doc.getMap<number | boolean>(DOC.reactions);
export const notes = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>(DOC.notes);
export const board = (doc: Y.Doc) => doc.getMap<unknown>(DOC.board);
export const files = (doc: Y.Doc) => doc.getMap<unknown>(DOC.files);
export const settings = (doc: Y.Doc) => doc.getMap<unknown>(DOC.settings);
export const voiceEvents = (doc: Y.Doc) => doc.getArray<unknown>(DOC.voice);
export const timers = (doc: Y.Doc) => doc.getMap<unknown>(DOC.timers);
export const visionEvents = (doc: Y.Doc) => doc.getArray<unknown>(DOC.vision);
/** Face templates and their wrapped keys: read them through protocol/face-templates.ts. */
export const faceTemplates = (doc: Y.Doc) => doc.getMap<unknown>(DOC.faces);
export const commandEvents = (doc: Y.Doc) => doc.getArray<unknown>(DOC.commands);

/** Voice events kept in the document at most (the writer trims the oldest). */
export const VOICE_EVENTS_KEPT = 200;
/** A finished or cancelled timer stays this long, then retention removes it. */
export const TIMER_KEPT_MS = 3_600_000;

/** The newest `limit` valid voice events, newest first. */
export function readVoiceEvents(doc: Y.Doc, limit = 50): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  const arr = voiceEvents(doc);
  for (let i = arr.length - 1; i >= 0 && out.length < limit; i--) {
    const e = VoiceEvent.safeParse(arr.get(i));
    if (e.success) out.push(e.data);
  }
  return out.sort((a, b) => b.at - a.at || a.id.localeCompare(b.id));
}

/** The newest `limit` valid vision events, newest first. */
export function readVisionEvents(doc: Y.Doc, limit = 50): VisionEvent[] {
  const out: VisionEvent[] = [];
  const arr = visionEvents(doc);
  for (let i = arr.length - 1; i >= 0 && out.length < limit; i--) {
    const e = VisionEvent.safeParse(arr.get(i));
    if (e.success) out.push(e.data);
  }
  return out.sort((a, b) => b.at - a.at || a.id.localeCompare(b.id));
}

/** The newest `limit` valid command events, newest first. */
export function readCommandEvents(doc: Y.Doc, limit = 50): CommandEvent[] {
  const out: CommandEvent[] = [];
  const arr = commandEvents(doc);
  for (let i = arr.length - 1; i >= 0 && out.length < limit; i--) {
    const e = CommandEvent.safeParse(arr.get(i));
    if (e.success) out.push(e.data);
  }
  return out.sort((a, b) => b.at - a.at || a.id.localeCompare(b.id));
}

export function readTimers(doc: Y.Doc): RoomTimer[] {
  const out: RoomTimer[] = [];
  for (const raw of timers(doc).values()) {
    const t = RoomTimer.safeParse(raw);
    if (t.success) out.push(t.data);
  }
  return out.sort((a, b) => a.startedAt + a.durationMs - (b.startedAt + b.durationMs));
}

/** The room's default timer length, for timers started by voice ("set a timer" carries no number we can read). */
export function timerMinutes(doc: Y.Doc): number {
  const v = settings(doc).get('timerMinutes');
  const max = TIMER_LIMITS.maxMs / 60_000;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max ? v : TIMER_LIMITS.defaultMinutes;
}

export function readTimeline(doc: Y.Doc): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const raw of timeline(doc).toArray()) {
    const e = TimelineEntry.safeParse(raw);
    if (e.success) out.push(e.data);
  }
  // Insertion order is causal per author; sort by time for people, id breaks ties.
  return out.sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
}

export function readFiles(doc: Y.Doc): FileMeta[] {
  const out: FileMeta[] = [];
  for (const raw of files(doc).values()) {
    const f = FileMeta.safeParse(raw);
    if (f.success) out.push(f.data);
  }
  return out.sort((a, b) => b.sharedAt - a.sharedAt);
}

/** Every note, newest first; fields of the wrong type read as defaults, a bad mark as none. */
export function readNotes(doc: Y.Doc): NoteSummary[] {
  const list: NoteSummary[] = [];
  for (const [id, note] of notes(doc).entries()) {
    if (!(note instanceof Y.Map)) continue;
    const title = note.get('title');
    const body = note.get('body');
    const createdAt = note.get('createdAt');
    const remote = NoteRemote.safeParse(note.get('remote'));
    list.push({
      id,
      title: typeof title === 'string' ? title.slice(0, NOTE_TITLE_CHARS) : 'Untitled note',
      createdAt: typeof createdAt === 'number' ? createdAt : 0,
      length: body instanceof Y.Text ? body.length : 0,
      ...(remote.success ? { remote: { room: remote.data.room, access: remote.data.access } } : {}),
    });
  }
  return list.sort((a, b) => b.createdAt - a.createdAt);
}

export function readBoard(doc: Y.Doc): (BoardItem & { id: string })[] {
  const out: (BoardItem & { id: string })[] = [];
  for (const [id, raw] of board(doc).entries()) {
    const b = BoardItem.safeParse(raw);
    if (b.success) out.push({ id, ...b.data });
  }
  return out.sort((a, b) => b.pinnedAt - a.pinnedAt);
}

/** messageId → emoji → device ids. */
export function readReactions(doc: Y.Doc): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const key of reactions(doc).keys()) {
    const [msg, emoji, device] = key.split('|');
    if (!msg || !emoji || !device || !(REACTIONS as readonly string[]).includes(emoji)) continue;
    const perMsg = out.get(msg) ?? new Map<string, string[]>();
    perMsg.set(emoji, [...(perMsg.get(emoji) ?? []), device]);
    out.set(msg, perMsg);
  }
  return out;
}

export function retentionDays(doc: Y.Doc): number {
  const v = settings(doc).get('retentionDays');
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_RETENTION_DAYS ? v : DEFAULT_RETENTION_DAYS;
}

/**
 * Deletes messages (with their reactions and pins), files, voice and command events, and the
 * scribe's transcripts with their keys (scribe-doc.ts) older than the room's retention.
 * Any replica may run it; deletions are idempotent and reach everyone by sync. Returns the ids
 * of deleted files so their bytes can be removed too, and counts so the stores compact.
 */
export function applyRetention(doc: Y.Doc, now: number, origin: unknown = 'retention'): { messages: number; files: string[]; scribe: number } {
  const cutoff = now - retentionDays(doc) * 86_400_000;
  const expiredMessages = new Set<string>();
  const expiredFiles: string[] = [];
  let scribe = 0;
  doc.transact(() => {
    const arr = timeline(doc);
    for (let i = arr.length - 1; i >= 0; i--) {
      const raw = arr.get(i) as { id?: unknown; sentAt?: unknown };
      if (typeof raw?.sentAt === 'number' && raw.sentAt < cutoff) {
        if (typeof raw.id === 'string') expiredMessages.add(raw.id);
        arr.delete(i, 1);
      }
    }
    const liveMessages = new Set(arr.toArray().map((e) => (e as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string'));
    const orphanBefore = now - ORPHAN_GRACE_MS;
    const rx = reactions(doc);
    for (const [key, at] of [...rx.entries()]) {
      const msg = key.split('|')[0]!;
      // A reaction made concurrently with its message's expiry merges in after the deletion:
      // sweep orphans once they are old enough that their message cannot still be on its way.
      const orphanedLongEnough = !liveMessages.has(msg) && (typeof at !== 'number' || at < orphanBefore);
      if (expiredMessages.has(msg) || orphanedLongEnough) rx.delete(key);
    }
    const fm = files(doc);
    for (const [id, raw] of [...fm.entries()]) {
      const sharedAt = (raw as { sharedAt?: unknown })?.sharedAt;
      if (typeof sharedAt === 'number' && sharedAt < cutoff) {
        fm.delete(id);
        expiredFiles.push(id);
      }
    }
    for (const arr of [voiceEvents(doc), commandEvents(doc), visionEvents(doc)]) {
      for (let i = arr.length - 1; i >= 0; i--) {
        const at = (arr.get(i) as { at?: unknown })?.at;
        if (typeof at !== 'number' || at < cutoff) arr.delete(i, 1);
      }
    }
    // Face templates are kept no longer than messages: enrolled people are forgotten after the
    // room's retention, with their wrapped keys (a key whose template is gone is swept too).
    const fc = faceTemplates(doc);
    const liveTemplates = new Set<string>();
    for (const [key, raw] of [...fc.entries()]) {
      if (!key.startsWith('t:')) continue;
      const createdAt = (raw as { createdAt?: unknown })?.createdAt;
      if (typeof createdAt !== 'number' || createdAt < cutoff) fc.delete(key);
      else liveTemplates.add(key.slice(2));
    }
    for (const key of [...fc.keys()]) {
      if (key.startsWith('t:')) continue;
      const id = key.startsWith('k:') ? key.slice(2, key.lastIndexOf(':')) : '';
      if (!liveTemplates.has(id)) fc.delete(key);
    }
    scribe = retainScribe(doc, cutoff, orphanBefore);
    const tm = timers(doc);
    for (const [id, raw] of [...tm.entries()]) {
      const t = RoomTimer.safeParse(raw);
      const over = t.success ? (t.data.cancelledAt ?? t.data.startedAt + t.data.durationMs) : -Infinity;
      if (over < now - TIMER_KEPT_MS) tm.delete(id);
    }
    const b = board(doc);
    const nt = notes(doc);
    for (const [id, raw] of [...b.entries()]) {
      const { ref, pinnedAt } = (raw ?? {}) as { ref?: unknown; pinnedAt?: unknown };
      if (typeof ref !== 'string') continue;
      const exists = liveMessages.has(ref) || nt.has(ref) || fm.has(ref);
      const orphanedLongEnough = !exists && (typeof pinnedAt !== 'number' || pinnedAt < orphanBefore);
      if (expiredMessages.has(ref) || expiredFiles.includes(ref) || orphanedLongEnough) b.delete(id);
    }
  }, origin);
  return { messages: expiredMessages.size, files: expiredFiles, scribe };
}
