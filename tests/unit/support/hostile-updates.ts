/**
 * Valid-looking Yjs updates (format V1, byte for byte what y-protocols carries) that a hostile
 * member can craft: updates whose dependencies never arrive, updates that refer to themselves,
 * write outside the room document, or carry huge counts. Used by the unit tests and by
 * bench/hostile-update.ts.
 */
import * as encoding from 'lib0/encoding';
import { FRAME, encodeSyncFrame } from '../../../protocol/sync-frames.ts';

const BIT8 = 128; // has origin

export interface StructRun {
  client: number;
  clock: number;
  /** Each struct of the run, in order. */
  structs: Struct[];
}

export type Struct =
  | { gc: number }
  | { skip: number }
  /** A string item: under a root type, or after `origin`. */
  | { text: string; root?: string; origin?: [number, number] };

export interface DeleteRun {
  client: number;
  ranges: [number, number][];
}

/** Encodes an update as Yjs' UpdateEncoderV1 would. */
export function encodeUpdate(runs: StructRun[], deletes: DeleteRun[] = []): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, runs.length);
  for (const run of runs) {
    encoding.writeVarUint(e, run.structs.length);
    encoding.writeVarUint(e, run.client);
    encoding.writeVarUint(e, run.clock);
    for (const s of run.structs) {
      if ('gc' in s) {
        encoding.writeUint8(e, 0);
        encoding.writeVarUint(e, s.gc);
      } else if ('skip' in s) {
        encoding.writeUint8(e, 10);
        encoding.writeVarUint(e, s.skip);
      } else if (s.origin) {
        encoding.writeUint8(e, 4 | BIT8);
        encoding.writeVarUint(e, s.origin[0]);
        encoding.writeVarUint(e, s.origin[1]);
        encoding.writeVarString(e, s.text);
      } else {
        encoding.writeUint8(e, 4);
        encoding.writeVarUint(e, 1); // parent is a root type, by name
        encoding.writeVarString(e, s.root ?? 'timeline');
        encoding.writeVarString(e, s.text);
      }
    }
  }
  encoding.writeVarUint(e, deletes.length);
  for (const d of deletes) {
    encoding.writeVarUint(e, d.client);
    encoding.writeVarUint(e, d.ranges.length);
    for (const [clock, len] of d.ranges) {
      encoding.writeVarUint(e, clock);
      encoding.writeVarUint(e, len);
    }
  }
  return encoding.toUint8Array(e);
}

/**
 * The stalling update of issue 9 (finding 4), about 4 bytes per range: a GC struct of a client
 * nobody has, starting at clock 1 (clock 0 never comes), and `ranges` deletions on another client
 * nobody has. Before the fix Yjs parked both for good.
 */
export function stallingUpdate(ranges: number): Uint8Array {
  return encodeUpdate(
    [{ client: 777, clock: 1, structs: [{ gc: 1 }] }],
    [{ client: 999_999, ranges: Array.from({ length: ranges }, (_, i) => [100_000 + i * 2, 1] as [number, number]) }],
  );
}

/** Only deletions, of clocks nobody has: Yjs parked them in pendingDs. */
export function parkedDeletes(ranges: number, client = 999_999): Uint8Array {
  return encodeUpdate([], [{ client, ranges: Array.from({ length: ranges }, (_, i) => [100_000 + i * 2, 1] as [number, number]) }]);
}

/** A y-protocols "update" message (type 2) in a sync frame. */
export function updateFrame(update: Uint8Array, seq = 0): Uint8Array {
  return syncFrame(2, update, seq);
}

/** A y-protocols "sync step 1" message (a state vector) in a sync frame. */
export function step1Frame(stateVector: Uint8Array, seq = 0): Uint8Array {
  return syncFrame(0, stateVector, seq);
}

/** A y-protocols "sync step 2" message in a sync frame. */
export function step2Frame(update: Uint8Array, seq = 0): Uint8Array {
  return syncFrame(1, update, seq);
}

function syncFrame(type: number, update: Uint8Array, seq: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, type);
  encoding.writeVarUint8Array(e, update);
  return encodeSyncFrame(FRAME.sync, seq, encoding.toUint8Array(e));
}
