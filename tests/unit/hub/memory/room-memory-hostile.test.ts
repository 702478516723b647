/**
 * A hostile member against the hub's replica (issue 9, finding 4): one valid Yjs update whose
 * dependencies never arrive used to be parked by Yjs for good. The hub then acked no device's
 * frame again, re-read the parked deletions on every later update, and copied them into every
 * snapshot and catch-up. Work is counted (delete ranges Yjs reads), never timed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RoomMemory } from '../../../../hub/memory/room-memory.ts';
import { MemoryStore } from '../../../../hub/memory/memory-store.ts';
import { setQuiet } from '../../../../hub/support/log.ts';
import { DocSync } from '../../../../protocol/doc-sync.ts';
import { STEP1_EVERY_MS } from '../../../../protocol/step1-throttle.ts';
import type { OsmoseError } from '../../../../protocol/errors.ts';
import { FRAME } from '../../../../protocol/sync-frames.ts';
import { newDoc, readTimeline, timeline, type TimelineEntry } from '../../../../protocol/room-doc.ts';
import { pending } from '../../sim/sim-network.ts';
import { parkedDeletes, stallingUpdate, step1Frame, step2Frame, updateFrame } from '../../support/hostile-updates.ts';

const HOSTILE = `d${'e'.repeat(32)}`;
const HONEST = `d${'a'.repeat(32)}`;

beforeAll(() => setQuiet(true));
afterAll(() => setQuiet(false));

const dirs: string[] = [];
const hubs: RoomMemory[] = [];
/** Each replica's store, as the hub hands it over (to read its rows). */
const storeOf = new Map<RoomMemory, MemoryStore>();
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function hubAt(dir?: string, refusals: OsmoseError[] = []): { hub: RoomMemory; dir: string; refusals: OsmoseError[] } {
  const dataDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-hostile-'));
  if (!dir) dirs.push(dataDir);
  const store = new MemoryStore(dataDir);
  const hub = new RoomMemory(store, { onRefusal: (_d, e) => refusals.push(e) });
  storeOf.set(hub, store);
  hubs.push(hub);
  return { hub, dir: dataDir, refusals };
}

/** A device linked to the hub, frames delivered synchronously both ways. */
function device(hub: RoomMemory, id: string) {
  const sync = new DocSync(newDoc(), null);
  const received: Uint8Array[] = [];
  let linked = false;
  // What the hub sends before the device's end of the link is up waits for it.
  hub.attach(id, (f) => {
    received.push(f);
    if (linked) sync.receive('hub', f);
  });
  sync.addLink({ id: 'hub', wantsAck: true, send: (f) => hub.receive(id, f) });
  linked = true;
  for (const f of [...received]) sync.receive('hub', f);
  let n = 0;
  const post = (text: string) => sync.doc.transact(() => timeline(sync.doc).push([{ id: `m${id.slice(1, 6)}${String(n++).padStart(7, '0')}`, author: id, authorName: 'A', text, sentAt: Date.now() } satisfies TimelineEntry]));
  return { sync, received, post };
}

/** Delete ranges Yjs (and the update check) read while `fn` runs: the work parked deletions cost. */
function deleteRangesRead(fn: () => void): number {
  let n = 0;
  const protos = [Y.UpdateDecoderV1.prototype, Y.UpdateDecoderV2.prototype] as unknown as { readDsClock: () => number }[];
  for (const p of protos) {
    const inherited = p.readDsClock;
    p.readDsClock = function (this: unknown) {
      n++;
      return inherited.call(this);
    };
  }
  try {
    fn();
  } finally {
    for (const p of protos) delete (p as { readDsClock?: unknown }).readDsClock;
  }
  return n;
}

