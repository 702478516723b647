/**
 * The check of a Yjs update that another hub sent for a link's note, at a cost proportional to the
 * update (never a copy of the note): the update is decoded struct by struct and judged against the
 * per-link document's state vector, its index of items, and its deleted ranges.
 *
 * - What the document already holds is dropped (Yjs would skip it anyway, but a delete set it
 *   already has would make Yjs walk every item in its ranges again).
 * - What is new must fit the note: items only under `body` (text) or `meta.title` (one string of
 *   at most 120 characters), with known origins; nothing that Yjs would have to park for missing
 *   dependencies (a gap in a client's clocks, an unknown origin, a deletion of what does not exist),
 *   since a parked update is reprocessed on every later update.
 * - From a guest on a read-only link, nothing may be new at all.
 *
 * Returns the update to apply (only what is new), or null when nothing is. Throws `out-of-scope`
 * or `bad-request`.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { OsmoseError } from '../../protocol/errors.ts';
import type { DeletedRanges } from './deleted-ranges.ts';

export const TITLE_CHARS = 120;

export interface NoteDoc {
  doc: Y.Doc;
  body: Y.Text;
  meta: Y.Map<unknown>;
  deleted: DeletedRanges;
}

type Struct = Y.Item | Y.GC | Y.Skip;
interface Range {
  clock: number;
  len: number;
}

const outOfScope = (why: string) => new OsmoseError('out-of-scope', why);

export function screenUpdate(note: NoteDoc, update: Uint8Array, readOnly: boolean): Uint8Array | null {
  let decoded: { structs: Struct[]; ds: { clients: Map<number, Range[]> } };
  try {
    decoded = Y.decodeUpdate(update) as unknown as typeof decoded;
  } catch (err) {
    throw new OsmoseError('bad-request', `malformed note update: ${(err as Error).message}`.slice(0, 200));
  }
  const store = note.doc.store;
  // Per client: what the document holds, then what this update adds right after it.
  const reach = new Map<number, number>();
  const fresh = new Map<number, Struct[]>();
  for (const s of decoded.structs) {
    const { client, clock } = s.id;
    if (!reach.has(client)) reach.set(client, Y.getState(store, client));
    const known = reach.get(client)!;
    if (s instanceof Y.Skip) continue;
    if (clock + s.length <= known) continue; // already here
    if (clock > known) throw new OsmoseError('bad-request', 'a note update that depends on changes this hub never received');
    if (readOnly) throw outOfScope('a change to the note on a read-only link');
    reach.set(client, clock + s.length);
    const list = fresh.get(client) ?? [];
    list.push(s);
    fresh.set(client, list);
  }
  const holds = (id: Y.ID) => id.clock < (reach.get(id.client) ?? Y.getState(store, id.client));
  const newIn = (id: Y.ID): Y.Item | Y.GC | null => {
    const list = fresh.get(id.client);
    if (!list || id.clock < list[0]!.id.clock) return null;
    return (findIn(list, id.clock) as Y.Item | Y.GC | null) ?? null;
  };
  const where = new Map<Struct, Place>();
  for (const list of fresh.values()) for (const s of list) if (s instanceof Y.Item) checkItem(s, note, holds, newIn, where);

  // Deletions: only of what exists, and only what is not deleted already.
  const ds = new Map<number, Range[]>();
  for (const [client, ranges] of decoded.ds.clients) {
    for (const r of ranges) {
      if (r.len <= 0) continue;
      if (r.clock + r.len > (reach.get(client) ?? Y.getState(store, client))) throw new OsmoseError('bad-request', 'a note update that deletes what this hub never received');
      const missing = readOnly ? (note.deleted.covers(client, r.clock, r.len) ? [] : [r]) : note.deleted.missing(client, r.clock, r.len);
      if (missing.length && readOnly) throw outOfScope('a deletion in the note on a read-only link');
      if (missing.length) ds.set(client, [...(ds.get(client) ?? []), ...missing]);
    }
  }
  if (fresh.size === 0 && ds.size === 0) return null;
  return encodeUpdate(fresh, ds, store);
}

type Place = 'body' | 'title' | 'gone';

/**
 * Where a new item goes: its parent, named or inherited from its origin (in this update or in the
 * document), followed iteratively along the chain (a chain of a million items is no deeper a
 * stack). Throws if it is outside the note, or if its content does not fit there.
 */
