/**
 * Presence (y-protocols awareness) from one link, filtered before it reaches the Awareness
 * instance. y-protocols takes any client's state from anyone with a higher clock: a member could
 * overwrite this device's own state (which it would then re-broadcast as its own), hide or rename
 * another member who is linked directly, or fill the map with thousands of made-up clients. Here a
 * link speaks only for the clients it introduced itself, at most `statesPerLink` of them, never for
 * this device and never for a client another link speaks for, in frames of bounded size.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { OsmoseError } from './errors.ts';

export const AWARENESS_LIMITS = {
  /** One awareness frame: an honest one holds one small state (or a few removals). */
  frameBytes: 16 * 1024,
  /** Clients one link may hold states for (a device has one; a reload gives it a new one). */
  statesPerLink: 4,
} as const;

export interface AwarenessEntry {
  client: number;
  clock: number;
  /** The state as sent (JSON text); JSON null removes the client. */
  json: string;
}

export type AwarenessVerdict = { ok: true; update: Uint8Array | null } | { ok: false; error: OsmoseError };

/**
 * Keeps the entries of `payload` that `link` may send: `self` is this device's client id, `owner`
 * says which link already speaks for a client (undefined if none), `owned` how many clients this
 * link speaks for now. Returns the re-encoded update to apply (null when nothing is left), or an
 * error for a frame to refuse. Never throws.
 */
export function filterAwareness(payload: Uint8Array, link: string, self: number, owner: (client: number) => string | undefined, owned: number): AwarenessVerdict {
  if (payload.byteLength > AWARENESS_LIMITS.frameBytes) return { ok: false, error: new OsmoseError('too-large', `awareness frame over ${AWARENESS_LIMITS.frameBytes} bytes`) };
  const keep: AwarenessEntry[] = [];
  try {
    const d = decoding.createDecoder(payload);
    const n = decoding.readVarUint(d);
    const fresh = new Set<number>();
    for (let i = 0; i < n; i++) {
      const entry: AwarenessEntry = { client: decoding.readVarUint(d), clock: decoding.readVarUint(d), json: decoding.readVarString(d) };
      const by = owner(entry.client);
      if (entry.client === self || (by !== undefined && by !== link)) continue; // not this link's to say
      if (JSON.parse(entry.json) === null) {
        if (by === link) keep.push(entry); // only its own clients can it remove
        continue;
      }
      if (by === undefined && !fresh.has(entry.client)) {
        fresh.add(entry.client);
        if (owned + fresh.size > AWARENESS_LIMITS.statesPerLink) {
          return { ok: false, error: new OsmoseError('too-large', `more than ${AWARENESS_LIMITS.statesPerLink} presence states from one link`) };
        }
      }
      keep.push(entry);
    }
  } catch (err) {
    return { ok: false, error: new OsmoseError('bad-request', `malformed awareness payload: ${(err as Error).message}`.slice(0, 200)) };
  }
  if (keep.length === 0) return { ok: true, update: null };
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, keep.length);
  for (const k of keep) {
    encoding.writeVarUint(e, k.client);
    encoding.writeVarUint(e, k.clock);
    encoding.writeVarString(e, k.json);
  }
  return { ok: true, update: encoding.toUint8Array(e) };
}
