/**
 * What one hostile-but-valid Yjs update costs the room (issue 9, finding 4): a member sends an
 * update whose dependencies never arrive (tests/unit/support/hostile-updates.ts). Before the fix
 * Yjs parked it in doc.store.pendingDs/pendingStructs for good and re-read it on every later
 * update; now the receiver refuses it whole.
 *
 * On the hub's real replica (hub/room-memory.ts, SQLite in a temp folder): the time to take in one
 * small update (frame decode, check, apply, store, ack) before and after one hostile frame of about
 * 1.2 MB, how many of the later updates were acked, and the delete ranges Yjs read per later update
 * (a count, so it does not depend on the machine's load).
 *
 *   node --import tsx bench/hostile-update.ts [updates=40]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { RoomMemory } from '../hub/memory/room-memory.ts';
import { MemoryStore } from '../hub/memory/memory-store.ts';
import { setQuiet } from '../hub/support/log.ts';
import { FRAME } from '../protocol/sync-frames.ts';
import { newDoc, timeline, type TimelineEntry } from '../protocol/room-doc.ts';
import { parkedDeletes, stallingUpdate, updateFrame } from '../tests/unit/support/hostile-updates.ts';

const UPDATES = Number(process.argv[2] ?? 40);
const DEVICE = `d${'a'.repeat(32)}`;

/** Counts the delete ranges Yjs decoders read while `fn` runs. */
function countingDeleteReads<T>(fn: () => T): { value: T; reads: number } {
  let reads = 0;
  const protos = [Y.UpdateDecoderV1.prototype, Y.UpdateDecoderV2.prototype] as unknown as { readDsClock: () => number }[];
  for (const p of protos) {
    const inherited = p.readDsClock;
    p.readDsClock = function (this: unknown) {
      reads++;
      return inherited.call(this);
    };
  }
  try {
    return { value: fn(), reads };
  } finally {
    for (const p of protos) delete (p as { readDsClock?: unknown }).readDsClock;
  }
}

function run(name: string, hostile: Uint8Array): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-hostile-'));
  const hub = new RoomMemory(new MemoryStore(dir));
  let acks = 0;
  hub.attach(DEVICE, (f) => void (f[0] === FRAME.ack && acks++));
  const src = newDoc();
  const updates: Uint8Array[] = [];
  src.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < UPDATES * 2; i++) {
    timeline(src).push([{ id: `m${String(i).padStart(11, '0')}`, author: DEVICE, authorName: 'A', text: `small message ${i}`, sentAt: Date.now() } satisfies TimelineEntry]);
  }
  let seq = 0;
  const round = (from: number) => {
    const before = acks;
    const t0 = performance.now();
    const { reads } = countingDeleteReads(() => {
      for (let i = from; i < from + UPDATES; i++) hub.receive(DEVICE, updateFrame(updates[i]!, ++seq));
    });
    return { msPerUpdate: +((performance.now() - t0) / UPDATES).toFixed(2), deleteRangesReadPerUpdate: reads / UPDATES, acked: `${acks - before}/${UPDATES}` };
  };
  const clean = round(0);
  const t0 = performance.now();
  const { reads } = countingDeleteReads(() => hub.receive(DEVICE, updateFrame(hostile, ++seq)));
  const hostileMs = Math.round(performance.now() - t0);
  const after = round(UPDATES);
  const snapshotBytes = Y.encodeStateAsUpdate(hub.doc).length;
  console.log(JSON.stringify({ hostile: name, bytes: hostile.length, hostileMs, hostileDeleteRangesRead: reads, before: clean, after, snapshotBytes }));
  hub.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

setQuiet(true);
run('gap + 300k deletions', stallingUpdate(300_000));
run('300k deletions only', parkedDeletes(300_000));