function checkItem(item: Y.Item, note: NoteDoc, holds: (id: Y.ID) => boolean, newIn: (id: Y.ID) => Y.Item | Y.GC | null, where: Map<Struct, Place>): void {
  const chain: Y.Item[] = [];
  const seen = new Set<Y.Item>();
  let cur = item;
  let place: Place;
  for (;;) {
    const done = where.get(cur);
    if (done) {
      place = done;
      break;
    }
    if (seen.has(cur)) throw new OsmoseError('bad-request', 'a note update whose items depend on each other in a circle');
    seen.add(cur);
    chain.push(cur);
    for (const ref of [cur.origin, cur.rightOrigin]) {
      if (!ref) continue;
      if (!holds(ref) || (ref.client === cur.id.client && ref.clock >= cur.id.clock)) throw new OsmoseError('bad-request', 'a note update that depends on changes this hub never received');
    }
    const parent = cur.parent as unknown;
    if (typeof parent === 'string') {
      if (parent === 'body' && cur.parentSub === null) place = 'body';
      else if (parent === 'meta' && cur.parentSub === 'title') place = 'title';
      else if (parent === 'meta') throw outOfScope('the note update carries something other than a title');
      else throw outOfScope(`the note update touches “${parent.slice(0, 40)}${cur.parentSub ? '.' + cur.parentSub.slice(0, 40) : ''}”, which the link does not cover`);
      break;
    }
    if (parent !== null) throw outOfScope('the note update nests a type, which the link does not cover');
    const ref = cur.origin ?? cur.rightOrigin;
    if (!ref) throw new OsmoseError('bad-request', 'a note update item without a place');
    const inUpdate = newIn(ref);
    if (inUpdate instanceof Y.Item) {
      cur = inUpdate;
      continue;
    }
    if (inUpdate) place = 'gone';
    else {
      const found = Y.getItem(note.doc.store, ref) as Y.Item | Y.GC;
      if (!(found instanceof Y.Item)) place = 'gone'; // next to collected content: Yjs drops it
      else if (found.parent === note.body) place = 'body';
      else if (found.parent === note.meta && found.parentSub === 'title') place = 'title';
      else throw outOfScope('the note update touches something the link does not cover');
    }
    break;
  }
  for (const c of chain) {
    checkContent(c, place);
    where.set(c, place);
  }
}

function checkContent(item: Y.Item, place: Place): void {
  const content = item.content;
  if (content instanceof Y.ContentDeleted || place === 'gone') return;
  if (place === 'body' && !(content instanceof Y.ContentString)) throw outOfScope('the note’s text may hold only text');
  if (place === 'title') {
    const arr = content instanceof Y.ContentAny ? (content as unknown as { arr: unknown[] }).arr : null;
    if (!arr || arr.length !== 1 || typeof arr[0] !== 'string' || arr[0].length > TITLE_CHARS) throw outOfScope('the note update carries something other than a title');
  }
}

function findIn(list: Struct[], clock: number): Struct | null {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = list[mid]!;
    if (s.id.clock > clock) hi = mid - 1;
    else if (clock >= s.id.clock + s.length) lo = mid + 1;
    else return s;
  }
  return null;
}

/** A Yjs v1 update holding `structs` (from each client's current state on) and the delete set `ds`. */
function encodeUpdate(structs: Map<number, Struct[]>, ds: Map<number, Range[]>, store: Y.Doc['store']): Uint8Array {
  const enc = new Y.UpdateEncoderV1();
  encoding.writeVarUint(enc.restEncoder, structs.size);
  for (const [client, list] of structs) {
    const from = Math.max(Y.getState(store, client), list[0]!.id.clock);
    encoding.writeVarUint(enc.restEncoder, list.length);
    enc.writeClient(client);
    encoding.writeVarUint(enc.restEncoder, from);
    list[0]!.write(enc, from - list[0]!.id.clock);
    for (let i = 1; i < list.length; i++) list[i]!.write(enc, 0);
  }
  encoding.writeVarUint(enc.restEncoder, ds.size);
  for (const [client, ranges] of ds) {
    encoding.writeVarUint(enc.restEncoder, client);
    encoding.writeVarUint(enc.restEncoder, ranges.length);
    for (const r of ranges) (enc.writeDsClock(r.clock), enc.writeDsLen(r.len));
  }
  return enc.toUint8Array();
}
