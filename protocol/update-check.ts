/**
 * Decides, before Yjs sees it, whether a Yjs update (format V1, what y-protocols carries) from
 * another member can be applied to this replica now, whole, at a cost in proportion to its size.
 *
 * Yjs itself parks what it cannot apply yet (doc.store.pendingStructs / pendingDs) and keeps it
 * for good: a member's update whose dependencies never arrive then stalls the hub's acks, is
 * re-processed on every later update and is copied into every snapshot (issue 9, finding 4). So a
 * replica takes in only updates that depend on nothing but what it holds or what the update itself
 * carries:
 *   - each client's structs start at or below this replica's clock for that client, with no gap
 *     (a Skip over clocks the replica lacks counts as a gap);
 *   - every reference (origin, right origin, parent) is to a clock the replica holds or the update
 *     brings; a reference to the struct's own client points before the struct;
 *   - every deleted range lies within what the replica holds or the update brings;
 *   - items hang only under the document's known root types (when the caller names them);
 *   - counts (clients, structs, deleted ranges) are under the limits below.
 * The scan mirrors Yjs' reader (yjs/src/utils/encoding.js, readClientsStructRefs) and skips over
 * content without building it; it costs one pass over the bytes and memory per client.
 * What it cannot see (a dependency cycle inside one update) Yjs still parks: `dropParked` below
 * removes that afterwards, so nothing ever stays parked.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { OsmoseError } from './errors.ts';

export const UPDATE_LIMITS = {
  /** Structs (runs of insertions, deletions kept as tombstones, GC ranges) in one update. */
  structs: 1_000_000,
  /** Deleted ranges in one update's delete set. */
  deleteRanges: 1_000_000,
  /** Clients (Yjs client ids: one per device session) with structs or deletions in one update. */
  clients: 100_000,
} as const;
export type UpdateLimits = { [K in keyof typeof UPDATE_LIMITS]: number };

export type UpdateVerdict =
  | { ok: true; structs: number; deleteRanges: number }
  | { ok: false; error: OsmoseError };

const BIT6 = 32;
const BIT7 = 64;
const BIT8 = 128;
const YXML_ELEMENT = 3;
const YXML_HOOK = 5;
const TYPE_REFS = 7;

/**
 * Checks `update` against the receiver's clocks (`clockOf(client)`, e.g.
 * `(c) => Y.getState(doc.store, c)`). `missing-dependencies` when it refers to something the
 * receiver lacks, `too-large` over a limit, `bad-request` when malformed. Never throws.
 */
export function checkUpdate(update: Uint8Array, clockOf: (client: number) => number, opts: { limits?: UpdateLimits; roots?: ReadonlySet<string> } = {}): UpdateVerdict {
  const limits = opts.limits ?? UPDATE_LIMITS;
  try {
    return scan(update, clockOf, limits, opts.roots ?? null);
  } catch (err) {
    return { ok: false, error: new OsmoseError('bad-request', `malformed update: ${(err as Error).message}`.slice(0, 200)) };
  }
}