describe('one hostile update does not stall the hub', () => {
  it.each([
    ['structs after a gap and 300,000 deletions of clocks nobody has (1.2 MB)', stallingUpdate(300_000)],
    ['only deletions of clocks nobody has (1.2 MB)', parkedDeletes(300_000)],
  ])('%s: refused, nothing parked, acks go on, later updates cost what they did', (_name, hostile) => {
    const { hub, refusals } = hubAt();
    const honest = device(hub, HONEST);
    honest.post('before');
    expect(honest.sync.unsaved).toBe(false);
    const costBefore = deleteRangesRead(() => honest.post('a small update'));

    hub.attach(HOSTILE, () => undefined);
    hub.receive(HOSTILE, updateFrame(hostile, 1));
    expect(refusals.map((e) => e.code)).toEqual(['missing-dependencies']);
    expect(pending(hub.doc)).toEqual({ structs: false, deletes: false });

    // Every later frame of the honest device is acked, and costs what it cost before.
    for (let i = 0; i < 5; i++) {
      const cost = deleteRangesRead(() => honest.post(`after ${i}`));
      expect(cost).toBeLessThanOrEqual(costBefore);
      expect(honest.sync.unsaved, `update ${i} after the hostile frame was acked`).toBe(false);
    }
    // Nothing of it spreads: a new device's catch-up and the hub's snapshot stay small.
    const late = device(hub, `d${'b'.repeat(32)}`);
    expect(readTimeline(late.sync.doc).length).toBe(7);
    expect(Math.max(...late.received.map((f) => f.length))).toBeLessThan(10_000);
    expect(Y.encodeStateAsUpdate(hub.doc).length).toBeLessThan(10_000);
  });

  it('the hub asks the sender for a state-vector sync instead (one step 1 outstanding at a time)', () => {
    const { hub } = hubAt();
    const toHostile: Uint8Array[] = [];
    const step1s = () => toHostile.filter((f) => f[0] === FRAME.sync && f[1] === 0 && f[2] === 0).length;
    hub.attach(HOSTILE, (f) => toHostile.push(f));
    expect(step1s()).toBe(1); // the hub's step 1 when the device links
    hub.receive(HOSTILE, updateFrame(stallingUpdate(10), 1));
    hub.receive(HOSTILE, updateFrame(stallingUpdate(10), 2));
    expect(step1s()).toBe(1); // still unanswered: no second one yet
    hub.receive(HOSTILE, step2Frame(Y.encodeStateAsUpdate(newDoc()), 3)); // the answer
    expect(step1s()).toBe(2); // refusals came in meanwhile: asked once more
    expect(toHostile.filter((f) => f[0] === FRAME.ack).length).toBe(1); // only the step 2 was acked
  });
});

describe('a member repeating sync step 1 does not make the hub send the room over and over', () => {
  it('one answer at once, then at most one per interval with the newest state vector', () => {
    vi.useFakeTimers();
    try {
      const { hub } = hubAt();
      const honest = device(hub, HONEST);
      for (let i = 0; i < 50; i++) honest.post(`message ${i} ${'x'.repeat(200)}`);
      const toHostile: Uint8Array[] = [];
      const step2s = () => toHostile.filter((f) => f[0] === FRAME.sync && f[1] === 0 && f[2] === 1);
      hub.attach(HOSTILE, (f) => toHostile.push(f));
      const nothing = step1Frame(Y.encodeStateVector(newDoc()));
      for (let i = 0; i < 100; i++) hub.receive(HOSTILE, nothing);
      expect(step2s().length).toBe(1); // the first, in full
      expect(step2s()[0]!.length).toBeGreaterThan(10_000);
      vi.advanceTimersByTime(STEP1_EVERY_MS);
      expect(step2s().length).toBe(2); // the 99 others: one answer
      vi.advanceTimersByTime(10 * STEP1_EVERY_MS);
      expect(step2s().length).toBe(2);
      // Honest devices are not held up: the hub's own link answers at once.
      expect(honest.sync.unsaved).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('data saved before the fix heals when the hub opens it', () => {
  /** A memory.sqlite as the old hub left it: a compaction copied the parked update in. */
  function poisonedFolder(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-poisoned-'));
    dirs.push(dir);
    const old = newDoc();
    timeline(old).push([{ id: 'keptmessage1', author: HONEST, authorName: 'A', text: 'kept', sentAt: Date.now() } satisfies TimelineEntry]);
    Y.applyUpdate(old, stallingUpdate(50_000)); // the old hub parked it
    expect(pending(old)).toEqual({ structs: true, deletes: true });
    const store = new MemoryStore(dir);
    store.compact(Y.encodeStateAsUpdate(old));
    store.append(Y.encodeStateAsUpdate(old)); // and a second copy in a later row
    store.close();
    return dir;
  }

  it('drops the parked part, keeps the rest, rewrites the rows, and acks again', () => {
    const dir = poisonedFolder();
    const before = new MemoryStore(dir);
    const poisonedBytes = before.loadAll().reduce((n, r) => n + r.length, 0);
    before.close();
    expect(poisonedBytes).toBeGreaterThan(200_000);

    const { hub } = hubAt(dir);
    expect(pending(hub.doc)).toEqual({ structs: false, deletes: false });
    expect(readTimeline(hub.doc).map((m) => m.text)).toEqual(['kept']);
    const honest = device(hub, HONEST);
    honest.post('after the heal');
    expect(honest.sync.unsaved).toBe(false);
    const rows = storeOf.get(hub)!.loadAll();
    expect(rows.reduce((n, r) => n + r.length, 0)).toBeLessThan(10_000);
    hub.close();
    hubs.splice(hubs.indexOf(hub), 1);

    // Opened again: nothing left to drop.
    const again = hubAt(dir);
    expect(pending(again.hub.doc)).toEqual({ structs: false, deletes: false });
    expect(readTimeline(again.hub.doc).map((m) => m.text)).toEqual(['kept', 'after the heal']);
  });
});
