/** The hub's disk fills up: it must not ack what it could not store, and must say why. */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RoomMemory } from '../../../../hub/memory/room-memory.ts';
import { MemoryStore } from '../../../../hub/memory/memory-store.ts';
import { DocSync } from '../../../../protocol/doc-sync.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import { newDoc, timeline, readTimeline } from '../../../../protocol/room-doc.ts';

const DEVICE = 'd' + 'a'.repeat(32);

function entry(text: string) {
  return { id: `m${Math.random().toString(16).slice(2, 14)}`, author: DEVICE, authorName: 'Ada', text, sentAt: Date.now() };
}

describe('RoomMemory when the disk is full', () => {
  it('withholds the ack, reports storage-full, and acks again once there is room', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-full-'));
    const real = new MemoryStore(dataDir);
    let full = false;
    const store = {
      loadAll: () => real.loadAll(),
      append: (u: Uint8Array) => {
        if (full) throw new OsmoseError('storage-full', "the hub's disk is full; nothing already stored was lost");
        real.append(u);
      },
      compact: (s: Uint8Array) => real.compact(s),
      close: () => real.close(),
    };
    const refusals: string[] = [];
    const hub = new RoomMemory(store, { onRefusal: (_d, e) => refusals.push(e.code) });

    // A device linked to the hub with acks, frames delivered synchronously both ways.
    const device = new DocSync(newDoc(), null);
    device.addLink({ id: 'hub', wantsAck: true, send: (f) => hub.receive(DEVICE, f) });
    hub.attach(DEVICE, (f) => device.receive('hub', f));
    expect(device.unsaved).toBe(false);

    device.doc.transact(() => timeline(device.doc).push([entry('stored')]));
    expect(device.unsaved).toBe(false);

    full = true;
    device.doc.transact(() => timeline(device.doc).push([entry('not stored')]));
    expect(device.unsaved).toBe(true);
    expect(refusals).toContain('storage-full');

    // Space again: the next change is stored and acked, and with it everything before.
    full = false;
    device.doc.transact(() => timeline(device.doc).push([entry('after')]));
    expect(device.unsaved).toBe(false);
    hub.close();

    // What was acked survives a restart; the refused update was never promised.
    const reopened = new RoomMemory(new MemoryStore(dataDir));
    const texts = readTimeline(reopened.doc).map((e) => e.text);
    expect(texts).toContain('stored');
    expect(texts).toContain('after');
    reopened.close();
  });
});