function scan(update: Uint8Array, clockOf: (client: number) => number, limits: UpdateLimits, roots: ReadonlySet<string> | null): UpdateVerdict {
  const refuse = (code: 'missing-dependencies' | 'too-large' | 'bad-request', message: string): UpdateVerdict => ({ ok: false, error: new OsmoseError(code, message) });
  const d = new Y.UpdateDecoderV1(decoding.createDecoder(update));
  const rest = d.restDecoder;
  /** client → the clock up to which the receiver will hold it once the update is in. */
  const covered = new Map<number, number>();
  /** client → the highest clock the update refers to (references, deletions), checked at the end. */
  const needed = new Map<number, number>();
  const need = (client: number, clock: number) => {
    if (clock > (needed.get(client) ?? -1)) needed.set(client, clock);
  };
  // A count that the remaining bytes cannot hold is damage, not a big update.
  const fits = (n: number) => n <= update.byteLength - rest.pos;
  const clients = decoding.readVarUint(rest);
  if (!fits(clients)) return refuse('bad-request', 'malformed update: more clients than bytes');
  if (clients > limits.clients) return refuse('too-large', `update with ${clients} clients (limit ${limits.clients})`);
  let structs = 0;
  for (let c = 0; c < clients; c++) {
    const count = decoding.readVarUint(rest);
    if (!fits(count)) return refuse('bad-request', 'malformed update: more structs than bytes');
    structs += count;
    if (structs > limits.structs) return refuse('too-large', `update with over ${limits.structs} structs`);
    const client = d.readClient();
    if (covered.has(client)) return refuse('bad-request', 'malformed update: a client appears twice');
    let clock = decoding.readVarUint(rest);
    let have = clockOf(client);
    if (count > 0 && clock > have) return refuse('missing-dependencies', `update starts past what this side holds of client ${client}`);
    for (let s = 0; s < count; s++) {
      const info = d.readInfo();
      const ref = info & 31;
      if (ref === 10) {
        // Skip: clocks the update does not carry. Fine only where the receiver has them already.
        clock += decoding.readVarUint(rest);
        continue;
      }
      if (clock > have) return refuse('missing-dependencies', `update skips clocks of client ${client} this side lacks`);
      let length: number;
      if (ref === 0) length = d.readLen(); // GC
      else {
        const refs: [number, number][] = [];
        if (info & BIT8) refs.push([d.readClient(), decoding.readVarUint(rest)]); // origin
        if (info & BIT7) refs.push([d.readClient(), decoding.readVarUint(rest)]); // right origin
        if ((info & (BIT7 | BIT8)) === 0) {
          if (d.readParentInfo()) {
            const key = d.readString();
            if (roots && !roots.has(key)) return refuse('bad-request', 'update writes outside the room document');
          } else refs.push([d.readClient(), decoding.readVarUint(rest)]); // parent item
          if (info & BIT6) skipString(rest); // key in a map
        }
        for (const [rc, rk] of refs) {
          if (rc === client && rk >= clock) return refuse('bad-request', 'malformed update: a struct refers to itself or later');
          need(rc, rk + 1);
        }
        length = contentLength(d, rest, ref);
      }
      clock += length;
      have = Math.max(have, clock);
    }
    covered.set(client, have);
  }
  const dsClients = decoding.readVarUint(rest);
  if (!fits(dsClients)) return refuse('bad-request', 'malformed update: more clients than bytes');
  if (dsClients > limits.clients) return refuse('too-large', `delete set with ${dsClients} clients (limit ${limits.clients})`);
  let ranges = 0;
  for (let c = 0; c < dsClients; c++) {
    d.resetDsCurVal();
    const client = decoding.readVarUint(rest);
    const n = decoding.readVarUint(rest);
    if (!fits(n)) return refuse('bad-request', 'malformed update: more deletions than bytes');
    ranges += n;
    if (ranges > limits.deleteRanges) return refuse('too-large', `update deletes over ${limits.deleteRanges} ranges`);
    for (let i = 0; i < n; i++) {
      const clock = d.readDsClock();
      const len = d.readDsLen();
      need(client, clock + len);
    }
  }
  for (const [client, clock] of needed) {
    if (clock > (covered.get(client) ?? clockOf(client))) return refuse('missing-dependencies', `update refers to changes of client ${client} this side lacks`);
  }
  return { ok: true, structs, deleteRanges: ranges };
}

/**
 * Reads over a string (lib0's `readVarString`) and returns its length in UTF-16 code units, as
 * JavaScript and Yjs count. An ASCII string is skipped without decoding (its length is its byte
 * count): decoding every string of a big room twice (here and in Yjs) was a third of the check.
 * Anything else is decoded by lib0 itself, so what it refuses is refused here too.
 */
function skipString(rest: decoding.Decoder): number {
  const at = rest.pos;
  const len = decoding.readVarUint(rest);
  const end = rest.pos + len;
  const bytes = rest.arr;
  if (end <= bytes.length) {
    let i = rest.pos;
    while (i < end && bytes[i]! < 0x80) i++;
    if (i === end) {
      rest.pos = end;
      return len;
    }
  }
  rest.pos = at;
  return decoding.readVarString(rest).length;
}

/** Reads over one value of lib0's `readAny` without building it; throws where it would. */
function skipAny(rest: decoding.Decoder): void {
  switch (127 - decoding.readUint8(rest)) {
    case 0: // undefined
    case 1: // null
    case 6: // false
    case 7: // true
      return;
    case 2:
      decoding.readVarInt(rest);
      return;
    case 3:
      decoding.readFloat32(rest);
      return;
    case 4:
      decoding.readFloat64(rest);
      return;
    case 5:
      decoding.readBigInt64(rest);
      return;
    case 8:
      skipString(rest);
      return;
    case 9: { // object: key, value pairs
      const n = decoding.readVarUint(rest);
      for (let i = 0; i < n; i++) {
        skipString(rest);
        skipAny(rest);
      }
      return;
    }
    case 10: { // array
      const n = decoding.readVarUint(rest);
      for (let i = 0; i < n; i++) skipAny(rest);
      return;
    }
    case 11: // Uint8Array
      decoding.readVarUint8Array(rest);
      return;
    default:
      throw new Error('unknown value type');
  }
}

/** Reads over an item's content as Yjs' readItemContent does; returns its length in clocks. */
function contentLength(d: Y.UpdateDecoderV1, rest: decoding.Decoder, ref: number): number {
  switch (ref) {
    case 1: // deleted
      return d.readLen();
    case 2: { // JSON
      const n = d.readLen();
      for (let i = 0; i < n; i++) skipString(rest);
      return n;
    }
    case 3: // binary
      d.readBuf();
      return 1;
    case 4: // string: its length in UTF-16 code units, as Yjs counts
      return skipString(rest);
    case 5: // embed
      d.readJSON();
      return 1;
    case 6: // format
      d.readKey();
      d.readJSON();
      return 1;
    case 7: { // type
      const type = d.readTypeRef();
      if (type >= TYPE_REFS) throw new Error(`unknown type ${type}`);
      if (type === YXML_ELEMENT || type === YXML_HOOK) d.readKey();
      return 1;
    }
    case 8: { // any
      const n = d.readLen();
      for (let i = 0; i < n; i++) skipAny(rest);
      return n;
    }
    case 9: // subdocument
      d.readString();
      d.readAny();
      return 1;
    default:
      throw new Error(`unknown content ${ref}`);
  }
}

export interface Dropped {
  structBytes: number;
  deleteBytes: number;
}

/**
 * Removes whatever Yjs parked in `doc` (an update it could only partly apply): a replica never
 * keeps parked data, so it is never re-processed, snapshotted or sent on. What was applied stays;
 * the dropped part comes back through a state-vector sync from whoever holds it whole.
 * Returns what was dropped, or null when nothing was parked.
 */
export function dropParked(doc: Y.Doc): Dropped | null {
  const { pendingStructs, pendingDs } = doc.store;
  if (!pendingStructs && !pendingDs) return null;
  doc.store.pendingStructs = null;
  doc.store.pendingDs = null;
  return { structBytes: pendingStructs?.update.byteLength ?? 0, deleteBytes: pendingDs?.byteLength ?? 0 };
}

/**
 * Loads stored updates (oldest first) into `doc`, dropping after each one whatever Yjs parked:
 * data saved before updates were checked (a snapshot then copied parked updates in) heals on load
 * instead of stalling the replica again. A record Yjs cannot read is skipped, so one damaged
 * record does not hide the rest of the room's history.
 */
export function loadStored(doc: Y.Doc, rows: Iterable<Uint8Array>, origin: unknown): { dropped: Dropped | null; damaged: number } {
  let structBytes = 0;
  let deleteBytes = 0;
  let damaged = 0;
  Y.transact(doc, () => {
    for (const row of rows) {
      try {
        Y.applyUpdate(doc, row, origin);
      } catch {
        damaged++;
      }
      const d = dropParked(doc);
      if (d) {
        structBytes += d.structBytes;
        deleteBytes += d.deleteBytes;
      }
    }
  }, origin);
  return { dropped: structBytes + deleteBytes > 0 ? { structBytes, deleteBytes } : null, damaged };
}
